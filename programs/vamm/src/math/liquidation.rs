//! How much of a position a liquidation step closes.
//!
//! The target is equity >= maintenance requirement + buffer, with the
//! buffer `buffer_ratio` (ppm) of the account's total notional. Closing one
//! whole base unit at oracle price `p` frees `p * (maintenance ratio +
//! buffer ratio)` of that target and costs about `p * liquidation fee`;
//! the step closes `deficit / (freed - cost)` base, rounded up, at most the
//! position, and at most `max_fraction_bps` of it unless the position is
//! small (notional at or below `SMALL_POSITION_NOTIONAL`), which closes
//! whole. When closing frees nothing net, the whole position closes.

use crate::constants::{BASE_PRECISION, BPS_DENOMINATOR, RATIO_PRECISION};
use crate::math::margin::AccountMargin;
use crate::math::position::notional;
use crate::math::safe::{mul_div_u128, mul_div_u64, to_u64, SafeMath};
use anchor_lang::prelude::*;

/// Positions at or below this notional (quote native) are liquidated whole:
/// 1,000 USDC.
pub const SMALL_POSITION_NOTIONAL: u64 = 1_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationInput {
    pub margin: AccountMargin,
    /// Signed position size, `BASE_PRECISION`.
    pub base: i64,
    /// `PRICE_PRECISION`.
    pub oracle_price: u64,
    /// The position's maintenance ratio at its size, ppm.
    pub maintenance_ratio: u64,
    pub buffer_ratio: u32,
    pub fee_bps: u16,
    pub max_fraction_bps: u16,
}

/// Base to close in this step, `BASE_PRECISION` (0 when the account is
/// already at or above its target).
pub fn base_to_liquidate(input: &LiquidationInput) -> Result<u64> {
    let size = input.base.unsigned_abs();
    let buffer =
        mul_div_u128(input.margin.total_notional, input.buffer_ratio as u128, RATIO_PRECISION as u128, true)?;
    let target = (input.margin.maintenance_required.safe_add(buffer)?) as i128;
    let deficit = target.safe_sub(input.margin.equity()?)?;
    if deficit <= 0 {
        return Ok(0);
    }
    let freed_ratio = input.maintenance_ratio.safe_add(input.buffer_ratio as u64)?;
    let fee_ratio = (input.fee_bps as u64).safe_mul(RATIO_PRECISION / BPS_DENOMINATOR)?;
    let wanted = if freed_ratio <= fee_ratio {
        size
    } else {
        // Quote freed per whole base, net of the fee.
        let net_per_base = mul_div_u64(input.oracle_price, freed_ratio - fee_ratio, RATIO_PRECISION, false)?;
        if net_per_base == 0 {
            size
        } else {
            let base = mul_div_u128(deficit as u128, BASE_PRECISION as u128, net_per_base as u128, true)?;
            base.min(size as u128) as u64
        }
    };
    if notional(input.base, input.oracle_price, false)? <= SMALL_POSITION_NOTIONAL {
        return Ok(size);
    }
    let cap = mul_div_u64(size, input.max_fraction_bps as u64, BPS_DENOMINATOR, true)?;
    to_u64(wanted.min(cap).max(1) as u128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::margin::{MarginParams, PositionRisk};

    const USDC: u64 = 1_000_000;
    const ONE: i64 = BASE_PRECISION as i64;

    fn input(collateral: u64, price: u64) -> LiquidationInput {
        let position = PositionRisk {
            base: 100 * ONE,
            entry_notional: 10_000 * USDC,
            pending_profit: 0,
            unpaid_loss: 0,
            unsettled_funding: 0,
            oracle_price: price,
            stable_price: 0,
            params: MarginParams {
                initial_ratio: 100_000,
                maintenance_ratio: 50_000,
                initial_imf_factor: 0,
                maintenance_imf_factor: 0,
                initial_profit_weight_bps: 0,
            },
        };
        LiquidationInput {
            margin: AccountMargin::new(collateral, &[position]).unwrap(),
            base: 100 * ONE,
            oracle_price: price,
            maintenance_ratio: 50_000,
            buffer_ratio: 10_000,
            fee_bps: 100,
            max_fraction_bps: 5_000,
        }
    }

    #[test]
    fn healthy_account_closes_nothing() {
        assert_eq!(base_to_liquidate(&input(1_000 * USDC, 100 * USDC)).unwrap(), 0);
    }

    #[test]
    fn closes_just_enough_to_restore_the_buffer() {
        // Price 95: equity 500, maintenance 475, buffer 95 -> deficit 70.
        // Each SOL frees 95 * 6% = 5.7 and costs 0.95 -> 4.75 net: 14.74 SOL.
        let base = base_to_liquidate(&input(1_000 * USDC, 95 * USDC)).unwrap();
        assert_eq!(base, 14_736_842_106);
    }

    #[test]
    fn one_step_is_bounded() {
        // Price 91: deficit is large; at most half the position per step.
        assert_eq!(base_to_liquidate(&input(1_000 * USDC, 91 * USDC)).unwrap(), 50 * BASE_PRECISION);
    }
}
