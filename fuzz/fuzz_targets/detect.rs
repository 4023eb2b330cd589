//! `cargo +nightly fuzz run detect`: version detection and checking of
//! headerless data; see `fuzz/src/detect.rs`.
#![no_main]

#[path = "../src/detect.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::detect_target(data));
