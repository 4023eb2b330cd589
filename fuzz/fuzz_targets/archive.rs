//! `cargo +nightly fuzz run archive`: see `fuzz/README.md` and [`bytescope_fuzz::archive`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bytescope_fuzz::archive(data));
