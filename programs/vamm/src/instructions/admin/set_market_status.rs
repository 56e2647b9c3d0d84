use crate::constants::seeds;
use crate::error::VammError;
use crate::events::MarketStatusChanged;
use crate::state::{Exchange, Market, MarketStatus};
use anchor_lang::prelude::*;

/// Moves a market between `Active`, `ReduceOnly` and `Paused`. The admin
/// may make any of these moves; the guardian may only pause. `Settled` is
/// final and reached only through `settle_market`.
#[derive(Accounts)]
pub struct SetMarketStatus<'info> {
    /// The admin, or the guardian (pause only).
    pub authority: Signer<'info>,
    #[account(seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
}

pub fn handle_set_market_status(ctx: Context<SetMarketStatus>, status: MarketStatus) -> Result<()> {
    let exchange = ctx.accounts.exchange.load()?;
    let signer = ctx.accounts.authority.key();
    let is_admin = signer == exchange.admin;
    let is_guardian = signer == exchange.guardian;
    require!(is_admin || is_guardian, VammError::NotAdmin);
    let mut market = ctx.accounts.market.load_mut()?;
    let from = market.status()?;
    require!(
        from != MarketStatus::Settled && status != MarketStatus::Settled,
        VammError::InvalidStatusTransition
    );
    if !is_admin {
        require!(status == MarketStatus::Paused, VammError::GuardianMayOnlyPause);
    }
    market.status = status as u8;
    emit_event!(MarketStatusChanged { market_index: market.market_index, from, to: status, by: signer });
    Ok(())
}
