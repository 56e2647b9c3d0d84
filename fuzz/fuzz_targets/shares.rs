//! cargo-fuzz target: see `vamm_fuzz::shares` for the input and what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: vamm_fuzz::shares::Input| vamm_fuzz::shares::check(&input));
