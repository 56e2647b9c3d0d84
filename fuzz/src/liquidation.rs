//! Liquidation sizing: how much of a position one step closes.
//!
//! Asserts: a step never closes more than the position, closes nothing
//! when the account meets its target (maintenance plus the buffer) and
//! something when it does not; a small position closes whole; and a step
//! that neither the position nor the per-step cap limited restores the
//! target when it closes at the oracle price and pays the liquidation fee
//! (to a few quote units of rounding). Errors allowed: a value too large
//! for its integer type.

use crate::margin::PositionSpec;
use crate::{documented, magnitude, Checked};
use arbitrary::Arbitrary;
use vamm::constants::RATIO_PRECISION;
use vamm::error::VammError;
use vamm::math::fees::fee_for;
use vamm::math::liquidation::{base_to_liquidate, LiquidationInput, SMALL_POSITION_NOTIONAL};
use vamm::math::margin::{progressive_ratio, AccountMargin};
use vamm::math::position::{apply_fill, notional};
use vamm::math::safe::mul_div_u128;

/// Quote native units of rounding a step may fall short of its target by:
/// the freed requirement and buffer lose just over three units to rounding
/// (the notional, the requirement and the buffer each round once) and the
/// fee and the realised PnL at most two, so less than 5.1 in all.
pub const ROUNDING: i128 = 5;

#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    pub collateral: u64,
    pub collateral_scale: u8,
    pub position: PositionSpec,
    pub buffer_ratio: u32,
    pub fee_bps: u16,
    pub max_fraction_bps: u16,
}

impl Checked for Input {
    fn check(&self) {
        check(self)
    }
}

const ALLOWED: [VammError; 1] = [VammError::CastOverflow];

fn target(margin: &AccountMargin, buffer_ratio: u32) -> i128 {
    let buffer =
        mul_div_u128(margin.total_notional, buffer_ratio as u128, RATIO_PRECISION as u128, true).unwrap();
    (margin.maintenance_required + buffer) as i128
}

pub fn check(input: &Input) {
    let collateral = magnitude(input.collateral, input.collateral_scale, 16);
    let position = input.position.build();
    let Some(margin) = documented(AccountMargin::new(collateral, &[position]), &ALLOWED, input) else {
        return;
    };
    let price = position.oracle_price;
    let size_notional = notional(position.base, price, true).unwrap();
    let maintenance_ratio = progressive_ratio(
        position.params.maintenance_ratio,
        position.params.maintenance_imf_factor,
        size_notional,
    )
    .unwrap();
    let step = LiquidationInput {
        margin,
        base: position.base,
        oracle_price: price,
        maintenance_ratio,
        buffer_ratio: input.buffer_ratio % 100_001,
        fee_bps: input.fee_bps % 1_001,
        max_fraction_bps: 1 + input.max_fraction_bps % 10_000,
    };
    let Some(closed) = documented(base_to_liquidate(&step), &ALLOWED, input) else {
        return;
    };
    let size = position.base.unsigned_abs();
    assert!(closed <= size, "closes {closed} of a position of {size}: {input:?}");
    let deficit = target(&margin, step.buffer_ratio) - margin.equity().unwrap();
    if deficit <= 0 {
        assert_eq!(closed, 0, "closes {closed} of an account that meets its target: {input:?}");
        return;
    }
    if size == 0 {
        return;
    }
    assert!(closed > 0, "closes nothing of an account {deficit} short of its target: {input:?}");
    if notional(position.base, price, false).unwrap() <= SMALL_POSITION_NOTIONAL {
        assert_eq!(closed, size, "a small position closes whole: {input:?}");
        return;
    }
    let cap = (size as u128 * step.max_fraction_bps as u128).div_ceil(10_000) as u64;
    if closed >= size.min(cap) {
        return;
    }
    // Not limited: closing `closed` at the oracle and paying the fee must
    // restore the target.
    let quote = notional(closed as i64, price, false).unwrap();
    let fill_base = if position.base > 0 { -(closed as i64) } else { closed as i64 };
    let fill = apply_fill(position.base, position.entry_notional, fill_base, quote).unwrap();
    let fee = fee_for(quote, step.fee_bps).unwrap();
    let collateral_after = collateral as i128 + fill.realised_pnl as i128 - fee as i128;
    let Ok(collateral_after) = u64::try_from(collateral_after) else {
        return;
    };
    let after = vamm::math::margin::PositionRisk {
        base: fill.base_after,
        entry_notional: fill.entry_notional_after,
        ..position
    };
    let margin_after = AccountMargin::new(collateral_after, &[after]).unwrap();
    let short_by = target(&margin_after, step.buffer_ratio) - margin_after.equity().unwrap();
    assert!(
        short_by <= ROUNDING,
        "closing {closed} of {size} leaves the account {short_by} below its target: {input:?}"
    );
}
