use crate::constants::seeds;
use crate::controller::curve::change_depth;
use crate::controller::governance::{apply_market_update, previous_action, validate_action};
use crate::error::VammError;
use crate::events::{MarketDepthChanged, MarketParamsUpdated, ProposalExecuted};
use crate::oracle::{switch_sources, OracleClock};
use crate::state::{Exchange, GovernanceAction, Market, Proposal, ProposalStatus};
use anchor_lang::prelude::*;
use anchor_spl::token::TokenAccount;

/// Carries out a queued proposal once its delay has passed and before it
/// expires. Anyone may call it: the change was public for the whole delay.
/// Listings execute through `create_market` instead, which creates the
/// market account.
#[derive(Accounts)]
pub struct ExecuteProposal<'info> {
    pub executor: Signer<'info>,
    #[account(mut, seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        seeds = [seeds::PROPOSAL, &proposal.id.to_le_bytes()],
        bump = proposal.bump,
        has_one = exchange @ VammError::ProposalMismatch,
    )]
    pub proposal: Box<Account<'info, Proposal>>,
    /// The market of a market action.
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: Option<AccountLoader<'info, Market>>,
    /// The new treasury of `SetTreasury`: a collateral token account.
    pub treasury: Option<Box<Account<'info, TokenAccount>>>,
    /// CHECK: the new primary oracle of `SetOracles`, read by the oracle
    /// adapter against the set queued.
    pub primary_oracle: Option<UncheckedAccount<'info>>,
    /// CHECK: its new secondary, as above.
    pub secondary_oracle: Option<UncheckedAccount<'info>>,
}

pub fn handle_execute_proposal(ctx: Context<ExecuteProposal>) -> Result<()> {
    let clock = OracleClock::now()?;
    let now = clock.unix_ts;
    let executor = ctx.accounts.executor.key();
    let proposal = &mut ctx.accounts.proposal;
    proposal.require_executable(now)?;
    let action = proposal.action.clone();
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    let mut market = ctx.accounts.market.as_ref().map(|loader| loader.load_mut()).transpose()?;
    validate_action(&action, &exchange, market.as_deref())?;
    let previous = previous_action(&action, &exchange, market.as_deref())?;
    match &action {
        GovernanceAction::ListMarket { .. } => return err!(VammError::ProposalMismatch),
        GovernanceAction::UpdateMarketParams { market_index, update } => {
            let market = market.as_deref_mut().ok_or_else(|| error!(VammError::ProposalMismatch))?;
            let replaced = apply_market_update(market, update)?;
            emit_event!(MarketParamsUpdated {
                market_index: *market_index,
                update: update.clone(),
                previous: replaced,
                by: executor,
                proposal: Some(proposal.id),
            });
        }
        GovernanceAction::SetOracles { oracles, .. } => {
            let market = market.as_deref_mut().ok_or_else(|| error!(VammError::ProposalMismatch))?;
            let primary = ctx
                .accounts
                .primary_oracle
                .as_ref()
                .ok_or_else(|| error!(VammError::MissingOracleAccount))?;
            switch_sources(market, oracles, primary, ctx.accounts.secondary_oracle.as_deref(), clock)?;
        }
        GovernanceAction::UpdateDepth { market_index, sqrt_k, max_cost } => {
            let market = market.as_deref_mut().ok_or_else(|| error!(VammError::ProposalMismatch))?;
            let old_sqrt_k = market.amm.sqrt_k.get();
            let change = change_depth(market, *sqrt_k, *max_cost, now)?;
            emit_event!(MarketDepthChanged {
                market_index: *market_index,
                old_sqrt_k,
                new_sqrt_k: *sqrt_k,
                cost: change.cost,
                fee_pool_after: market.pools.fee_pool,
                mark_price: change.mark_price,
            });
        }
        GovernanceAction::SetTimelockDelay { delay_secs } => exchange.timelock_delay_secs = *delay_secs,
        GovernanceAction::SetUnstakeCooldown { cooldown_secs } => {
            exchange.insurance.unstake_cooldown_secs = *cooldown_secs
        }
        GovernanceAction::SetTreasury { treasury } => {
            let account = ctx.accounts.treasury.as_ref().ok_or_else(|| error!(VammError::WrongTreasury))?;
            require!(
                account.key() == *treasury && account.mint == exchange.collateral_mint,
                VammError::WrongTreasury
            );
            exchange.treasury = *treasury;
        }
        GovernanceAction::SetAdmin { admin } => {
            exchange.admin = *admin;
            exchange.pending_admin = Pubkey::default();
        }
    }
    proposal.status = ProposalStatus::Executed;
    proposal.closed_by = executor;
    proposal.closed_ts = now;
    emit_event!(ProposalExecuted { id: proposal.id, action, previous, executor, ts: now });
    Ok(())
}
