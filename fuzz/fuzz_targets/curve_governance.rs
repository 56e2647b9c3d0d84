//! cargo-fuzz target: see `vamm_fuzz::curve_governance` for the input and what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: vamm_fuzz::curve_governance::Input| vamm_fuzz::curve_governance::check(
    &input
));
