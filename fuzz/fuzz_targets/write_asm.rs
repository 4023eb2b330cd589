//! `cargo +nightly fuzz run write_asm`: see `fuzz/README.md` and `fuzz/src/asm.rs`.
#![no_main]

#[path = "../src/asm.rs"]
mod asm;

libfuzzer_sys::fuzz_target!(|data: &[u8]| asm::write_asm(data));
