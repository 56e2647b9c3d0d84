use crate::constants::{insurance, seeds};
use crate::error::VammError;
use crate::events::UnstakeCooldownSet;
use crate::state::Exchange;
use anchor_lang::prelude::*;

/// Sets the insurance unstake cooldown within its bounds (1 to 30 days).
/// Admin only. Pending requests use the cooldown in force when `unstake`
/// runs.
#[derive(Accounts)]
pub struct SetUnstakeCooldown<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [seeds::EXCHANGE], bump, has_one = admin @ VammError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
}

pub fn handle_set_unstake_cooldown(ctx: Context<SetUnstakeCooldown>, cooldown_secs: u32) -> Result<()> {
    require!(
        (insurance::MIN_UNSTAKE_COOLDOWN_SECS..=insurance::MAX_UNSTAKE_COOLDOWN_SECS)
            .contains(&cooldown_secs),
        VammError::InvalidMarketParameter
    );
    ctx.accounts.exchange.load_mut()?.insurance.unstake_cooldown_secs = cooldown_secs;
    emit!(UnstakeCooldownSet { cooldown_secs });
    Ok(())
}
