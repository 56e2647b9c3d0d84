//! Funding: time-weighted averages, the periodic rate, and the cumulative
//! indices positions settle against lazily.
//!
//! TWAP (window-weighted, O(1) per update). With W the funding period and
//! Δt the seconds since the last update (clamped to [0, W]):
//!
//! ```text
//! twap' = (twap * (W - Δt) + price * Δt) / W
//! ```
//!
//! `price` is the price that prevailed since the last update: the mark
//! before a trade, the oracle reading for the oracle TWAP.
//!
//! Rate. Once per period the crank turns the premium `mark_twap -
//! oracle_twap` (quote per whole base) into a payment per period, spread
//! over a day, `premium * period / 86_400`, and clamped to `max_rate_bps`
//! of the oracle TWAP. Positive: longs pay shorts.
//!
//! Accrual. That payment accrues continuously: every instruction that
//! touches the market first advances the cumulative indices by
//! `payment * elapsed / period` for the seconds since the last accrual
//! (with the open interest that held during them), adding to the paying
//! side's index and subtracting from the receiving side's. So a position
//! pays or receives in proportion to the time it was open, and one opened,
//! cranked and closed in one transaction pays nothing. A rate applies for
//! at most one period after the crank that set it (no stale rate charges
//! forever when cranks stop).
//!
//! Index units (`FUNDING_INDEX_PRECISION`): quote native per whole base
//! unit, times 1,000. A position of `base` (`BASE_PRECISION`) owes
//! `base * Δindex / (BASE_PRECISION * 1_000)` quote native: rounded up
//! when paying, down when receiving.
//!
//! Imbalance. The AMM is the counterparty of the open-interest difference.
//! When the receiving side is larger, the AMM owes the difference and pays
//! it from the market's fee pool; when the pool cannot cover it, the
//! receiving side's rate is scaled down so that what it receives never
//! exceeds what the paying side pays plus what the pool contributed. When
//! the paying side is larger, the AMM's receipts stay in the PnL pool,
//! where they back traders' profit claims.

use crate::constants::{BASE_PRECISION, BPS_DENOMINATOR, FUNDING_INDEX_PRECISION, PRICE_PRECISION};
use crate::error::VammError;
use crate::math::safe::{mul_div_u128, to_i64, to_u64, SafeMath};
use anchor_lang::prelude::*;

/// Index units per quote native per whole base unit.
pub const FUNDING_INDEX_SCALE: u128 = (FUNDING_INDEX_PRECISION / PRICE_PRECISION) as u128;
/// Funding converges the premium over one day.
pub const FUNDING_HORIZON_SECS: u64 = 86_400;
/// Rate precision: parts per billion of the oracle TWAP.
pub const RATE_PRECISION: i128 = 1_000_000_000;

/// Window-weighted TWAP update; the first observation seeds the average.
pub fn update_twap(twap: u64, last_ts: i64, price: u64, now_ts: i64, window_secs: u32) -> Result<u64> {
    if twap == 0 || window_secs == 0 {
        return Ok(price);
    }
    let window = window_secs as u128;
    let elapsed = (now_ts.saturating_sub(last_ts).max(0) as u128).min(window);
    let weighted =
        (twap as u128).safe_mul(window.safe_sub(elapsed)?)?.safe_add((price as u128).safe_mul(elapsed)?)?;
    to_u64(weighted.safe_div(window)?)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FundingOutcome {
    /// Rate paid by the paying side, ppb of the oracle TWAP (+ longs pay).
    pub rate_ppb: i64,
    /// Added to the long and short cumulative indices.
    pub long_index_delta: i64,
    pub short_index_delta: i64,
    /// Quote native the paying side owes in total (rounded down).
    pub paid_by_payers: u64,
    /// Quote native the receiving side is owed in total (rounded down).
    pub owed_to_receivers: u64,
    /// Quote native the fee pool contributes for the AMM's side.
    pub fee_pool_contribution: u64,
    /// The receiving side's rate was scaled down because the fee pool
    /// could not cover the AMM's side.
    pub capped: bool,
}

/// Quote native owed by `base` for an index move of `delta`: positive =
/// the position pays (rounded up), negative = it receives (rounded down).
pub fn funding_payment(base: i64, delta: i64) -> Result<i64> {
    if base == 0 || delta == 0 {
        return Ok(0);
    }
    let denominator = BASE_PRECISION as u128 * FUNDING_INDEX_SCALE;
    let amount =
        mul_div_u128(base.unsigned_abs() as u128, delta.unsigned_abs() as u128, denominator, delta > 0)?;
    let amount = to_i64(amount)?;
    Ok(if delta > 0 { amount } else { -amount })
}

/// Quote native owed by a whole side of `base` at an index move of
/// `delta` (unsigned), rounded down.
fn side_amount(base: u64, delta: u128) -> Result<u64> {
    to_u64(mul_div_u128(base as u128, delta, BASE_PRECISION as u128 * FUNDING_INDEX_SCALE, false)?)
}

/// The payment per whole base unit for one period, quote native (+ longs
/// pay), clamped, and the same as a rate in ppb of the oracle TWAP.
pub fn period_payment(
    mark_twap: u64,
    oracle_twap: u64,
    period_secs: u32,
    max_rate_bps: u16,
) -> Result<(i64, i64)> {
    require!(oracle_twap > 0 && period_secs > 0, VammError::InvalidMarketParameter);
    let premium = mark_twap as i128 - oracle_twap as i128;
    let per_period = premium.safe_mul(period_secs as i128)?.safe_div(FUNDING_HORIZON_SECS as i128)?;
    let cap = (oracle_twap as i128).safe_mul(max_rate_bps as i128)?.safe_div(BPS_DENOMINATOR as i128)?;
    let per_period = per_period.clamp(-cap, cap);
    let rate_ppb = to_i64(per_period.safe_mul(RATE_PRECISION)?.safe_div(oracle_twap as i128)?)?;
    Ok((to_i64(per_period)?, rate_ppb))
}

/// One accrual: `per_period` applied for `elapsed_secs` of a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccrualInput {
    /// Quote native per whole base per period, + longs pay.
    pub per_period: i64,
    pub period_secs: u32,
    pub elapsed_secs: u64,
    /// Open interest of each side, `BASE_PRECISION` (absolute).
    pub long_base: u64,
    pub short_base: u64,
    /// What the fee pool holds, quote native.
    pub fee_pool: u64,
}

/// Index moves and amounts of one accrual, with the AMM's imbalance paid
/// by the fee pool or the receivers' rate scaled down (see the module
/// doc). The index move is rounded down.
pub fn accrue(input: &AccrualInput) -> Result<FundingOutcome> {
    require!(input.period_secs > 0, VammError::InvalidMarketParameter);
    let per_period = input.per_period as i128;
    if per_period == 0 || input.elapsed_secs == 0 {
        return Ok(FundingOutcome::default());
    }
    let delta = mul_div_u128(
        per_period.unsigned_abs().safe_mul(FUNDING_INDEX_SCALE)?,
        input.elapsed_secs as u128,
        input.period_secs as u128,
        false,
    )?;
    if delta == 0 {
        return Ok(FundingOutcome::default());
    }
    let (payers, receivers) = if per_period > 0 {
        (input.long_base, input.short_base)
    } else {
        (input.short_base, input.long_base)
    };
    let paid_by_payers = side_amount(payers, delta)?;
    let nominal_owed = side_amount(receivers, delta)?;
    let mut receive_delta = delta;
    let mut contribution = 0;
    let mut capped = false;
    if receivers > payers {
        let amm_owes = nominal_owed.saturating_sub(paid_by_payers);
        contribution = amm_owes.min(input.fee_pool);
        if contribution < amm_owes {
            capped = true;
            // Scale the receivers' rate to what payers and the pool cover.
            let covered = (paid_by_payers as u128).safe_add(contribution as u128)?;
            receive_delta = mul_div_u128(
                covered,
                BASE_PRECISION as u128 * FUNDING_INDEX_SCALE,
                receivers as u128,
                false,
            )?
            .min(delta);
        }
    }
    let owed_to_receivers = side_amount(receivers, receive_delta)?;
    let pay = to_i64(delta)?;
    let receive = -to_i64(receive_delta)?;
    let (long_index_delta, short_index_delta) = if per_period > 0 { (pay, receive) } else { (receive, pay) };
    Ok(FundingOutcome {
        rate_ppb: 0,
        long_index_delta,
        short_index_delta,
        paid_by_payers,
        owed_to_receivers,
        fee_pool_contribution: contribution,
        capped,
    })
}

/// How far a socialised loss of `loss` quote native moves the index of a
/// side holding `side_base` (`BASE_PRECISION`), rounded up so the side
/// covers at least the loss.
pub fn socialised_loss_delta(loss: u64, side_base: u64) -> Result<i64> {
    require!(side_base > 0, VammError::DivisionByZero);
    to_i64(mul_div_u128(loss as u128, BASE_PRECISION as u128 * FUNDING_INDEX_SCALE, side_base as u128, true)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ONE: u64 = BASE_PRECISION;
    const USDC: u64 = 1_000_000;

    /// One whole period at a crank's TWAPs, as the tests exercise the rate
    /// and the accrual together.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct FundingInput {
        /// `PRICE_PRECISION`.
        mark_twap: u64,
        oracle_twap: u64,
        period_secs: u32,
        max_rate_bps: u16,
        /// Open interest of each side, `BASE_PRECISION` (absolute).
        long_base: u64,
        short_base: u64,
        /// What the fee pool holds, quote native.
        fee_pool: u64,
    }

    /// One whole period's funding at the given TWAPs (see `period_payment`
    /// and `accrue`).
    fn compute_funding(input: &FundingInput) -> Result<FundingOutcome> {
        let (per_period, rate_ppb) =
            period_payment(input.mark_twap, input.oracle_twap, input.period_secs, input.max_rate_bps)?;
        let mut outcome = accrue(&AccrualInput {
            per_period,
            period_secs: input.period_secs,
            elapsed_secs: input.period_secs as u64,
            long_base: input.long_base,
            short_base: input.short_base,
            fee_pool: input.fee_pool,
        })?;
        outcome.rate_ppb = rate_ppb;
        Ok(outcome)
    }

    fn input() -> FundingInput {
        FundingInput {
            mark_twap: 101 * USDC,
            oracle_twap: 100 * USDC,
            period_secs: 3_600,
            max_rate_bps: 100,
            long_base: 10 * ONE,
            short_base: 10 * ONE,
            fee_pool: 0,
        }
    }

    #[test]
    fn twap_weights_by_time() {
        assert_eq!(update_twap(0, 0, 50, 10, 3_600).unwrap(), 50);
        assert_eq!(update_twap(100, 0, 200, 1_800, 3_600).unwrap(), 150);
        assert_eq!(update_twap(100, 0, 200, 36_000, 3_600).unwrap(), 200);
        assert_eq!(update_twap(100, 10, 200, 10, 3_600).unwrap(), 100);
    }

    #[test]
    fn balanced_market_longs_pay_shorts() {
        let f = compute_funding(&input()).unwrap();
        // 1 USDC premium over a day, one hour of it: 1/24 USDC = 41_666 per SOL.
        assert_eq!(f.long_index_delta, 41_666_000);
        assert_eq!(f.short_index_delta, -41_666_000);
        assert_eq!(f.paid_by_payers, 416_660);
        assert_eq!(f.owed_to_receivers, 416_660);
        assert!(!f.capped);
        assert_eq!(funding_payment(10 * ONE as i64, f.long_index_delta).unwrap(), 416_660);
        assert_eq!(funding_payment(-10 * (ONE as i64), f.short_index_delta).unwrap(), -416_660);
    }

    #[test]
    fn rate_is_clamped() {
        let f = compute_funding(&FundingInput { mark_twap: 200 * USDC, ..input() }).unwrap();
        assert_eq!(f.rate_ppb, 10_000_000); // 1% per period
    }

    #[test]
    fn amm_side_is_paid_by_the_fee_pool_or_the_rate_is_scaled() {
        let heavy_shorts =
            FundingInput { long_base: 5 * ONE, short_base: 10 * ONE, fee_pool: USDC, ..input() };
        let f = compute_funding(&heavy_shorts).unwrap();
        assert_eq!(f.fee_pool_contribution, 416_660 - 208_330);
        assert!(!f.capped);
        let broke = FundingInput { fee_pool: 0, ..heavy_shorts };
        let f = compute_funding(&broke).unwrap();
        assert!(f.capped);
        assert_eq!(f.fee_pool_contribution, 0);
        assert!(f.owed_to_receivers <= f.paid_by_payers);
        assert_eq!(f.short_index_delta, -20_833_000);
    }

    proptest! {
        /// Receivers are never owed more than payers pay plus the pool.
        #[test]
        fn funding_never_pays_what_it_does_not_have(
            mark in 1u64..1 << 40, oracle in 1u64..1 << 40, long in 0u64..1 << 50, short in 0u64..1 << 50,
            pool in 0u64..1 << 40, max_rate in 0u16..=500, period in 1u32..=86_400,
        ) {
            let input = FundingInput { mark_twap: mark, oracle_twap: oracle, period_secs: period, max_rate_bps: max_rate, long_base: long, short_base: short, fee_pool: pool };
            let f = compute_funding(&input).unwrap();
            prop_assert!(f.owed_to_receivers as u128 <= f.paid_by_payers as u128 + f.fee_pool_contribution as u128);
            prop_assert!(f.fee_pool_contribution <= pool);
            // Payments per position are rounded so the sum paid covers the
            // side total computed here.
            let (payer_base, payer_delta) = if f.long_index_delta > 0 { (long, f.long_index_delta) } else { (short, f.short_index_delta) };
            if payer_delta > 0 {
                prop_assert!(funding_payment(payer_base as i64, payer_delta).unwrap() as u64 >= f.paid_by_payers);
            }
        }
    }
}
