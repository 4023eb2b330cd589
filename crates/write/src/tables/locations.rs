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

use crate::assemble::Location;

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
    let mut out = Vec::with_capacity(runs.len() * 2);
    let mut w = LocationWriter::new(version, firstlineno);
    for r in runs {
        w.add(&mut out, r.units, Location::from(r.positions));
    }
    w.finish(&mut out);
    out
}

/// The location table written one instruction (or run) at a time, in
/// code order: 3.12+ merge consecutive equal locations first. Works on raw
/// values (`-1`: unknown), as the assembler holds them.
pub(crate) struct LocationWriter {
    /// The line the next entry's delta counts from.
    line: i32,
    merge: bool,
    /// The run not yet written, and its length in code units.
    pending: Location,
    units: u32,
}

impl LocationWriter {
    pub(crate) fn new(version: PythonVersion, firstlineno: i32) -> Self {
        LocationWriter {
            line: firstlineno,
            merge: version >= PythonVersion::PY312,
            pending: Location::NONE,
            units: 0,
        }
    }

    /// `units` more code units at `loc`.
    #[inline(always)]
    pub(crate) fn add(&mut self, out: &mut Vec<u8>, units: u32, loc: Location) {
        if self.units > 0 {
            if self.merge && loc == self.pending {
                self.units += units;
                return;
            }
            self.run(out, self.units, self.pending);
        }
        self.pending = loc;
        self.units = units;
    }

    /// Writes what is pending.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        if self.units > 0 {
            self.run(out, self.units, self.pending);
            self.units = 0;
        }
    }

    #[inline(always)]
    fn run(&mut self, out: &mut Vec<u8>, units: u32, l: Location) {
        if (1..=8).contains(&units) {
            self.entry(out, units as u8, l);
        } else {
            self.long_run(out, units, l);
        }
    }

    /// A run of more than 8 units: entries of 8 and the rest.
    #[inline(never)]
    fn long_run(&mut self, out: &mut Vec<u8>, units: u32, l: Location) {
        let mut left = units;
        while left > 8 {
            self.entry(out, 8, l);
            left -= 8;
        }
        if left > 0 {
            self.entry(out, left as u8, l);
        }
    }

    /// One entry: the short and one-line forms inline (nearly every entry
    /// the compiler writes), the others out of line.
    #[inline(always)]
    fn entry(&mut self, out: &mut Vec<u8>, units: u8, l: Location) {
        let head = |code: u8| 0x80 | code << 3 | (units - 1);
        let Location { line, end_line, col, end_col } = l;
        if line != -1 && end_line == line && col >= 0 && end_col >= 0 {
            let delta = line.wrapping_sub(self.line);
            if delta == 0 && col < 80 && end_col - col < 16 && end_col >= col {
                out.extend_from_slice(&[
                    head(SHORT0 + (col >> 3) as u8),
                    ((col & 7) << 4) as u8 | (end_col - col) as u8,
                ]);
                return;
            }
            if (0..3).contains(&delta) && col < 128 && end_col < 128 {
                out.extend_from_slice(&[head(ONE_LINE0 + delta as u8), col as u8, end_col as u8]);
                self.line = line;
                return;
            }
        }
        self.other_entry(out, units, l);
    }

    /// The forms other than short and one-line.
    #[inline(never)]
    fn other_entry(&mut self, out: &mut Vec<u8>, units: u8, l: Location) {
        let head = |code: u8| 0x80 | code << 3 | (units - 1);
        let Location { line, end_line, col, end_col } = l;
        if line == -1 {
            if l == Location::NONE {
                out.push(head(NONE));
            } else {
                // A location without a line but with other fields: only
                // crafted tables have one; the long form keeps it.
                self.long(out, head(LONG), -1, end_line, col, end_col);
            }
            return;
        }
        if col == -1 && end_col == -1 && (end_line == line || end_line == -1) {
            out.push(head(NO_COLUMNS));
            svarint(out, line.wrapping_sub(self.line));
            self.line = line;
            return;
        }
        self.long(out, head(LONG), line, end_line, col, end_col);
    }

    fn long(&mut self, out: &mut Vec<u8>, head: u8, line: i32, end_line: i32, col: i32, end_col: i32) {
        out.push(head);
        svarint(out, line.wrapping_sub(self.line));
        write_location_varint(out, end_line.wrapping_sub(line) as u32);
        write_location_varint(out, col.wrapping_add(1) as u32);
        write_location_varint(out, end_col.wrapping_add(1) as u32);
        self.line = line;
    }
}

/// CPython's `write_location_signed_varint`, in 32-bit unsigned arithmetic.
fn svarint(out: &mut Vec<u8>, v: i32) {
    let u = if v < 0 { (0u32.wrapping_sub(v as u32) << 1) | 1 } else { (v as u32) << 1 };
    write_location_varint(out, u);
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
