use crate::constants::seeds;
use crate::error::VammError;
use crate::events::ProposalCancelled;
use crate::state::{Exchange, Proposal, ProposalStatus};
use anchor_lang::prelude::*;

/// Cancels a queued proposal, before or after its delay (an expired one
/// too, to close the record). The admin or the guardian.
#[derive(Accounts)]
pub struct CancelProposal<'info> {
    /// The admin or the guardian.
    pub authority: Signer<'info>,
    #[account(seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        seeds = [seeds::PROPOSAL, &proposal.id.to_le_bytes()],
        bump = proposal.bump,
        has_one = exchange @ VammError::ProposalMismatch,
    )]
    pub proposal: Box<Account<'info, Proposal>>,
}

pub fn handle_cancel_proposal(ctx: Context<CancelProposal>) -> Result<()> {
    let signer = ctx.accounts.authority.key();
    {
        let exchange = ctx.accounts.exchange.load()?;
        require!(signer == exchange.admin || signer == exchange.guardian, VammError::NotAdminOrGuardian);
    }
    let now = Clock::get()?.unix_timestamp;
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.status == ProposalStatus::Queued, VammError::ProposalNotQueued);
    proposal.status = ProposalStatus::Cancelled;
    proposal.closed_by = signer;
    proposal.closed_ts = now;
    emit_event!(ProposalCancelled { id: proposal.id, action: proposal.action.clone(), by: signer, ts: now });
    Ok(())
}
