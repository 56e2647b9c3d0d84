//! cargo-fuzz target: see `vamm_fuzz::margin` for the input and what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: vamm_fuzz::margin::Input| vamm_fuzz::margin::check(&input));
