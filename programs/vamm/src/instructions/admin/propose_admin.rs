use crate::constants::seeds;
use crate::error::VammError;
use crate::events::{AdminProposed, AdminTransferCancelled};
use crate::state::Exchange;
use anchor_lang::prelude::*;

/// First step of an admin transfer: the admin names its successor, who
/// must then sign `accept_admin` (so a mistyped key never locks governance
/// out). Proposing again replaces the proposal; proposing the default key
/// cancels it. Admin only.
#[derive(Accounts)]
pub struct ProposeAdmin<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [seeds::EXCHANGE], bump, has_one = admin @ VammError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
}

pub fn handle_propose_admin(ctx: Context<ProposeAdmin>, new_admin: Pubkey) -> Result<()> {
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    let previous = exchange.pending_admin;
    exchange.pending_admin = new_admin;
    if new_admin == Pubkey::default() {
        require_keys_neq!(previous, Pubkey::default(), VammError::NotPendingAdmin);
        emit_event!(AdminTransferCancelled { admin: exchange.admin, cancelled: previous });
    } else {
        emit_event!(AdminProposed { admin: exchange.admin, proposed: new_admin, replaced: previous });
    }
    Ok(())
}
