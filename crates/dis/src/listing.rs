//! One code object prepared for disassembly: decoded instructions, labels,
//! line starts, positions and exception entries.

use std::cell::OnceCell;
use std::cell::RefCell;

use bytescope_code::Code;
use bytescope_code::exceptions::{ExceptionEntry, parse_exception_table_in};
use bytescope_code::lines::{LineStarts, PositionRange, Positions, linestarts_in, position_ranges};
use bytescope_marshal::reuse::recycle;
use bytescope_opcodes::OpcodeTable;
use bytescope_pyrepr::{ReprError, ReprOptions};

use crate::instr::{
    Buffers, Decoder, ExtWords, Instruction, Raw, ReprCache, Words, jump_targets, label_number,
    wordcode_jump_targets,
};
use crate::plan::VersionData;
use crate::rules::Layout;

/// A code object ready to be listed.
pub struct Prepared<'c, 'm, 'a> {
    pub(crate) dec: Decoder<'c, 'm, 'a>,
    /// The instructions, unless they are decoded as they are listed (see
    /// [`Prepared::raws`]).
    raws: Vec<Raw>,
    /// How the instructions are walked.
    walk: Walk,
    /// Per instruction slot: 1 for a jump target (a `>>` mark or a label).
    marks: Vec<u8>,
    /// log2 of the slot size: 1 for wordcode, 0 for bytecode.
    pub(crate) mark_shift: u32,
    /// Constant reprs already computed (for the whole file).
    pub(crate) reprs: RefCell<ReprCache>,
    pub(crate) linestarts: LineStarts,
    /// `co_positions()` per code unit (3.11+), computed on first use: plain
    /// `dis` text never needs it and it is ~6% of `bytescope dis`.
    positions: OnceCell<Vec<PositionRange>>,
    pub(crate) exceptions: Vec<ExceptionEntry>,
    /// Jump targets (kept for reuse by the next code object).
    targets: Vec<i64>,
}

impl<'c, 'm, 'a> Prepared<'c, 'm, 'a> {
    /// Decodes `code` with `table`/`rules`. `dis.dis` labels exception-table
    /// offsets too (`labels_from_exceptions`); `dis.get_instructions` only
    /// jump targets.
    pub(crate) fn new(
        code: &'c Code<'m, 'a>,
        table: &'static OpcodeTable,
        data: &'c VersionData,
        repr: ReprOptions,
        labels_from_exceptions: bool,
        bufs: Buffers,
    ) -> Self {
        let Buffers { reprs: cache, raws, targets, mut marks, starts, exceptions } = bufs;
        let rules = &data.rules;
        let v = rules.version;
        let dec = Decoder::new(code, table, data, repr);
        // Listings of wordcode find the jump targets in one pass and decode
        // the instructions again as they list them, holding none.
        let mut targets = targets;
        let mut raws = raws;
        let walk = if labels_from_exceptions && rules.wordcode {
            raws.clear();
            if wordcode_jump_targets(&dec, &mut targets) { Walk::ExtWords } else { Walk::Words }
        } else {
            raws = dec.unpack_into(raws);
            targets = jump_targets(&dec, &raws, targets);
            Walk::Raws
        };
        let code_len = code.code.len();
        let exceptions = if rules.localsplus {
            // Lenient like `dis._parse_exception_table` (a cut-off entry ends
            // the table); only varints beyond 64 bits fail, and then no
            // entries are shown.
            parse_exception_table_in(code.exceptiontable, exceptions).unwrap_or_default()
        } else {
            recycle(exceptions)
        };
        if rules.layout == Layout::Py313 {
            if labels_from_exceptions {
                for e in &exceptions {
                    targets.extend([e.start as i64, e.end as i64, e.target as i64]);
                }
            }
            // Labels are numbered in offset order.
            targets.sort_unstable();
            targets.dedup();
        } else if rules.exc_targets_are_labels && labels_from_exceptions {
            targets.extend(exceptions.iter().filter(|e| e.start < e.end).map(|e| e.target as i64));
        }
        let ls = linestarts_in(v, code_len, code.firstlineno(), code.linetable, starts);
        // Per-instruction marks: 1 at a jump target (a label, 3.13+). Indexed
        // by code unit for wordcode (instructions sit at even offsets; an
        // odd target marks nothing, as in CPython).
        let shift = u32::from(rules.wordcode);
        marks.clear();
        marks.resize((code_len >> shift) + 1, 0);
        for &off in &targets {
            if let Ok(o) = usize::try_from(off)
                && (shift == 0 || o % 2 == 0)
                && let Some(m) = marks.get_mut(o >> shift)
            {
                *m = 1;
            }
        }
        Prepared {
            dec,
            raws,
            walk,
            marks,
            mark_shift: shift,
            linestarts: ls,
            positions: OnceCell::new(),
            exceptions,
            reprs: RefCell::new(cache),
            targets,
        }
    }

    /// `co_positions()` as ranges, one per location entry (empty before
    /// 3.11): linear in the table, where one tuple per code unit could be
    /// eight per table byte.
    pub(crate) fn position_ranges(&self) -> &[PositionRange] {
        self.positions.get_or_init(|| {
            let v = self.dec.rules.version;
            let code = self.dec.code;
            if self.dec.rules.localsplus {
                position_ranges(v, code.code.len(), code.firstlineno(), code.linetable)
            } else {
                Vec::new()
            }
        })
    }

    /// Positions of the code unit at byte `offset` (all `None` past the table).
    pub(crate) fn positions_at(&self, offset: u32) -> Option<Positions> {
        if !self.dec.rules.localsplus {
            return None;
        }
        let ranges = self.position_ranges();
        let i = ranges.partition_point(|r| r.end <= offset);
        Some(ranges.get(i).filter(|r| r.start <= offset).map_or(Positions::NONE, |r| r.positions))
    }

    /// Resolves the `i`-th instruction. `line` carries 3.13's running
    /// `line_number` from one instruction to the next.
    pub(crate) fn instruction(&self, i: usize, line: &mut Option<i64>) -> Result<Instruction, ReprError> {
        self.instruction_with(i, line, true)
    }

    /// As [`Prepared::instruction`]; without `positions` the instruction's
    /// `positions` is `None` (text that does not show them skips the table).
    pub(crate) fn instruction_with(
        &self,
        i: usize,
        line: &mut Option<i64>,
        positions: bool,
    ) -> Result<Instruction, ReprError> {
        let raw = &self.raws[i];
        let arg = self.dec.resolve(raw, self.labels());
        let mut text = Vec::new();
        self.dec.write_argrepr(&mut text, &arg, &mut self.reprs.borrow_mut())?;
        // Built from whole `&str`s and ASCII only.
        let argrepr =
            String::from_utf8(text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let starts_line = self.linestarts.get(raw.offset);
        if let Some(l) = starts_line {
            *line = l;
        }
        let mark = self.mark(raw.offset);
        Ok(Instruction {
            offset: raw.offset,
            start_offset: raw.start_offset,
            opcode: raw.op,
            deopt: raw.deop,
            size: raw.size,
            arg: raw.arg,
            argval: self.dec.argval(&arg, raw),
            argrepr,
            jump_target: Decoder::arg_jump_target(&arg).or_else(|| self.dec.jump_target(raw)),
            cache_entries: raw.caches,
            starts_line,
            line_number: *line,
            is_jump_target: mark != 0,
            label: (self.dec.rules.layout == Layout::Py313 && mark != 0).then_some(mark),
            positions: if positions { self.positions_at(raw.offset) } else { None },
        })
    }

    /// Gives the buffers back for the next code object.
    pub(crate) fn into_buffers(self) -> Buffers {
        Buffers {
            reprs: self.reprs.into_inner(),
            raws: self.raws,
            targets: self.targets,
            marks: self.marks,
            starts: self.linestarts.into_vec(),
            exceptions: self.exceptions,
        }
    }

    /// The instructions decoded beforehand (empty for a listing that
    /// decodes as it goes: see [`Prepared::decoded`]).
    pub(crate) fn raw_slice(&self) -> &[Raw] {
        &self.raws
    }

    /// The instructions in order.
    pub(crate) fn raws(&self) -> Raws<'_> {
        match self.walk {
            Walk::Raws => Raws::Slice(self.raws.iter()),
            Walk::Words => Raws::Words(Words::new(&self.dec)),
            Walk::ExtWords => Raws::ExtWords(ExtWords::new(&self.dec)),
        }
    }

    /// [`Prepared::mark`] at a jump target (0 outside the code, and at an
    /// odd offset of wordcode, where no instruction starts).
    pub(crate) fn mark_at(&self, target: i64) -> u32 {
        match u32::try_from(target) {
            Ok(t) if self.mark_shift == 0 || t % 2 == 0 => self.mark(t),
            _ => 0,
        }
    }

    /// The label (3.13+) or `>>` mark (1) of the instruction at `offset`
    /// (even in wordcode), 0 if none.
    #[inline]
    pub(crate) fn mark(&self, offset: u32) -> u32 {
        match self.marks.get((offset >> self.mark_shift) as usize) {
            Some(&m) if m != 0 => {
                if self.labelled() {
                    label_number(&self.targets, i64::from(offset)).unwrap_or(0)
                } else {
                    1
                }
            }
            _ => 0,
        }
    }

    /// Whether jump targets are `L<n>` labels (3.13+): `targets` then holds
    /// their offsets in order, label `n` at `targets[n - 1]`.
    fn labelled(&self) -> bool {
        self.dec.rules.layout == Layout::Py313
    }

    /// The offsets of the `L<n>` labels in order (3.13+; empty before).
    pub(crate) fn labels(&self) -> &[i64] {
        if self.labelled() { &self.targets } else { &[] }
    }

    /// This listing with its instructions decoded beforehand, so that
    /// [`Prepared::instructions`] can index them (listings otherwise decode
    /// as they print).
    pub(crate) fn decoded(mut self) -> Self {
        if self.walk != Walk::Raws {
            self.raws = self.dec.unpack_into(std::mem::take(&mut self.raws));
            self.walk = Walk::Raws;
        }
        self
    }

    /// Every instruction, resolved.
    ///
    /// # Errors
    /// The first constant whose repr CPython could not produce.
    pub(crate) fn instructions(&self) -> Result<Vec<Instruction>, ReprError> {
        // Listings (`labels_from_exceptions`) decode as they go instead.
        debug_assert!(self.walk == Walk::Raws, "instructions of a listing");
        let mut line = None;
        (0..self.raws.len()).map(|i| self.instruction(i, &mut line)).collect()
    }
}

/// How a [`Prepared`] walks its instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Walk {
    /// Decoded beforehand, held in `raws` (views that index them).
    Raws,
    /// Decoded as listed: wordcode with no EXTENDED_ARG (nearly all).
    Words,
    /// Decoded as listed, with EXTENDED_ARG state.
    ExtWords,
}

/// [`Prepared::raws`]: decoded before or on the fly.
pub(crate) enum Raws<'p> {
    Slice(std::slice::Iter<'p, Raw>),
    Words(Words<'p>),
    ExtWords(ExtWords<'p>),
}

impl Iterator for Raws<'_> {
    type Item = Raw;

    #[inline]
    fn next(&mut self) -> Option<Raw> {
        match self {
            Raws::Slice(it) => it.next().copied(),
            Raws::Words(w) => w.next(),
            Raws::ExtWords(w) => w.next(),
        }
    }
}
