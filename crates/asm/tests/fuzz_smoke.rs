//! Smoke runs of the assembler's fuzz target in plain `cargo test`: the body
//! in `fuzz/src/asm.rs` (included, not copied) gets the assembly text of
//! real fixtures with bit flips, truncations and byte swaps, and random
//! text made of the format's characters. Nothing may panic; what parses must
//! print and parse back equal.

#[path = "../../../fuzz/src/asm.rs"]
#[allow(clippy::all, clippy::pedantic)]
mod asm;

use std::path::Path;

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
            m[i] = b"0123456789L@:-?()'.,x "[rng.below(22)];
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

#[test]
fn write_asm_smoke() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut rng = Rng(0x5eed_0a5e_1234_9876);
    for f in FIXTURES {
        let data = std::fs::read(root.join(f)).expect("fixture");
        let p = load_pyc(&data, None).expect("fixture loads");
        let code = bytescope_write::CodeObject::from_root(&p.marshal).expect("owned");
        let module =
            bytescope_asm::Module { version: p.version(), header: bytescope_asm::Header::None, code };
        let text = bytescope_asm::print(&module).expect("prints").into_bytes();
        asm::write_asm(&text);
        for _ in 0..60 {
            asm::write_asm(&mutate(&mut rng, &text));
        }
        let lines: Vec<usize> =
            text.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect();
        for &cut in lines.iter().step_by(7) {
            asm::write_asm(&text[..cut]);
        }
    }
    for _ in 0..300 {
        let len = rng.below(200);
        let input: Vec<u8> = (0..len).map(|_| b".@:()'L0123 abcxyz_\n#-"[rng.below(22)]).collect();
        asm::write_asm(&input);
    }
}
