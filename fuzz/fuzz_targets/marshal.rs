//! `cargo +nightly fuzz run marshal`: see `fuzz/README.md` and [`bytescope_fuzz::marshal`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bytescope_fuzz::marshal(data));
