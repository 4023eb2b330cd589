//! `cargo +nightly fuzz run dis`: see `fuzz/README.md` and [`bytescope_fuzz::dis`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bytescope_fuzz::dis(data));
