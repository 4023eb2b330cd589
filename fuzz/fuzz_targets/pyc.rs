//! `cargo +nightly fuzz run pyc`: see `fuzz/README.md` and [`bytescope_fuzz::pyc`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bytescope_fuzz::pyc(data));
