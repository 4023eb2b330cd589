//! Smoke runs of the fuzz targets in plain `cargo test` (no nightly): each
//! target body from `fuzz/src/lib.rs` (included, not copied) gets a few
//! hundred deterministic inputs — mutants of real .pyc fixtures truncated at
//! every structural boundary, with length fields set to huge and negative
//! values, bit flips and splices — plus pseudo-random bytes. Nothing may
//! panic; the bodies also assert their round-trip and size properties.

#[path = "../../../fuzz/src/lib.rs"]
#[allow(clippy::all, clippy::pedantic)]
mod fuzz_targets;

use std::path::Path;

use fuzz_targets::smoke::{Rng, mutants};

#[path = "../../batch/tests/support/zipgen.rs"]
mod zipgen;
use fuzz_targets::{DIS_VERSIONS, VERSIONS};

/// Small fixtures across the marshal dialects and dis layouts: 2.7, 3.6
/// (wordcode), 3.8, 3.10, 3.11 (new code layout), 3.12, 3.13, 3.14 (slices)
/// and 3.15.
const FIXTURES: &[&str] = &[
    "2.7/py2_literals.pyc",
    "3.6/closures.pyc",
    "3.8/comprehensions.pyc",
    "3.10/exceptions.pyc",
    "3.11/exceptions.pyc",
    "3.12/constants.pyc",
    "3.13/closures.pyc",
    "3.14/slices.pyc",
    "3.15/closures.pyc",
];

fn fixtures() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    FIXTURES.iter().map(|f| std::fs::read(root.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))).collect()
}

fn header_len(pyc: &[u8]) -> usize {
    bytescope_pyc::parse_header(pyc).map_or(0, |h| h.len)
}

/// The index of `pyc`'s version in `list`, as a selector byte.
fn selector(pyc: &[u8], list: &[bytescope_pyc::PythonVersion]) -> u8 {
    let v = bytescope_pyc::parse_header(pyc).map(|h| h.version()).ok();
    list.iter().position(|x| Some(*x) == v).unwrap_or(0) as u8
}

/// Mutants of every fixture (`per_fixture` each) plus `random` random inputs.
fn inputs(seed: u64, per_fixture: usize, random: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for pyc in fixtures() {
        for m in mutants(&pyc, &mut rng, per_fixture) {
            out.push((pyc.clone(), m));
        }
    }
    for _ in 0..random {
        let n = rng.below(300);
        let r = rng.bytes(n);
        out.push((Vec::new(), r));
    }
    out
}

#[test]
fn header_smoke() {
    let mut n = 0;
    for (_, m) in inputs(1, 100, 300) {
        fuzz_targets::header(&m);
        n += 1;
    }
    for pyc in fixtures() {
        fuzz_targets::header(&pyc);
    }
    assert!(n >= 300);
}

#[test]
fn marshal_smoke() {
    let mut rng = Rng(2);
    for (orig, m) in inputs(2, 100, 200) {
        // Mutated marshal data in its own version, and now and then in
        // another one.
        let sel = if orig.is_empty() || rng.below(4) == 0 {
            rng.below(VERSIONS.len()) as u8
        } else {
            selector(&orig, VERSIONS)
        };
        let body = m.get(header_len(&orig).min(m.len())..).unwrap_or(&[]);
        fuzz_targets::marshal(&[&[sel][..], body].concat());
    }
    // Unmutated fixtures must round-trip.
    for pyc in fixtures() {
        let body = &pyc[header_len(&pyc)..];
        fuzz_targets::marshal(&[&[selector(&pyc, VERSIONS)][..], body].concat());
    }
}

#[test]
fn marshal_deep_nesting() {
    for body in [
        b")\x01".repeat(1_000_000),
        b"[\x01\x00\x00\x00".repeat(200_000),
        b"\xdb\x01\x00\x00\x00".repeat(100_000),
    ] {
        for sel in 0..VERSIONS.len() as u8 {
            fuzz_targets::marshal(&[&[sel][..], &body[..], b"N"].concat());
        }
    }
}

/// Nesting just inside CPython's 2000 levels must be read and written back
/// (the writer recurses) without overflowing a test thread's stack.
#[test]
fn deepest_allowed_nesting() {
    let v312 = VERSIONS.iter().position(|v| *v == bytescope_pyc::PythonVersion::PY312).unwrap_or(0) as u8;
    let nests = [
        [b")\x01".repeat(1999), b"N".to_vec()].concat(),
        [b"[\x01\x00\x00\x00".repeat(1999), b"N".to_vec()].concat(),
        [b">\x01\x00\x00\x00".repeat(1999), b"N".to_vec()].concat(),
        // Dicts: each level is the value of key None; then the terminators.
        [b"{N".repeat(1999), b"N".to_vec(), b"0".repeat(1999)].concat(),
    ];
    for body in &nests {
        fuzz_targets::marshal(&[&[v312][..], body].concat());
    }
}

/// A module whose constant nests 1500 tuples (or frozensets) deep: repr
/// gives up at CPython's recursion limit (990 levels), through dis,
/// code_info and instructions.
fn deep_constants() {
    let d312 = DIS_VERSIONS.iter().position(|v| *v == bytescope_pyc::PythonVersion::PY312).unwrap_or(0) as u8;
    let pyc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed/deep_const_tuple.pyc");
    let pyc = std::fs::read(pyc).expect("deep_const_tuple.pyc");
    fuzz_targets::dis(&[&[d312, 0][..], &pyc[16..]].concat());
    fuzz_targets::pyc(&pyc);
    let frozen: Vec<u8> = pyc.iter().map(|&b| if b == b')' { b'>' } else { b }).collect();
    fuzz_targets::pyc(&frozen);
}

#[test]
fn deep_constants_on_8mib_stack() {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(deep_constants)
        .expect("spawn")
        .join()
        .expect("deep constants");
}

/// Regression (crates/pyrepr, fixed in 5c399fe by stopping constant repr
/// nesting at 200 levels): `repr` recursed to CPython's 990 levels, which in
/// debug builds needs more than the 2 MiB a spawned thread (a test, rayon,
/// tokio) gets by default.
#[test]
fn deep_constants_on_2mib_stack() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(deep_constants)
        .expect("spawn")
        .join()
        .expect("deep constants");
}

#[test]
fn tables_smoke() {
    let mut rng = Rng(3);
    let firsts = [0i32, 1, -1, 1000, i32::MAX, i32::MIN];
    for _ in 0..2000 {
        let mut d = vec![rng.below(VERSIONS.len()) as u8];
        d.extend_from_slice(&firsts[rng.below(firsts.len())].to_le_bytes());
        let code_len = [0u16, 2, 100, 0xfffe, 0xffff][rng.below(5)];
        d.extend_from_slice(&code_len.to_le_bytes());
        let n = [rng.below(16), rng.below(200), 1000 + rng.below(2000)][rng.below(3)];
        d.extend(rng.bytes(n));
        fuzz_targets::tables(&d);
    }
}

#[test]
fn dis_smoke() {
    let mut rng = Rng(4);
    for (orig, m) in inputs(4, 100, 100) {
        let sel = if orig.is_empty() || rng.below(5) == 0 {
            rng.below(DIS_VERSIONS.len()) as u8
        } else {
            selector(&orig, DIS_VERSIONS)
        };
        let opts = rng.below(8) as u8;
        let body = m.get(header_len(&orig).min(m.len())..).unwrap_or(&[]);
        fuzz_targets::dis(&[&[sel, opts][..], body].concat());
    }
}

/// Every structural boundary of every fixture, not a sample: inside the
/// header, at and after each object's type byte, inside each length field
/// and each code object's integer fields.
#[test]
fn pyc_every_truncation() {
    let mut n = 0;
    for pyc in fixtures() {
        for cut in fuzz_targets::smoke::boundaries(&pyc) {
            fuzz_targets::pyc(&pyc[..cut]);
            n += 1;
        }
    }
    assert!(n > 1000, "{n} truncations");
}

#[test]
fn pyc_smoke() {
    for (_, m) in inputs(5, 100, 100) {
        fuzz_targets::pyc(&m);
    }
    for pyc in fixtures() {
        fuzz_targets::pyc(&pyc);
    }
}

/// A fuzz target body.
type Target = fn(&[u8]);

/// Replays every file in `fuzz/regressions/<dir>/<target>/` through its target.
fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions").join(dir);
    let targets: [(&str, Target); 6] = [
        ("archive", fuzz_targets::archive),
        ("header", fuzz_targets::header),
        ("marshal", fuzz_targets::marshal),
        ("tables", fuzz_targets::tables),
        ("dis", fuzz_targets::dis),
        ("pyc", fuzz_targets::pyc),
    ];
    let mut n = 0;
    for (name, target) in targets {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else { continue };
        for entry in entries {
            let path = entry.expect("entry").path();
            target(&std::fs::read(&path).expect("regression input"));
            n += 1;
        }
    }
    n
}

/// Inputs the fuzzers found, once fixed (`fuzz/regressions/fixed/<target>/`;
/// inputs for bugs still open go to `fuzz/regressions/known/`, replayed by
/// no test until they are fixed).
#[test]
fn fuzz_regressions() {
    assert!(replay("fixed") > 0);
}

/// Archives for the `archive` smoke run: the committed seeds (made by
/// CPython's zipfile: stored, deflated, nested, zip64, prefixed,
/// duplicates) and generated hostile layouts.
fn archive_inputs() -> Vec<Vec<u8>> {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/archive");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(seeds)
        .expect("fuzz/seeds/archive")
        .map(|e| std::fs::read(e.expect("entry").path()).expect("seed"))
        .collect();
    out.sort();
    let pyc = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/3.12/args.pyc"))
        .expect("fixture");
    let m = |name: &str| zipgen::Member::deflated(name, &pyc);
    let mut nest = zipgen::zip(b"", &[m("d.pyc")]);
    for i in 0..5 {
        nest = zipgen::zip(b"", &[zipgen::Member::stored(format!("l{i}.zip"), &nest), m("x.pyc")]);
    }
    let zeros = zipgen::Member {
        name: b"z.pyc".to_vec(),
        data: zipgen::deflate_zeros(4 << 20),
        method: 8,
        size: 4 << 20,
        crc: 0,
    };
    out.extend([
        nest,
        zipgen::overlap_bomb(1000, 1 << 20),
        zipgen::zip(b"", std::slice::from_ref(&zeros)),
        zipgen::zip(b"", &[zipgen::Member { size: 1 << 30, ..zeros }]),
        zipgen::zip(b"#!/bin/sh\n", &[m("a.pyc"), m("a.pyc"), zipgen::Member::stored(b"\xff.pyc", &pyc)]),
    ]);
    out
}

/// The archive reader on truncations (every third byte of small archives), length and
/// offset fields smashed, bit flips and splices of each archive.
#[test]
fn archive_smoke() {
    let mut rng = Rng(6);
    let mut n = 0;
    for z in archive_inputs() {
        fuzz_targets::archive(&z);
        // Every third byte of small archives, about 600 cuts of large ones.
        for cut in (0..z.len()).step_by((z.len() / 600).max(3)) {
            fuzz_targets::archive(&z[..cut]);
            n += 1;
        }
        // Two- and four-byte fields of the records (every signature's
        // neighbourhood) set to extreme and off-by-one values.
        let records: Vec<usize> = z
            .windows(4)
            .enumerate()
            .filter(|(_, w)| matches!(w, [b'P', b'K', 1 | 3 | 5 | 6, 2 | 4 | 6 | 7]))
            .map(|(i, _)| i)
            .collect();
        // Sixteen records at most (the bomb has a thousand).
        for _ in 0..records.len().min(16) {
            let r = records[rng.below(records.len())];
            for _ in 0..24 {
                let mut m = z.clone();
                let at = r + 4 + 2 * rng.below(22);
                let v: &[u8] = [&b"\xff\xff\xff\xff"[..], b"\0\0\0\0", b"\xff\xff", b"\x01\0"][rng.below(4)];
                for (i, b) in v.iter().enumerate() {
                    if let Some(x) = m.get_mut(at + i) {
                        *x = *b;
                    }
                }
                if rng.below(3) == 0
                    && let Some(x) = m.get_mut(at)
                {
                    *x = x.wrapping_add(1);
                }
                fuzz_targets::archive(&m);
                n += 1;
            }
        }
        for m in mutants(&z, &mut rng, 60) {
            fuzz_targets::archive(&m);
            n += 1;
        }
    }
    for _ in 0..200 {
        let len = rng.below(200);
        let mut r = rng.bytes(len);
        if r.len() >= 22 && rng.below(2) == 0 {
            let at = r.len() - 22;
            r[at..at + 4].copy_from_slice(b"PK\x05\x06");
        }
        fuzz_targets::archive(&r);
        n += 1;
    }
    assert!(n > 3000, "{n}");
}
