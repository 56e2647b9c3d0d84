//! Checks of the program's pure math, for coverage-guided fuzzing.
//!
//! Each module takes an `arbitrary` input, maps it onto the domain the
//! program works in (magnitudes spread from dust to far beyond any real
//! market, so the fuzzer reaches both), runs the program's own math
//! (`vamm::math`) and panics when an invariant breaks. The same checks run
//! three ways: under libFuzzer (`fuzz_targets/`, `scripts/fuzz.sh`), over
//! the committed seed corpora and over seeded random inputs in the test
//! suite (`tests/corpus.rs`), so they build and run on stable everywhere.
//!
//! Errors: inside the domain a checked operation that fails is a finding
//! unless it is one the math documents for that input (a trade beyond the
//! curve's range, dust, a result too large for its integer type); an
//! arithmetic underflow or a division by zero never is.

pub mod curve;
pub mod curve_governance;
pub mod funding;
pub mod liquidation;
pub mod margin;
pub mod shares;

use anchor_lang::error::Error;
use vamm::error::VammError;

/// Runs one fuzz input, given as raw bytes.
pub type RunBytes = fn(&[u8]);

/// Every target by name, for replaying corpora: runs `bytes` through it as
/// libFuzzer would (`Arbitrary::arbitrary_take_rest`); inputs too short to
/// decode are skipped, as libFuzzer skips them.
pub const TARGETS: [(&str, RunBytes); 6] = [
    ("curve", run_bytes::<curve::Input>),
    ("curve_governance", run_bytes::<curve_governance::Input>),
    ("margin", run_bytes::<margin::Input>),
    ("funding", run_bytes::<funding::Input>),
    ("liquidation", run_bytes::<liquidation::Input>),
    ("shares", run_bytes::<shares::Input>),
];

/// A fuzz input that knows its own check.
pub trait Checked: for<'a> arbitrary::Arbitrary<'a> {
    fn check(&self);
}

fn run_bytes<T: Checked>(bytes: &[u8]) {
    if let Ok(input) = T::arbitrary_take_rest(arbitrary::Unstructured::new(bytes)) {
        input.check();
    }
}

/// `raw` reduced below `10^digits`, with `digits` from 1 to `max_digits`
/// chosen by `scale`: values spread over every magnitude.
pub fn magnitude(raw: u64, scale: u8, max_digits: u32) -> u64 {
    let digits = 1 + scale as u32 % max_digits;
    raw % 10u64.saturating_pow(digits)
}

/// Panics unless `error` is one of `allowed`: the errors the math documents
/// for inputs in the fuzzed domain.
pub fn expect_documented(error: &Error, allowed: &[VammError], context: &dyn std::fmt::Debug) {
    if !allowed.iter().any(|e| *error == Error::from(*e)) {
        panic!("unexpected error {error:?} for {context:?}");
    }
}

/// `Ok` value, or `None` after checking the error is documented.
pub fn documented<T>(
    result: anchor_lang::Result<T>,
    allowed: &[VammError],
    context: &dyn std::fmt::Debug,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            expect_documented(&error, allowed, context);
            None
        }
    }
}
