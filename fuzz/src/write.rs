//! Fuzz target bodies of the write half (`bytescope-write`; the assembler's
//! is in `asm.rs`), shared by
//! cargo-fuzz (`fuzz/fuzz_targets/write_*.rs`) and plain `cargo test`
//! (`crates/write/tests/fuzz_smoke.rs` includes this file with `#[path]`).
//!
//! | target | layout | property |
//! |---|---|---|
//! | [`write_tables`] | `version` byte, `co_firstlineno` (i32 LE), `len(co_code)` (u16 LE), table bytes | decoding, encoding and decoding again gives the first decoded form |
//! | [`write_marshal`] | `version` byte, marshal data | read → owned → write → read gives an equal owned object |
//!
//! The `version` byte indexes [`WRITE_VERSIONS`] modulo its length.

#![allow(dead_code)]

use bytescope_code::exceptions::parse_exception_table;
use bytescope_code::lines::{LineRange, Positions, co_lines, co_positions, findlinestarts, position_ranges};
use bytescope_marshal::{Format, read};
use bytescope_pyc::PythonVersion;
use bytescope_write::tables::{
    PositionRun, encode_exception_table, encode_linetable_310, encode_lnotab, encode_locations,
};
use bytescope_write::{CodeObject, Object, dumps, dumps_code};

/// The versions the write targets pick from.
pub const WRITE_VERSIONS: &[PythonVersion] = &[
    PythonVersion::PY27,
    PythonVersion::PY30,
    PythonVersion::PY34,
    PythonVersion::PY35,
    PythonVersion::PY36,
    PythonVersion::PY38,
    PythonVersion::PY39,
    PythonVersion::PY310,
    PythonVersion::PY311,
    PythonVersion::PY312,
    PythonVersion::PY313,
    PythonVersion::PY314,
    PythonVersion::PY315,
];

fn version(b: u8) -> PythonVersion {
    WRITE_VERSIONS[usize::from(b) % WRITE_VERSIONS.len()]
}

/// `(l, None, None, None)` reads back from the "no columns" form as
/// `(l, l, None, None)`: the one loss CPython's encoding has.
fn normal(p: Positions) -> Positions {
    match p {
        Positions { line: Some(l), end_line: None, col: None, end_col: None } => {
            Positions { end_line: Some(l), ..p }
        }
        _ => p,
    }
}

fn merged(ranges: Vec<LineRange>) -> Vec<LineRange> {
    let mut out: Vec<LineRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if last.line == r.line && last.end == r.start => last.end = r.end,
            _ => out.push(r),
        }
    }
    out
}

/// `write_tables`: every table encoder is the inverse of its decoder on
/// anything the decoder produces.
pub fn write_tables(data: &[u8]) {
    if data.len() < 7 {
        return;
    }
    let v = version(data[0]);
    let first = i32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let code_len = usize::from(u16::from_le_bytes([data[5], data[6]]));
    let table = &data[7..];
    if v >= PythonVersion::PY311 {
        let runs: Vec<PositionRun> = position_ranges(v, code_len, first, table)
            .into_iter()
            .map(|r| PositionRun { units: (r.end - r.start) / 2, positions: r.positions })
            .collect();
        let ours = encode_locations(v, first, &runs);
        assert!(ours.len() <= 25 * table.len() + 25, "{} bytes from {}", ours.len(), table.len());
        let want: Vec<Positions> = co_positions(v, code_len, first, table).into_iter().map(normal).collect();
        let got: Vec<Positions> = co_positions(v, code_len, first, &ours).into_iter().map(normal).collect();
        assert_eq!(got, want);
        if let Ok(entries) = parse_exception_table(table) {
            let enc = encode_exception_table(&entries);
            assert_eq!(parse_exception_table(&enc).ok(), Some(entries));
        }
    } else if v >= PythonVersion::PY310 {
        let ranges = co_lines(v, code_len, first, table);
        let ours = encode_linetable_310(first, &ranges).expect("decoded ranges encode");
        assert!(ours.len() <= 4 * table.len() + 8, "{} bytes from {}", ours.len(), table.len());
        // CPython splits a range longer than 254 bytes, so a crafted
        // 255-byte pair reads back as two ranges with the same line.
        assert_eq!(merged(co_lines(v, code_len, first, &ours)), merged(ranges));
    } else {
        let starts = findlinestarts(v, code_len, first, table);
        let events: Vec<(u64, i64)> =
            starts.iter().filter_map(|&(off, line)| Some((u64::from(off), line?))).collect();
        match encode_lnotab(v, first, &events) {
            Ok(ours) => {
                assert!(ours.len() <= 6 * table.len() + 8, "{} bytes from {}", ours.len(), table.len());
                assert_eq!(findlinestarts(v, code_len, first, &ours), starts);
            }
            // Only 2.x–3.5 refuse (a line that goes back), which their
            // unsigned deltas cannot decode to.
            Err(e) => panic!("{v}: {e}"),
        }
    }
}

/// `write_marshal`: whatever reads and becomes an owned object is written
/// (or refused with an error) and reads back equal.
pub fn write_marshal(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else { return };
    let v = version(sel);
    let format = Format::for_version(v);
    let Ok(m) = read(body, format, 0) else { return };
    if let Some(raw) = m.code(m.root()) {
        let Ok(code) = CodeObject::from_marshal(&m, raw) else { return };
        let Ok(bytes) = dumps_code(&code) else { return };
        let back = read(&bytes, format, 0).expect("our output reads");
        let again = CodeObject::from_root(&back).expect("our output converts");
        assert_eq!(again, code);
    } else {
        let Ok(obj) = Object::from_marshal(&m, m.root()) else { return };
        let Ok(bytes) = dumps(&obj, v) else { return };
        let back = read(&bytes, format, 0).expect("our output reads");
        let again = Object::from_marshal(&back, back.root()).expect("our output converts");
        assert_eq!(again, obj);
    }
}
