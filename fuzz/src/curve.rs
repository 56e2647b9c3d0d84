//! Swaps on the concentrated constant-product curve, sized by base and by
//! quote, both ways, with the fee on the notional.
//!
//! Asserts: `k` never falls; the price stays in its range; a round trip
//! (the opposite swap of the same base right after) never profits; an
//! order sized by quote is never better for the trader than the same base
//! sized by base; the average fill is on the trader's wrong side of the
//! mark before; the fee is the exact fee rounded up and its split loses
//! and creates nothing. Errors allowed: out of range, dust, a quote too
//! large for a `u64`.

use crate::{documented, magnitude, Checked};
use arbitrary::Arbitrary;
use vamm::error::VammError;
use vamm::math::amm::{average_price, Curve, Direction, TradeSize};
use vamm::math::fees::{fee_for, split_fee, FeeShares};

/// Errors a swap may return inside the domain.
pub const SWAP_ERRORS: [VammError; 3] =
    [VammError::AmmRangeExceeded, VammError::TradeTooSmall, VammError::CastOverflow];

/// A curve: depth from 1,000 base units of precision (a millionth of a
/// whole unit) to 10^18 (a billion whole units), peg from one millionth of
/// a USDC to a million, a range of up to 100x each side, moved off balance
/// by a first trade of traders.
#[derive(Arbitrary, Debug, Clone)]
pub struct CurveSpec {
    pub sqrt_k: u64,
    pub sqrt_k_scale: u8,
    pub peg: u64,
    pub peg_scale: u8,
    pub below: u8,
    pub above: u8,
    pub skew_long: bool,
    pub skew: u64,
}

impl CurveSpec {
    /// The depth the curve is listed at, `BASE_PRECISION`.
    pub fn sqrt_k(&self) -> u128 {
        1_000 + magnitude(self.sqrt_k, self.sqrt_k_scale, 18) as u128
    }

    /// The curve and the traders' net base after the skewing trade
    /// (`BASE_PRECISION`, signed).
    pub fn build(&self) -> (Curve, i64) {
        let sqrt_k = self.sqrt_k();
        let peg = 1 + magnitude(self.peg, self.peg_scale, 12);
        let min_price = (peg / (1 + self.below as u64 % 100)).max(1);
        let max_price = peg.saturating_mul(1 + self.above as u64 % 100);
        let curve = Curve::new(sqrt_k, peg, min_price, max_price).expect("a valid curve");
        let direction = if self.skew_long { Direction::Long } else { Direction::Short };
        // Open interest is an i64 on chain.
        let room = curve.base_liquidity(direction).expect("liquidity of a fresh curve").min(i64::MAX as u128);
        let skew = if room == 0 { 0 } else { (self.skew as u128 % room) as u64 };
        if skew == 0 {
            return (curve, 0);
        }
        match curve.swap_any_size(direction, TradeSize::Base(skew)) {
            Ok(swap) => {
                let net = skew as i64;
                (curve.after(&swap), if self.skew_long { net } else { -net })
            }
            Err(error) => {
                crate::expect_documented(&error, &SWAP_ERRORS, self);
                (curve, 0)
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    pub curve: CurveSpec,
    pub long: bool,
    pub by_quote: bool,
    pub amount: u64,
    pub amount_scale: u8,
    pub fee_bps: u16,
    pub insurance_bps: u16,
    pub pnl_pool_bps: u16,
    pub fee_pool_bps: u16,
}

impl Checked for Input {
    fn check(&self) {
        check(self)
    }
}

pub fn check(input: &Input) {
    let (curve, _) = input.curve.build();
    let direction = if input.long { Direction::Long } else { Direction::Short };
    let amount = 1 + magnitude(input.amount, input.amount_scale, 19);
    let size = if input.by_quote { TradeSize::Quote(amount) } else { TradeSize::Base(amount) };
    let Some(swap) = documented(curve.swap(direction, size), &SWAP_ERRORS, input) else {
        return;
    };
    let after = curve.after(&swap);
    let k_before = curve.k().unwrap();
    let k_after = after.k().unwrap();
    assert!(k_after >= k_before, "k fell from {k_before} to {k_after}: {input:?}");
    let mark_after = after.mark_price().unwrap();
    assert!(
        (curve.min_price..=curve.max_price).contains(&mark_after),
        "the mark left its range: {mark_after} outside {}..={}: {input:?}",
        curve.min_price,
        curve.max_price
    );
    // Sized by quote: the same base sized by base is never worse for the
    // trader than what the quote order gave.
    if let TradeSize::Quote(quote) = size {
        if let Some(by_base) =
            documented(curve.swap_any_size(direction, TradeSize::Base(swap.base)), &SWAP_ERRORS, input)
        {
            match direction {
                Direction::Long => assert!(by_base.quote <= quote, "by base costs more: {input:?}"),
                Direction::Short => assert!(by_base.quote >= quote, "by base pays less: {input:?}"),
            }
        }
    }
    // The round trip never profits.
    if let Some(back) =
        documented(after.swap_any_size(direction.opposite(), TradeSize::Base(swap.base)), &SWAP_ERRORS, input)
    {
        match direction {
            Direction::Long => assert!(back.quote <= swap.quote, "a long round trip profits: {input:?}"),
            Direction::Short => assert!(back.quote >= swap.quote, "a short round trip profits: {input:?}"),
        }
        assert!(after.after(&back).k().unwrap() >= k_after, "k fell on the way back: {input:?}");
    }
    // The average fill is no better than the mark before.
    let mark_before = curve.mark_price().unwrap();
    if let Some(average) = documented(average_price(swap.base, swap.quote), &[VammError::CastOverflow], input)
    {
        match direction {
            Direction::Long => assert!(average >= mark_before, "a long filled below the mark: {input:?}"),
            Direction::Short => assert!(average <= mark_before, "a short filled above the mark: {input:?}"),
        }
    }
    check_fee(swap.quote, input);
}

fn check_fee(notional: u64, input: &Input) {
    let fee_bps = input.fee_bps % 1_001;
    let fee = fee_for(notional, fee_bps).expect("a fee below the notional fits");
    let exact = notional as u128 * fee_bps as u128;
    assert!(fee as u128 * 10_000 >= exact, "fee below exact: {input:?}");
    assert!(fee == 0 || (fee as u128 - 1) * 10_000 < exact, "fee rounded up more than one unit: {input:?}");
    let shares = FeeShares {
        insurance_bps: input.insurance_bps % 10_001,
        pnl_pool_bps: input.pnl_pool_bps % 10_001,
        fee_pool_bps: input.fee_pool_bps % 10_001,
    };
    match split_fee(fee, &shares) {
        Ok(split) => {
            let total = split.insurance as u128
                + split.pnl_pool as u128
                + split.fee_pool as u128
                + split.treasury as u128;
            assert_eq!(total, fee as u128, "the fee split does not add up: {input:?}");
        }
        Err(error) => {
            assert!(shares.validate().is_err(), "a valid split refused with {error:?}: {input:?}");
        }
    }
}
