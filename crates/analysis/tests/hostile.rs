//! Smoke run of the `stack` fuzz target (stack, CFG, check and diff) in plain `cargo test`: the body from
//! `fuzz/src/stack.rs` (included, not copied) gets every CPython-compiled fixture and a few
//! thousand deterministic mutants of them (bytes of the code objects' `co_code` and
//! exception tables rewritten: jump loops, self-jumps, huge EXTENDED_ARG chains, jumps
//! anywhere), plus random bytes. Nothing may panic and every run must be quick.

#[path = "../../../fuzz/src/stack.rs"]
mod body;

use std::path::Path;
use std::time::{Duration, Instant};

use body::{STACK_VERSIONS, stack, stack_only};
use bytescope_marshal::Value;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}

/// A fixture as the target reads it, with where its code is.
struct Fixture {
    /// Selector byte, then the marshal data.
    input: Vec<u8>,
    /// Byte ranges of every `co_code` and exception table in `input`.
    ranges: Vec<(usize, usize)>,
}

fn fixtures() -> Vec<Fixture> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&root).expect("fixtures").flatten().map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs.into_iter().filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(&dir).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "pyc")) {
            let data = std::fs::read(&f).expect("read");
            let Ok(pyc) = bytescope_marshal::load_pyc(&data, None) else { continue };
            let Some(sel) = STACK_VERSIONS.iter().position(|v| *v == pyc.version()) else { continue };
            let base = pyc.marshal_offset;
            let mut input = vec![u8::try_from(sel).expect("selector")];
            input.extend_from_slice(&data[base..]);
            let m = &pyc.marshal;
            let mut ranges = Vec::new();
            for code in m.codes() {
                for id in [Some(code.code), code.exceptiontable].into_iter().flatten() {
                    let node = m.node(m.resolve(id));
                    if let Value::Bytes(b) = &node.value {
                        // In `input`: one selector byte, then the marshal data; the bytes
                        // follow the type byte and a 4-byte length.
                        let start = node.offset as usize - base + 1 + 5;
                        if start + b.len() <= input.len() {
                            ranges.push((start, start + b.len()));
                        }
                    }
                }
            }
            out.push(Fixture { input, ranges });
        }
    }
    out
}

#[test]
fn stack_analysis_survives_hostile_code() {
    let fixtures = fixtures();
    assert!(fixtures.len() > 300, "{} fixtures", fixtures.len());
    let mut rng = Rng(0x5eed_57ac_0000_0001);
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut runs = 0;
    // Every analysis on the fixtures, two mutants of each and the random bytes; the stack
    // analysis alone on the other mutants (debug builds are slow on a shared machine).
    let mut timed = |input: &[u8], all: bool| {
        let t = Instant::now();
        if all {
            stack(input)
        } else {
            stack_only(input)
        }
        slowest = slowest.max(t.elapsed());
        runs += 1;
    };
    for Fixture { input, ranges } in &fixtures {
        timed(input, true);
        if ranges.is_empty() {
            continue;
        }
        for k in 0..6 {
            let mut m = input.clone();
            let (lo, hi) = ranges[rng.below(ranges.len())];
            if hi <= lo {
                continue;
            }
            match rng.below(4) {
                // A few random bytes.
                0 => {
                    for _ in 0..1 + rng.below(4) {
                        let at = lo + rng.below(hi - lo);
                        m[at] = rng.byte();
                    }
                }
                // Every argument byte maxed out: huge counts and far jumps.
                1 => (lo + 1..hi).step_by(2).for_each(|i| m[i] = 0xff),
                // Every argument byte zero: self-jumps and zero-length loops.
                2 => (lo + 1..hi).step_by(2).for_each(|i| m[i] = 0),
                // An opcode byte copied over another: jumps where there were none.
                _ => {
                    let (a, b) = (lo + rng.below(hi - lo), lo + rng.below(hi - lo));
                    m[a] = m[b];
                }
            }
            timed(&m, k < 2);
        }
    }
    for _ in 0..300 {
        let n = rng.below(200);
        let r: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
        timed(&r, true);
    }
    assert!(runs > 2000, "{runs} runs");
    // Debug builds on a busy machine: generous, but a hang or a quadratic blow-up fails.
    assert!(slowest < Duration::from_secs(5), "slowest input took {slowest:?}");
    let total = start.elapsed();
    assert!(total < Duration::from_secs(600), "{runs} inputs took {total:?}");
}

/// Inputs the `stack` fuzzer found (`fuzz/regressions/fixed/stack/`): 3.13 code whose
/// symbolic stack built expressions of expressions (`x + x` of `x + x` …) until it held
/// gigabytes of text (60 s and 14 GB in `bytescope stack`), and a handler entry that left
/// 1,026 slots. Each must now run in well under a second.
#[test]
fn fuzz_regressions_run_quickly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/fixed/stack");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz/regressions/fixed/stack") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("regression input");
        let t = Instant::now();
        stack(&data);
        assert!(t.elapsed() < Duration::from_secs(10), "{}: {:?}", path.display(), t.elapsed());
        n += 1;
    }
    assert!(n >= 5);
}
