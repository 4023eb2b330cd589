//! Smoke runs of the write half's fuzz targets in plain `cargo test`: the
//! bodies in `fuzz/src/write.rs` (included, not copied) get a few thousand
//! deterministic inputs — the tables and marshal data of real fixtures with
//! bit flips, truncations and byte swaps, plus random bytes. Nothing may
//! panic; the bodies assert their round-trip properties.

#[path = "../../../fuzz/src/write.rs"]
#[allow(clippy::all, clippy::pedantic)]
mod write;

use std::path::Path;

use bytescope_code::code_objects;
use bytescope_marshal::load_pyc;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut m = base.to_vec();
    match rng.below(4) {
        0 if !m.is_empty() => {
            let i = rng.below(m.len());
            m[i] ^= 1 << rng.below(8);
        }
        1 => m.truncate(rng.below(m.len() + 1)),
        2 if !m.is_empty() => {
            let i = rng.below(m.len());
            m[i] = rng.next() as u8;
        }
        _ => {
            let i = rng.below(m.len() + 1);
            m.insert(i, rng.next() as u8);
        }
    }
    m
}

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

fn selector(v: bytescope_pyc::PythonVersion) -> u8 {
    write::WRITE_VERSIONS.iter().position(|x| *x == v).unwrap_or(0) as u8
}

#[test]
fn write_tables_smoke() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut n = 0;
    for pyc in fixtures() {
        let p = load_pyc(&pyc, None).expect("fixture loads");
        let sel = selector(p.version());
        for c in code_objects(&p.marshal).expect("code objects") {
            let mut head = vec![sel];
            head.extend_from_slice(&c.firstlineno().to_le_bytes());
            head.extend_from_slice(&u16::try_from(c.code.len()).unwrap_or(u16::MAX).to_le_bytes());
            for table in [c.linetable, c.exceptiontable] {
                let input: Vec<u8> = head.iter().chain(table).copied().collect();
                write::write_tables(&input);
                for _ in 0..20 {
                    write::write_tables(&mutate(&mut rng, &input));
                    n += 1;
                }
                // The same table read as every other version.
                for other in 0..write::WRITE_VERSIONS.len() {
                    let mut x = input.clone();
                    x[0] = other as u8;
                    write::write_tables(&x);
                }
            }
        }
    }
    for _ in 0..3000 {
        let len = rng.below(64);
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        write::write_tables(&input);
    }
    assert!(n > 1000);
}

#[test]
fn write_marshal_smoke() {
    let mut rng = Rng(0x0f0f_1234_5555_aaaa);
    for pyc in fixtures() {
        let p = load_pyc(&pyc, None).expect("fixture loads");
        let body = &pyc[p.marshal_offset..];
        let input: Vec<u8> = std::iter::once(selector(p.version())).chain(body.iter().copied()).collect();
        write::write_marshal(&input);
        for _ in 0..300 {
            write::write_marshal(&mutate(&mut rng, &input));
        }
    }
    for _ in 0..2000 {
        let len = rng.below(40);
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        write::write_marshal(&input);
    }
}
