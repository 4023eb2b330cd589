//! `cargo +nightly fuzz run stack`: the stack analysis on hostile code objects; see
//! `fuzz/src/stack.rs`.
#![no_main]

#[path = "../src/stack.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::stack(data));
