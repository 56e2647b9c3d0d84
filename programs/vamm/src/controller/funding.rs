//! Market-level funding: TWAP upkeep, continuous accrual of the cumulative
//! indices (positions settle against them lazily), and the periodic crank
//! that sets the rate.

use crate::error::VammError;
use crate::math::funding::{accrue, period_payment, update_twap, AccrualInput, FundingOutcome};
use crate::math::price_guard::{band_side, HoldSide};
use crate::math::safe::SafeMath;
use crate::state::Market;
use anchor_lang::prelude::*;

/// Folds the prevailing mark (and oracle price, when valid) into the TWAPs
/// and observes the repeg gap. Call before anything moves the mark, so the
/// mark that held since the last update gets its weight.
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
        observe_repeg_gap(market, now_ts, mark, price)?;
    }
    Ok(())
}

/// The permissionless repeg's clock: it starts at the first observation of
/// the mark more than the rule's gap from the oracle and stops at any
/// observation within it. Trades and liquidations into the curve observe
/// again after they move the mark, so a trade that closes the gap stops
/// the clock (otherwise a later move of the oracle could be repegged to at
/// once: found by the risk benchmark).
pub fn observe_repeg_gap(market: &mut Market, now_ts: i64, mark: u64, oracle_price: u64) -> Result<()> {
    let rule = &mut market.repeg_rule;
    let beyond = rule.gap_bps != 0 && band_side(mark, oracle_price, rule.gap_bps)? != HoldSide::None;
    if !beyond {
        rule.gap_since_ts = 0;
    } else if rule.gap_since_ts == 0 {
        rule.gap_since_ts = now_ts;
    }
    Ok(())
}

/// What accruing from `last_accrual_ts` to `now_ts` does to `market`,
/// without changing it: the rate set by the last crank, for the seconds
/// it still applies, on the open interest and fee pool as they stand.
pub fn pending_accrual(market: &Market, now_ts: i64) -> Result<FundingOutcome> {
    let funding = &market.funding;
    let end = now_ts.min(funding.rate_until_ts);
    let elapsed = end.saturating_sub(funding.last_accrual_ts).max(0) as u64;
    let (long_base, short_base) = market.open_interest_base();
    accrue(&AccrualInput {
        per_period: funding.per_period_payment,
        period_secs: funding.period_secs,
        elapsed_secs: elapsed,
        long_base,
        short_base,
        fee_pool: market.pools.fee_pool,
    })
}

/// The cumulative indices (long, short) as they would be after accruing
/// to `now_ts`: what read-only valuation settles positions against.
pub fn accrued_indices(market: &Market, now_ts: i64) -> Result<(i64, i64)> {
    let pending = pending_accrual(market, now_ts)?;
    Ok((
        market.funding.cumulative_long.safe_add(pending.long_index_delta)?,
        market.funding.cumulative_short.safe_add(pending.short_index_delta)?,
    ))
}

/// Advances the indices to `now_ts`. Call before anything changes the
/// open interest, the fee pool or a position's funding snapshot, so every
/// second is charged on the open interest that held during it. The AMM's
/// side comes out of the fee pool into the PnL pool, from which the
/// receiving side is paid as it settles.
pub fn accrue_funding(market: &mut Market, now_ts: i64) -> Result<FundingOutcome> {
    let outcome = pending_accrual(market, now_ts)?;
    let funding = &mut market.funding;
    funding.cumulative_long = funding.cumulative_long.safe_add(outcome.long_index_delta)?;
    funding.cumulative_short = funding.cumulative_short.safe_add(outcome.short_index_delta)?;
    funding.last_accrual_ts = funding.last_accrual_ts.max(now_ts);
    let pools = &mut market.pools;
    pools.fee_pool = pools.fee_pool.safe_sub(outcome.fee_pool_contribution)?;
    pools.pnl_pool = pools.pnl_pool.safe_add(outcome.fee_pool_contribution)?;
    market.stats.funding_paid_by_fee_pool =
        market.stats.funding_paid_by_fee_pool.safe_add(outcome.fee_pool_contribution)?;
    Ok(outcome)
}

/// Stops funding (a settled market): accrues to now, then no rate applies.
pub fn stop_funding(market: &mut Market, now_ts: i64) -> Result<()> {
    accrue_funding(market, now_ts)?;
    market.funding.per_period_payment = 0;
    market.funding.last_rate_ppb = 0;
    market.funding.rate_until_ts = now_ts;
    Ok(())
}

/// What one crank did, for the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FundingSettlement {
    /// The accrual the crank applied (at the previous rate) and, in
    /// `rate_ppb`, the new rate.
    pub outcome: FundingOutcome,
    pub mark_twap: u64,
    pub oracle_twap: u64,
    /// Whole periods since the last crank (1 when on time).
    pub periods_elapsed: u64,
}

/// The periodic crank, once a period has passed since the last one:
/// accrues the previous rate up to now, then sets the rate for the coming
/// period from the TWAPs. Catch-up rule: a rate applies for at most one
/// period after its crank, so however many periods were missed, nothing
/// beyond one period is charged and there is no burst.
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
    let mut outcome = accrue_funding(market, now_ts)?;
    let funding = &mut market.funding;
    let (per_period, rate_ppb) =
        period_payment(funding.mark_twap, funding.oracle_twap, funding.period_secs, funding.max_rate_bps)?;
    funding.per_period_payment = per_period;
    funding.last_rate_ppb = rate_ppb;
    funding.rate_until_ts = now_ts.safe_add(period)?;
    funding.last_funding_ts = now_ts.safe_sub(elapsed % period)?;
    outcome.rate_ppb = rate_ppb;
    Ok(FundingSettlement {
        outcome,
        mark_twap: market.funding.mark_twap,
        oracle_twap: market.funding.oracle_twap,
        periods_elapsed,
    })
}
