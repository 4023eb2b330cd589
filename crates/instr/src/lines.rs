//! Line numbers and source positions of instructions, from the code
//! object's tables (`bytescope_code::lines`), walked alongside the
//! instructions instead of looked up per instruction.

use std::cell::OnceCell;

use bytescope_code::Code;
use bytescope_code::lines::{LineStarts, PositionRange, Positions, linestarts_in, position_ranges};

use crate::instruction::{Instruction, Instructions};

/// A code object's line starts (`dict(dis.findlinestarts(co))`) and, from
/// 3.11, its positions (`co_positions()`), computed when first asked for.
#[derive(Debug)]
pub struct Lines<'t> {
    starts: LineStarts,
    positions: OnceCell<Vec<PositionRange>>,
    /// What positions are computed from (`None` before 3.11).
    source: Option<PositionSource<'t>>,
}

#[derive(Debug, Clone, Copy)]
struct PositionSource<'t> {
    version: bytescope_pyc::PythonVersion,
    code_len: usize,
    firstlineno: i32,
    table: &'t [u8],
}

impl<'t> Lines<'t> {
    /// The tables of `code`.
    #[must_use]
    pub fn new(code: &Code<'_, 't>) -> Self {
        Lines::new_in(code, Vec::new())
    }

    /// [`Lines::new`] reusing `buf`'s memory for the line starts (take it
    /// back with [`Lines::into_vec`]).
    #[must_use]
    pub fn new_in(code: &Code<'_, 't>, buf: Vec<(u32, Option<i64>)>) -> Self {
        let v = code.version();
        let starts = linestarts_in(v, code.code.len(), code.firstlineno(), code.linetable, buf);
        let source = (v >= bytescope_pyc::PythonVersion::PY311).then(|| PositionSource {
            version: v,
            code_len: code.code.len(),
            firstlineno: code.firstlineno(),
            table: code.linetable,
        });
        Lines { starts, positions: OnceCell::new(), source }
    }

    /// The line starts.
    #[must_use]
    pub fn starts(&self) -> &LineStarts {
        &self.starts
    }

    /// `co_positions()` as ranges, one per location entry (empty before
    /// 3.11): linear in the table, where one tuple per code unit could be
    /// eight per table byte.
    pub fn position_ranges(&self) -> &[PositionRange] {
        self.positions.get_or_init(|| match &self.source {
            Some(s) => position_ranges(s.version, s.code_len, s.firstlineno, s.table),
            None => Vec::new(),
        })
    }

    /// Whether instructions have positions (3.11+).
    #[must_use]
    pub fn has_positions(&self) -> bool {
        self.source.is_some()
    }

    /// A cursor over the line starts, for instructions in offset order.
    #[must_use]
    pub fn cursor(&self) -> LineCursor<'_> {
        LineCursor { starts: self.starts.as_slice(), line: None }
    }

    /// Positions of the code unit at byte `offset` (all `None` past the
    /// table; `None` before 3.11).
    #[must_use]
    pub fn positions_at(&self, offset: u32) -> Option<Positions> {
        self.source.as_ref()?;
        let ranges = self.position_ranges();
        let i = ranges.partition_point(|r| r.end <= offset);
        Some(ranges.get(i).filter(|r| r.start <= offset).map_or(Positions::NONE, |r| r.positions))
    }

    /// Gives the line starts' memory back.
    #[must_use]
    pub fn into_vec(self) -> Vec<(u32, Option<i64>)> {
        self.starts.into_vec()
    }
}

/// Where an instruction is in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// `Some(line)` when the instruction starts a line (`line` is `None`
    /// for a 3.13+ line start without a line number).
    pub starts_line: Option<Option<i64>>,
    /// The line of the last line start at or before the instruction (3.13's
    /// `Instruction.line_number`).
    pub line_number: Option<i64>,
}

/// Walks the line-start table alongside instructions (both ascend by
/// offset) instead of a lookup per instruction.
#[derive(Clone, Debug)]
pub struct LineCursor<'l> {
    starts: &'l [(u32, Option<i64>)],
    line: Option<i64>,
}

impl<'l> LineCursor<'l> {
    /// A cursor over `starts`.
    #[must_use]
    pub fn new(starts: &'l LineStarts) -> Self {
        LineCursor { starts: starts.as_slice(), line: None }
    }

    /// `Some(line)` if a line starts at `offset` (offsets ascending from
    /// one call to the next).
    #[inline]
    pub fn starts_at(&mut self, offset: u32) -> Option<Option<i64>> {
        while let Some((&(off, line), rest)) = self.starts.split_first() {
            if off > offset {
                return None;
            }
            self.starts = rest;
            if off == offset {
                self.line = line;
                return Some(line);
            }
        }
        None
    }

    /// The line information of the instruction at `offset` (offsets
    /// ascending from one call to the next).
    #[inline]
    pub fn at(&mut self, offset: u32) -> LineInfo {
        let starts_line = self.starts_at(offset);
        LineInfo { starts_line, line_number: self.line }
    }
}

/// An instruction with its line information and, when asked for, its
/// positions ([`Located`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocatedInstruction<'c> {
    /// The instruction.
    pub instruction: Instruction<'c>,
    /// Its lines.
    pub line: LineInfo,
    /// Source positions of its first code unit (3.11+).
    pub positions: Option<Positions>,
}

/// [`Instructions`] with their line information ([`Instructions::located`]).
#[derive(Clone, Debug)]
pub struct Located<'c, 'm, 'a, 'l> {
    inner: Instructions<'c, 'm, 'a>,
    lines: &'l Lines<'l>,
    cursor: LineCursor<'l>,
    positions: bool,
}

impl<'c, 'm, 'a> Instructions<'c, 'm, 'a> {
    /// These instructions with their line numbers from `lines` (made from
    /// the same code object), and their positions when `positions` is set.
    #[must_use]
    pub fn located<'l>(self, lines: &'l Lines<'_>, positions: bool) -> Located<'c, 'm, 'a, 'l> {
        Located { inner: self, lines, cursor: lines.cursor(), positions }
    }
}

impl<'c> Iterator for Located<'c, '_, '_, '_> {
    type Item = LocatedInstruction<'c>;

    #[inline]
    fn next(&mut self) -> Option<LocatedInstruction<'c>> {
        let instruction = self.inner.next()?;
        let line = self.cursor.at(instruction.offset);
        let positions = if self.positions { self.lines.positions_at(instruction.offset) } else { None };
        Some(LocatedInstruction { instruction, line, positions })
    }
}
