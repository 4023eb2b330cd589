//! `cargo +nightly fuzz run frozen`: see `fuzz/README.md` and `fuzz/src/frozen.rs`
//! (the body, shared with `crates/frozen/tests/hostile.rs`).
#![no_main]

#[path = "../src/frozen.rs"]
mod frozen;

libfuzzer_sys::fuzz_target!(|data: &[u8]| frozen::frozen(data));
