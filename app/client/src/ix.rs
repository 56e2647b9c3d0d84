//! Instruction builders for every program instruction.

use anchor_lang::{InstructionData, ToAccountMetas};
use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;
use vamm::constants::seeds;
use vamm::instructions::{ClosePositionParams, CreateMarketParams, OpenPositionParams};
use vamm::state::GovernanceAction;

pub fn exchange_pda() -> Pubkey {
    Pubkey::find_program_address(&[seeds::EXCHANGE], &vamm::ID).0
}
pub fn vault_pda(exchange: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seeds::VAULT, exchange.as_ref()], &vamm::ID).0
}
pub fn insurance_vault_pda(exchange: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seeds::INSURANCE_VAULT, exchange.as_ref()], &vamm::ID).0
}
pub fn market_pda(index: u16) -> Pubkey {
    Pubkey::find_program_address(&[seeds::MARKET, &index.to_le_bytes()], &vamm::ID).0
}
pub fn trader_pda(owner: &Pubkey, sub_account_id: u16) -> Pubkey {
    Pubkey::find_program_address(&[seeds::TRADER, owner.as_ref(), &sub_account_id.to_le_bytes()], &vamm::ID).0
}

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: vamm::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// The program's ProgramData account (BPF upgradeable loader), which
/// records its upgrade authority.
pub fn program_data_address() -> Pubkey {
    anchor_lang::solana_program::bpf_loader_upgradeable::get_program_data_address(&vamm::ID)
}

/// `admin` must be the program's upgrade authority.
pub fn initialize_exchange(admin: &Pubkey, mint: &Pubkey, guardian: Pubkey) -> Instruction {
    let exchange = exchange_pda();
    build(
        vamm::accounts::InitializeExchange {
            admin: *admin,
            program_data: program_data_address(),
            exchange,
            collateral_mint: *mint,
            vault: vault_pda(&exchange),
            insurance_vault: insurance_vault_pda(&exchange),
            token_program: spl_token_interface::ID,
            system_program: solana_system_interface::program::ID,
        },
        vamm::instruction::InitializeExchange { guardian },
    )
}

pub fn propose_admin(admin: &Pubkey, new_admin: Pubkey) -> Instruction {
    build(
        vamm::accounts::ProposeAdmin { admin: *admin, exchange: exchange_pda() },
        vamm::instruction::ProposeAdmin { new_admin },
    )
}

pub fn accept_admin(new_admin: &Pubkey) -> Instruction {
    build(
        vamm::accounts::AcceptAdmin { new_admin: *new_admin, exchange: exchange_pda() },
        vamm::instruction::AcceptAdmin {},
    )
}

pub fn set_guardian(admin: &Pubkey, guardian: Pubkey) -> Instruction {
    build(
        vamm::accounts::SetGuardian { admin: *admin, exchange: exchange_pda() },
        vamm::instruction::SetGuardian { guardian },
    )
}

/// Points clients at `lookup_table` (the default key clears the pointer).
pub fn set_lookup_table(admin: &Pubkey, lookup_table: Pubkey) -> Instruction {
    let table = (lookup_table != Pubkey::default()).then_some(lookup_table);
    build(
        vamm::accounts::SetLookupTable { admin: *admin, exchange: exchange_pda(), table },
        vamm::instruction::SetLookupTable { lookup_table },
    )
}

pub fn proposal_pda(id: u64) -> Pubkey {
    Pubkey::find_program_address(&[seeds::PROPOSAL, &id.to_le_bytes()], &vamm::ID).0
}

/// Queues `action` as proposal `id` (the exchange's `proposal_count`).
/// `market` is the market of a market action.
pub fn queue_proposal(admin: &Pubkey, id: u64, action: GovernanceAction) -> Instruction {
    let market = action.market_index().map(market_pda);
    build(
        vamm::accounts::QueueProposal {
            admin: *admin,
            exchange: exchange_pda(),
            proposal: proposal_pda(id),
            market,
            system_program: solana_system_interface::program::ID,
        },
        vamm::instruction::QueueProposal { action },
    )
}

/// Executes proposal `id` holding `action` (any action but a listing, which
/// `create_market` executes).
pub fn execute_proposal(executor: &Pubkey, id: u64, action: &GovernanceAction) -> Instruction {
    let treasury = match action {
        GovernanceAction::SetTreasury { treasury } => Some(*treasury),
        _ => None,
    };
    let (primary_oracle, secondary_oracle) = match action {
        GovernanceAction::SetOracles { oracles, .. } => {
            (Some(oracles.primary_oracle), oracles.secondary_oracle)
        }
        _ => (None, None),
    };
    build(
        vamm::accounts::ExecuteProposal {
            executor: *executor,
            exchange: exchange_pda(),
            proposal: proposal_pda(id),
            market: action.market_index().map(market_pda),
            treasury,
            primary_oracle,
            secondary_oracle,
        },
        vamm::instruction::ExecuteProposal {},
    )
}

/// The instruction that carries out proposal `id` holding `action`,
/// whatever its kind.
pub fn execute(executor: &Pubkey, id: u64, action: &GovernanceAction) -> Instruction {
    match action {
        GovernanceAction::ListMarket { params, primary_oracle, secondary_oracle } => {
            create_market(executor, id, params.clone(), *primary_oracle, *secondary_oracle)
        }
        _ => execute_proposal(executor, id, action),
    }
}

pub fn cancel_proposal(authority: &Pubkey, id: u64) -> Instruction {
    build(
        vamm::accounts::CancelProposal {
            authority: *authority,
            exchange: exchange_pda(),
            proposal: proposal_pda(id),
        },
        vamm::instruction::CancelProposal {},
    )
}

/// Executes the listing queued as proposal `id`; `payer` pays the market's
/// rent.
pub fn create_market(
    payer: &Pubkey,
    id: u64,
    params: CreateMarketParams,
    primary_oracle: Pubkey,
    secondary_oracle: Option<Pubkey>,
) -> Instruction {
    build(
        vamm::accounts::CreateMarket {
            payer: *payer,
            exchange: exchange_pda(),
            proposal: proposal_pda(id),
            market: market_pda(params.market_index),
            primary_oracle,
            secondary_oracle,
            system_program: solana_system_interface::program::ID,
        },
        vamm::instruction::CreateMarket { params },
    )
}

/// Pays `market`'s protocol fees to the exchange's treasury token account.
pub fn withdraw_treasury(cranker: &Pubkey, market: &Pubkey, treasury: &Pubkey, mint: &Pubkey) -> Instruction {
    let exchange = exchange_pda();
    build(
        vamm::accounts::WithdrawTreasury {
            cranker: *cranker,
            exchange,
            market: *market,
            vault: vault_pda(&exchange),
            treasury: *treasury,
            collateral_mint: *mint,
            token_program: spl_token_interface::ID,
        },
        vamm::instruction::WithdrawTreasury {},
    )
}

pub fn create_trader_account(owner: &Pubkey, sub_account_id: u16, delegate: Option<Pubkey>) -> Instruction {
    build(
        vamm::accounts::CreateTraderAccount {
            owner: *owner,
            exchange: exchange_pda(),
            trader_account: trader_pda(owner, sub_account_id),
            system_program: solana_system_interface::program::ID,
        },
        vamm::instruction::CreateTraderAccount { sub_account_id, delegate },
    )
}

pub fn set_delegate(owner: &Pubkey, trader_account: &Pubkey, delegate: Pubkey) -> Instruction {
    build(
        vamm::accounts::SetDelegate { owner: *owner, trader_account: *trader_account },
        vamm::instruction::SetDelegate { delegate },
    )
}

pub fn deposit(
    authority: &Pubkey,
    trader_account: &Pubkey,
    source: &Pubkey,
    mint: &Pubkey,
    amount: u64,
) -> Instruction {
    let exchange = exchange_pda();
    build(
        vamm::accounts::Deposit {
            authority: *authority,
            exchange,
            trader_account: *trader_account,
            source: *source,
            vault: vault_pda(&exchange),
            collateral_mint: *mint,
            token_program: spl_token_interface::ID,
        },
        vamm::instruction::Deposit { amount },
    )
}

pub fn withdraw(
    owner: &Pubkey,
    trader_account: &Pubkey,
    destination: &Pubkey,
    mint: &Pubkey,
    amount: u64,
    remaining: &[Pubkey],
) -> Instruction {
    let exchange = exchange_pda();
    let mut ix = build(
        vamm::accounts::Withdraw {
            owner: *owner,
            exchange,
            trader_account: *trader_account,
            destination: *destination,
            vault: vault_pda(&exchange),
            collateral_mint: *mint,
            token_program: spl_token_interface::ID,
        },
        vamm::instruction::Withdraw { amount },
    );
    ix.accounts.extend(remaining.iter().map(|k| AccountMeta::new_readonly(*k, false)));
    ix
}

/// The accounts every trade names, plus the remaining accounts that value
/// the rest of the trader's positions.
#[derive(Clone, Debug)]
pub struct TradeAccounts {
    pub authority: Pubkey,
    pub market: Pubkey,
    pub trader_account: Pubkey,
    pub primary_oracle: Pubkey,
    pub secondary_oracle: Option<Pubkey>,
    pub remaining: Vec<Pubkey>,
}

fn trade_ix(accounts: &TradeAccounts, data: impl InstructionData) -> Instruction {
    let mut ix = build(
        vamm::accounts::Trade {
            authority: accounts.authority,
            exchange: exchange_pda(),
            market: accounts.market,
            trader_account: accounts.trader_account,
            primary_oracle: accounts.primary_oracle,
            secondary_oracle: accounts.secondary_oracle,
        },
        data,
    );
    ix.accounts.extend(accounts.remaining.iter().map(|k| AccountMeta::new_readonly(*k, false)));
    ix
}

pub fn open_position(accounts: &TradeAccounts, params: OpenPositionParams) -> Instruction {
    trade_ix(accounts, vamm::instruction::OpenPosition { params })
}

pub fn close_position(accounts: &TradeAccounts, params: ClosePositionParams) -> Instruction {
    trade_ix(accounts, vamm::instruction::ClosePosition { params })
}

pub fn close_trader_account(owner: &Pubkey, trader_account: &Pubkey) -> Instruction {
    build(
        vamm::accounts::CloseTraderAccount { owner: *owner, trader_account: *trader_account },
        vamm::instruction::CloseTraderAccount {},
    )
}

pub fn insurance_stake_pda(owner: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seeds::INSURANCE_STAKE, owner.as_ref()], &vamm::ID).0
}

/// The market's oracle accounts as (primary, secondary).
#[derive(Clone, Copy, Debug)]
pub struct MarketOracles {
    pub market: Pubkey,
    pub primary: Pubkey,
    pub secondary: Option<Pubkey>,
}

pub fn settle_funding(cranker: &Pubkey, m: &MarketOracles) -> Instruction {
    build(
        vamm::accounts::SettleFunding {
            cranker: *cranker,
            market: m.market,
            primary_oracle: m.primary,
            secondary_oracle: m.secondary,
        },
        vamm::instruction::SettleFunding {},
    )
}

pub fn update_twaps(cranker: &Pubkey, m: &MarketOracles) -> Instruction {
    build(
        vamm::accounts::UpdateTwaps {
            cranker: *cranker,
            market: m.market,
            primary_oracle: m.primary,
            secondary_oracle: m.secondary,
        },
        vamm::instruction::UpdateTwaps {},
    )
}

pub fn liquidate(
    liquidator: &Pubkey,
    liquidator_account: &Pubkey,
    liquidatee: &Pubkey,
    m: &MarketOracles,
    params: vamm::instructions::LiquidateParams,
    remaining: &[Pubkey],
) -> Instruction {
    let mut ix = build(
        vamm::accounts::Liquidate {
            liquidator: *liquidator,
            exchange: exchange_pda(),
            market: m.market,
            liquidatee: *liquidatee,
            liquidator_account: *liquidator_account,
            primary_oracle: m.primary,
            secondary_oracle: m.secondary,
        },
        vamm::instruction::Liquidate { params },
    );
    ix.accounts.extend(remaining.iter().map(|k| AccountMeta::new_readonly(*k, false)));
    ix
}

/// `claim_markets`: every other market in which the account holds a
/// profit claim (writable), so the claims are paid into its collateral
/// before the insurance fund pays.
pub fn resolve_bankruptcy(
    cranker: &Pubkey,
    market: &Pubkey,
    trader_account: &Pubkey,
    mint: &Pubkey,
    claim_markets: &[Pubkey],
) -> Instruction {
    let exchange = exchange_pda();
    let mut ix = build(
        vamm::accounts::ResolveBankruptcy {
            cranker: *cranker,
            exchange,
            market: *market,
            trader_account: *trader_account,
            vault: vault_pda(&exchange),
            insurance_vault: insurance_vault_pda(&exchange),
            collateral_mint: *mint,
            token_program: spl_token_interface::ID,
        },
        vamm::instruction::ResolveBankruptcy {},
    );
    ix.accounts.extend(claim_markets.iter().map(|k| AccountMeta::new(*k, false)));
    ix
}

/// Pays `trader_account`'s profit claim in `market` from its PnL pool.
pub fn settle_pnl(cranker: &Pubkey, market: &Pubkey, trader_account: &Pubkey) -> Instruction {
    build(
        vamm::accounts::SettlePnl { cranker: *cranker, market: *market, trader_account: *trader_account },
        vamm::instruction::SettlePnl {},
    )
}

/// Every listed market's address, as `stake_insurance` and `unstake` need.
pub fn all_markets(market_count: u16) -> Vec<Pubkey> {
    (0..market_count).map(market_pda).collect()
}

pub fn sweep_insurance_fees(cranker: &Pubkey, market: &Pubkey, mint: &Pubkey) -> Instruction {
    let exchange = exchange_pda();
    build(
        vamm::accounts::SweepInsuranceFees {
            cranker: *cranker,
            exchange,
            market: *market,
            vault: vault_pda(&exchange),
            insurance_vault: insurance_vault_pda(&exchange),
            collateral_mint: *mint,
            token_program: spl_token_interface::ID,
        },
        vamm::instruction::SweepInsuranceFees {},
    )
}

pub fn create_insurance_stake(owner: &Pubkey) -> Instruction {
    build(
        vamm::accounts::CreateInsuranceStake {
            owner: *owner,
            stake: insurance_stake_pda(owner),
            system_program: solana_system_interface::program::ID,
        },
        vamm::instruction::CreateInsuranceStake {},
    )
}

/// `markets`: every listed market (see `all_markets`).
pub fn stake_insurance(
    owner: &Pubkey,
    source: &Pubkey,
    mint: &Pubkey,
    amount: u64,
    markets: &[Pubkey],
) -> Instruction {
    let exchange = exchange_pda();
    let mut ix = build(
        vamm::accounts::StakeInsurance {
            owner: *owner,
            exchange,
            stake: insurance_stake_pda(owner),
            source: *source,
            insurance_vault: insurance_vault_pda(&exchange),
            collateral_mint: *mint,
            token_program: spl_token_interface::ID,
        },
        vamm::instruction::StakeInsurance { amount },
    );
    ix.accounts.extend(markets.iter().map(|k| AccountMeta::new_readonly(*k, false)));
    ix
}

pub fn request_unstake(owner: &Pubkey, shares: u64) -> Instruction {
    build(
        vamm::accounts::RequestUnstake {
            owner: *owner,
            exchange: exchange_pda(),
            stake: insurance_stake_pda(owner),
        },
        vamm::instruction::RequestUnstake { shares },
    )
}

/// `markets`: every listed market (see `all_markets`).
pub fn unstake(owner: &Pubkey, destination: &Pubkey, mint: &Pubkey, markets: &[Pubkey]) -> Instruction {
    let exchange = exchange_pda();
    let mut ix = build(
        vamm::accounts::Unstake {
            owner: *owner,
            exchange,
            stake: insurance_stake_pda(owner),
            destination: *destination,
            insurance_vault: insurance_vault_pda(&exchange),
            collateral_mint: *mint,
            token_program: spl_token_interface::ID,
        },
        vamm::instruction::Unstake {},
    );
    ix.accounts.extend(markets.iter().map(|k| AccountMeta::new_readonly(*k, false)));
    ix
}

pub fn update_market_params(
    admin: &Pubkey,
    market: &Pubkey,
    update: vamm::instructions::MarketParamsUpdate,
) -> Instruction {
    build(
        vamm::accounts::UpdateMarket { admin: *admin, exchange: exchange_pda(), market: *market },
        vamm::instruction::UpdateMarketParams { update },
    )
}

pub fn set_market_status(
    authority: &Pubkey,
    market: &Pubkey,
    status: vamm::state::MarketStatus,
) -> Instruction {
    build(
        vamm::accounts::SetMarketStatus { authority: *authority, exchange: exchange_pda(), market: *market },
        vamm::instruction::SetMarketStatus { status },
    )
}

/// The admin's repeg, or anyone's once the market's repeg rule is met.
pub fn repeg(authority: &Pubkey, m: &MarketOracles) -> Instruction {
    build(
        vamm::accounts::Repeg {
            authority: *authority,
            exchange: exchange_pda(),
            market: m.market,
            primary_oracle: m.primary,
            secondary_oracle: m.secondary,
        },
        vamm::instruction::Repeg {},
    )
}

pub fn settle_market(admin: &Pubkey, m: &MarketOracles) -> Instruction {
    build(
        vamm::accounts::SettleMarket {
            admin: *admin,
            exchange: exchange_pda(),
            market: m.market,
            primary_oracle: m.primary,
            secondary_oracle: m.secondary,
        },
        vamm::instruction::SettleMarket {},
    )
}

pub fn settle_position(cranker: &Pubkey, market: &Pubkey, trader_account: &Pubkey) -> Instruction {
    build(
        vamm::accounts::SettlePosition {
            cranker: *cranker,
            market: *market,
            trader_account: *trader_account,
        },
        vamm::instruction::SettlePosition {},
    )
}
