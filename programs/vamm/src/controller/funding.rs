//! Market-level funding: TWAP upkeep and the periodic settlement that moves
//! the cumulative indices (positions settle against them lazily).

use crate::error::VammError;
use crate::math::funding::{compute_funding, update_twap, FundingInput, FundingOutcome};
use crate::math::safe::SafeMath;
use crate::state::Market;
use anchor_lang::prelude::*;

/// Folds the prevailing mark (and oracle price, when valid) into the TWAPs.
/// Call before anything moves the mark, so the mark that held since the
/// last update gets its weight.
pub fn update_twaps(market: &mut Market, now_ts: i64, oracle_price: Option<u64>) -> Result<()> {
    let window = market.funding.period_secs;
    let mark = market.amm.curve().mark_price()?;
    let funding = &mut market.funding;
    funding.mark_twap = update_twap(funding.mark_twap, funding.mark_twap_ts, mark, now_ts, window)?;
    funding.mark_twap_ts = now_ts;
    if let Some(price) = oracle_price {
        funding.oracle_twap =
            update_twap(funding.oracle_twap, funding.oracle_twap_ts, price, now_ts, window)?;
        funding.oracle_twap_ts = now_ts;
    }
    Ok(())
}

/// What one settlement did, for the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FundingSettlement {
    pub outcome: FundingOutcome,
    pub mark_twap: u64,
    pub oracle_twap: u64,
    /// Whole periods since the last settlement (1 when on time).
    pub periods_elapsed: u64,
}

/// Applies one period's funding if a period has passed since the last
/// settlement. Catch-up rule: however many periods were missed, one crank
/// applies one period's rate and moves the funding clock to the start of
/// the current period; missed periods are not charged afterwards.
pub fn settle_market_funding(
    market: &mut Market,
    now_ts: i64,
    oracle_price: u64,
) -> Result<FundingSettlement> {
    update_twaps(market, now_ts, Some(oracle_price))?;
    let period = market.funding.period_secs as i64;
    let elapsed = now_ts.safe_sub(market.funding.last_funding_ts)?;
    require!(elapsed >= period, VammError::FundingNotDue);
    let periods_elapsed = (elapsed / period) as u64;
    let (long_base, short_base) = market.open_interest_base();
    let outcome = compute_funding(&FundingInput {
        mark_twap: market.funding.mark_twap,
        oracle_twap: market.funding.oracle_twap,
        period_secs: market.funding.period_secs,
        max_rate_bps: market.funding.max_rate_bps,
        long_base,
        short_base,
        fee_pool: market.pools.fee_pool,
    })?;
    let funding = &mut market.funding;
    funding.cumulative_long = funding.cumulative_long.safe_add(outcome.long_index_delta)?;
    funding.cumulative_short = funding.cumulative_short.safe_add(outcome.short_index_delta)?;
    funding.last_rate_ppb = outcome.rate_ppb;
    funding.last_funding_ts = now_ts.safe_sub(elapsed % period)?;
    // The AMM's side comes out of the fee pool into the PnL pool, from which
    // the receiving side is paid as it settles.
    let pools = &mut market.pools;
    pools.fee_pool = pools.fee_pool.safe_sub(outcome.fee_pool_contribution)?;
    pools.pnl_pool = pools.pnl_pool.safe_add(outcome.fee_pool_contribution)?;
    market.stats.funding_paid_by_fee_pool =
        market.stats.funding_paid_by_fee_pool.safe_add(outcome.fee_pool_contribution)?;
    Ok(FundingSettlement {
        outcome,
        mark_twap: market.funding.mark_twap,
        oracle_twap: market.funding.oracle_twap,
        periods_elapsed,
    })
}
