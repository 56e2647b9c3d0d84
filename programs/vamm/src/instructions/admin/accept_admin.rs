use crate::constants::seeds;
use crate::error::VammError;
use crate::events::AdminAccepted;
use crate::state::Exchange;
use anchor_lang::prelude::*;

/// Second step of an admin transfer: the proposed admin signs and becomes
/// the admin; the pending proposal is cleared.
#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    pub new_admin: Signer<'info>,
    #[account(mut, seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
}

pub fn handle_accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    let signer = ctx.accounts.new_admin.key();
    require!(
        exchange.pending_admin != Pubkey::default() && exchange.pending_admin == signer,
        VammError::NotPendingAdmin
    );
    let previous = exchange.admin;
    exchange.admin = signer;
    exchange.pending_admin = Pubkey::default();
    emit_event!(AdminAccepted { previous, admin: signer });
    Ok(())
}
