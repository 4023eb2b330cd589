//! Line-number and position tables: `co_lnotab` (≤3.9), the PEP 626
//! `co_linetable` (3.10) and the location table (3.11+).
//!
//! Every function takes the raw table, the length of `co_code` in bytes and
//! `co_firstlineno`, and reproduces what the given CPython version's
//! `code.co_lines()`, `code.co_positions()` and `dis.findlinestarts()` return,
//! including on malformed tables (checked against the interpreters; see
//! `tools/gen_table_vectors.py` and `tests/tables.rs`).
//!
//! # Formats
//!
//! - **≤3.9 `co_lnotab`**: pairs `(byte_incr: u8, line_incr)`; `line_incr` is
//!   unsigned up to 3.5 and an `i8` from 3.6. A pair's line increment applies
//!   to the bytes *after* its byte increment (`Objects/lnotab_notes.txt`).
//! - **3.10 `co_linetable`**: pairs `(sdelta: u8 bytes, ldelta: i8)`;
//!   `ldelta == -128` means "no line". The line delta applies to the range the
//!   pair describes. (The pseudo-code in 3.10's `lnotab_notes.txt` skips
//!   `ldelta == 0` entries and is wrong; CPython's C decoder does not.)
//! - **3.11+ location table**: entries whose first byte is `1 CCCC LLL`,
//!   covering `LLL + 1` code units, with code `C` selecting the form
//!   (`Objects/locations.md`, `InternalDocs/code_objects.md`).
//!
//! # Version differences (all verified against the interpreters)
//!
//! - `co_lines()` does not exist before 3.10. For ≤3.9 [`co_lines`] returns
//!   the *derived* equivalent: the maximal ranges of `[0, code_len)` over which
//!   the C function `PyCode_Addr2Line` (tracebacks, `f_lineno`) gives the same
//!   line. Ranges are clipped to `code_len` and adjacent equal lines merged, so
//!   the `(255, 0)` split pairs of the encoding do not show.
//! - 3.10 and 3.11 `co_lines()` report any negative line as `None`
//!   (`ar_line < 0`); 3.12+ only `-1` (the internal "no line" value).
//! - 3.10 and 3.11 `co_lines()` do not merge adjacent ranges with equal lines;
//!   3.12+ do.
//! - `dis.findlinestarts`: 2.x–3.7 walk the lnotab to its end; 3.8–3.9 stop once
//!   the address reaches `len(co_code)`; 3.10–3.12 skip `None` lines and
//!   suppress a line equal to the last *yielded* one; 3.13+ yield every
//!   `co_lines()` range start, `None` included.
//! - From 3.10 the tables are not clipped to `code_len`: `co_lines()` and
//!   `co_positions()` describe whatever the table describes.
//! - 3.11+ `co_lines()` and `co_positions()` walk the table differently:
//!   `co_lines()` takes every byte with bit 7 set (and byte 0) as the start of
//!   an entry, `co_positions()` parses entries back to back. They disagree when
//!   an entry's payload has bit 7 set (a column byte ≥ 128 in the one-line
//!   forms, which the compiler never writes). Both are reproduced.
//!
//! # Malformed tables
//!
//! CPython never raises on these tables; the decoders here never fail either.
//! Line arithmetic wraps like C `int` (CPython is built with `-fwrapv` /
//! `-fno-strict-overflow`) for 3.10+, and uses unbounded (here `i64`) integers
//! for ≤3.9, where `dis.findlinestarts` is pure Python. Where CPython reads past
//! the end of the table it reads the NUL that ends every bytes object and then
//! heap memory; the decoders read every missing byte as `0`, which is exact for
//! the first one. Over-long varints wrap as CPython's do (see
//! [`read_location_varint_lenient`]). A 3.10 table that ends with zero-length
//! ranges makes CPython read past the end; here those ranges are dropped.
//! Ranges that would end past `i32::MAX` bytes (where CPython's `int` offsets
//! wrap; only possible with tables of tens of megabytes) are not produced.
//! [`check_line_table`] reports all of these conditions.
//!
//! Output sizes are bounded by the input: at most one range per table byte
//! (plus one), and for [`co_positions`] at most 8 positions per table byte.

use bytescope_marshal::reuse::room_for;
use bytescope_pyc::PythonVersion;

use crate::varint::{VarintError, read_location_varint, read_location_varint_lenient, svarint_value};

/// One row of `code.co_lines()`: the half-open byte range `start..end` of
/// `co_code` and its line, `None` when the range has no line number.
///
/// Lines are `i64` because ≤3.9 `dis` computes them with Python integers
/// (`firstlineno` plus the deltas can leave the `i32` range); from 3.10 they
/// are C `int`s and always fit in `i32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LineRange {
    /// First byte offset of the range.
    pub start: u32,
    /// Byte offset just past the range.
    pub end: u32,
    /// The range's line, `None` for "no line".
    pub line: Option<i64>,
}

/// One row of `code.co_positions()` (3.11+): the source span of one code unit.
/// Each field is `None` where CPython reports `None` (the C value `-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Positions {
    /// First line of the span.
    pub line: Option<i32>,
    /// Last line of the span.
    pub end_line: Option<i32>,
    /// Column (UTF-8 byte offset) where the span starts.
    pub col: Option<i32>,
    /// Column (UTF-8 byte offset) just past the span.
    pub end_col: Option<i32>,
}

impl Positions {
    /// All four fields `None`.
    pub const NONE: Positions = Positions { line: None, end_line: None, col: None, end_col: None };

    /// Builds positions from CPython's raw C values, mapping `-1` to `None`
    /// (`_source_offset_converter` in `Objects/codeobject.c`).
    #[must_use]
    pub fn from_raw(line: i32, end_line: i32, col: i32, end_col: i32) -> Self {
        let conv = |x: i32| if x == -1 { None } else { Some(x) };
        Positions { line: conv(line), end_line: conv(end_line), col: conv(col), end_col: conv(end_col) }
    }
}

/// One location-table entry (3.11+): the byte range `start..end` of `co_code`
/// and the positions of each of its code units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PositionRange {
    /// First byte offset covered.
    pub start: u32,
    /// Byte offset just past the entry.
    pub end: u32,
    /// The positions shared by every code unit in the range.
    pub positions: Positions,
}

/// Which line-table encoding a version uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LineTableFormat {
    /// `co_lnotab` (≤3.9).
    Lnotab {
        /// Line increments are `i8` (3.6+) rather than `u8`.
        signed_lines: bool,
        /// `dis.findlinestarts` stops at `len(co_code)` (3.8+).
        stops_at_code_end: bool,
    },
    /// The PEP 626 `co_linetable` of 3.10.
    Pep626,
    /// The 3.11+ location table.
    Locations,
}

impl LineTableFormat {
    /// The format used by `v`.
    #[must_use]
    pub fn for_version(v: PythonVersion) -> Self {
        if v >= PythonVersion::PY311 {
            LineTableFormat::Locations
        } else if v >= PythonVersion::PY310 {
            LineTableFormat::Pep626
        } else {
            LineTableFormat::Lnotab {
                signed_lines: v >= PythonVersion::PY36,
                stops_at_code_end: v >= PythonVersion::PY38,
            }
        }
    }
}

/// Largest byte offset CPython's `int` offsets can hold.
const MAX_OFFSET: u64 = i32::MAX as u64;

/// Location-table entry codes (`_PyCodeLocationInfoKind`).
const LOC_ONE_LINE0: u8 = 10;
const LOC_ONE_LINE2: u8 = 12;
const LOC_NO_COLUMNS: u8 = 13;
const LOC_LONG: u8 = 14;
const LOC_NONE: u8 = 15;

/// `code.co_lines()` of version `v` (see the module docs for ≤3.9, where it is
/// derived).
#[must_use]
pub fn co_lines(v: PythonVersion, code_len: usize, firstlineno: i32, table: &[u8]) -> Vec<LineRange> {
    match LineTableFormat::for_version(v) {
        LineTableFormat::Lnotab { signed_lines, .. } => {
            lnotab_ranges(signed_lines, code_len, firstlineno, table)
        }
        LineTableFormat::Pep626 => pep626_ranges(firstlineno, table)
            .into_iter()
            .map(|(start, end, line)| LineRange { start, end, line: (line >= 0).then_some(i64::from(line)) })
            .collect(),
        LineTableFormat::Locations => {
            let raw = location_line_ranges(firstlineno, table);
            if v >= PythonVersion::PY312 {
                let mut out: Vec<LineRange> = Vec::with_capacity(raw.len());
                let mut last_raw: Option<i32> = None;
                for (start, end, line) in raw {
                    match out.last_mut() {
                        Some(prev) if last_raw == Some(line) => prev.end = end,
                        _ => {
                            out.push(LineRange { start, end, line: (line != -1).then_some(i64::from(line)) })
                        }
                    }
                    last_raw = Some(line);
                }
                out
            } else {
                raw.into_iter()
                    .map(|(start, end, line)| LineRange {
                        start,
                        end,
                        line: (line >= 0).then_some(i64::from(line)),
                    })
                    .collect()
            }
        }
    }
}

/// `dis.findlinestarts(code)` of version `v`: `(offset, line)` for each
/// instruction offset that starts a line. Only 3.13+ yield `None` lines.
#[must_use]
pub fn findlinestarts(
    v: PythonVersion,
    code_len: usize,
    firstlineno: i32,
    table: &[u8],
) -> Vec<(u32, Option<i64>)> {
    match LineTableFormat::for_version(v) {
        LineTableFormat::Lnotab { signed_lines, stops_at_code_end } => {
            lnotab_findlinestarts(signed_lines, stops_at_code_end, code_len, firstlineno, table)
        }
        _ if v >= PythonVersion::PY313 => {
            // `line is not lastline` with `lastline = False` at first. Adjacent
            // 3.12+ ranges never have equal lines (co_lines merges them), so
            // this yields every range.
            let mut out = Vec::new();
            let mut last: Option<Option<i64>> = None;
            for r in co_lines(v, code_len, firstlineno, table) {
                if last != Some(r.line) {
                    out.push((r.start, r.line));
                    last = Some(r.line);
                }
            }
            out
        }
        _ => {
            let mut out = Vec::new();
            let mut last: Option<i64> = None;
            for r in co_lines(v, code_len, firstlineno, table) {
                if let Some(line) = r.line
                    && last != Some(line)
                {
                    out.push((r.start, Some(line)));
                    last = Some(line);
                }
            }
            out
        }
    }
}

/// `code.co_positions()` (3.11+): one [`Positions`] per code unit the table
/// describes, caches and `EXTENDED_ARG` included. Empty before 3.11, where the
/// method does not exist.
///
/// As in CPython the table, not `code_len`, decides how many there are: a
/// one-byte entry covers up to 8 code units, so a table of `n` bytes yields at
/// most `8 * n` positions. [`position_ranges`] is the compact form (at most
/// one row per table byte) for untrusted input.
#[must_use]
pub fn co_positions(v: PythonVersion, code_len: usize, firstlineno: i32, table: &[u8]) -> Vec<Positions> {
    let ranges = position_ranges(v, code_len, firstlineno, table);
    let units: usize = ranges.iter().map(|r| ((r.end - r.start) / 2) as usize).sum();
    let mut out = Vec::with_capacity(units);
    for r in ranges {
        for _ in 0..(r.end - r.start) / 2 {
            out.push(r.positions);
        }
    }
    out
}

/// The location-table entries behind [`co_positions`], one per entry: the
/// compact form (an entry covers 1–8 code units). Empty before 3.11.
#[must_use]
pub fn position_ranges(
    v: PythonVersion,
    code_len: usize,
    firstlineno: i32,
    table: &[u8],
) -> Vec<PositionRange> {
    position_ranges_in(v, code_len, firstlineno, table, Vec::new())
}

/// [`position_ranges`] into `out`'s memory (emptied first): callers that
/// walk many code objects reuse one buffer.
#[must_use]
pub fn position_ranges_in(
    v: PythonVersion,
    _code_len: usize,
    firstlineno: i32,
    table: &[u8],
    mut out: Vec<PositionRange>,
) -> Vec<PositionRange> {
    out.clear();
    if v < PythonVersion::PY311 {
        return out;
    }
    out.extend(LocationEntries::new(firstlineno, table).map(|e| PositionRange {
        start: e.start,
        end: e.end,
        positions: Positions::from_raw(e.line, e.end_line, e.col, e.end_col),
    }));
    out
}

/// One 3.11+ location-table entry with CPython's raw C values (`-1` where
/// [`Positions`] has `None`): what [`LocationEntries`] yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocationEntry {
    /// First byte offset covered.
    pub start: u32,
    /// Byte offset just past the entry.
    pub end: u32,
    /// First line.
    pub line: i32,
    /// Last line.
    pub end_line: i32,
    /// Start column.
    pub col: i32,
    /// End column.
    pub end_col: i32,
}

/// The entries of a 3.11+ location table in order, parsed back to back as
/// `co_positions()` parses them: the decoder behind [`position_ranges`], for
/// callers that walk the table once alongside the code (no buffer, no
/// `Option` per field). Stops where an entry would end past `i32::MAX`
/// bytes.
#[derive(Debug, Clone)]
pub struct LocationEntries<'t> {
    table: &'t [u8],
    pos: usize,
    end: u64,
    line: i32,
}

impl<'t> LocationEntries<'t> {
    /// The entries of `table` for a code object whose `co_firstlineno` is
    /// `firstlineno`.
    #[must_use]
    pub fn new(firstlineno: i32, table: &'t [u8]) -> Self {
        LocationEntries { table, pos: 0, end: 0, line: firstlineno }
    }
}

impl LocationEntries<'_> {
    /// The entries with varints (long, no columns). Returns `(line, end
    /// line, column, end column)` and the offset past the entry.
    #[inline]
    fn varint_entry(&mut self, code: u8, pos: usize) -> ((i32, i32, i32, i32), usize) {
        let table = self.table;
        let mut line = self.line;
        let (d, next) = read_location_varint_lenient(table, pos);
        line = line.wrapping_add(svarint_value(d));
        self.line = line;
        if code == LOC_NO_COLUMNS {
            return ((line, line, -1, -1), next);
        }
        let (dl, next) = read_location_varint_lenient(table, next);
        let (c, next) = read_location_varint_lenient(table, next);
        let (ec, next) = read_location_varint_lenient(table, next);
        // The C reader returns these as `int`; `- 1` wraps.
        ((line, line.wrapping_add(dl as i32), (c as i32).wrapping_sub(1), (ec as i32).wrapping_sub(1)), next)
    }
}

impl Iterator for LocationEntries<'_> {
    type Item = LocationEntry;

    #[inline(always)]
    fn next(&mut self) -> Option<LocationEntry> {
        let table = self.table;
        let byte = |i: usize| table.get(i).copied().unwrap_or(0);
        let first = *table.get(self.pos)?;
        let pos = self.pos + 1;
        let code = (first >> 3) & 15;
        let start = self.end;
        let end = start + (u64::from(first & 7) + 1) * 2;
        if end > MAX_OFFSET {
            self.pos = table.len();
            return None;
        }
        self.end = end;
        // Short forms first: most entries the compiler writes.
        let ((l, el, c, ec), next) = if code < LOC_ONE_LINE0 {
            // Short forms 0-9: `col = code << 3 | b >> 4` (an OR, which
            // differs from `code * 8 + ...` when b has bit 7 set).
            let b = byte(pos);
            let col = i32::from(code << 3 | b >> 4);
            ((self.line, self.line, col, col + i32::from(b & 15)), pos + 1)
        } else if code <= LOC_ONE_LINE2 {
            let line = self.line.wrapping_add(i32::from(code - LOC_ONE_LINE0));
            self.line = line;
            ((line, line, i32::from(byte(pos)), i32::from(byte(pos + 1))), pos + 2)
        } else if code == LOC_NONE {
            ((-1, -1, -1, -1), pos)
        } else {
            // LOC_LONG, LOC_NO_COLUMNS.
            self.varint_entry(code, pos)
        };
        self.pos = next;
        // `start`/`end` are at most MAX_OFFSET here.
        Some(LocationEntry {
            start: start as u32,
            end: end as u32,
            line: l,
            end_line: el,
            col: c,
            end_col: ec,
        })
    }
}

/// The per-version `linestarts` mapping that `dis` builds with
/// `dict(findlinestarts(co))`: instruction offset → line (`None` only 3.13+).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineStarts {
    /// `(offset, line)` sorted by offset, one per offset.
    starts: Vec<(u32, Option<i64>)>,
}

impl LineStarts {
    /// Builds the mapping from `findlinestarts` output; a repeated offset
    /// keeps its last line, as `dict()` does.
    #[must_use]
    pub fn from_pairs(pairs: Vec<(u32, Option<i64>)>) -> Self {
        // Strictly ascending offsets (the usual case) need no work.
        if pairs.windows(2).all(|w| w[0].0 < w[1].0) {
            return LineStarts { starts: pairs };
        }
        let mut starts = pairs;
        // Stable sort, then keep the last of each run of equal offsets.
        starts.sort_by_key(|&(off, _)| off);
        let mut out: Vec<(u32, Option<i64>)> = Vec::with_capacity(starts.len());
        for (off, line) in starts {
            match out.last_mut() {
                Some(last) if last.0 == off => last.1 = line,
                _ => out.push((off, line)),
            }
        }
        LineStarts { starts: out }
    }

    /// The line that starts at `offset`: `None` if no line starts there,
    /// `Some(None)` for a 3.13+ line start without a line number.
    #[must_use]
    pub fn get(&self, offset: u32) -> Option<Option<i64>> {
        self.starts.binary_search_by_key(&offset, |&(off, _)| off).ok().map(|i| self.starts[i].1)
    }

    /// Whether a line starts at `offset`.
    #[must_use]
    pub fn contains(&self, offset: u32) -> bool {
        self.get(offset).is_some()
    }

    /// The pairs' vector, for reuse.
    #[must_use]
    pub fn into_vec(self) -> Vec<(u32, Option<i64>)> {
        self.starts
    }

    /// The `(offset, line)` pairs in offset order.
    #[must_use]
    pub fn as_slice(&self) -> &[(u32, Option<i64>)] {
        &self.starts
    }

    /// The `(offset, line)` pairs in offset order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Option<i64>)> + '_ {
        self.starts.iter().copied()
    }

    /// Number of line starts.
    #[must_use]
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are no line starts (3.10+ `dis` then omits the column).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

/// `dict(dis.findlinestarts(co))` of version `v`.
#[must_use]
pub fn linestarts(v: PythonVersion, code_len: usize, firstlineno: i32, table: &[u8]) -> LineStarts {
    linestarts_in(v, code_len, firstlineno, table, Vec::new())
}

/// [`linestarts`], reusing `buf`'s memory (take it back with
/// [`LineStarts::into_vec`]): listings build one per code object.
#[must_use]
pub fn linestarts_in(
    v: PythonVersion,
    code_len: usize,
    firstlineno: i32,
    table: &[u8],
    mut buf: Vec<(u32, Option<i64>)>,
) -> LineStarts {
    if LineTableFormat::for_version(v) == LineTableFormat::Locations {
        // One pass over the 3.11+ table, the same as `findlinestarts` of
        // `co_lines` but without the intermediate vectors (this runs for
        // every code object `dis` prints). `linestarts_fused_matches` checks
        // the equivalence.
        location_linestarts_into(v, firstlineno, table, &mut buf);
        // Each entry starts where the one before it ends (at least one code
        // unit later): the offsets ascend strictly, as `from_pairs` wants.
        debug_assert!(buf.windows(2).all(|w| w[0].0 < w[1].0));
        return LineStarts { starts: buf };
    }
    LineStarts::from_pairs(findlinestarts(v, code_len, firstlineno, table))
}

/// `findlinestarts` for the 3.11+ location table in one pass, into `out`.
fn location_linestarts_into(
    v: PythonVersion,
    firstlineno: i32,
    table: &[u8],
    out: &mut Vec<(u32, Option<i64>)>,
) {
    // One copy of the loop per version family, so the per-entry tests of
    // the version's rules fold away.
    match (v >= PythonVersion::PY312, v >= PythonVersion::PY313) {
        (false, _) => location_linestarts_loop::<false, false>(firstlineno, table, out),
        (true, false) => location_linestarts_loop::<true, false>(firstlineno, table, out),
        (true, true) => location_linestarts_loop::<true, true>(firstlineno, table, out),
    }
}

/// [`location_linestarts_into`] for one version family: `MERGE` (3.12+
/// `co_lines` merges entries with equal raw lines) and `EVERY` (3.13+
/// `findlinestarts` yields every range start, also line-less ones).
fn location_linestarts_loop<const MERGE: bool, const EVERY: bool>(
    firstlineno: i32,
    table: &[u8],
    out: &mut Vec<(u32, Option<i64>)>,
) {
    // The buffer is reused across code objects.
    room_for(out, table.len() / 2, 0);
    let mut st = StartsState::<MERGE, EVERY> {
        end: 0,
        line: firstlineno,
        last_raw: NONE,
        last_yielded: NONE,
        deltas: LineDeltas::new(table),
    };
    if table.is_empty() || !st.entry(table, 0, out) {
        return;
    }
    // The other entries start at the bytes with bit 7 set. Walking them in
    // words of eight bytes, entries that keep the line (short and
    // one-line-0 forms, most of them) are summed a word at a time while
    // nothing they could start is pending; the others go one by one.
    let mut words = table.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        if let Ok(&bytes) = <&[u8; 8]>::try_from(chunk)
            && !st.entries_in(u64::from_le_bytes(bytes), at, table, out)
        {
            return;
        }
        at += 8;
    }
    let rest = words.remainder();
    let mut bytes = [0u8; 8];
    bytes[..rest.len()].copy_from_slice(rest);
    // Zero padding starts no entry.
    st.entries_in(u64::from_le_bytes(bytes), at, table, out);
}

/// Sentinel outside every i32 line for "none yet" (cheaper than `Option`s
/// in the per-entry code).
const NONE: i64 = i64::MIN;

/// [`location_linestarts_loop`]'s state between entries.
struct StartsState<'t, const MERGE: bool, const EVERY: bool> {
    end: u64,
    line: i32,
    last_raw: i64,
    last_yielded: i64,
    deltas: LineDeltas<'t>,
}

impl<const MERGE: bool, const EVERY: bool> StartsState<'_, MERGE, EVERY> {
    /// Whether an entry that keeps the line would start nothing: it merges
    /// into the last range (3.12+) or repeats the last line yielded (3.11).
    #[inline(always)]
    fn settled(&self) -> bool {
        let line = i64::from(self.line);
        if MERGE { self.last_raw == line } else { line < 0 || self.last_yielded == line }
    }

    /// The entries starting in the eight table bytes `word` at `at` (byte
    /// 0 of the table excepted: it is done first); `false` once the offsets
    /// pass [`MAX_OFFSET`].
    #[inline(always)]
    fn entries_in(&mut self, word: u64, at: usize, table: &[u8], out: &mut Vec<(u32, Option<i64>)>) -> bool {
        const HIGH: u64 = 0x8080_8080_8080_8080;
        const LOW: u64 = 0x0101_0101_0101_0101;
        let mut starts = word & HIGH;
        if at == 0 {
            starts &= !0x80;
        }
        // Codes 11-15 (bits 3-6 at least 0b1011) may change the line.
        let changing = ((word & 0x7878_7878_7878_7878) + 0x2828_2828_2828_2828) & HIGH & starts;
        while starts != 0 {
            if self.settled() {
                // The starts before the next one that may change the line:
                // their code units ((b & 7) + 1 each) summed in one multiply.
                let next = changing & starts;
                let keep = starts & next.wrapping_sub(1) & !next;
                if keep != 0 {
                    let lanes = (keep >> 7) * 0xff;
                    let units = (((word & 0x0707_0707_0707_0707) + LOW) & lanes).wrapping_mul(LOW) >> 56;
                    self.end += units * 2;
                    if self.end > MAX_OFFSET {
                        return false;
                    }
                    starts &= !keep;
                    continue;
                }
            }
            let pos = at + (starts.trailing_zeros() / 8) as usize;
            if !self.entry(table, pos, out) {
                return false;
            }
            starts &= starts - 1;
        }
        true
    }

    /// The entry at `pos`; `false` once the offsets pass [`MAX_OFFSET`].
    #[inline(always)]
    fn entry(&mut self, table: &[u8], pos: usize, out: &mut Vec<(u32, Option<i64>)>) -> bool {
        let first = table[pos];
        self.line = self.line.wrapping_add(self.deltas.delta(first, pos));
        let raw = i64::from(if first >> 3 == 0x1f { -1 } else { self.line });
        let start = self.end;
        self.end += (u64::from(first & 7) + 1) * 2;
        if self.end > MAX_OFFSET {
            return false;
        }
        // 3.12+ `co_lines` merges an entry into the previous range when
        // their raw lines are equal; no range starts there.
        if MERGE && self.last_raw == raw {
            return true;
        }
        self.last_raw = raw;
        // 3.12+: only -1 means "no line"; 3.11: any negative line.
        let has_line = if MERGE { raw != -1 } else { raw >= 0 };
        if EVERY {
            out.push((start as u32, has_line.then_some(raw)));
        } else if has_line && self.last_yielded != raw {
            out.push((start as u32, Some(raw)));
            self.last_yielded = raw;
        }
        true
    }
}

/// Width of the line-number column that version `v`'s `dis` uses for a code
/// object with these line starts; `0` means the column is omitted.
/// `line_offset` is `dis.Bytecode(first_line=...)`'s shift (`first_line -
/// co_firstlineno`, else 0).
///
/// - 2.x–3.6: always 3 (`"%3d"`); numbers wider than 3 simply overflow.
/// - 3.7–3.12: `len(str(max + line_offset))` once that is ≥ 1000, else 3;
///   3.10–3.12 omit the column (0) when there are no line starts.
/// - 3.13+ (`_get_lineno_width`): ignores `line_offset`; takes the maximum of
///   the *truthy* lines (0 and `None` are skipped), 0 if there is none or it
///   is -1, else `max(3, len(str(max)))`, raised to 4 (`len("  --")`) when a
///   `None` line start exists.
#[must_use]
pub fn lineno_width(v: PythonVersion, starts: &LineStarts, line_offset: i64) -> usize {
    if v < PythonVersion::PY37 {
        return 3;
    }
    if v < PythonVersion::PY313 {
        if v >= PythonVersion::PY310 && starts.is_empty() {
            return 0;
        }
        // ≤3.12 never have `None` values here. (≤3.9 `max()` of an empty dict
        // would raise, but findlinestarts always yields there.)
        let Some(max) = starts.iter().filter_map(|(_, l)| l).max() else {
            return 3;
        };
        let shown = max.saturating_add(line_offset);
        return if shown >= 1000 { decimal_width(shown) } else { 3 };
    }
    let max = starts.iter().filter_map(|(_, l)| l.filter(|&x| x != 0)).max().unwrap_or(-1);
    if max == -1 {
        return 0;
    }
    let width = decimal_width(max).max(3);
    if width < 4 && starts.iter().any(|(_, l)| l.is_none()) { 4 } else { width }
}

/// Width of the 3.14+ `dis --show-positions` column (`_get_positions_width`):
/// `1 + max(4, 3 + w)` where `w` is the widest `line:col-endline:endcol`
/// payload (a `None` counts 1, for `?`), or 0 when every field is `None`.
///
/// CPython scans all of `co_positions()`, including units past the end of
/// `co_code`. Repeats do not change the result, so the compact
/// [`position_ranges`] serve as well: `positions_width(ranges.iter().map(|r| &r.positions))`.
#[must_use]
pub fn positions_width<'a>(positions: impl IntoIterator<Item = &'a Positions>) -> usize {
    let mut has_value = false;
    let mut values_width = 0;
    for p in positions {
        let fields = [p.line, p.end_line, p.col, p.end_col];
        has_value |= fields.iter().any(Option::is_some);
        let w: usize = fields.iter().map(|f| f.map_or(1, |x| decimal_width(i64::from(x)))).sum();
        values_width = values_width.max(w);
    }
    if has_value { 1 + 4usize.max(3 + values_width) } else { 0 }
}

/// `len(str(x))`.
fn decimal_width(x: i64) -> usize {
    let sign = usize::from(x < 0);
    let mut n = x.unsigned_abs();
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    sign + digits
}

/// Appends a range, merging it into the previous one when contiguous with an
/// equal line.
fn push_merged(out: &mut Vec<LineRange>, start: u32, end: u32, line: Option<i64>) {
    if let Some(prev) = out.last_mut()
        && prev.end == start
        && prev.line == line
    {
        prev.end = end;
        return;
    }
    out.push(LineRange { start, end, line });
}

fn lnotab_line_delta(signed: bool, b: u8) -> i64 {
    if signed { i64::from(b as i8) } else { i64::from(b) }
}

/// Derived `co_lines()` for ≤3.9 (see the module docs).
fn lnotab_ranges(signed: bool, code_len: usize, firstlineno: i32, table: &[u8]) -> Vec<LineRange> {
    let code_len = (code_len as u64).min(MAX_OFFSET);
    let mut out = Vec::new();
    let mut addr: u64 = 0;
    let mut line = i64::from(firstlineno);
    for pair in table.chunks_exact(2) {
        let incr = u64::from(pair[0]);
        if incr != 0 {
            if addr < code_len {
                // Both bounds are ≤ code_len ≤ MAX_OFFSET.
                push_merged(&mut out, addr as u32, (addr + incr).min(code_len) as u32, Some(line));
            }
            addr += incr;
        }
        line += lnotab_line_delta(signed, pair[1]);
    }
    if addr < code_len {
        push_merged(&mut out, addr as u32, code_len as u32, Some(line));
    }
    out
}

/// `dis.findlinestarts` of ≤3.9 (pure Python there, so lines are unbounded).
fn lnotab_findlinestarts(
    signed: bool,
    stops_at_code_end: bool,
    code_len: usize,
    firstlineno: i32,
    table: &[u8],
) -> Vec<(u32, Option<i64>)> {
    let code_len = code_len as u64;
    let mut out = Vec::new();
    let mut last: Option<i64> = None;
    let mut line = i64::from(firstlineno);
    let mut addr: u64 = 0;
    for pair in table.chunks_exact(2) {
        if pair[0] != 0 {
            if last != Some(line) {
                out.push((addr as u32, Some(line)));
                last = Some(line);
            }
            addr += u64::from(pair[0]);
            if stops_at_code_end && addr >= code_len {
                return out;
            }
            if addr > u64::from(u32::MAX) {
                // Offsets past 4 GiB: only a table of tens of megabytes gets
                // here; stop rather than wrap.
                return out;
            }
        }
        line += lnotab_line_delta(signed, pair[1]);
    }
    if last != Some(line) {
        out.push((addr as u32, Some(line)));
    }
    out
}

/// 3.10 `PyLineTable_NextAddressRange` walk: `(start, end, ar_line)` with
/// `ar_line == -1` for "no line" (and negative computed lines left as is).
fn pep626_ranges(firstlineno: i32, table: &[u8]) -> Vec<(u32, u32, i32)> {
    let mut out = Vec::new();
    let mut end: u64 = 0;
    let mut line = firstlineno;
    let mut pos = 0usize;
    while pos < table.len() {
        let sdelta = table[pos];
        // An odd-length table's last ldelta is the bytes object's NUL.
        let ldelta = table.get(pos + 1).copied().unwrap_or(0) as i8;
        pos += 2;
        let start = end;
        end += u64::from(sdelta);
        if end > MAX_OFFSET {
            break;
        }
        let ar_line = if ldelta == -128 {
            -1
        } else {
            line = line.wrapping_add(i32::from(ldelta));
            line
        };
        if start != end {
            out.push((start as u32, end as u32, ar_line));
        }
    }
    out
}

/// The line deltas of a 3.11+ table's entries, read as CPython's
/// `get_line_delta` (`Objects/codeobject.c`) reads them: short forms (codes
/// 0-9) keep the line, one-line forms add 0-2, the no-column and long forms
/// start with a signed varint.
///
/// `co_lines()` takes every byte with bit 7 set as an entry, and its
/// varint reader stops only at a byte without bit 6 — which may lie many
/// entries further on (`0xf0` is both a long-form entry start and a
/// continuation byte). Reading each such varint to its end is quadratic in
/// the table; CPython does exactly that. Here a varint of more than
/// [`SHORT_VARINT`] bytes is answered from [`LongVarints`], built once per
/// table in linear time, with the same value.
struct LineDeltas<'t> {
    table: &'t [u8],
    long: Option<LongVarints>,
}

/// Longest varint [`LineDeltas`] reads byte by byte (real tables: 1-3).
const SHORT_VARINT: usize = 16;

impl<'t> LineDeltas<'t> {
    fn new(table: &'t [u8]) -> Self {
        LineDeltas { table, long: None }
    }

    /// The line delta of the entry at `pos`, whose first byte `first` the
    /// caller has read.
    #[inline]
    fn delta(&mut self, first: u8, pos: usize) -> i32 {
        let code = (first >> 3) & 15;
        match code {
            LOC_NO_COLUMNS | LOC_LONG => svarint_value(self.varint(pos + 1)),
            LOC_ONE_LINE0..=LOC_ONE_LINE2 => i32::from(code - LOC_ONE_LINE0),
            _ => 0,
        }
    }

    /// [`read_location_varint_lenient`]'s value at `at`, in constant time
    /// (amortised) however far the varint runs.
    #[inline(always)]
    fn varint(&mut self, at: usize) -> u32 {
        // One or two bytes: nearly every line delta of a real table.
        let b0 = self.table.get(at).copied().unwrap_or(0);
        if b0 & 0x40 == 0 {
            return u32::from(b0 & 0x3f);
        }
        let b1 = self.table.get(at + 1).copied().unwrap_or(0);
        if b1 & 0x40 == 0 {
            return u32::from(b0 & 0x3f) | u32::from(b1 & 0x3f) << 6;
        }
        self.varint_long(at)
    }

    #[cold]
    #[inline(never)]
    fn varint_long(&mut self, at: usize) -> u32 {
        match read_short_varint(self.table, at) {
            Some(v) => v,
            None => self.long.get_or_insert_with(|| LongVarints::new(self.table)).value(at),
        }
    }
}

/// A lenient varint at `at` if it ends within [`SHORT_VARINT`] bytes.
#[inline]
fn read_short_varint(table: &[u8], at: usize) -> Option<u32> {
    let mut value = 0u32;
    for i in 0..SHORT_VARINT {
        // Past the end: the bytes object's NUL, which ends the varint.
        let b = table.get(at + i).copied().unwrap_or(0);
        value |= u32::from(b & 0x3f).wrapping_shl(6 * i as u32);
        if b & 0x40 == 0 {
            return Some(value);
        }
    }
    None
}

/// The value of the lenient varint starting at every offset of a table
/// (`read_location_varint_lenient(table, p).0` for `p` in `0..=len`),
/// computed in one backward pass.
///
/// A varint's chunk `i` lands at bit `6 * i mod 32` (the C shift count
/// wraps), which repeats every 16 chunks, and OR is idempotent: so a
/// varint that runs 16 bytes or more is its first 16 chunks ORed with the
/// varint 16 bytes further on.
struct LongVarints {
    values: Vec<u32>,
}

impl LongVarints {
    fn new(table: &[u8]) -> Self {
        let n = table.len();
        let byte = |i: usize| table.get(i).copied().unwrap_or(0);
        let mut values = vec![0u32; n + 1];
        // `end`: the offset of the byte that ends the varint at `p` (the
        // first at or after `p` without bit 6; the NUL at `n` at the latest).
        let mut end = n;
        for p in (0..=n).rev() {
            if byte(p) & 0x40 == 0 {
                end = p;
            }
            let head = (end - p).min(SHORT_VARINT - 1);
            let mut v = 0u32;
            for i in 0..=head {
                v |= u32::from(byte(p + i) & 0x3f).wrapping_shl(6 * i as u32);
            }
            if p + SHORT_VARINT <= end {
                v |= values[p + SHORT_VARINT];
            }
            values[p] = v;
        }
        LongVarints { values }
    }

    fn value(&self, at: usize) -> u32 {
        // Offsets past the table read the NUL: 0.
        self.values.get(at).copied().unwrap_or(0)
    }
}

/// 3.11+ `_PyLineTable_NextAddressRange` walk: `(start, end, ar_line)`.
/// Entries start at byte 0 and at every later byte with bit 7 set.
fn location_line_ranges(firstlineno: i32, table: &[u8]) -> Vec<(u32, u32, i32)> {
    let mut out = Vec::new();
    let mut end: u64 = 0;
    let mut line = firstlineno;
    let mut pos = 0usize;
    let mut deltas = LineDeltas::new(table);
    while pos < table.len() {
        let first = table[pos];
        line = line.wrapping_add(deltas.delta(first, pos));
        // `is_no_line_marker`: the whole top 5 bits, so a first byte without
        // bit 7 is never "no line" here.
        let ar_line = if first >> 3 == 0x1f { -1 } else { line };
        let start = end;
        end += (u64::from(first & 7) + 1) * 2;
        if end > MAX_OFFSET {
            break;
        }
        out.push((start as u32, end as u32, ar_line));
        pos += 1;
        while pos < table.len() && table[pos] & 0x80 == 0 {
            pos += 1;
        }
    }
    out
}

/// A line table that CPython accepts but that the compiler never writes, or
/// whose decoding depends on memory past its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineTableError {
    /// The table ends inside an entry; CPython reads past the end.
    #[error("line table truncated at offset {offset}: expected {expected}")]
    Truncated {
        /// Offset of the first missing byte (the table length).
        offset: usize,
        /// What the missing bytes should have held.
        expected: &'static str,
    },
    /// A 3.11+ entry's first byte lacks bit 7.
    #[error(
        "line table byte 0x{byte:02x} at offset {offset}: expected the start of a location entry (bit 7 set)"
    )]
    MissingEntryStart {
        /// Offset of the byte.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A 3.11+ entry's payload byte has bit 7 set, so `co_lines()` and
    /// `co_positions()` disagree about where the next entry starts.
    #[error("line table byte 0x{byte:02x} at offset {offset}: expected entry payload (bit 7 clear)")]
    StrayEntryStart {
        /// Offset of the byte.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A 3.11+ varint does not fit in 32 bits; CPython's shifts wrap.
    #[error("line table varint at offset {offset} does not fit in 32 bits")]
    VarintOverflow {
        /// Offset of the varint's first byte.
        offset: usize,
    },
    /// A 3.10 table ends with a zero-length range; CPython reads past the end.
    #[error("line table ends with a zero-length range at offset {offset}")]
    TrailingEmptyRange {
        /// Offset of the first trailing zero-length pair.
        offset: usize,
    },
    /// An lnotab or 3.10 line table of odd length: ≤3.9 ignore the last byte,
    /// 3.10 pairs it with the bytes object's NUL.
    #[error("line table has odd length {len}: expected (offset, line) byte pairs")]
    OddLength {
        /// The table length.
        len: usize,
    },
}

/// Checks that `table` is a well-formed line table for version `v`: one the
/// decoders above read without guessing and that the compiler could have
/// written. The decoders do not need this; it is a diagnostic for scanners.
///
/// # Errors
/// The first problem found, with its byte offset.
pub fn check_line_table(v: PythonVersion, table: &[u8]) -> Result<(), LineTableError> {
    match LineTableFormat::for_version(v) {
        LineTableFormat::Lnotab { .. } => {
            if !table.len().is_multiple_of(2) {
                return Err(LineTableError::OddLength { len: table.len() });
            }
            Ok(())
        }
        LineTableFormat::Pep626 => {
            if !table.len().is_multiple_of(2) {
                return Err(LineTableError::OddLength { len: table.len() });
            }
            let last_nonempty = table.chunks_exact(2).rposition(|p| p[0] != 0);
            let first_trailing = last_nonempty.map_or(0, |i| i + 1);
            if first_trailing * 2 < table.len() {
                return Err(LineTableError::TrailingEmptyRange { offset: first_trailing * 2 });
            }
            Ok(())
        }
        LineTableFormat::Locations => check_location_table(table),
    }
}

fn check_location_table(table: &[u8]) -> Result<(), LineTableError> {
    let varint = |pos: usize, what: &'static str| -> Result<usize, LineTableError> {
        match read_location_varint(table, pos) {
            Ok((_, next)) => Ok(next),
            Err(VarintError::Truncated { offset }) => {
                Err(LineTableError::Truncated { offset, expected: what })
            }
            Err(VarintError::Overflow { offset, .. }) => Err(LineTableError::VarintOverflow { offset }),
        }
    };
    let bytes = |pos: usize, n: usize, what: &'static str| -> Result<usize, LineTableError> {
        if pos + n > table.len() {
            Err(LineTableError::Truncated { offset: table.len(), expected: what })
        } else {
            Ok(pos + n)
        }
    };
    let mut pos = 0;
    while pos < table.len() {
        let first = table[pos];
        if first & 0x80 == 0 {
            return Err(LineTableError::MissingEntryStart { offset: pos, byte: first });
        }
        let code = (first >> 3) & 15;
        let next = match code {
            LOC_NONE => pos + 1,
            LOC_NO_COLUMNS => varint(pos + 1, "a line delta varint")?,
            LOC_LONG => {
                let p = varint(pos + 1, "a line delta varint")?;
                let p = varint(p, "an end-line delta varint")?;
                let p = varint(p, "a column varint")?;
                varint(p, "an end-column varint")?
            }
            LOC_ONE_LINE0..=LOC_ONE_LINE2 => bytes(pos + 1, 2, "column and end-column bytes")?,
            _ => bytes(pos + 1, 1, "a column byte")?,
        };
        if let Some(i) = (pos + 1..next).find(|&i| table[i] & 0x80 != 0) {
            return Err(LineTableError::StrayEntryStart { offset: i, byte: table[i] });
        }
        pos = next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn linestarts_fused_matches() {
        // The one-pass 3.11+ path must equal findlinestarts(co_lines) on any
        // table, well-formed or not.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..8000 {
            let len = (next() % 80) as usize;
            let table: Vec<u8> = (0..len)
                .map(|k| {
                    let r = next() as u8;
                    // Mostly entry starts with plausible codes, some noise;
                    // every third table mostly keeps the line (codes 0-3,
                    // 8-10, some 11), in runs as compiled tables do.
                    if case % 3 == 1 && k % 2 == 0 {
                        0x80 | (r & 0x57)
                    } else if k % 3 == 0 || case % 7 == 0 {
                        r | 0x80
                    } else {
                        r & 0x7f
                    }
                })
                .collect();
            let first = (next() % 5) as i32 - 1;
            for v in [PythonVersion::PY311, PythonVersion::PY312, PythonVersion::PY313, PythonVersion::PY315]
            {
                let slow = LineStarts::from_pairs(findlinestarts(v, 1000, first, &table));
                assert_eq!(linestarts(v, 1000, first, &table), slow, "{v} {table:02x?}");
            }
        }
    }

    use super::*;

    /// The varint every long line-delta read must equal: CPython's reader,
    /// byte by byte to its end.
    #[test]
    fn long_varints_match_the_byte_reader() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..400 {
            let len = (next() % 300) as usize;
            // Mostly continuation bytes, in long runs, some ends.
            let table: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next() as u8;
                    if case % 4 == 0 || !r.is_multiple_of(23) { r | 0x40 } else { r & !0x40 }
                })
                .collect();
            let long = LongVarints::new(&table);
            let mut deltas = LineDeltas::new(&table);
            for p in 0..=len + 2 {
                let want = read_location_varint_lenient(&table, p).0;
                assert_eq!(long.value(p), want, "{p} {table:02x?}");
                assert_eq!(deltas.varint(p), want, "{p}");
            }
        }
    }

    /// Entry bytes that double as continuation bytes (`0xf0`: a long-form
    /// entry start with bit 6 set; `0xe8`: the no-column form): every
    /// entry's varint runs to the end of the table, in CPython too. The
    /// result must be CPython's (the byte reader's), in linear time.
    #[test]
    fn runaway_varints_are_linear_and_exact() {
        for entry in [0xf0u8, 0xe8, 0xf7, 0xef] {
            let small: Vec<u8> =
                (0..600).map(|i| if i % 7 == 3 { entry & !0x40 | 0x05 } else { entry }).collect();
            let slow = |table: &[u8]| {
                // The walk of `location_line_ranges` with a byte-by-byte reader.
                let mut out = Vec::new();
                let (mut end, mut line, mut pos) = (0u32, 1i32, 0usize);
                while pos < table.len() {
                    let first = table[pos];
                    let code = (first >> 3) & 15;
                    if code == LOC_LONG || code == LOC_NO_COLUMNS {
                        line =
                            line.wrapping_add(svarint_value(read_location_varint_lenient(table, pos + 1).0));
                    } else if (LOC_ONE_LINE0..=LOC_ONE_LINE2).contains(&code) {
                        line += i32::from(code - LOC_ONE_LINE0);
                    }
                    let start = end;
                    end += (u32::from(first & 7) + 1) * 2;
                    out.push((start, end, if first >> 3 == 0x1f { -1 } else { line }));
                    pos += 1;
                    while pos < table.len() && table[pos] & 0x80 == 0 {
                        pos += 1;
                    }
                }
                out
            };
            assert_eq!(location_line_ranges(1, &small), slow(&small), "{entry:#x}");
            for v in [V311, V312, V313] {
                let want = LineStarts::from_pairs(findlinestarts(v, 10, 1, &small));
                assert_eq!(linestarts(v, 10, 1, &small), want);
            }
        }
        // 3 * 10^5 bytes: quadratic would be 4.5 * 10^10 byte reads.
        let big = vec![0xf0u8; 300_000];
        let start = std::time::Instant::now();
        let ranges = co_lines(V312, 2, 1, &big);
        let starts = linestarts(V313, 2, 1, &big);
        assert_eq!(starts.len(), ranges.len());
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "{:?}", start.elapsed());
    }

    const V27: PythonVersion = PythonVersion::PY27;
    const V36: PythonVersion = PythonVersion::PY36;
    const V38: PythonVersion = PythonVersion::PY38;
    const V310: PythonVersion = PythonVersion::PY310;
    const V311: PythonVersion = PythonVersion::PY311;
    const V312: PythonVersion = PythonVersion::PY312;
    const V313: PythonVersion = PythonVersion::PY313;

    fn lr(start: u32, end: u32, line: Option<i64>) -> LineRange {
        LineRange { start, end, line }
    }

    /// First byte of a 3.11+ location entry: `1 CCCC LLL`.
    const fn entry(code: u8, units: u8) -> u8 {
        0x80 | (code << 3) | (units - 1)
    }

    #[test]
    fn lnotab_unsigned_and_signed() {
        #[rustfmt::skip]
        let table = [
            6, 1,       // bytes 0..6 on line 10, then +1
            0, 0xff,    // no bytes; line +255 (2.7) or -1 (3.6+)
            4, 2,       // bytes 6..10, then +2
        ];
        // 2.7: 10 @0, 11+255=266 @6, 268 @10 (no stop at code end).
        assert_eq!(findlinestarts(V27, 10, 10, &table), vec![(0, Some(10)), (6, Some(266)), (10, Some(268))]);
        // 3.6: signed; still yields past the end of the code.
        assert_eq!(findlinestarts(V36, 10, 10, &table), vec![(0, Some(10)), (10, Some(12))]);
        // 3.8: stops once the address reaches len(co_code).
        assert_eq!(findlinestarts(V38, 10, 10, &table), vec![(0, Some(10))]);
        assert_eq!(co_lines(V38, 10, 10, &table), vec![lr(0, 10, Some(10))]);
        assert_eq!(
            co_lines(V27, 12, 10, &table),
            vec![lr(0, 6, Some(10)), lr(6, 10, Some(266)), lr(10, 12, Some(268))]
        );
    }

    #[test]
    fn lnotab_split_pairs_merge_in_derived_co_lines() {
        #[rustfmt::skip]
        let table = [
            255, 0,     // a 300-byte jump is written as 255 + 45 ...
            45, 1,      // ... then +1 line
            2, 0,       // two more bytes on line 2
        ];
        assert_eq!(co_lines(V36, 304, 1, &table), vec![lr(0, 300, Some(1)), lr(300, 304, Some(2))]);
        assert_eq!(findlinestarts(V36, 304, 1, &table), vec![(0, Some(1)), (300, Some(2))]);
    }

    #[test]
    fn lnotab_lines_beyond_i32() {
        #[rustfmt::skip]
        let table = [
            2, 1,       // line i32::MAX, then +1: Python ints do not wrap
        ];
        assert_eq!(
            findlinestarts(V27, 4, i32::MAX, &table),
            vec![(0, Some(2_147_483_647)), (2, Some(2_147_483_648))]
        );
        assert!(findlinestarts(V27, 4, 1, &[]) == vec![(0, Some(1))]);
    }

    #[test]
    fn pep626_basic_none_and_negative() {
        #[rustfmt::skip]
        let table = [
            2, 0,       // 0..2 line 1
            2, 0xfe,    // 2..4 line -1 -> None (3.10 maps any negative line to None)
            0, 3,       // zero-length: absorbed, line 2
            2, 0x80,    // 4..6 no line (-128)
            2, 1,       // 6..8 line 3
        ];
        assert_eq!(
            co_lines(V310, 8, 1, &table),
            vec![lr(0, 2, Some(1)), lr(2, 4, None), lr(4, 6, None), lr(6, 8, Some(3))]
        );
        assert_eq!(findlinestarts(V310, 8, 1, &table), vec![(0, Some(1)), (6, Some(3))]);
    }

    #[test]
    fn pep626_odd_length_reads_nul() {
        #[rustfmt::skip]
        let table = [
            2, 0,       // 0..2 line 1
            2, 1,       // 2..4 line 2
            2,          // 4..6, ldelta is the NUL terminator: line 2
        ];
        assert_eq!(
            co_lines(V310, 6, 1, &table),
            vec![lr(0, 2, Some(1)), lr(2, 4, Some(2)), lr(4, 6, Some(2))]
        );
        assert_eq!(check_line_table(V310, &table), Err(LineTableError::OddLength { len: 5 }));
        assert_eq!(
            check_line_table(V310, &[2, 0, 0, 1]),
            Err(LineTableError::TrailingEmptyRange { offset: 2 })
        );
    }

    #[test]
    fn locations_short_and_one_line_forms() {
        #[rustfmt::skip]
        let table = [
            entry(13, 1), 0x00,   // no-columns form, line +0 (svarint 0): unit 0 at line 5
            entry(3, 2),          // short form 3, two units ...
            0x25,                 // ... col = 3<<3 | 2 = 26, end = 26 + 5 = 31
            entry(11, 1),         // one-line form, line +1 ...
            7, 12,                // ... col 7, end col 12
            entry(15, 1),         // no location
        ];
        let pos = co_positions(V311, 10, 5, &table);
        assert_eq!(
            pos,
            vec![
                Positions::from_raw(5, 5, -1, -1),
                Positions::from_raw(5, 5, 26, 31),
                Positions::from_raw(5, 5, 26, 31),
                Positions::from_raw(6, 6, 7, 12),
                Positions::NONE,
            ]
        );
        assert_eq!(
            co_lines(V311, 10, 5, &table),
            vec![lr(0, 2, Some(5)), lr(2, 6, Some(5)), lr(6, 8, Some(6)), lr(8, 10, None)]
        );
        // 3.12 merges the two line-5 ranges.
        assert_eq!(
            co_lines(V312, 10, 5, &table),
            vec![lr(0, 6, Some(5)), lr(6, 8, Some(6)), lr(8, 10, None)]
        );
        assert_eq!(findlinestarts(V311, 10, 5, &table), vec![(0, Some(5)), (6, Some(6))]);
        assert_eq!(findlinestarts(V313, 10, 5, &table), vec![(0, Some(5)), (6, Some(6)), (8, None)]);
        assert_eq!(check_line_table(V311, &table), Ok(()));
    }

    #[test]
    fn locations_long_form() {
        #[rustfmt::skip]
        let table = [
            entry(14, 1),   // long form
            0x04,           // line delta svarint 4 -> +2: line 3
            0x41, 0x3f,     // end-line delta 1 + 63<<6 = 4033
            0x05,           // col = 5 - 1 = 4
            0x00,           // end col = 0 - 1 = -1 -> None
        ];
        assert_eq!(co_positions(V313, 2, 1, &table), vec![Positions::from_raw(3, 4036, 4, -1)]);
    }

    #[test]
    fn locations_negative_lines_by_version() {
        #[rustfmt::skip]
        let table = [
            entry(13, 1), 0x03,   // line 1 - 1 = 0
            entry(13, 1), 0x03,   // line -1: "no line" everywhere
            entry(13, 1), 0x03,   // line -2: None in 3.11 co_lines, -2 from 3.12
        ];
        assert_eq!(co_lines(V311, 6, 1, &table), vec![lr(0, 2, Some(0)), lr(2, 4, None), lr(4, 6, None)]);
        assert_eq!(co_lines(V312, 6, 1, &table), vec![lr(0, 2, Some(0)), lr(2, 4, None), lr(4, 6, Some(-2))]);
        assert_eq!(
            co_positions(V311, 6, 1, &table),
            vec![Positions::from_raw(0, 0, -1, -1), Positions::NONE, Positions::from_raw(-2, -2, -1, -1)]
        );
    }

    #[test]
    fn locations_malformed_matches_cpython() {
        // Column byte >= 0x80 in a one-line entry: co_lines sees a new entry.
        #[rustfmt::skip]
        let table = [
            entry(10, 1),   // one-line form, line +0
            200,            // col 200 = 0xc8: co_lines reads `1 1001 000` (short form, 1 unit)
            5,              // end col 5
            entry(13, 1),   // no columns ...
            0x02,           // ... line +1
        ];
        assert_eq!(
            co_lines(V311, 4, 5, &table),
            vec![lr(0, 2, Some(5)), lr(2, 4, Some(5)), lr(4, 6, Some(6))]
        );
        assert_eq!(co_lines(V312, 4, 5, &table), vec![lr(0, 4, Some(5)), lr(4, 6, Some(6))]);
        assert_eq!(
            co_positions(V311, 4, 5, &table),
            vec![Positions::from_raw(5, 5, 200, 5), Positions::from_raw(6, 6, -1, -1)]
        );
        assert_eq!(
            check_line_table(V311, &table),
            Err(LineTableError::StrayEntryStart { offset: 1, byte: 200 })
        );

        // Truncated short form: the column byte is the NUL terminator.
        #[rustfmt::skip]
        let truncated = [
            entry(3, 1),    // short form 3, payload missing -> col 24, end col 24
        ];
        assert_eq!(co_positions(V311, 2, 5, &truncated), vec![Positions::from_raw(5, 5, 24, 24)]);
        assert_eq!(
            check_line_table(V311, &truncated),
            Err(LineTableError::Truncated { offset: 1, expected: "a column byte" })
        );

        // First byte without bit 7.
        #[rustfmt::skip]
        let no_marker = [
            0x18,           // `0 0011 000`: short form 3, 1 unit
            0x02,           // col 24, end col 26
            entry(13, 1), 0x02, // line +1
        ];
        assert_eq!(co_lines(V312, 4, 5, &no_marker), vec![lr(0, 2, Some(5)), lr(2, 4, Some(6))]);
        assert_eq!(
            co_positions(V312, 4, 5, &no_marker),
            vec![Positions::from_raw(5, 5, 24, 26), Positions::from_raw(6, 6, -1, -1)]
        );
        assert_eq!(
            check_line_table(V312, &no_marker),
            Err(LineTableError::MissingEntryStart { offset: 0, byte: 0x18 })
        );
    }

    #[test]
    fn locations_line_wraps_like_c_int() {
        #[rustfmt::skip]
        let table = [
            entry(13, 1), 0x02,   // i32::MAX + 1 wraps to i32::MIN
            entry(13, 1), 0x02,   // i32::MIN + 1
        ];
        assert_eq!(
            co_lines(V312, 4, i32::MAX, &table),
            vec![lr(0, 2, Some(-2_147_483_648)), lr(2, 4, Some(-2_147_483_647))]
        );
        assert_eq!(co_lines(V311, 4, i32::MAX, &table), vec![lr(0, 2, None), lr(2, 4, None)]);
    }

    #[test]
    fn widths() {
        let s = |pairs: &[(u32, Option<i64>)]| LineStarts::from_pairs(pairs.to_vec());
        assert_eq!(lineno_width(V27, &s(&[(0, Some(12345))]), 0), 3);
        assert_eq!(lineno_width(PythonVersion::PY37, &s(&[(0, Some(999))]), 0), 3);
        assert_eq!(lineno_width(PythonVersion::PY37, &s(&[(0, Some(999))]), 1), 4);
        assert_eq!(lineno_width(V312, &s(&[]), 0), 0);
        assert_eq!(lineno_width(V313, &s(&[(0, Some(0))]), 0), 0);
        assert_eq!(lineno_width(V313, &s(&[(0, Some(5)), (2, None)]), 0), 4);
        assert_eq!(lineno_width(V313, &s(&[(0, Some(12345)), (2, None)]), 0), 5);
        assert_eq!(lineno_width(V313, &s(&[(0, Some(-1234))]), 0), 5);
        assert_eq!(positions_width(&[Positions::NONE]), 0);
        assert_eq!(positions_width(&[Positions::from_raw(1, 1, 0, 4)]), 8);
        assert_eq!(positions_width(&[Positions::from_raw(123, 123, -1, -1)]), 1 + 3 + 8);
        assert_eq!(decimal_width(i64::MIN), 20);
    }

    #[test]
    fn linestarts_map() {
        let m = LineStarts::from_pairs(vec![(4, Some(2)), (0, Some(1)), (4, None)]);
        assert_eq!(m.get(0), Some(Some(1)));
        assert_eq!(m.get(4), Some(None));
        assert_eq!(m.get(2), None);
        assert_eq!(m.len(), 2);
    }
}
