//! vAMM perpetual futures exchange.
//!
//! Handlers are thin: account validation lives in each instruction's
//! `Accounts` struct, state transitions in `controller`, arithmetic in
//! `math`, oracle reading in `oracle`.
#![allow(clippy::result_large_err)]

use anchor_lang::prelude::*;

/// Anchor's `emit!` (the `sol_log_data` syscall on SBF: `Program data:` in
/// the transaction's logs). Compiled natively, Anchor's own `emit!` drops
/// the event; this hands it to the syscall stubs instead, so that a runtime
/// hosting the native program (the local validator, app/localnet) writes
/// it into the transaction's logs as the syscall would.
macro_rules! emit_event {
    ($event:expr) => {{
        #[cfg(target_os = "solana")]
        anchor_lang::emit!($event);
        #[cfg(not(target_os = "solana"))]
        anchor_lang::compat::solana_sysvar::program_stubs::sol_log_data(&[&anchor_lang::Event::data(
            &$event,
        )]);
    }};
}

pub mod constants;
pub mod controller;
pub mod error;
pub mod events;
pub mod instructions;
pub mod math;
pub mod oracle;
pub mod state;
pub mod transfers;

use instructions::*;
use state::{GovernanceAction, MarketStatus};

declare_id!("VAMMq6q1bQ1a9NaZ4sxbNsjdH2h9vmyRhJdwYWm3jx8");

#[program]
pub mod vamm {
    use super::*;

    pub fn initialize_exchange(ctx: Context<InitializeExchange>, guardian: Pubkey) -> Result<()> {
        handle_initialize_exchange(ctx, guardian)
    }

    pub fn propose_admin(ctx: Context<ProposeAdmin>, new_admin: Pubkey) -> Result<()> {
        handle_propose_admin(ctx, new_admin)
    }

    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        handle_accept_admin(ctx)
    }

    pub fn set_guardian(ctx: Context<SetGuardian>, guardian: Pubkey) -> Result<()> {
        handle_set_guardian(ctx, guardian)
    }

    pub fn set_lookup_table(ctx: Context<SetLookupTable>, lookup_table: Pubkey) -> Result<()> {
        handle_set_lookup_table(ctx, lookup_table)
    }

    pub fn create_market(ctx: Context<CreateMarket>, params: CreateMarketParams) -> Result<()> {
        handle_create_market(ctx, params)
    }

    pub fn create_trader_account(
        ctx: Context<CreateTraderAccount>,
        sub_account_id: u16,
        delegate: Option<Pubkey>,
    ) -> Result<()> {
        handle_create_trader_account(ctx, sub_account_id, delegate)
    }

    pub fn set_delegate(ctx: Context<SetDelegate>, delegate: Pubkey) -> Result<()> {
        handle_set_delegate(ctx, delegate)
    }

    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        handle_deposit(ctx, amount)
    }

    pub fn withdraw<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64) -> Result<()> {
        handle_withdraw(ctx, amount)
    }

    pub fn open_position<'info>(ctx: Context<'info, Trade<'info>>, params: OpenPositionParams) -> Result<()> {
        handle_open_position(ctx, params)
    }

    pub fn close_position<'info>(
        ctx: Context<'info, Trade<'info>>,
        params: ClosePositionParams,
    ) -> Result<()> {
        handle_close_position(ctx, params)
    }

    pub fn close_trader_account(ctx: Context<CloseTraderAccount>) -> Result<()> {
        handle_close_trader_account(ctx)
    }

    pub fn settle_funding(ctx: Context<SettleFunding>) -> Result<()> {
        handle_settle_funding(ctx)
    }

    pub fn update_twaps(ctx: Context<UpdateTwaps>) -> Result<()> {
        handle_update_twaps(ctx)
    }

    pub fn liquidate<'info>(ctx: Context<'info, Liquidate<'info>>, params: LiquidateParams) -> Result<()> {
        handle_liquidate(ctx, params)
    }

    pub fn resolve_bankruptcy<'info>(ctx: Context<'info, ResolveBankruptcy<'info>>) -> Result<()> {
        handle_resolve_bankruptcy(ctx)
    }

    pub fn settle_pnl(ctx: Context<SettlePnl>) -> Result<()> {
        handle_settle_pnl(ctx)
    }

    pub fn sweep_insurance_fees(ctx: Context<SweepInsuranceFees>) -> Result<()> {
        handle_sweep_insurance_fees(ctx)
    }

    pub fn create_insurance_stake(ctx: Context<CreateInsuranceStake>) -> Result<()> {
        handle_create_insurance_stake(ctx)
    }

    pub fn stake_insurance<'info>(ctx: Context<'info, StakeInsurance<'info>>, amount: u64) -> Result<()> {
        handle_stake_insurance(ctx, amount)
    }

    pub fn request_unstake(ctx: Context<RequestUnstake>, shares: u64) -> Result<()> {
        handle_request_unstake(ctx, shares)
    }

    pub fn unstake<'info>(ctx: Context<'info, Unstake<'info>>) -> Result<()> {
        handle_unstake(ctx)
    }

    pub fn queue_proposal(ctx: Context<QueueProposal>, action: GovernanceAction) -> Result<()> {
        handle_queue_proposal(ctx, action)
    }

    pub fn execute_proposal(ctx: Context<ExecuteProposal>) -> Result<()> {
        handle_execute_proposal(ctx)
    }

    pub fn cancel_proposal(ctx: Context<CancelProposal>) -> Result<()> {
        handle_cancel_proposal(ctx)
    }

    pub fn withdraw_treasury(ctx: Context<WithdrawTreasury>) -> Result<()> {
        handle_withdraw_treasury(ctx)
    }

    pub fn update_market_params(ctx: Context<UpdateMarket>, update: MarketParamsUpdate) -> Result<()> {
        handle_update_market_params(ctx, update)
    }

    pub fn set_market_status(ctx: Context<SetMarketStatus>, status: MarketStatus) -> Result<()> {
        handle_set_market_status(ctx, status)
    }

    pub fn repeg(ctx: Context<Repeg>) -> Result<()> {
        handle_repeg(ctx)
    }

    pub fn settle_market(ctx: Context<SettleMarket>) -> Result<()> {
        handle_settle_market(ctx)
    }

    pub fn settle_position(ctx: Context<SettlePosition>) -> Result<()> {
        handle_settle_position(ctx)
    }
}
