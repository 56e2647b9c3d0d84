//! cargo-fuzz target: see `vamm_fuzz::liquidation` for the input and what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: vamm_fuzz::liquidation::Input| vamm_fuzz::liquidation::check(&input));
