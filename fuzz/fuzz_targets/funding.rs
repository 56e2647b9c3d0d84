//! cargo-fuzz target: see `vamm_fuzz::funding` for the input and what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: vamm_fuzz::funding::Input| vamm_fuzz::funding::check(&input));
