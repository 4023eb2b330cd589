//! The body of the `frozen` fuzz target, shared by cargo-fuzz
//! (`fuzz/fuzz_targets/frozen.rs`) and `cargo test`
//! (`crates/frozen/tests/hostile.rs` includes this file with `#[path]`).
//!
//! Input layout: the first byte selects the mode.
//!
//! - even: the rest is a whole file, opened as a frozen application;
//! - odd: the rest is a PyInstaller package body (entry data, then a TOC
//!   that runs from byte `u16 LE` of the rest to its end), to which a
//!   valid 88-byte cookie is appended, so that mutations reach the TOC,
//!   PYZ, key and extraction code instead of dying at the cookie scan.
//!
//! Properties: no panic, no hang; everything inflated stays within the
//! input's budget ([`Budget::for_input`]), and everything extracted within
//! that budget plus twice the input (stored entries do not overlap; a PYZ is
//! written whole and read again) plus a header per entry.

use bytescope_frozen::{App, Budget};

/// Appends a PyInstaller 6.x cookie (Python 3.12) to `body`, whose TOC
/// starts at `toc_offset`.
#[must_use]
pub fn with_cookie(body: &[u8], toc_offset: usize) -> Vec<u8> {
    let toc_offset = toc_offset.min(body.len());
    let mut out = body.to_vec();
    let pkg_len = (body.len() + 88) as u32;
    out.extend_from_slice(b"MEI\x0c\x0b\x0a\x0b\x0e");
    out.extend_from_slice(&pkg_len.to_be_bytes());
    out.extend_from_slice(&(toc_offset as u32).to_be_bytes());
    out.extend_from_slice(&((body.len() - toc_offset) as u32).to_be_bytes());
    out.extend_from_slice(&312u32.to_be_bytes());
    let mut lib = b"libpython3.12.so.1.0".to_vec();
    lib.resize(64, 0);
    out.extend_from_slice(&lib);
    out
}

/// Opens `file` and extracts every entry, checking the bounds.
pub fn run(file: &[u8]) {
    let Ok(app) = App::open(file) else { return };
    let total = Budget::for_input(file.len()).remaining();
    assert!(app.budget().remaining() <= total);
    let mut produced: u64 = 0;
    for e in &app.entries {
        let _ = app.find(&e.name);
        if let Ok(bytes) = app.extract(e) {
            produced += bytes.len() as u64;
        }
        let _ = app.stored(e);
    }
    assert!(app.budget().remaining() <= total);
    let bound = total + 2 * file.len() as u64 + 16 * app.entries.len() as u64;
    assert!(produced <= bound, "{produced} bytes extracted from {} bytes of input", file.len());
}

/// The fuzz target.
pub fn frozen(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode & 1 == 0 {
        run(rest);
    } else if rest.len() >= 2 {
        let toc = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        run(&with_cookie(&rest[2..], toc));
    }
}
