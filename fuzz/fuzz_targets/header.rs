//! `cargo +nightly fuzz run header`: see `fuzz/README.md` and [`bytescope_fuzz::header`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bytescope_fuzz::header(data));
