//! The `detect` fuzz target's body (`fuzz/src/detect.rs`, included, not
//! copied) over every committed fixture with its header stripped, and over
//! truncations, bit flips and splices of them: no panic, every verdict
//! consistent, each input within a time budget.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "../../../fuzz/src/detect.rs"]
mod body;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "pyc") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

fn run(input: &[u8]) {
    let t = Instant::now();
    body::detect_target(input);
    assert!(t.elapsed() < Duration::from_secs(5), "{} bytes took {:?}", input.len(), t.elapsed());
}

#[test]
fn fixtures_and_their_mutants() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let files = fixtures();
    for (n, path) in files.iter().enumerate() {
        let data = std::fs::read(path).unwrap();
        let body = &data[bytescope_pyc::parse_header(&data).unwrap().len..];
        for sel in [0u8, 1, 2, 3] {
            let mut input = vec![sel, n as u8];
            input.extend_from_slice(body);
            run(&input);
        }
        // A few mutants per file: truncated, flipped, spliced with another.
        for _ in 0..3 {
            let mut m = vec![(next() % 4) as u8, (next() % 32) as u8];
            m.extend_from_slice(body);
            match next() % 3 {
                0 => m.truncate(2 + (next() as usize) % body.len().max(1)),
                1 => {
                    for _ in 0..4 {
                        let i = 2 + (next() as usize) % body.len().max(1);
                        if let Some(b) = m.get_mut(i) {
                            *b ^= 1 << (next() % 8);
                        }
                    }
                }
                _ => {
                    let other = std::fs::read(&files[(next() as usize) % files.len()]).unwrap();
                    let cut = 2 + (next() as usize) % body.len().max(1);
                    m.truncate(cut);
                    m.extend_from_slice(&other[other.len() / 2..]);
                }
            }
            run(&m);
        }
    }
}

#[test]
fn crafted_inputs() {
    // Empty, a bare type code, a code object of maximal counts, nesting.
    for input in [&b""[..], b"\x00", b"\x00c", b"\x00\xe3", b"\x01\x05c\xff\xff\xff\xff"] {
        run(input);
    }
    let mut deep = vec![0u8];
    deep.extend(std::iter::repeat_n(b'(', 10_000).flat_map(|t| [t, 1, 0, 0, 0]));
    run(&deep);
}
