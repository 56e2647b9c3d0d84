//! The stable price: a copy of the oracle price that may move only at a
//! bounded rate, so a price pumped or dumped in minutes takes hours to be
//! reflected. Unrealised profit that backs new risk is valued at the less
//! favourable of the oracle and the stable price (a long's at the lower, a
//! short's at the higher), then weighted below 100%: paper profit on a
//! manipulated oracle cannot be borrowed against (the October 2022 Mango
//! drain). Losses, maintenance and liquidation use the oracle.

use crate::constants::BPS_DENOMINATOR;
use crate::math::safe::{mul_div_u128, to_u64, SafeMath};
use anchor_lang::prelude::*;

/// How far the stable price may move in an hour, bps of itself: 20%.
pub const STABLE_PRICE_MOVE_BPS_PER_HOUR: u64 = 2_000;
/// Longest gap one step covers, seconds (a day): a market untouched for
/// longer moves as if a day had passed.
pub const MAX_STEP_SECS: i64 = 86_400;

/// The stable price after `elapsed_secs` of following `price`
/// (`PRICE_PRECISION`): it moves toward `price` by at most
/// `STABLE_PRICE_MOVE_BPS_PER_HOUR` of itself per hour. 0 seeds it.
pub fn step_toward(stable: u64, price: u64, elapsed_secs: i64) -> Result<u64> {
    if stable == 0 {
        return Ok(price);
    }
    let elapsed = elapsed_secs.clamp(0, MAX_STEP_SECS) as u128;
    let max_move = to_u64(mul_div_u128(
        stable as u128,
        (STABLE_PRICE_MOVE_BPS_PER_HOUR as u128).safe_mul(elapsed)?,
        (BPS_DENOMINATOR as u128).safe_mul(3_600)?,
        false,
    )?)?;
    Ok(if price > stable {
        price.min(stable.saturating_add(max_move))
    } else {
        price.max(stable.saturating_sub(max_move))
    })
}

/// The price a position's profit is valued at for new risk: the less
/// favourable of `oracle` and `stable` for its side (0 = no stable price).
pub fn conservative_price(base: i64, oracle: u64, stable: u64) -> u64 {
    if stable == 0 {
        return oracle;
    }
    if base > 0 {
        oracle.min(stable)
    } else {
        oracle.max(stable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const P: u64 = 1_000_000;

    #[test]
    fn a_pump_reaches_the_stable_price_slowly() {
        // x20 in a minute: the stable price moves 0.33% of itself.
        assert_eq!(step_toward(100 * P, 2_000 * P, 60).unwrap(), 100_333_333);
        // An hour: 20%.
        assert_eq!(step_toward(100 * P, 2_000 * P, 3_600).unwrap(), 120 * P);
        // Close enough: it lands on the price.
        assert_eq!(step_toward(100 * P, 101 * P, 3_600).unwrap(), 101 * P);
        assert_eq!(step_toward(100 * P, 50 * P, 3_600).unwrap(), 80 * P);
        assert_eq!(step_toward(0, 7 * P, 0).unwrap(), 7 * P);
    }

    #[test]
    fn profit_is_valued_at_the_less_favourable_price() {
        assert_eq!(conservative_price(1, 200 * P, 100 * P), 100 * P);
        assert_eq!(conservative_price(-1, 50 * P, 100 * P), 100 * P);
        assert_eq!(conservative_price(1, 200 * P, 0), 200 * P);
    }

    proptest! {
        #[test]
        fn a_step_never_overshoots(stable in 1u64..1 << 50, price in 1u64..1 << 50, secs in 0i64..200_000) {
            let next = step_toward(stable, price, secs).unwrap();
            prop_assert!(next >= stable.min(price) && next <= stable.max(price));
        }
    }
}
