//! Funding: the periodic rate, TWAPs, one accrual over several positions
//! each side, and socialised losses through the index.
//!
//! Asserts: the rate is clamped and follows the premium; a TWAP stays
//! between the old average and the new price; in one accrual what the
//! receiving positions are credited (each rounded down, as positions
//! settle) never exceeds what the paying positions are charged (each
//! rounded up) plus the fee pool's contribution; the contribution never
//! exceeds the pool and the pool pays only when the receiving side is the
//! larger; a socialised loss charged through the index is covered in full
//! by the side's positions. Errors allowed: a value too large for its
//! integer type.

use crate::{documented, magnitude, Checked};
use arbitrary::Arbitrary;
use vamm::error::VammError;
use vamm::math::funding::{
    accrue, funding_payment, period_payment, socialised_loss_delta, update_twap, AccrualInput,
};

#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    pub mark_twap: u64,
    pub oracle_twap: u64,
    pub price_scale: u8,
    pub period_secs: u32,
    pub max_rate_bps: u16,
    pub elapsed_secs: u32,
    /// Position sizes, whole units up to a million each.
    pub longs: [u32; 4],
    pub shorts: [u32; 4],
    pub size_unit: u8,
    pub fee_pool: u64,
    pub fee_pool_scale: u8,
    pub loss: u64,
    pub loss_scale: u8,
    pub twap_window: u32,
    pub twap_elapsed: u32,
}

impl Checked for Input {
    fn check(&self) {
        check(self)
    }
}

const ALLOWED: [VammError; 1] = [VammError::CastOverflow];

pub fn check(input: &Input) {
    let oracle_twap = 1 + magnitude(input.oracle_twap, input.price_scale, 12);
    let mark_twap = 1 + magnitude(input.mark_twap, input.price_scale, 12);
    let period_secs = 1 + input.period_secs % (7 * 86_400);
    let max_rate_bps = input.max_rate_bps % 10_001;
    let Some((per_period, _rate)) =
        documented(period_payment(mark_twap, oracle_twap, period_secs, max_rate_bps), &ALLOWED, input)
    else {
        return;
    };
    let cap = oracle_twap as i128 * max_rate_bps as i128 / 10_000;
    assert!((per_period as i128).abs() <= cap, "rate above its clamp: {input:?}");
    assert!(
        per_period == 0 || (per_period > 0) == (mark_twap > oracle_twap),
        "rate against the premium: {input:?}"
    );

    let window = input.twap_window % (7 * 86_400);
    let elapsed = input.twap_elapsed as i64;
    let twap = update_twap(oracle_twap, 0, mark_twap, elapsed, window).unwrap();
    assert!(
        (oracle_twap.min(mark_twap)..=oracle_twap.max(mark_twap)).contains(&twap),
        "TWAP {twap} outside its inputs: {input:?}"
    );

    // Base per whole unit of the sizes: from a billionth of a unit to one.
    let unit = 10u64.pow(input.size_unit as u32 % 10);
    let longs: Vec<u64> = input.longs.iter().map(|s| (*s as u64 % 1_000_001) * unit).collect();
    let shorts: Vec<u64> = input.shorts.iter().map(|s| (*s as u64 % 1_000_001) * unit).collect();
    let long_base: u64 = longs.iter().sum();
    let short_base: u64 = shorts.iter().sum();
    let fee_pool = magnitude(input.fee_pool, input.fee_pool_scale, 15);
    let accrual = AccrualInput {
        per_period,
        period_secs,
        elapsed_secs: input.elapsed_secs as u64 % (2 * period_secs as u64 + 1),
        long_base,
        short_base,
        fee_pool,
    };
    let Some(outcome) = documented(accrue(&accrual), &ALLOWED, input) else {
        return;
    };
    assert!(outcome.fee_pool_contribution <= fee_pool, "the pool paid more than it holds: {input:?}");
    let (payers, receivers, pay_delta, receive_delta) = if per_period > 0 {
        (&longs, &shorts, outcome.long_index_delta, outcome.short_index_delta)
    } else {
        (&shorts, &longs, outcome.short_index_delta, outcome.long_index_delta)
    };
    assert!(pay_delta >= 0 && receive_delta <= 0, "index moves the wrong way: {outcome:?} {input:?}");
    assert!(
        receive_delta.unsigned_abs() <= pay_delta.unsigned_abs(),
        "receivers' rate above payers': {input:?}"
    );
    if receivers.iter().sum::<u64>() <= payers.iter().sum::<u64>() {
        assert_eq!(
            outcome.fee_pool_contribution, 0,
            "the pool paid with the payers the larger side: {input:?}"
        );
    }
    if outcome.capped {
        assert_eq!(outcome.fee_pool_contribution, fee_pool, "capped before the pool was empty: {input:?}");
    }
    let charged: i128 = payers.iter().map(|b| funding_payment(*b as i64, pay_delta).unwrap() as i128).sum();
    let credited: i128 =
        receivers.iter().map(|b| -funding_payment(*b as i64, receive_delta).unwrap() as i128).sum();
    assert!(charged >= 0 && credited >= 0, "{input:?}");
    assert!(
        credited <= charged + outcome.fee_pool_contribution as i128,
        "receivers credited {credited} > payers' {charged} + pool's {}: {input:?}",
        outcome.fee_pool_contribution
    );

    let loss = magnitude(input.loss, input.loss_scale, 13);
    if long_base > 0 {
        if let Some(delta) = documented(socialised_loss_delta(loss, long_base), &ALLOWED, input) {
            // Charges too large for an i64 are refused by the program's cap
            // on what one socialisation may charge a unit; not checked here.
            let charges: Option<Vec<i64>> =
                longs.iter().map(|b| funding_payment(*b as i64, delta).ok()).collect();
            if let Some(charges) = charges {
                let covered: i128 = charges.iter().map(|c| *c as i128).sum();
                assert!(
                    covered >= loss as i128,
                    "a socialised loss of {loss} charged only {covered}: {input:?}"
                );
            }
        }
    }
}
