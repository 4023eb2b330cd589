//! `cargo +nightly fuzz run write_marshal`: see `fuzz/README.md` and `fuzz/src/write.rs`.
#![no_main]

#[path = "../src/write.rs"]
mod write;

libfuzzer_sys::fuzz_target!(|data: &[u8]| write::write_marshal(data));
