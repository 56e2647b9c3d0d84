use crate::constants::seeds;
use crate::error::VammError;
use crate::events::GuardianSet;
use crate::state::Exchange;
use anchor_lang::prelude::*;

/// Replaces the guardian, the key that may only pause markets. The default
/// key leaves the exchange without a guardian. Admin only.
#[derive(Accounts)]
pub struct SetGuardian<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [seeds::EXCHANGE], bump, has_one = admin @ VammError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
}

pub fn handle_set_guardian(ctx: Context<SetGuardian>, guardian: Pubkey) -> Result<()> {
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    let previous = exchange.guardian;
    exchange.guardian = guardian;
    emit_event!(GuardianSet { previous, guardian });
    Ok(())
}
