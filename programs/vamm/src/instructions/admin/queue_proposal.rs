use crate::constants::{seeds, timelock};
use crate::controller::governance::{previous_action, validate_action};
use crate::error::VammError;
use crate::events::ProposalQueued;
use crate::math::safe::SafeMath;
use crate::state::{Exchange, GovernanceAction, Market, Proposal, ProposalStatus};
use anchor_lang::prelude::*;

/// Queues a change that may raise risk or move value (see
/// `GovernanceAction`). Anyone may execute it once the exchange's delay has
/// passed and until the execution window closes; the admin or the guardian
/// may cancel it before. Admin only; the admin pays the proposal's rent.
/// The action is validated now against the exchange and market as they
/// stand, and again when executed.
#[derive(Accounts)]
pub struct QueueProposal<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(mut, seeds = [seeds::EXCHANGE], bump, has_one = admin @ VammError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        init,
        payer = admin,
        space = Proposal::SIZE,
        seeds = [seeds::PROPOSAL, &exchange.load()?.proposal_count.to_le_bytes()],
        bump,
    )]
    pub proposal: Box<Account<'info, Proposal>>,
    /// The market a market action applies to.
    #[account(constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: Option<AccountLoader<'info, Market>>,
    pub system_program: Program<'info, System>,
}

pub fn handle_queue_proposal(ctx: Context<QueueProposal>, action: GovernanceAction) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    let market = ctx.accounts.market.as_ref().map(|loader| loader.load()).transpose()?;
    validate_action(&action, &exchange, market.as_deref())?;
    let previous = previous_action(&action, &exchange, market.as_deref())?;
    let executable_ts = now.safe_add(exchange.timelock_delay_secs as i64)?;
    let expires_ts = executable_ts.safe_add(timelock::EXECUTION_WINDOW_SECS as i64)?;
    let id = exchange.proposal_count;
    exchange.proposal_count = id.safe_add(1)?;
    let proposal = &mut ctx.accounts.proposal;
    proposal.set_inner(Proposal {
        exchange: ctx.accounts.exchange.key(),
        id,
        proposer: ctx.accounts.admin.key(),
        queued_ts: now,
        executable_ts,
        expires_ts,
        status: ProposalStatus::Queued,
        closed_by: Pubkey::default(),
        closed_ts: 0,
        bump: ctx.bumps.proposal,
        action: action.clone(),
    });
    emit_event!(ProposalQueued {
        id,
        proposal: proposal.key(),
        action,
        previous,
        proposer: ctx.accounts.admin.key(),
        executable_ts,
        expires_ts,
    });
    Ok(())
}
