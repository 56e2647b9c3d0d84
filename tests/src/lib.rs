//! Test harness: the vAMM program running natively inside the real Solana
//! runtime (`solana-program-test`), with the real SPL Token program, a USDC
//! mint and oracle accounts in the real Pyth and Switchboard layouts.
// solana-program-test 3.1 marks its whole API deprecated ahead of moving it
// behind an "unstable" feature in 4.x; 3.1 is the line whose syscall stubs
// run Anchor CPIs natively, so the warnings are acknowledged here.
#![allow(deprecated)]

pub mod checks;
pub mod fuzz;
pub mod generated_docs;
pub use vamm_client::{ix, oracle_accounts as oracle};

use solana_account::Account;
use solana_instruction::error::InstructionError;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;
use vamm::error::VammError;
use vamm::instructions::CreateMarketParams;
use vamm::state::{GovernanceAction, OracleSource};
use vamm_client::transport::local::LocalError;
use vamm_client::{LocalRuntime, Transport};

pub use ix::TradeAccounts;
pub use oracle::{PythUpdate, SwitchboardUpdate};

/// 1 USDC in quote native units.
pub const USDC: u64 = 1_000_000;
/// 1 whole base unit in `BASE_PRECISION`.
pub const BASE: u64 = 1_000_000_000;
/// A price of 1 USDC in `PRICE_PRECISION`.
pub const PRICE: u64 = 1_000_000;
/// Unix time the tests start at.
pub const START_TS: i64 = 1_750_000_000;

pub type TxResult = Result<(), TransactionError>;

/// Which oracle programs back a test market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oracles {
    Pyth,
    Switchboard,
    PythAndSwitchboard,
}

#[derive(Clone, Copy, Debug)]
pub struct OracleHandle {
    pub address: Pubkey,
    pub source: OracleSource,
    pub feed_id: [u8; 32],
}

#[derive(Clone, Debug)]
pub struct MarketHandle {
    pub index: u16,
    pub address: Pubkey,
    pub primary: OracleHandle,
    pub secondary: Option<OracleHandle>,
}

impl MarketHandle {
    pub fn oracles(&self) -> ix::MarketOracles {
        ix::MarketOracles {
            market: self.address,
            primary: self.primary.address,
            secondary: self.secondary.map(|s| s.address),
        }
    }

    /// The market followed by its oracle accounts, as remaining accounts.
    pub fn valuation_accounts(&self) -> Vec<Pubkey> {
        let mut keys = vec![self.address, self.primary.address];
        keys.extend(self.secondary.map(|s| s.address));
        keys
    }
}

pub struct Trader {
    pub owner: Keypair,
    pub account: Pubkey,
    pub usdc: Pubkey,
}

pub struct TestEnv {
    /// The in-process runtime of the client library.
    pub rt: LocalRuntime,
    pub admin: Keypair,
    pub mint_authority: Keypair,
    pub mint: Pubkey,
    pub exchange: Pubkey,
    pub vault: Pubkey,
    pub markets: Vec<MarketHandle>,
    /// Every trader account created, for the invariant checks.
    pub trader_accounts: Vec<Pubkey>,
    pub now: i64,
    /// Tokens sent straight to the insurance vault (not fund balance).
    pub insurance_donated: u64,
    /// Every oracle written with `publish` and the last price it got, so
    /// a clock jump over a timelock can keep them fresh.
    pub published: std::collections::BTreeMap<Pubkey, (OracleHandle, u64)>,
}

impl TestEnv {
    /// A started runtime with the USDC mint and an initialised exchange.
    pub async fn new() -> Self {
        let mut env = Self::bare().await;
        let ix = ix::initialize_exchange(&env.admin.pubkey(), &env.mint, Pubkey::new_unique());
        let admin = env.admin.insecure_clone();
        env.send(&[ix], &[&admin]).await.expect("initialize_exchange");
        env
    }

    /// An exchange whose guardian is a separate funded key, with one
    /// SOL-PERP market (Pyth) at 100.
    pub async fn with_guardian() -> (Self, Keypair) {
        let mut env = Self::bare().await;
        let guardian = env.wallet();
        let admin = env.admin.insecure_clone();
        env.send(&[ix::initialize_exchange(&admin.pubkey(), &env.mint, guardian.pubkey())], &[&admin])
            .await
            .expect("initialize_exchange");
        env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
        (env, guardian)
    }

    /// A started runtime with the USDC mint but no exchange.
    pub async fn bare() -> Self {
        let mut rt = LocalRuntime::start(START_TS).await;
        let admin = Keypair::new();
        rt.fund(&admin.pubkey(), 100_000_000_000);
        // Deployed with the admin as the upgrade authority.
        rt.set_upgrade_authority(Some(&admin.pubkey()));
        let mint_authority = Keypair::new();
        let mint = rt.create_mint(&mint_authority.pubkey(), 6).await.expect("create mint");
        TestEnv {
            rt,
            admin,
            mint_authority,
            mint,
            exchange: ix::exchange_pda(),
            vault: ix::vault_pda(&ix::exchange_pda()),
            markets: Vec::new(),
            trader_accounts: Vec::new(),
            now: START_TS,
            insurance_donated: 0,
            published: Default::default(),
        }
    }

    // ---------- transactions ----------

    /// Sends one transaction paid by the runtime's payer.
    pub async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> TxResult {
        self.rt.process(instructions, signers).await.map(|_| ()).map_err(|e| match e {
            LocalError::Transaction(e) => e,
            LocalError::TooLarge { bytes, limit } => {
                panic!("a validator would drop this transaction: {bytes} bytes, over the {limit}-byte limit")
            }
            LocalError::Transport(e) => panic!("transport error: {e}"),
        })
    }

    // ---------- clock ----------

    pub async fn set_time(&mut self, unix_timestamp: i64) {
        self.rt.set_time(unix_timestamp).await;
        self.now = unix_timestamp;
    }

    pub async fn advance_time(&mut self, seconds: i64) {
        self.set_time(self.now + seconds).await;
    }

    // ---------- raw accounts ----------

    pub async fn account(&mut self, address: &Pubkey) -> Option<Account> {
        self.rt.account(address).await.expect("get account")
    }

    pub fn write_account(&mut self, address: &Pubkey, account: Account) {
        self.rt.write_account(address, account);
    }

    pub async fn token_balance(&mut self, token_account: &Pubkey) -> u64 {
        let account = self.account(token_account).await.expect("token account");
        spl_token_interface::state::Account::unpack(&account.data).unwrap().amount
    }

    // ---------- SPL Token ----------

    pub async fn create_mint(&mut self, decimals: u8) -> Pubkey {
        let authority = self.mint_authority.pubkey();
        self.rt.create_mint(&authority, decimals).await.expect("create mint")
    }

    pub async fn create_token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        self.rt.create_token_account(mint, owner).await.expect("create token account")
    }

    pub async fn mint_usdc(&mut self, to: &Pubkey, amount: u64) {
        let (mint, authority) = (self.mint, self.mint_authority.insecure_clone());
        self.rt.mint_to(&mint, &authority, to, amount).await.expect("mint_to");
    }

    // ---------- oracles ----------

    pub fn write_pyth(&mut self, address: &Pubkey, update: PythUpdate) {
        self.write_account(address, oracle::pyth_account(&update));
    }

    pub fn write_switchboard(&mut self, address: &Pubkey, update: SwitchboardUpdate) {
        self.write_account(address, oracle::switchboard_account(&update));
    }

    /// The bank's clock (unix seconds and slot).
    pub fn clock(&self) -> vamm::oracle::OracleClock {
        self.rt.clock_now()
    }

    /// Publishes `price` (`PRICE_PRECISION`) on one oracle at the current
    /// time and slot with a confidence of 0.05%.
    pub fn publish(&mut self, oracle: &OracleHandle, price: u64) {
        let clock = self.clock();
        let account = oracle::price_account(oracle.source, oracle.feed_id, price, price / 2_000, clock);
        self.write_account(&oracle.address, account);
        self.published.insert(oracle.address, (*oracle, price));
    }

    /// Publishes every oracle written with `publish` again at its last
    /// price, now.
    pub fn refresh_oracles(&mut self) {
        let published: Vec<_> = self.published.values().copied().collect();
        for (oracle, price) in published {
            self.publish(&oracle, price);
        }
    }

    // ---------- governance ----------

    /// Queues `action` as the admin; returns the proposal id.
    pub async fn queue(&mut self, action: GovernanceAction) -> Result<u64, TransactionError> {
        let id = self.exchange_state().await.proposal_count;
        let admin = self.admin.insecure_clone();
        self.send(&[ix::queue_proposal(&admin.pubkey(), id, action)], &[&admin]).await?;
        Ok(id)
    }

    /// Executes proposal `id` whatever its kind (the admin pays).
    pub async fn execute(&mut self, id: u64) -> TxResult {
        let proposal = self.proposal(id).await;
        let admin = self.admin.insecure_clone();
        self.send(&[ix::execute(&admin.pubkey(), id, &proposal.action)], &[&admin]).await
    }

    pub async fn proposal(&mut self, id: u64) -> vamm::state::Proposal {
        let account = self.account(&ix::proposal_pda(id)).await.expect("proposal account");
        vamm_client::decode::proposal(&account).expect("a proposal")
    }

    /// Moves the clock past the exchange's timelock delay and keeps every
    /// published oracle fresh.
    pub async fn wait_timelock(&mut self) {
        let delay = self.exchange_state().await.timelock_delay_secs;
        self.advance_time(delay as i64).await;
        self.refresh_oracles();
    }

    /// Queues `actions`, waits out the delay and executes them in order:
    /// what governance does for a change that only the timelock may make.
    pub async fn enact(&mut self, actions: Vec<GovernanceAction>) -> TxResult {
        let mut ids = Vec::new();
        for action in actions {
            ids.push(self.queue(action).await?);
        }
        self.wait_timelock().await;
        for id in ids {
            self.execute(id).await?;
        }
        Ok(())
    }

    /// Publishes `price` on every oracle of the market.
    pub fn set_price(&mut self, market: usize, price: u64) {
        let handle = self.markets[market].clone();
        self.publish(&handle.primary, price);
        if let Some(secondary) = handle.secondary {
            self.publish(&secondary, price);
        }
    }

    // ---------- markets ----------

    /// Lists a market with `default_market_params` at `price`.
    pub async fn add_market(&mut self, name: &str, price: u64, oracles: Oracles) -> usize {
        let index = self.markets.len() as u16;
        let params = default_market_params(index, name, price, oracles);
        self.add_market_with(params, price).await.expect("create_market")
    }

    /// Creates the oracle accounts for `params`, publishes `price` and lists
    /// the market through the timelock (the clock moves past its delay).
    pub async fn add_market_with(
        &mut self,
        params: CreateMarketParams,
        price: u64,
    ) -> Result<usize, TransactionError> {
        let primary = OracleHandle {
            address: Pubkey::new_unique(),
            source: params.primary_source,
            feed_id: params.primary_feed_id,
        };
        let secondary = params.secondary_source.map(|source| OracleHandle {
            address: Pubkey::new_unique(),
            source,
            feed_id: params.secondary_feed_id,
        });
        self.publish(&primary, price);
        if let Some(s) = &secondary {
            self.publish(s, price);
        }
        let index = params.market_index;
        let listing = GovernanceAction::ListMarket {
            params,
            primary_oracle: primary.address,
            secondary_oracle: secondary.map(|s| s.address),
        };
        self.enact(vec![listing]).await?;
        self.markets.push(MarketHandle { index, address: ix::market_pda(index), primary, secondary });
        Ok(self.markets.len() - 1)
    }

    // ---------- traders ----------

    /// A funded wallet with a trader account (sub-account 0), a USDC token
    /// account holding `wallet_usdc` and `deposit` already deposited.
    pub async fn trader(&mut self, wallet_usdc: u64, deposit: u64) -> Trader {
        let owner = Keypair::new();
        self.write_account(&owner.pubkey(), system_account(10_000_000_000));
        let account = ix::trader_pda(&owner.pubkey(), 0);
        self.send(&[ix::create_trader_account(&owner.pubkey(), 0, None)], &[&owner])
            .await
            .expect("create_trader_account");
        self.trader_accounts.push(account);
        let usdc = self.create_token_account(&self.mint.clone(), &owner.pubkey()).await;
        self.mint_usdc(&usdc, wallet_usdc).await;
        let trader = Trader { owner, account, usdc };
        if deposit > 0 {
            self.deposit(&trader, deposit).await.expect("deposit");
        }
        trader
    }

    pub async fn deposit(&mut self, trader: &Trader, amount: u64) -> TxResult {
        let ix = ix::deposit(&trader.owner.pubkey(), &trader.account, &trader.usdc, &self.mint, amount);
        self.send(&[ix], &[&trader.owner]).await
    }

    /// Remaining accounts valuing every market the trader has a position
    /// in, except `except`.
    pub async fn valuation_accounts(
        &mut self,
        trader_account: &Pubkey,
        except: Option<usize>,
    ) -> Vec<Pubkey> {
        let state = self.trader_state(trader_account).await;
        let mut keys = Vec::new();
        for position in state.positions.iter().filter(|p| p.is_open()) {
            let market = self.markets.iter().position(|m| m.index == position.market_index).unwrap();
            if Some(market) != except {
                keys.extend(self.markets[market].valuation_accounts());
            }
        }
        keys
    }

    pub async fn withdraw(&mut self, trader: &Trader, amount: u64) -> TxResult {
        let remaining = self.valuation_accounts(&trader.account, None).await;
        let ix = ix::withdraw(
            &trader.owner.pubkey(),
            &trader.account,
            &trader.usdc,
            &self.mint,
            amount,
            &remaining,
        );
        self.send(&[ix], &[&trader.owner]).await
    }

    pub async fn trade_accounts(&mut self, trader: &Trader, market: usize) -> TradeAccounts {
        let handle = self.markets[market].clone();
        TradeAccounts {
            authority: trader.owner.pubkey(),
            market: handle.address,
            trader_account: trader.account,
            primary_oracle: handle.primary.address,
            secondary_oracle: handle.secondary.map(|s| s.address),
            remaining: self.valuation_accounts(&trader.account, Some(market)).await,
        }
    }

    /// A market order with no limit.
    pub async fn open(
        &mut self,
        trader: &Trader,
        market: usize,
        direction: vamm::math::amm::Direction,
        size: vamm::math::amm::TradeSize,
    ) -> TxResult {
        let limit_price = match direction {
            vamm::math::amm::Direction::Long => u64::MAX,
            vamm::math::amm::Direction::Short => 0,
        };
        self.open_with(
            trader,
            market,
            vamm::instructions::OpenPositionParams { direction, size, limit_price, reduce_only: false },
        )
        .await
    }

    pub async fn open_with(
        &mut self,
        trader: &Trader,
        market: usize,
        params: vamm::instructions::OpenPositionParams,
    ) -> TxResult {
        let accounts = self.trade_accounts(trader, market).await;
        self.send(&[ix::open_position(&accounts, params)], &[&trader.owner]).await
    }

    pub async fn close(&mut self, trader: &Trader, market: usize, base_amount: Option<u64>) -> TxResult {
        let accounts = self.trade_accounts(trader, market).await;
        let params = vamm::instructions::ClosePositionParams { base_amount, limit_price: None };
        self.send(&[ix::close_position(&accounts, params)], &[&trader.owner]).await
    }
}

/// The seeded generator the sandbox uses (SplitMix64), shared so seeds
/// mean the same everywhere.
pub use vamm_sandbox::rng::Rng;

impl Trader {
    /// The keeper service signing with this wallet, rewards to its account.
    pub fn keeper_service(&self, config: vamm_client::keeper::KeeperConfig) -> vamm_client::keeper::Keeper {
        vamm_client::keeper::Keeper::new(self.owner.insecure_clone(), self.account, config)
    }
}

pub fn system_account(lamports: u64) -> Account {
    Account {
        lamports,
        data: vec![],
        owner: solana_system_interface::program::ID,
        executable: false,
        rent_epoch: 0,
    }
}

/// Parameters of a liquid test market: depth 10,000 base units, range
/// [price/2, price*2], 10% initial / 5% maintenance, 10 bps fee, hourly
/// funding clamped at 1%, 1% liquidation fee split half and half, at most
/// half a position per liquidation step, 1% buffer.
pub fn default_market_params(index: u16, name: &str, price: u64, oracles: Oracles) -> CreateMarketParams {
    let mut name_bytes = [0u8; 16];
    name_bytes[..name.len()].copy_from_slice(name.as_bytes());
    let feed = |tag: u8| {
        let mut id = [tag; 32];
        id[0] = index as u8;
        id
    };
    let (primary_source, secondary_source) = match oracles {
        Oracles::Pyth => (OracleSource::Pyth, None),
        Oracles::Switchboard => (OracleSource::Switchboard, None),
        Oracles::PythAndSwitchboard => (OracleSource::Pyth, Some(OracleSource::Switchboard)),
    };
    CreateMarketParams {
        market_index: index,
        name: name_bytes,
        primary_source,
        primary_feed_id: feed(0xA1),
        secondary_source,
        secondary_feed_id: feed(0xB2),
        max_staleness_secs: 60,
        max_confidence_bps: 100,
        consensus_band_bps: 100,
        sqrt_k: 10_000 * BASE as u128,
        min_price: price / 2,
        max_price: price * 2,
        initial_ratio: 100_000,
        maintenance_ratio: 50_000,
        initial_imf_factor: 100,
        maintenance_imf_factor: 50,
        mark_oracle_band_bps: 1_000,
        max_oracle_jump_bps: 5_000,
        price_confirmation_secs: 60,
        min_oracle_samples: 3,
        initial_profit_weight_bps: 5_000,
        max_slot_move_bps: 2_000,
        max_open_interest: 100_000_000 * USDC,
        max_position_notional: 50_000_000 * USDC,
        taker_fee_bps: 10,
        insurance_share_bps: 3_000,
        pnl_pool_share_bps: 2_000,
        fee_pool_share_bps: 2_000,
        funding_period_secs: 3_600,
        max_funding_rate_bps: 100,
        liquidation_fee_bps: 100,
        liquidator_share_bps: 5_000,
        max_liquidation_fraction_bps: 5_000,
        liquidation_buffer_ratio: 10_000,
        // Only the admin repegs unless a test turns the rule on.
        repeg_gap_bps: 0,
        repeg_delay_secs: 1_800,
    }
}

/// The program error code a refusal must carry.
pub fn error_code(error: VammError) -> u32 {
    anchor_lang::error::ERROR_CODE_OFFSET + error as u32
}

/// Asserts that a transaction failed in the vAMM instruction with `error`.
#[track_caller]
pub fn assert_error(result: TxResult, error: VammError) {
    match result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(code)))
            if code == error_code(error) => {}
        other => panic!("expected {error:?} ({}), got {other:?}", error_code(error)),
    }
}

/// Asserts that a transaction failed with an Anchor framework error.
#[track_caller]
pub fn assert_anchor_error(result: TxResult, error: anchor_lang::error::ErrorCode) {
    match result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(code)))
            if code == error as u32 => {}
        other => panic!("expected {error:?} ({}), got {other:?}", error as u32),
    }
}

/// Runs `$call` (a `TxResult` future), asserts it failed with `$error` and
/// that none of `$watched` changed.
#[macro_export]
macro_rules! assert_refused {
    ($env:expr, $watched:expr, $call:expr, $error:expr) => {{
        let watched: Vec<solana_pubkey::Pubkey> = $watched;
        let before = $env.snapshot(&watched).await;
        let result = $call;
        $crate::assert_error(result, $error);
        assert_eq!($env.snapshot(&watched).await, before, "a refused instruction changed state");
    }};
}

impl TestEnv {
    /// The accounts a trader's refused instruction must leave untouched:
    /// its trader account and wallet, the vault and every market.
    pub fn watched(&self, trader: &Trader) -> Vec<Pubkey> {
        let mut keys = vec![trader.account, trader.usdc, self.vault];
        keys.extend(self.markets.iter().map(|m| m.address));
        keys
    }

    /// A funded wallet with no trader account.
    pub fn wallet(&mut self) -> Keypair {
        let wallet = Keypair::new();
        self.write_account(&wallet.pubkey(), system_account(10_000_000_000));
        wallet
    }
}

impl TestEnv {
    /// A keeper wallet with its own (empty) trader account, to receive
    /// liquidation rewards.
    pub async fn keeper(&mut self) -> Trader {
        self.trader(0, 0).await
    }

    pub async fn settle_funding(&mut self, market: usize) -> TxResult {
        let cranker = self.wallet();
        let ix = ix::settle_funding(&cranker.pubkey(), &self.markets[market].oracles());
        self.send(&[ix], &[&cranker]).await
    }

    /// The `update_twaps` crank (also the jump guard's crank).
    pub async fn update_twaps(&mut self, market: usize) -> TxResult {
        let cranker = self.wallet();
        let ix = ix::update_twaps(&cranker.pubkey(), &self.markets[market].oracles());
        self.send(&[ix], &[&cranker]).await
    }

    /// Changes a market's status, signed by the admin.
    pub async fn set_status(&mut self, market: usize, status: vamm::state::MarketStatus) -> TxResult {
        let admin = self.admin.insecure_clone();
        let ix = ix::set_market_status(&admin.pubkey(), &self.markets[market].address, status);
        self.send(&[ix], &[&admin]).await
    }

    /// Delists a paused market at its current oracle price, signed by the admin.
    pub async fn settle_market(&mut self, market: usize) -> TxResult {
        let admin = self.admin.insecure_clone();
        let ix = ix::settle_market(&admin.pubkey(), &self.markets[market].oracles());
        self.send(&[ix], &[&admin]).await
    }

    pub async fn liquidate(
        &mut self,
        keeper: &Trader,
        target: &Trader,
        market: usize,
        params: vamm::instructions::LiquidateParams,
    ) -> TxResult {
        let remaining = self.valuation_accounts(&target.account, Some(market)).await;
        let ix = ix::liquidate(
            &keeper.owner.pubkey(),
            &keeper.account,
            &target.account,
            &self.markets[market].oracles(),
            params,
            &remaining,
        );
        self.send(&[ix], &[&keeper.owner]).await
    }

    /// A liquidation by takeover: `liquidator`'s account takes (part of)
    /// `target`'s position over at the oracle price. Passes the markets of
    /// both accounts as remaining accounts.
    pub async fn take_over(
        &mut self,
        liquidator: &Trader,
        target: &Trader,
        market: usize,
        max_base: Option<u64>,
    ) -> TxResult {
        let mut remaining = self.valuation_accounts(&target.account, Some(market)).await;
        for key in self.valuation_accounts(&liquidator.account, Some(market)).await {
            if !remaining.contains(&key) {
                remaining.push(key);
            }
        }
        let params = vamm::instructions::LiquidateParams {
            max_base,
            riskiest_first: false,
            mode: vamm::instructions::LiquidationMode::Takeover,
        };
        let ix = ix::liquidate(
            &liquidator.owner.pubkey(),
            &liquidator.account,
            &target.account,
            &self.markets[market].oracles(),
            params,
            &remaining,
        );
        self.send(&[ix], &[&liquidator.owner]).await
    }

    pub async fn resolve_bankruptcy(&mut self, target: &Pubkey, market: usize) -> TxResult {
        let cranker = self.wallet();
        // Every other market in which the account holds a claim.
        let state = self.trader_state(target).await;
        let claim_markets: Vec<Pubkey> = state
            .positions
            .iter()
            .filter(|p| p.pending_profit > 0 && p.market_index != self.markets[market].index)
            .map(|p| ix::market_pda(p.market_index))
            .collect();
        let ix = ix::resolve_bankruptcy(
            &cranker.pubkey(),
            &self.markets[market].address,
            target,
            &self.mint,
            &claim_markets,
        );
        self.send(&[ix], &[&cranker]).await
    }

    /// Every listed market's address.
    pub fn all_markets(&self) -> Vec<Pubkey> {
        self.markets.iter().map(|m| m.address).collect()
    }

    /// Pays `target`'s profit claim in `market` from its PnL pool.
    pub async fn settle_pnl(&mut self, target: &Pubkey, market: usize) -> TxResult {
        let cranker = self.wallet();
        let ix = ix::settle_pnl(&cranker.pubkey(), &self.markets[market].address, target);
        self.send(&[ix], &[&cranker]).await
    }

    pub async fn sweep_insurance_fees(&mut self, market: usize) -> TxResult {
        let cranker = self.wallet();
        let ix = ix::sweep_insurance_fees(&cranker.pubkey(), &self.markets[market].address, &self.mint);
        self.send(&[ix], &[&cranker]).await
    }

    /// A wallet with USDC and an insurance stake account, staking `amount`.
    pub async fn staker(&mut self, wallet_usdc: u64, amount: u64) -> Trader {
        let owner = self.wallet();
        let usdc = self.create_token_account(&self.mint.clone(), &owner.pubkey()).await;
        self.mint_usdc(&usdc, wallet_usdc).await;
        self.send(&[ix::create_insurance_stake(&owner.pubkey())], &[&owner])
            .await
            .expect("create_insurance_stake");
        let staker = Trader { account: ix::insurance_stake_pda(&owner.pubkey()), owner, usdc };
        if amount > 0 {
            self.stake(&staker, amount).await.expect("stake");
        }
        staker
    }

    pub async fn stake(&mut self, staker: &Trader, amount: u64) -> TxResult {
        let markets = self.all_markets();
        let ix = ix::stake_insurance(&staker.owner.pubkey(), &staker.usdc, &self.mint, amount, &markets);
        self.send(&[ix], &[&staker.owner]).await
    }

    pub async fn stake_state(&mut self, staker: &Trader) -> vamm::state::InsuranceStake {
        checks::decode(&self.account(&staker.account).await.expect("stake").data)
    }
}

impl TestEnv {
    /// Trades `arb`'s account so the market's mark ends next to `oracle`
    /// (`PRICE_PRECISION`), as an arbitrageur would.
    pub async fn align_mark(&mut self, arb: &Trader, market: usize, oracle: u64) -> TxResult {
        let state = self.market_state(market).await;
        let (direction, size) = state.amm.curve().trade_toward(oracle).unwrap();
        if size < BASE / 1_000 {
            return Ok(());
        }
        self.open(arb, market, direction, vamm::math::amm::TradeSize::Base(size)).await
    }

    /// Liquidates `target` in `market` step by step until the program says
    /// it is no longer liquidatable. Returns the number of steps taken.
    pub async fn liquidate_fully(&mut self, keeper: &Trader, target: &Trader, market: usize) -> usize {
        let mut steps = 0;
        loop {
            let params = vamm::instructions::LiquidateParams {
                max_base: None,
                riskiest_first: false,
                mode: vamm::instructions::LiquidationMode::IntoCurve,
            };
            match self.liquidate(keeper, target, market, params).await {
                Ok(()) => steps += 1,
                Err(TransactionError::InstructionError(_, InstructionError::Custom(code)))
                    if code == error_code(VammError::NotLiquidatable)
                        || code == error_code(VammError::NoPosition) =>
                {
                    return steps
                }
                Err(other) => panic!("liquidation step {steps} failed: {other:?}"),
            }
            assert!(steps < 50, "liquidation does not converge");
        }
    }
}
