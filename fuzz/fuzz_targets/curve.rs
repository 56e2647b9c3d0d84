//! cargo-fuzz target: see `vamm_fuzz::curve` for the input and what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: vamm_fuzz::curve::Input| vamm_fuzz::curve::check(&input));
