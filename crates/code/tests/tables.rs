//! Replays the vectors that `tools/gen_table_vectors.py` recorded from real
//! CPython interpreters (`tests/data/<X.Y>.json`): for every code object, the
//! decoders must reproduce `co_lines()`, `co_positions()`,
//! `dis.findlinestarts()`, `dis._parse_exception_table()` and dis's
//! line-number column widths exactly. No Python is needed.

#![allow(clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::PathBuf;

use bytescope_code::exceptions::{ExceptionEntry, ExceptionTableError, parse_exception_table};
use bytescope_code::lines::{
    LineRange, Positions, co_lines, co_positions, findlinestarts, lineno_width, linestarts, positions_width,
};
use bytescope_pyc::PythonVersion;
use serde_json::Value;

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit")).collect()
}

fn opt_i64(v: &Value) -> Option<i64> {
    if v.is_null() { None } else { Some(v.as_i64().expect("integer")) }
}

fn opt_i32(v: &Value) -> Option<i32> {
    opt_i64(v).map(|x| i32::try_from(x).expect("i32"))
}

fn u32_of(v: &Value) -> u32 {
    u32::try_from(v.as_u64().expect("offset")).expect("u32 offset")
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().expect("array")
}

/// Checks one recorded code object; returns a description of each mismatch.
fn check(v: PythonVersion, obj: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let code_len = usize::try_from(obj["len"].as_u64().expect("len")).expect("usize");
    let first = i32::try_from(obj["first"].as_i64().expect("first")).expect("i32 firstlineno");
    let table = unhex(obj["lt"].as_str().expect("lt"));

    let Some(starts) = obj.get("starts") else {
        // An exception-table-only vector.
        check_exceptions(obj, &mut bad);
        return bad;
    };
    let want_starts: Vec<(u32, Option<i64>)> =
        arr(starts).iter().map(|p| (u32_of(&p[0]), opt_i64(&p[1]))).collect();
    let got_starts = findlinestarts(v, code_len, first, &table);
    if got_starts != want_starts {
        bad.push(format!("findlinestarts: got {got_starts:?}, want {want_starts:?}"));
    }

    let got_lines = co_lines(v, code_len, first, &table);
    if let Some(want) = obj.get("lines") {
        let want: Vec<LineRange> = arr(want)
            .iter()
            .map(|r| LineRange { start: u32_of(&r[0]), end: u32_of(&r[1]), line: opt_i64(&r[2]) })
            .collect();
        if got_lines != want {
            bad.push(format!("co_lines: got {got_lines:?}, want {want:?}"));
        }
    } else {
        // ≤3.9: no co_lines() to compare with. The derived ranges must tile
        // [0, code_len) and start exactly where findlinestarts says a line
        // starts (3.8+ stop at the end of the code; earlier versions may
        // yield past it).
        let mut at = 0;
        for r in &got_lines {
            if r.start != at || r.end <= r.start || r.line.is_none() {
                bad.push(format!("derived co_lines not contiguous: {got_lines:?}"));
                break;
            }
            at = r.end;
        }
        if usize::try_from(at).expect("usize") != code_len {
            bad.push(format!("derived co_lines do not cover {code_len} bytes: {got_lines:?}"));
        }
        let starts: Vec<(u32, Option<i64>)> = got_lines.iter().map(|r| (r.start, r.line)).collect();
        let in_code: Vec<(u32, Option<i64>)> =
            want_starts.iter().copied().filter(|&(o, _)| (o as usize) < code_len).collect();
        if starts != in_code {
            bad.push(format!("derived co_lines starts {starts:?} != findlinestarts {in_code:?}"));
        }
    }

    if let Some(want) = obj.get("pos") {
        let mut expanded = Vec::new();
        for run in arr(want) {
            let p = Positions {
                line: opt_i32(&run[1]),
                end_line: opt_i32(&run[2]),
                col: opt_i32(&run[3]),
                end_col: opt_i32(&run[4]),
            };
            for _ in 0..run[0].as_u64().expect("count") {
                expanded.push(p);
            }
        }
        let got = co_positions(v, code_len, first, &table);
        if got != expanded {
            bad.push(format!("co_positions: got {got:?}, want {expanded:?}"));
        }
        if let Some(pw) = obj.get("pw") {
            let want = usize::try_from(pw.as_u64().expect("pw")).expect("usize");
            let got = positions_width(&got);
            if got != want {
                bad.push(format!("positions width: got {got}, want {want}"));
            }
        }
    }

    if let Some(w) = obj.get("w") {
        let want = usize::try_from(w.as_u64().expect("w")).expect("usize");
        let got = lineno_width(v, &linestarts(v, code_len, first, &table), 0);
        if got != want {
            bad.push(format!("lineno width: got {got}, want {want}"));
        }
    }

    check_exceptions(obj, &mut bad);
    bad
}

fn check_exceptions(obj: &Value, bad: &mut Vec<String>) {
    if let Some(want) = obj.get("exc") {
        let et = unhex(obj["et"].as_str().expect("et"));
        let got = parse_exception_table(&et);
        if want.as_str() == Some("overflow") {
            if !matches!(got, Err(ExceptionTableError::Overflow { .. })) {
                bad.push(format!("exception table: got {got:?}, want an overflow error"));
            }
        } else {
            let want: Vec<ExceptionEntry> = arr(want)
                .iter()
                .map(|e| ExceptionEntry {
                    start: e[0].as_u64().expect("start"),
                    end: e[1].as_u64().expect("end"),
                    target: e[2].as_u64().expect("target"),
                    depth: e[3].as_u64().expect("depth"),
                    lasti: e[4].as_bool().expect("lasti"),
                })
                .collect();
            if got.as_ref() != Ok(&want) {
                bad.push(format!("exception table: got {got:?}, want {want:?}"));
            }
        }
    }
}

fn run(version: &str) {
    let v: PythonVersion = version.parse().expect("version");
    // TABLE_VECTORS_DIR points at an ad-hoc (e.g. whole-stdlib) vector set.
    let dir = std::env::var_os("TABLE_VECTORS_DIR")
        .map_or_else(|| [env!("CARGO_MANIFEST_DIR"), "tests", "data"].iter().collect(), PathBuf::from);
    let path = dir.join(format!("{version}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("valid JSON");
    let objects = arr(&doc["objects"]);
    let mut failed = 0;
    let mut report = String::new();
    for obj in objects {
        let bad = check(v, obj);
        if !bad.is_empty() {
            failed += 1;
            if failed <= 8 {
                let _ = writeln!(report, "{} (lt {}):", obj["n"], obj["lt"]);
                for b in bad {
                    let _ = writeln!(report, "    {b}");
                }
            }
        }
    }
    eprintln!(
        "{version} ({}): {}/{} code objects pass",
        doc["python"].as_str().unwrap_or("?"),
        objects.len() - failed,
        objects.len()
    );
    assert!(failed == 0, "{version}: {failed} of {} code objects differ:\n{report}", objects.len());
    assert!(objects.len() > 100, "{version}: too few vectors");
}

macro_rules! versions {
    ($($name:ident => $v:literal),* $(,)?) => {
        $( #[test] fn $name() { run($v); } )*
    };
}

versions! {
    py27 => "2.7", py36 => "3.6", py37 => "3.7", py38 => "3.8", py39 => "3.9", py310 => "3.10",
    py311 => "3.11", py312 => "3.12", py313 => "3.13", py314 => "3.14", py315 => "3.15",
}
