//! The virtual AMM: constant product over virtual reserves, with a peg and
//! liquidity concentrated in a price range.
//!
//! Units. `base_reserve` (X) and `quote_reserve` (Y) are both in
//! `BASE_PRECISION` (1e9). One unit of Y is worth `peg` quote, so
//!
//! ```text
//! mark price (PRICE_PRECISION) = Y * peg / X
//! quote native of dY            = dY * peg / BASE_PRECISION
//! ```
//!
//! Concentration. With k = X * Y the price at reserve X is `k * peg / X^2`,
//! so the governance range `[min_price, max_price]` is the reserve interval
//! `[sqrt(k*peg/max_price), sqrt(k*peg/min_price)]`. The reserves the AMM
//! actually trades against are the part of X and Y above those floors (the
//! single-range concentrated-liquidity curve: the constant product holds on
//! the curve shifted by the floors). A swap that would take the price out of
//! the range is refused, so the price can never leave it.
//!
//! Rounding is always against the trader: the reserve the trader pushes
//! against is rounded up, so `X' * Y' >= X * Y` after every swap (k never
//! shrinks), quote the trader pays is rounded up and quote or base the
//! trader receives is rounded down.

use crate::constants::{BASE_PRECISION, PRICE_PRECISION};
use crate::error::VammError;
use crate::math::safe::{div_ceil_u256, isqrt_u256, mul_div_u128, to_u64, u256_to_u128, SafeMath};
use crate::math::u256::U256;
use anchor_lang::prelude::*;

/// Which way the trader trades against the AMM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub enum Direction {
    /// Trader buys base (goes long); the AMM's X shrinks.
    Long,
    /// Trader sells base (goes short); the AMM's X grows.
    Short,
}

impl Direction {
    pub fn opposite(self) -> Self {
        match self {
            Direction::Long => Direction::Short,
            Direction::Short => Direction::Long,
        }
    }
}

/// How a trade size is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub enum TradeSize {
    /// Exact base amount, `BASE_PRECISION`.
    Base(u64),
    /// Exact quote notional, quote native units (`QUOTE_PRECISION`): what a
    /// long pays, or what a short receives, before fees.
    Quote(u64),
}

/// The curve state the math needs, copied out of the market account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Curve {
    /// Virtual base reserve X, `BASE_PRECISION`.
    pub base_reserve: u128,
    /// Virtual quote reserve Y, `BASE_PRECISION` units of `peg` quote each.
    pub quote_reserve: u128,
    /// Quote value of one unit of Y, `PRICE_PRECISION`.
    pub peg: u64,
    /// Lowest price the curve may reach, `PRICE_PRECISION`.
    pub min_price: u64,
    /// Highest price the curve may reach, `PRICE_PRECISION`.
    pub max_price: u64,
}

/// Result of a swap: what the trader gets or gives, and the new reserves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Swap {
    pub direction: Direction,
    /// Base moved, `BASE_PRECISION`: received by a long, given by a short.
    pub base: u64,
    /// Quote moved before fees, quote native: paid by a long, received by a
    /// short.
    pub quote: u64,
    pub base_reserve_after: u128,
    pub quote_reserve_after: u128,
}

impl Curve {
    /// A balanced curve of depth `sqrt_k` (X = Y = sqrt_k) priced at `peg`.
    pub fn new(sqrt_k: u128, peg: u64, min_price: u64, max_price: u64) -> Result<Self> {
        require!(sqrt_k > 0 && peg > 0, VammError::InvalidMarketParameter);
        require!(min_price > 0 && min_price <= peg && peg <= max_price, VammError::InvalidMarketParameter);
        Ok(Self { base_reserve: sqrt_k, quote_reserve: sqrt_k, peg, min_price, max_price })
    }

    /// k = X * Y in 256 bits.
    pub fn k(&self) -> Result<U256> {
        U256::from(self.base_reserve).safe_mul(U256::from(self.quote_reserve))
    }

    /// Marginal price `Y * peg / X`, `PRICE_PRECISION`, rounded down.
    pub fn mark_price(&self) -> Result<u64> {
        price_of(self.base_reserve, self.quote_reserve, self.peg)
    }

    /// Quote native value of `units` of Y.
    pub fn quote_units_to_native(&self, units: u128, round_up: bool) -> Result<u64> {
        to_u64(mul_div_u128(units, self.peg as u128, BASE_PRECISION as u128, round_up)?)
    }

    /// Units of Y worth `quote` native.
    pub fn native_to_quote_units(&self, quote: u64, round_up: bool) -> Result<u128> {
        mul_div_u128(quote as u128, BASE_PRECISION as u128, self.peg as u128, round_up)
    }

    /// Base reserve at which the marginal price equals `price`:
    /// `sqrt(k * peg / price)`, rounded down.
    pub fn base_reserve_at_price(&self, price: u64) -> Result<u128> {
        let scaled = self.k()?.safe_mul(U256::from(self.peg))?.safe_div(U256::from(price))?;
        u256_to_u128(isqrt_u256(scaled))
    }

    /// The trade that brings the mark to `price`: its direction and base
    /// size (`BASE_PRECISION`, saturating at `u64::MAX`), as an arbitrageur
    /// would size it.
    pub fn trade_toward(&self, price: u64) -> Result<(Direction, u64)> {
        let target = self.base_reserve_at_price(price)?;
        let (direction, size) = if target > self.base_reserve {
            (Direction::Short, target - self.base_reserve)
        } else {
            (Direction::Long, self.base_reserve - target)
        };
        Ok((direction, size.min(u64::MAX as u128) as u64))
    }

    /// Base the AMM can still absorb (trader shorts) or give (trader longs)
    /// before the price reaches the edge of its range, `BASE_PRECISION`.
    pub fn base_liquidity(&self, direction: Direction) -> Result<u128> {
        match direction {
            Direction::Long => {
                let floor = self.base_reserve_at_price(self.max_price)?;
                Ok(self.base_reserve.saturating_sub(floor.safe_add(1)?))
            }
            Direction::Short => {
                let ceiling = self.base_reserve_at_price(self.min_price)?;
                Ok(ceiling.saturating_sub(self.base_reserve.safe_add(1)?))
            }
        }
    }

    /// Executes a swap on a copy of the curve; the caller stores the new
    /// reserves from the returned `Swap`. Refuses trades that round to
    /// nothing and trades that would leave the price range.
    pub fn swap(&self, direction: Direction, size: TradeSize) -> Result<Swap> {
        let swap = self.swap_any_size(direction, size)?;
        require!(swap.base > 0 && swap.quote > 0, VammError::TradeTooSmall);
        Ok(swap)
    }

    /// `swap` without the dust check, for closing a whole position however
    /// small: its quote may round to zero (in the AMM's favour).
    pub fn swap_any_size(&self, direction: Direction, size: TradeSize) -> Result<Swap> {
        let x = self.base_reserve;
        let y = self.quote_reserve;
        let k = self.k()?;
        let (base, quote, x_after, y_after) = match (direction, size) {
            (Direction::Long, TradeSize::Base(base)) => {
                require!((base as u128) < x, VammError::AmmRangeExceeded);
                let x_after = x.safe_sub(base as u128)?;
                let y_after = u256_to_u128(div_ceil_u256(k, U256::from(x_after))?)?;
                let quote = self.quote_units_to_native(y_after.safe_sub(y)?, true)?;
                (base as u128, quote, x_after, y_after)
            }
            (Direction::Long, TradeSize::Quote(quote)) => {
                let y_after = y.safe_add(self.native_to_quote_units(quote, false)?)?;
                let x_after = u256_to_u128(div_ceil_u256(k, U256::from(y_after))?)?;
                (x.safe_sub(x_after)?, quote, x_after, y_after)
            }
            (Direction::Short, TradeSize::Base(base)) => {
                let x_after = x.safe_add(base as u128)?;
                let y_after = u256_to_u128(div_ceil_u256(k, U256::from(x_after))?)?;
                let quote = self.quote_units_to_native(y.safe_sub(y_after)?, false)?;
                (base as u128, quote, x_after, y_after)
            }
            (Direction::Short, TradeSize::Quote(quote)) => {
                let units = self.native_to_quote_units(quote, true)?;
                require!(units < y, VammError::AmmRangeExceeded);
                let y_after = y.safe_sub(units)?;
                let x_after = u256_to_u128(div_ceil_u256(k, U256::from(y_after))?)?;
                (x_after.safe_sub(x)?, quote, x_after, y_after)
            }
        };
        // Compared in 256 bits: a price past the range may not fit a u64.
        let price_after =
            U256::from(y_after).safe_mul(U256::from(self.peg))?.safe_div(U256::from(x_after))?;
        match direction {
            Direction::Long => {
                require!(price_after <= U256::from(self.max_price), VammError::AmmRangeExceeded)
            }
            Direction::Short => {
                require!(price_after >= U256::from(self.min_price), VammError::AmmRangeExceeded)
            }
        }
        let base = to_u64(base)?;
        require!(base > 0, VammError::TradeTooSmall);
        Ok(Swap { direction, base, quote, base_reserve_after: x_after, quote_reserve_after: y_after })
    }

    /// The curve after `swap` was applied.
    pub fn after(&self, swap: &Swap) -> Self {
        Self { base_reserve: swap.base_reserve_after, quote_reserve: swap.quote_reserve_after, ..*self }
    }

    /// Preview of a trade: average fill price, mark after, and the price
    /// impact of the trade in bps of the current mark (rounded up).
    pub fn price_impact(&self, direction: Direction, size: TradeSize) -> Result<PriceImpact> {
        let swap = self.swap(direction, size)?;
        let mark_before = self.mark_price()?;
        let average_price = average_price(swap.base, swap.quote)?;
        let mark_after = self.after(&swap).mark_price()?;
        let moved = mark_after.abs_diff(mark_before);
        let impact_bps = crate::math::safe::mul_div_u64(moved, 10_000, mark_before.max(1), true)?;
        Ok(PriceImpact { swap, average_price, mark_before, mark_after, impact_bps })
    }
}

/// A trade preview, all prices `PRICE_PRECISION`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceImpact {
    pub swap: Swap,
    pub average_price: u64,
    pub mark_before: u64,
    pub mark_after: u64,
    pub impact_bps: u64,
}

/// `Y * peg / X` as a `PRICE_PRECISION` price, rounded down.
pub fn price_of(base_reserve: u128, quote_reserve: u128, peg: u64) -> Result<u64> {
    to_u64(mul_div_u128(quote_reserve, peg as u128, base_reserve, false)?)
}

/// Average fill price of `quote` native for `base`, `PRICE_PRECISION`,
/// rounded down.
pub fn average_price(base: u64, quote: u64) -> Result<u64> {
    to_u64(mul_div_u128(quote as u128, BASE_PRECISION as u128, base as u128, false)?)
}

/// Units of Y (each worth `peg`) that traders net `traders_net_base`
/// (`BASE_PRECISION`, signed) receive by closing against `curve` (negative:
/// they pay); rounded in the traders' favour when `favour_traders`.
fn closing_units(curve: &Curve, traders_net_base: i64, favour_traders: bool) -> Result<i128> {
    if traders_net_base == 0 {
        return Ok(0);
    }
    let x_close = if traders_net_base > 0 {
        curve.base_reserve.safe_add(traders_net_base as u128)?
    } else {
        // Closing a net short buys base back: more than the reserve holds
        // is beyond the curve (found by fuzzing: was an underflow).
        let bought = traders_net_base.unsigned_abs() as u128;
        require!(bought < curve.base_reserve, VammError::AmmRangeExceeded);
        curve.base_reserve - bought
    };
    let k = curve.k()?;
    let y_close = if favour_traders {
        u256_to_u128(k.safe_div(U256::from(x_close))?)?
    } else {
        u256_to_u128(div_ceil_u256(k, U256::from(x_close))?)?
    };
    Ok(curve.quote_reserve as i128 - y_close as i128)
}

/// `units` of Y at `peg`, quote native, rounded towards +infinity: the
/// protocol never under-reserves.
fn units_value_rounded_up(units: i128, peg: i128) -> Result<i64> {
    let scaled = units.safe_mul(peg)?;
    let denominator = BASE_PRECISION as i128;
    let value = scaled.div_euclid(denominator) + i128::from(scaled.rem_euclid(denominator) != 0);
    crate::math::safe::to_i64(value)
}

/// What moving the peg to `new_peg` costs the AMM, quote native (negative:
/// the AMM gains). Traders net `traders_net_base` (`BASE_PRECISION`, signed)
/// would close against the curve for `(Y - Y_close)` units of Y, each worth
/// `peg`; the cost is that amount times the change of peg, rounded up.
pub fn repeg_cost(curve: &Curve, traders_net_base: i64, new_peg: u64) -> Result<i64> {
    if traders_net_base == 0 || new_peg == curve.peg {
        return Ok(0);
    }
    let units = closing_units(curve, traders_net_base, false)?;
    units_value_rounded_up(units, new_peg as i128 - curve.peg as i128)
}

/// The peg nearest `target_peg` (moving from the curve's peg towards it)
/// whose repeg costs the AMM at most `budget` quote native, given traders
/// net `traders_net_base`. A move the AMM gains from, or pays for within
/// the budget, goes all the way.
pub fn peg_within_budget(curve: &Curve, traders_net_base: i64, target_peg: u64, budget: u64) -> Result<u64> {
    if repeg_cost(curve, traders_net_base, target_peg)? <= budget as i64 {
        return Ok(target_peg);
    }
    // The cost is linear in the peg change: |units| * |change| / BASE_PRECISION
    // (rounded up), so the largest affordable change is budget * BASE / |units|.
    let units = closing_units(curve, traders_net_base, false)?.unsigned_abs();
    let step = (budget as u128).safe_mul(BASE_PRECISION as u128)? / units.max(1);
    let step = step.min(curve.peg.abs_diff(target_peg) as u128) as u64;
    let peg = if target_peg > curve.peg { curve.peg.safe_add(step)? } else { curve.peg.safe_sub(step)? };
    Ok(peg.max(1))
}

impl Curve {
    /// The curve at depth `new_sqrt_k` instead of `old_sqrt_k`: both
    /// reserves scale by the same factor, so the mark stays where it is (to
    /// rounding) and the price range is kept. Both round up, so a curve
    /// whose `k` was at least `old_sqrt_k²` has `k` at least `new_sqrt_k²`
    /// (rounding down left a shallower curve below its stated depth: found
    /// by the stateful fuzzer).
    pub fn with_depth(&self, old_sqrt_k: u128, new_sqrt_k: u128) -> Result<Self> {
        require!(old_sqrt_k > 0 && new_sqrt_k > 0, VammError::InvalidMarketParameter);
        let base_reserve = mul_div_u128(self.base_reserve, new_sqrt_k, old_sqrt_k, true)?;
        let quote_reserve = mul_div_u128(self.quote_reserve, new_sqrt_k, old_sqrt_k, true)?;
        require!(base_reserve > 0 && quote_reserve > 0, VammError::InvalidMarketParameter);
        Ok(Self { base_reserve, quote_reserve, ..*self })
    }
}

/// What changing the curve's depth from `before` to `after` (same peg)
/// costs the AMM, quote native (negative: the AMM gains): what traders net
/// `traders_net_base` would receive by closing against `after` minus what
/// they would against `before`, rounded against the AMM. Deepening the
/// curve under a net position costs (closing moves the price less), making
/// it shallower gains.
pub fn depth_change_cost(before: &Curve, after: &Curve, traders_net_base: i64) -> Result<i64> {
    let units = closing_units(after, traders_net_base, true)?.safe_sub(closing_units(
        before,
        traders_net_base,
        false,
    )?)?;
    units_value_rounded_up(units, before.peg as i128)
}

/// Whether traders net `traders_net_base` could close against `curve`
/// without leaving its price range.
pub fn net_position_closes_within_range(curve: &Curve, traders_net_base: i64) -> Result<bool> {
    let room = match traders_net_base.signum() {
        0 => return Ok(true),
        // Closing a net long sells base to the AMM.
        1 => curve.base_liquidity(Direction::Short)?,
        _ => curve.base_liquidity(Direction::Long)?,
    };
    Ok(room >= traders_net_base.unsigned_abs() as u128)
}

/// Average fill price rounded up, for comparing a long's fill with its limit.
pub fn average_price_rounded_up(base: u64, quote: u64) -> Result<u64> {
    to_u64(mul_div_u128(quote as u128, BASE_PRECISION as u128, base as u128, true)?)
}

const _: () = assert!(PRICE_PRECISION == 1_000_000);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SOL: u64 = BASE_PRECISION;

    /// 100 USDC peg, 1M SOL of depth, range 50..200 USDC.
    fn curve() -> Curve {
        Curve::new(1_000_000 * SOL as u128, 100_000_000, 50_000_000, 200_000_000).unwrap()
    }

    #[test]
    fn balanced_curve_marks_at_peg() {
        assert_eq!(curve().mark_price().unwrap(), 100_000_000);
    }

    #[test]
    fn long_one_sol_costs_slightly_more_than_peg() {
        let swap = curve().swap(Direction::Long, TradeSize::Base(SOL)).unwrap();
        // X' = 999_999 SOL, Y' = k / X': cost = 100 * 1e6/999_999 SOL ~ 100.0001 USDC.
        assert_eq!(swap.base, SOL);
        assert_eq!(swap.quote, 100_000_101);
    }

    #[test]
    fn short_by_quote_receives_exact_quote() {
        let swap = curve().swap(Direction::Short, TradeSize::Quote(1_000_000_000)).unwrap();
        assert_eq!(swap.quote, 1_000_000_000);
        assert!(swap.base > 10 * SOL, "selling for 1000 USDC takes more than 10 SOL");
    }

    #[test]
    fn price_cannot_leave_range() {
        let c = curve();
        let room = c.base_liquidity(Direction::Long).unwrap() as u64;
        assert!(c.swap(Direction::Long, TradeSize::Base(room)).is_ok());
        let err = c.swap(Direction::Long, TradeSize::Base(room + SOL)).unwrap_err();
        assert_eq!(err, VammError::AmmRangeExceeded.into());
        let room = c.base_liquidity(Direction::Short).unwrap() as u64;
        assert!(c.swap(Direction::Short, TradeSize::Base(room)).is_ok());
        assert!(c.swap(Direction::Short, TradeSize::Base(room + SOL)).is_err());
    }

    #[test]
    fn price_impact_of_a_long() {
        // 1% of X bought: mark rises by 1/(0.99^2) - 1 = 2.03%.
        let impact = curve().price_impact(Direction::Long, TradeSize::Base(10_000 * SOL)).unwrap();
        assert_eq!(impact.mark_before, 100_000_000);
        assert_eq!(impact.mark_after, 102_030_405);
        assert_eq!(impact.impact_bps, 204);
        // Average fill: 100 / 0.99 = 101.0101...
        assert_eq!(impact.average_price, 101_010_101);
    }

    #[test]
    fn a_long_compares_its_average_rounded_up() {
        // 3 quote units for 2 base units of 1e-9: 1.5e6 per whole unit exactly;
        // one more quote unit makes it 2.0e6 exactly; 7 for 3 is 2.333..e6.
        assert_eq!(average_price(3, 7).unwrap(), 2_333_333_333);
        assert_eq!(average_price_rounded_up(3, 7).unwrap(), 2_333_333_334);
        assert_eq!(average_price_rounded_up(2, 3).unwrap(), average_price(2, 3).unwrap());
    }

    #[test]
    fn repeg_cost_follows_the_traders_net_position() {
        let c = curve();
        // Traders net long 100 SOL: raising the peg 10% costs ~10% of what
        // they would receive for closing (~9,990 USDC): ~999 USDC.
        let cost = repeg_cost(&c, 100 * SOL as i64, 110_000_000).unwrap();
        assert!(cost > 998_000_000 && cost < 1_000_000_000, "{cost}");
        // Lowering it is a gain for the AMM; a flat market costs nothing.
        assert!(repeg_cost(&c, 100 * SOL as i64, 90_000_000).unwrap() < 0);
        assert_eq!(repeg_cost(&c, 0, 110_000_000).unwrap(), 0);
        // Net short traders gain when the peg falls: the AMM pays.
        assert!(repeg_cost(&c, -100 * (SOL as i64), 90_000_000).unwrap() > 0);
    }

    #[test]
    fn trade_toward_a_price_reaches_it() {
        let c = curve();
        let (direction, size) = c.trade_toward(110_000_000).unwrap();
        assert_eq!(direction, Direction::Long);
        let mark = c.after(&c.swap(direction, TradeSize::Base(size)).unwrap()).mark_price().unwrap();
        assert!(mark.abs_diff(110_000_000) <= 1_000, "{mark}");
        assert_eq!(c.trade_toward(90_000_000).unwrap().0, Direction::Short);
    }

    #[test]
    fn dust_trade_is_refused() {
        let err = curve().swap(Direction::Short, TradeSize::Base(1)).unwrap_err();
        assert_eq!(err, VammError::TradeTooSmall.into());
    }

    #[test]
    fn invalid_curve_parameters_are_refused() {
        assert!(Curve::new(0, 1, 1, 1).is_err());
        assert!(Curve::new(1, 100, 101, 200).is_err());
        assert!(Curve::new(1, 100, 50, 99).is_err());
    }

    fn arb_curve() -> impl Strategy<Value = Curve> {
        (1_000_000u128..=1_000_000_000_000_000_000_000u128, 1_000u64..=1_000_000_000_000u64).prop_map(
            |(sqrt_k, peg)| Curve::new(sqrt_k, peg, (peg / 100).max(1), peg.saturating_mul(100)).unwrap(),
        )
    }

    fn arb_size() -> impl Strategy<Value = TradeSize> {
        prop_oneof![(1u64..u64::MAX).prop_map(TradeSize::Base), (1u64..u64::MAX).prop_map(TradeSize::Quote)]
    }

    fn arb_direction() -> impl Strategy<Value = Direction> {
        prop_oneof![Just(Direction::Long), Just(Direction::Short)]
    }

    #[test]
    fn a_net_short_beyond_a_shallower_curve_is_out_of_range() {
        // Found by fuzzing: closing a net short larger than the reserve
        // underflowed (`MathOverflow`) instead of naming the range.
        let curve = Curve::new(1_000 * SOL as u128, 100_000_000, 1, u64::MAX).unwrap();
        let shallow = curve.with_depth(1_000 * SOL as u128, 10 * SOL as u128).unwrap();
        let error = depth_change_cost(&curve, &shallow, -500 * SOL as i64).unwrap_err();
        assert_eq!(error, VammError::AmmRangeExceeded.into());
        assert_eq!(
            repeg_cost(&shallow, -500 * SOL as i64, 1).unwrap_err(),
            VammError::AmmRangeExceeded.into()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// No input in range panics; every failure is an error value.
        #[test]
        fn swap_never_panics(c in arb_curve(), d in arb_direction(), s in arb_size()) {
            let _ = c.swap(d, s);
            let _ = c.price_impact(d, s);
            let _ = c.base_liquidity(d);
        }

        #[test]
        fn k_never_shrinks(c in arb_curve(), d in arb_direction(), s in arb_size()) {
            if let Ok(swap) = c.swap(d, s) {
                prop_assert!(c.after(&swap).k().unwrap() >= c.k().unwrap());
            }
        }

        /// Opening then immediately closing the same base never returns
        /// more quote than was paid (long) or costs less than was received
        /// (short).
        #[test]
        fn open_then_close_never_profits(c in arb_curve(), d in arb_direction(), s in arb_size()) {
            if let Ok(open) = c.swap(d, s) {
                let moved = c.after(&open);
                if let Ok(close) = moved.swap(d.opposite(), TradeSize::Base(open.base)) {
                    match d {
                        Direction::Long => prop_assert!(close.quote <= open.quote),
                        Direction::Short => prop_assert!(close.quote >= open.quote),
                    }
                }
            }
        }

        /// A larger trade in the same direction moves the price at least as
        /// far and never fills at a better average price.
        #[test]
        fn price_moves_monotonically_with_size(c in arb_curve(), d in arb_direction(), a in 1u64..1u64 << 62, extra in 1u64..1u64 << 62) {
            let small = c.swap(d, TradeSize::Base(a));
            let large = c.swap(d, TradeSize::Base(a + extra));
            if let (Ok(small), Ok(large)) = (small, large) {
                let mark_small = c.after(&small).mark_price().unwrap();
                let mark_large = c.after(&large).mark_price().unwrap();
                let avg_small = average_price(small.base, small.quote).unwrap();
                let avg_large = average_price(large.base, large.quote).unwrap();
                match d {
                    Direction::Long => {
                        prop_assert!(mark_large >= mark_small);
                        prop_assert!(avg_large >= avg_small);
                    }
                    Direction::Short => {
                        prop_assert!(mark_large <= mark_small);
                        prop_assert!(avg_large <= avg_small);
                    }
                }
            }
        }

        /// Swapping in and back out by base returns to reserves within
        /// rounding: the curve never ends with less X*Y, and the quote
        /// reserve drifts by at most the rounding of two swaps.
        #[test]
        fn swap_round_trip_within_rounding(c in arb_curve(), d in arb_direction(), s in arb_size()) {
            if let Ok(open) = c.swap(d, s) {
                let moved = c.after(&open);
                if let Ok(close) = moved.swap(d.opposite(), TradeSize::Base(open.base)) {
                    let back = moved.after(&close);
                    prop_assert_eq!(back.base_reserve, c.base_reserve);
                    prop_assert!(back.quote_reserve >= c.quote_reserve);
                    // Each ceil adds < 1 unit of Y, scaled by k/X'^2 across the trip.
                    let drift = back.quote_reserve - c.quote_reserve;
                    let bound = 2 + c.quote_reserve / c.base_reserve.max(1) * 2
                        + moved.quote_reserve / moved.base_reserve.max(1) * 2;
                    prop_assert!(drift <= bound, "drift {} bound {}", drift, bound);
                }
            }
        }

        /// Swaps by quote and by base agree within rounding: paying the
        /// quote a base-sized swap cost buys that base, give or take the
        /// base one quote unit buys (the cost was rounded up by < 1 unit).
        #[test]
        fn quote_and_base_sizing_agree(c in arb_curve(), b in 1u64..1u64 << 60) {
            if let Ok(by_base) = c.swap(Direction::Long, TradeSize::Base(b)) {
                if let Ok(by_quote) = c.swap(Direction::Long, TradeSize::Quote(by_base.quote)) {
                    let base_per_quote_unit = BASE_PRECISION.div_ceil(c.mark_price().unwrap().max(1));
                    prop_assert!(by_quote.base <= b + base_per_quote_unit + 1);
                    prop_assert!(by_quote.base + base_per_quote_unit + 1 >= b);
                }
            }
        }
    }

    #[test]
    fn deepening_under_a_net_long_costs_and_thinning_gains() {
        let before = curve();
        let net_long = 10_000 * SOL as i64;
        let deeper = before.with_depth(1_000_000 * SOL as u128, 2_000_000 * SOL as u128).unwrap();
        assert_eq!(deeper.mark_price().unwrap(), before.mark_price().unwrap());
        let cost = depth_change_cost(&before, &deeper, net_long).unwrap();
        // Closing 10,000 SOL: ~100 x 10,000 / 1.01 at depth 1M, / 1.005 at 2M:
        // traders receive about 4,925 USDC more.
        assert!((4_900 * 1_000_000..4_950 * 1_000_000).contains(&cost), "{cost}");
        let back = depth_change_cost(&deeper, &before, net_long).unwrap();
        assert!(back < 0 && back.abs() <= cost, "{back} vs {cost}");
        assert_eq!(depth_change_cost(&before, &deeper, 0).unwrap(), 0);
    }

    #[test]
    fn a_shallower_curve_must_still_absorb_the_net_position() {
        let before = curve();
        let thin = before.with_depth(1_000_000 * SOL as u128, 1_000 * SOL as u128).unwrap();
        assert!(net_position_closes_within_range(&before, 10_000 * SOL as i64).unwrap());
        assert!(!net_position_closes_within_range(&thin, 10_000 * SOL as i64).unwrap());
        assert!(!net_position_closes_within_range(&thin, -10_000 * SOL as i64).unwrap());
        assert!(net_position_closes_within_range(&thin, 0).unwrap());
    }

    proptest! {
        /// The AMM pays for depth it adds under a net position and never
        /// pays (beyond a unit of rounding) for depth it removes; with no net
        /// position a depth change is free.
        #[test]
        fn depth_change_cost_has_the_sign_of_the_change(
            depth in 1_000u64..10_000_000,
            factor_pct in 10u64..1_000,
            net in -500_000i64..500_000,
        ) {
            let old_sqrt_k = depth as u128 * SOL as u128;
            let before = Curve::new(old_sqrt_k, 100_000_000, 1_000_000, 10_000_000_000).unwrap();
            let new_sqrt_k = old_sqrt_k * factor_pct as u128 / 100;
            let after = before.with_depth(old_sqrt_k, new_sqrt_k).unwrap();
            let net = net * SOL as i64 / 1_000;
            prop_assume!(net_position_closes_within_range(&before, net).unwrap());
            prop_assume!(net_position_closes_within_range(&after, net).unwrap());
            let cost = depth_change_cost(&before, &after, net).unwrap();
            if net == 0 {
                prop_assert_eq!(cost, 0);
            } else if new_sqrt_k > old_sqrt_k {
                prop_assert!(cost >= 0, "deepening cost {}", cost);
            } else if new_sqrt_k < old_sqrt_k {
                prop_assert!(cost <= 1, "thinning cost {}", cost);
            }
        }
    }

    proptest! {
        /// A budget-bounded repeg never costs more than its budget and
        /// moves the peg towards the target, all the way when affordable.
        #[test]
        fn a_repeg_within_budget_stays_within_it(
            net in -200_000i64..200_000,
            target in 50_000_000u64..200_000_000,
            budget in 0u64..10_000_000_000,
        ) {
            let c = curve();
            let net = net * SOL as i64 / 10;
            let peg = peg_within_budget(&c, net, target, budget).unwrap();
            let cost = repeg_cost(&c, net, peg).unwrap();
            prop_assert!(cost <= budget as i64, "cost {} over budget {}", cost, budget);
            prop_assert!(c.peg.min(target) <= peg && peg <= c.peg.max(target));
            if repeg_cost(&c, net, target).unwrap() <= budget as i64 {
                prop_assert_eq!(peg, target);
            }
        }
    }
}
