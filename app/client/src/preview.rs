//! Trade and risk previews with the program's own curve and margin math.

use crate::valuation::{account_health, price_book, MarketSnapshot};
use vamm::math::amm::{Direction, TradeSize};
use vamm::math::fees::fee_for;
use vamm::math::margin::HealthState;
use vamm::oracle::OracleClock;
use vamm::state::{Market, TraderAccount};

/// What a market order would do, before sending it. Prices
/// `PRICE_PRECISION`, quote native, base `BASE_PRECISION`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradePreview {
    pub base: u64,
    pub quote: u64,
    pub average_price: u64,
    pub fee: u64,
    pub mark_before: u64,
    pub mark_after: u64,
    /// Price impact in bps of the mark.
    pub impact_bps: u64,
}

pub fn preview_trade(
    market: &Market,
    direction: Direction,
    size: TradeSize,
) -> anchor_lang::Result<TradePreview> {
    let impact = market.amm.curve().price_impact(direction, size)?;
    Ok(TradePreview {
        base: impact.swap.base,
        quote: impact.swap.quote,
        average_price: impact.average_price,
        fee: fee_for(impact.swap.quote, market.fees.taker_fee_bps)?,
        mark_before: impact.mark_before,
        mark_after: impact.mark_after,
        impact_bps: impact.impact_bps,
    })
}

/// The oracle price of `market_index` at which the account would become
/// liquidatable, other markets held at their current prices
/// (`PRICE_PRECISION`); `None` when no price in (0, 100x current] does it.
pub fn liquidation_price(
    markets: &[MarketSnapshot],
    trader: &TraderAccount,
    market_index: u16,
    clock: OracleClock,
) -> Option<u64> {
    let snapshot = markets.iter().find(|m| m.index() == market_index)?;
    let current = snapshot.oracle_price(clock).ok()?;
    let base = trader.position(market_index)?.base;
    if base == 0 {
        return None;
    }
    let liquidatable = |price: u64| {
        account_health(&price_book(markets, clock, &[(market_index, price)]), trader)
            .map(|h| h.health >= HealthState::Liquidatable)
            .unwrap_or(false)
    };
    // Longs fail as the price falls, shorts as it rises.
    let (mut safe, mut unsafe_) =
        if base > 0 { (current, 1u64) } else { (current, current.saturating_mul(100)) };
    if liquidatable(safe) {
        return Some(current);
    }
    if !liquidatable(unsafe_) {
        return None;
    }
    while safe.abs_diff(unsafe_) > 1 {
        let mid = safe / 2 + unsafe_ / 2 + (safe % 2 + unsafe_ % 2) / 2;
        if liquidatable(mid) {
            unsafe_ = mid;
        } else {
            safe = mid;
        }
    }
    Some(unsafe_)
}
