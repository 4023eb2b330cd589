//! The assembler's fuzz target body (`bytescope-asm`), shared by cargo-fuzz
//! (`fuzz/fuzz_targets/write_asm.rs`) and plain `cargo test`
//! (`crates/asm/tests/fuzz_smoke.rs` includes this file with `#[path]`).
//!
//! `write_asm`: any bytes, read as UTF-8 (lossy), are assembly text. Parsing
//! never panics; what parses prints and parses back to an equal module.

/// `write_asm`: see the module docs.
pub fn write_asm(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(module) = bytescope_asm::parse(&text) else { return };
    let Ok(printed) = bytescope_asm::print(&module) else { return };
    let again = bytescope_asm::parse(&printed).expect("printed text parses");
    assert_eq!(again, module);
}
