//! Fuzz-style smoke test: random and adversarial tables through every decoder
//! for every version. Nothing may panic (debug builds also trap integer
//! overflow), and output sizes must stay within their documented bounds.

use bytescope_code::exceptions::{parse_exception_table, parse_exception_table_strict};
use bytescope_code::lines::{
    check_line_table, co_lines, co_positions, findlinestarts, lineno_width, linestarts, position_ranges,
    positions_width,
};
use bytescope_pyc::PythonVersion;

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        // Bias towards bytes that matter: continuation bits, entry starts,
        // zero deltas and the no-line markers.
        const SPECIAL: [u8; 8] = [0x00, 0x40, 0x7f, 0x80, 0xc0, 0xf8, 0xff, 0xe8];
        (0..len)
            .map(|_| if self.below(4) == 0 { SPECIAL[self.below(8) as usize] } else { self.next() as u8 })
            .collect()
    }
}

fn exercise(v: PythonVersion, code_len: usize, first: i32, table: &[u8]) {
    let n = table.len();
    let lines = co_lines(v, code_len, first, table);
    assert!(lines.len() <= n + 1, "{v}: {} ranges from {n} bytes", lines.len());
    for w in lines.windows(2) {
        assert!(w[0].end <= w[1].start || v <= PythonVersion::PY39, "{v}: overlapping ranges");
    }
    let starts = findlinestarts(v, code_len, first, table);
    assert!(starts.len() <= n / 2 + 1 || v >= PythonVersion::PY311);
    assert!(starts.len() <= n + 1);
    let ls = linestarts(v, code_len, first, table);
    let _ = lineno_width(v, &ls, 0);
    let _ = lineno_width(v, &ls, i64::MAX);
    let _ = lineno_width(v, &ls, i64::MIN);
    let ranges = position_ranges(v, code_len, first, table);
    assert!(ranges.len() <= n);
    let positions = co_positions(v, code_len, first, table);
    assert!(positions.len() <= 8 * n);
    assert_eq!(positions_width(&positions), positions_width(ranges.iter().map(|r| &r.positions)));
    if v >= PythonVersion::PY311 && check_line_table(v, table).is_ok() {
        // On a well-formed table the two walkers of CPython agree entry for
        // entry (3.11 does not merge ranges).
        let l311 = co_lines(PythonVersion::PY311, code_len, first, table);
        assert_eq!(l311.len(), ranges.len(), "{table:02x?}");
        for (l, r) in l311.iter().zip(&ranges) {
            assert_eq!((l.start, l.end), (r.start, r.end));
            let raw = r.positions.line.map_or(-1, i64::from);
            assert_eq!(l.line, (raw >= 0).then_some(raw), "{table:02x?}");
        }
    }
}

#[test]
fn random_tables_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let firsts = [0, 1, -1, 7, 1000, i32::MAX, i32::MIN, i32::MAX - 3];
    for round in 0..2500 {
        let len = match round % 10 {
            0 => 0,
            1..=6 => rng.below(24) as usize,
            7 | 8 => rng.below(200) as usize,
            _ => 1000 + rng.below(3000) as usize,
        };
        let table = rng.bytes(len);
        let first = firsts[rng.below(firsts.len() as u64) as usize];
        let code_len = match rng.below(4) {
            0 => 0,
            1 => 2 * rng.below(64) as usize,
            2 => rng.below(100_000) as usize,
            _ => usize::MAX,
        };
        for &v in PythonVersion::ALL {
            exercise(v, code_len, first, &table);
        }
        let lenient = parse_exception_table(&table);
        let strict = parse_exception_table_strict(&table);
        if let Ok(entries) = &lenient {
            assert!(entries.len() <= len / 4);
        }
        if let Ok(s) = strict {
            assert_eq!(Ok(s), lenient);
        }
    }
}

#[test]
fn adversarial_tables() {
    let huge_lnotab: Vec<u8> = [255u8, 127].repeat(50_000);
    let all_continue = vec![0xffu8; 10_000];
    let one_byte_entries = vec![0xffu8; 10_000]; // `1 1111 111`: no location, 8 units
    let varint_runs: Vec<u8> = [0xe8u8].into_iter().chain(std::iter::repeat_n(0x7f, 10_000)).collect();
    for table in [&huge_lnotab, &all_continue, &one_byte_entries, &varint_runs] {
        for &v in PythonVersion::ALL {
            for first in [i32::MIN, 0, i32::MAX] {
                exercise(v, usize::MAX, first, table);
            }
        }
        let _ = parse_exception_table(table);
        let _ = parse_exception_table_strict(table);
    }
    // ≤3.9 lines are Python ints: 50 000 increments of 127 from i32::MAX.
    let starts = findlinestarts(PythonVersion::PY39, usize::MAX, i32::MAX, &huge_lnotab);
    assert_eq!(starts.last().and_then(|s| s.1), Some(i64::from(i32::MAX) + 127 * 50_000));
}
