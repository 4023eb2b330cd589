//! The 3.11+ location table (`Objects/locations.md`, `write_location_info_entry`
//! in `Python/compile.c` (3.11) and `Python/assemble.c` (3.12+)).
//!
//! Each entry covers 1–8 code units: a first byte `1 CCCC LLL` (code `C`,
//! `L + 1` units), then the form's payload. CPython's assembler picks the
//! form in this order, which the encoder follows:
//!
//! 1. no line → 15 (none);
//! 2. a column unknown, and the end line equal to the line or unknown →
//!    13 (no columns: signed line delta);
//! 3. one line, line delta 0, column < 80, `0 ≤ end − column < 16` → short
//!    form `column >> 3` (0–9) with one byte;
//! 4. one line, line delta 0–2, both columns < 128 → one-line form 10–12
//!    with two bytes;
//! 5. else 14 (long: signed line delta, end-line delta, column + 1,
//!    end column + 1, where 0 means unknown).
//!
//! The line state starts at `co_firstlineno` and is moved by every form but
//! the short one and none. 3.11 writes one entry per instruction (its
//! `EXTENDED_ARG` prefixes, the opcode and its caches); 3.12+ first merge
//! consecutive instructions with the same location. A run longer than 8
//! units is written as entries of 8 and a remainder, each with the same
//! location.
//!
//! Where CPython's choice would lose a value its compiler never produces,
//! this encoder keeps it with the long form, so that decoding any table and
//! encoding it again is exact: a location with no line but some other field,
//! a known negative line (CPython writes any negative line as "none"), and
//! one column known without the other (CPython writes "no columns"). The one
//! loss left is CPython's own: a line with neither end line nor columns is
//! written as "no columns", which reads back with the end line equal to the
//! line.

use bytescope_code::lines::Positions;
use bytescope_code::varint::write_location_varint;
use bytescope_pyc::PythonVersion;

/// `units` code units sharing one location: one instruction (3.11), or any
/// run (3.12+).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionRun {
    /// Number of code units (2 bytes each).
    pub units: u32,
    /// Their source span.
    pub positions: Positions,
}

const SHORT0: u8 = 0;
const ONE_LINE0: u8 = 10;
const NO_COLUMNS: u8 = 13;
const LONG: u8 = 14;
const NONE: u8 = 15;

/// Encodes the location table of `version` (3.11+).
#[must_use]
pub fn encode_locations(version: PythonVersion, firstlineno: i32, runs: &[PositionRun]) -> Vec<u8> {
    let mut e = Encoder { out: Vec::with_capacity(runs.len() * 2), line: firstlineno };
    if version >= PythonVersion::PY312 {
        let mut cur: Option<PositionRun> = None;
        for r in runs {
            match &mut cur {
                Some(c) if c.positions == r.positions => c.units += r.units,
                _ => {
                    if let Some(c) = cur {
                        e.run(c);
                    }
                    cur = Some(*r);
                }
            }
        }
        if let Some(c) = cur {
            e.run(c);
        }
    } else {
        for r in runs {
            e.run(*r);
        }
    }
    e.out
}

struct Encoder {
    out: Vec<u8>,
    line: i32,
}

impl Encoder {
    fn run(&mut self, r: PositionRun) {
        let mut left = r.units;
        while left > 8 {
            self.entry(8, r.positions);
            left -= 8;
        }
        if left > 0 {
            self.entry(left as u8, r.positions);
        }
    }

    fn head(&mut self, code: u8, units: u8) {
        self.out.push(0x80 | code << 3 | (units - 1));
    }

    fn svarint(&mut self, v: i32) {
        // CPython's write_location_signed_varint, in 32-bit unsigned
        // arithmetic.
        let u = if v < 0 { (0u32.wrapping_sub(v as u32) << 1) | 1 } else { (v as u32) << 1 };
        write_location_varint(&mut self.out, u);
    }

    fn entry(&mut self, units: u8, p: Positions) {
        let (col, end_col) = (p.col.unwrap_or(-1), p.end_col.unwrap_or(-1));
        let Some(line) = p.line else {
            if p == Positions::NONE {
                self.head(NONE, units);
            } else {
                // A location without a line but with other fields: only
                // crafted tables have one; the long form keeps it.
                self.long(units, -1, p.end_line.unwrap_or(-1), col, end_col);
            }
            return;
        };
        let delta = line.wrapping_sub(self.line);
        if p.col.is_none() && p.end_col.is_none() && (p.end_line == Some(line) || p.end_line.is_none()) {
            self.head(NO_COLUMNS, units);
            self.svarint(delta);
            self.line = line;
            return;
        }
        if col >= 0 && end_col >= 0 && p.end_line == Some(line) {
            if delta == 0 && col < 80 && end_col - col < 16 && end_col >= col {
                self.head(SHORT0 + (col >> 3) as u8, units);
                self.out.push(((col & 7) << 4) as u8 | (end_col - col) as u8);
                return;
            }
            if (0..3).contains(&delta) && col < 128 && end_col < 128 {
                self.head(ONE_LINE0 + delta as u8, units);
                self.out.push(col as u8);
                self.out.push(end_col as u8);
                self.line = line;
                return;
            }
        }
        self.long(units, line, p.end_line.unwrap_or(-1), col, end_col);
    }

    fn long(&mut self, units: u8, line: i32, end_line: i32, col: i32, end_col: i32) {
        self.head(LONG, units);
        self.svarint(line.wrapping_sub(self.line));
        write_location_varint(&mut self.out, end_line.wrapping_sub(line) as u32);
        write_location_varint(&mut self.out, col.wrapping_add(1) as u32);
        write_location_varint(&mut self.out, end_col.wrapping_add(1) as u32);
        self.line = line;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytescope_code::lines::co_positions;

    fn p(line: i32, end_line: i32, col: i32, end_col: i32) -> Positions {
        Positions::from_raw(line, end_line, col, end_col)
    }

    #[test]
    fn forms_and_inverse() {
        let runs = [
            PositionRun { units: 1, positions: p(5, 5, -1, -1) }, // no columns
            PositionRun { units: 2, positions: p(5, 5, 26, 31) }, // short form 3
            PositionRun { units: 1, positions: p(6, 6, 7, 12) },  // one-line, +1
            PositionRun { units: 10, positions: Positions::NONE }, // none, 8 + 2
            PositionRun { units: 1, positions: p(3, 4036, 4, -1) }, // long
            PositionRun { units: 1, positions: p(3, 3, 200, 300) }, // long (columns ≥ 128)
        ];
        for v in [PythonVersion::PY311, PythonVersion::PY312] {
            let t = encode_locations(v, 5, &runs);
            let want: Vec<Positions> =
                runs.iter().flat_map(|r| std::iter::repeat_n(r.positions, r.units as usize)).collect();
            assert_eq!(co_positions(v, 100, 5, &t), want, "{v}");
        }
        let t = encode_locations(PythonVersion::PY311, 5, &runs[..2]);
        assert_eq!(t, [0x80 | 13 << 3, 0x00, 0x80 | 3 << 3 | 1, 0x25]);
    }
}
