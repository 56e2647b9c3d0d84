use crate::constants::insurance::UNSTAKE_WINDOW_SECS;
use crate::constants::seeds;
use crate::error::VammError;
use crate::events::UnstakeRequested;
use crate::math::safe::SafeMath;
use crate::state::{Exchange, InsuranceStake};
use anchor_lang::prelude::*;

/// Starts the cooldown for unstaking `shares`. A new request replaces a
/// pending one and restarts the cooldown. Requested shares keep bearing
/// losses and earning fees until `unstake` pays them.
#[derive(Accounts)]
pub struct RequestUnstake<'info> {
    pub owner: Signer<'info>,
    #[account(seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = owner @ VammError::NotOwner)]
    pub stake: AccountLoader<'info, InsuranceStake>,
}

pub fn handle_request_unstake(ctx: Context<RequestUnstake>, shares: u64) -> Result<()> {
    require!(shares > 0, VammError::ZeroAmount);
    let now = Clock::get()?.unix_timestamp;
    let fund = ctx.accounts.exchange.load()?.insurance;
    let mut stake = ctx.accounts.stake.load_mut()?;
    // Shares of an earlier epoch were voided by a wipe-out.
    let held = if stake.share_epoch == fund.share_epoch { stake.shares } else { 0 };
    require!(shares <= held, VammError::InsufficientShares);
    let available_ts = now.safe_add(fund.unstake_cooldown_secs as i64)?;
    stake.unstake_shares = shares;
    stake.unstake_request_ts = now;
    stake.unstake_available_ts = available_ts;
    stake.unstake_expires_ts = available_ts.safe_add(UNSTAKE_WINDOW_SECS as i64)?;
    emit_event!(UnstakeRequested { owner: stake.owner, shares, available_ts });
    Ok(())
}
