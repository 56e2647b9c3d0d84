//! Position accounting with an average-cost basis.
//!
//! A position is a signed base amount (`BASE_PRECISION`, positive = long)
//! and an entry notional (quote native): what the open base cost a long, or
//! what the open base paid a short. Reducing a position removes the cost
//! basis in proportion to the base closed and realises the difference.

use crate::constants::BASE_PRECISION;
use crate::error::VammError;
use crate::math::safe::{mul_div_u128, mul_div_u64, to_i64, to_u64, SafeMath};
use anchor_lang::prelude::*;

/// The state of a position after a fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Signed base after the fill, `BASE_PRECISION`.
    pub base_after: i64,
    /// Entry notional after the fill, quote native.
    pub entry_notional_after: u64,
    /// PnL realised by this fill, quote native (before fees).
    pub realised_pnl: i64,
}

/// Applies a fill of `fill_base` (signed: positive buys base) for
/// `fill_quote` quote native to a position. Increases add to the cost
/// basis; reductions realise PnL. A fill larger than the position in the
/// opposite direction (a flip) is refused: callers split it into a close
/// and an open so each part is priced by its own swap.
pub fn apply_fill(base: i64, entry_notional: u64, fill_base: i64, fill_quote: u64) -> Result<Fill> {
    require!(fill_base != 0, VammError::ZeroAmount);
    let increasing = base == 0 || (base > 0) == (fill_base > 0);
    if increasing {
        return Ok(Fill {
            base_after: base.safe_add(fill_base)?,
            entry_notional_after: entry_notional.safe_add(fill_quote)?,
            realised_pnl: 0,
        });
    }
    let size = base.unsigned_abs();
    let closed = fill_base.unsigned_abs();
    require!(closed <= size, VammError::CloseExceedsPosition);
    // Rounded so the realised PnL is the smaller one: a long removes more
    // cost, a short removes less proceeds. Over the whole life of a
    // position the removed parts sum to the entry notional exactly.
    let long = base > 0;
    let basis_removed =
        if closed == size { entry_notional } else { mul_div_u64(entry_notional, closed, size, long)? };
    let realised_pnl = if long {
        to_i64(fill_quote)?.safe_sub(to_i64(basis_removed)?)?
    } else {
        to_i64(basis_removed)?.safe_sub(to_i64(fill_quote)?)?
    };
    Ok(Fill {
        base_after: base.safe_add(fill_base)?,
        entry_notional_after: entry_notional.safe_sub(basis_removed)?,
        realised_pnl,
    })
}

/// Quote value of `|base|` at `price` (`PRICE_PRECISION`), quote native.
pub fn notional(base: i64, price: u64, round_up: bool) -> Result<u64> {
    to_u64(mul_div_u128(base.unsigned_abs() as u128, price as u128, BASE_PRECISION as u128, round_up)?)
}

/// Unrealised PnL of the position at `price`, quote native; the valuation
/// rounds against the trader.
pub fn unrealised_pnl(base: i64, entry_notional: u64, price: u64) -> Result<i64> {
    if base == 0 {
        return Ok(0);
    }
    if base > 0 {
        to_i64(notional(base, price, false)?)?.safe_sub(to_i64(entry_notional)?)
    } else {
        to_i64(entry_notional)?.safe_sub(to_i64(notional(base, price, true)?)?)
    }
}

/// Average entry price, `PRICE_PRECISION` (0 for a flat position).
pub fn average_entry_price(base: i64, entry_notional: u64) -> Result<u64> {
    if base == 0 {
        return Ok(0);
    }
    to_u64(mul_div_u128(entry_notional as u128, BASE_PRECISION as u128, base.unsigned_abs() as u128, false)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ONE: i64 = BASE_PRECISION as i64;

    #[test]
    fn open_grow_reduce_close_long() {
        let f = apply_fill(0, 0, 2 * ONE, 200_000_000).unwrap();
        assert_eq!((f.base_after, f.entry_notional_after, f.realised_pnl), (2 * ONE, 200_000_000, 0));
        let f = apply_fill(f.base_after, f.entry_notional_after, 2 * ONE, 220_000_000).unwrap();
        assert_eq!(average_entry_price(f.base_after, f.entry_notional_after).unwrap(), 105_000_000);
        // Sell one at 120: basis removed 105, realised +15.
        let f = apply_fill(f.base_after, f.entry_notional_after, -ONE, 120_000_000).unwrap();
        assert_eq!(f.realised_pnl, 15_000_000);
        assert_eq!(f.entry_notional_after, 315_000_000);
        let f = apply_fill(f.base_after, f.entry_notional_after, -3 * ONE, 270_000_000).unwrap();
        assert_eq!((f.base_after, f.entry_notional_after, f.realised_pnl), (0, 0, -45_000_000));
    }

    #[test]
    fn short_gains_when_price_falls() {
        assert_eq!(unrealised_pnl(-ONE, 100_000_000, 90_000_000).unwrap(), 10_000_000);
        let f = apply_fill(-ONE, 100_000_000, ONE, 90_000_000).unwrap();
        assert_eq!(f.realised_pnl, 10_000_000);
    }

    #[test]
    fn flip_in_one_fill_is_refused() {
        assert_eq!(apply_fill(ONE, 100, -2 * ONE, 200).unwrap_err(), VammError::CloseExceedsPosition.into());
    }

    proptest! {
        /// Realised PnL over a full round trip in any number of pieces
        /// equals total proceeds minus total cost, exactly.
        #[test]
        fn partial_closes_sum_to_round_trip(size in 1i64..1 << 40, cost in 0u64..1 << 50, pieces in proptest::collection::vec((1i64..1 << 20, 0u64..1 << 40), 1..8), long in any::<bool>()) {
            let sign = if long { 1 } else { -1 };
            let mut f = apply_fill(0, 0, sign * size, cost).unwrap();
            let mut realised = 0i128;
            let mut proceeds = 0i128;
            for (piece, quote) in pieces {
                if f.base_after == 0 { break; }
                let piece = piece.min(f.base_after.abs());
                f = apply_fill(f.base_after, f.entry_notional_after, -sign * piece, quote).unwrap();
                realised += f.realised_pnl as i128;
                proceeds += quote as i128;
            }
            if f.base_after == 0 {
                let expected = if long { proceeds - cost as i128 } else { cost as i128 - proceeds };
                prop_assert_eq!(realised, expected);
            }
            prop_assert!(f.entry_notional_after <= cost);
        }

        #[test]
        fn unrealised_pnl_never_panics(base in any::<i64>(), entry in any::<u64>(), price in any::<u64>()) {
            let _ = unrealised_pnl(base, entry, price);
            let _ = average_entry_price(base, entry);
        }
    }
}
