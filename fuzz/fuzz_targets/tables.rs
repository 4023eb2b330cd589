//! `cargo +nightly fuzz run tables`: see `fuzz/README.md` and [`bytescope_fuzz::tables`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bytescope_fuzz::tables(data));
