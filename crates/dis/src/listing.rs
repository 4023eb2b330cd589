//! One code object prepared for printing: its jump targets and labels, line
//! starts, positions and exception entries, around the instruction model's
//! decoder.

use std::cell::RefCell;

use bytescope_code::Code;
use bytescope_code::exceptions::{ExceptionEntry, parse_exception_table_in};
use bytescope_code::lines::{PositionRange, Positions};
use bytescope_instr::{Lines, RawInstruction, RawInstructions, Walk};
use bytescope_marshal::reuse::recycle;
use bytescope_pyrepr::{ReprError, ReprOptions};

use crate::argtext::{Buffers, Instruction, Printer, ReprCache, label_number};
use crate::plan::VersionData;
use crate::rules::Layout;
use crate::text::Stop;

/// A code object ready to be listed.
pub struct Prepared<'c, 'm, 'a> {
    pub(crate) dec: Printer<'c, 'm, 'a>,
    /// How the instructions are walked (from the jump-target scan).
    walk: Walk,
    /// Per instruction slot: 1 for a jump target (a `>>` mark or a label).
    marks: Vec<u8>,
    /// log2 of the slot size: 1 for wordcode, 0 for bytecode.
    pub(crate) mark_shift: u32,
    /// Constant reprs already computed (for the whole file).
    pub(crate) reprs: RefCell<ReprCache>,
    /// Line starts, and `co_positions()` (3.11+) computed on first use:
    /// plain `dis` text never needs them and they are ~6% of `bytescope dis`.
    pub(crate) lines: Lines<'a>,
    pub(crate) exceptions: Vec<ExceptionEntry>,
    /// Jump targets (kept for reuse by the next code object).
    targets: Vec<i64>,
    /// Every line takes the general path (tests compare it with the fast
    /// paths).
    pub(crate) general: bool,
}

impl<'c, 'm, 'a> Prepared<'c, 'm, 'a> {
    /// Prepares `code`. `dis.dis` labels exception-table offsets too
    /// (`labels_from_exceptions`); `dis.get_instructions` only jump targets.
    pub(crate) fn new(
        code: &'c Code<'m, 'a>,
        data: &'static VersionData,
        repr: ReprOptions,
        labels_from_exceptions: bool,
        bufs: Buffers,
    ) -> Self {
        let Buffers { reprs: cache, mut targets, mut marks, starts, exceptions } = bufs;
        let rules = &data.rules;
        let dec = Printer::new(code, data, repr);
        let decoding = dec.decoder.rules();
        // One pass finds the jump targets; the instructions are decoded
        // again as they are printed, none held.
        let walk = dec.decoder.jump_targets(&mut targets);
        let code_len = code.code.len();
        let exceptions = if decoding.localsplus {
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
        let lines = Lines::new_in(code, starts);
        // Per-instruction marks: 1 at a jump target (a label, 3.13+). Indexed
        // by code unit for wordcode (instructions sit at even offsets; an
        // odd target marks nothing, as in CPython).
        let shift = u32::from(decoding.wordcode);
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
            walk,
            marks,
            mark_shift: shift,
            lines,
            exceptions,
            reprs: RefCell::new(cache),
            targets,
            general: false,
        }
    }

    /// `co_positions()` as ranges (empty before 3.11).
    pub(crate) fn position_ranges(&self) -> &[PositionRange] {
        self.lines.position_ranges()
    }

    /// Positions of the code unit at byte `offset` (all `None` past the
    /// table; `None` before 3.11).
    pub(crate) fn positions_at(&self, offset: u32) -> Option<Positions> {
        self.lines.positions_at(offset)
    }

    /// The `get_instructions` record of `raw`. `line` carries 3.13's
    /// running `line_number` from one instruction to the next; without
    /// `positions` the record's `positions` is `None`.
    pub(crate) fn instruction(
        &self,
        raw: &RawInstruction,
        starts_line: Option<Option<i64>>,
        line: &mut Option<i64>,
        positions: bool,
    ) -> Result<Instruction, ReprError> {
        let arg = self.dec.decoder.resolve(raw);
        let mut text = Vec::new();
        self.dec.write_argrepr(&mut text, raw, &arg, self.labels(), &mut self.reprs.borrow_mut())?;
        // Built from whole `&str`s and ASCII only.
        let argrepr =
            String::from_utf8(text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        if let Some(l) = starts_line {
            *line = l;
        }
        let mark = self.mark(raw.offset);
        Ok(Instruction {
            offset: raw.offset,
            start_offset: raw.start_offset,
            opcode: raw.opcode,
            deopt: raw.base,
            size: raw.size,
            arg: raw.arg,
            argval: self.dec.argval(raw, &arg),
            argrepr,
            jump_target: arg.jump_target(),
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
            targets: self.targets,
            marks: self.marks,
            starts: self.lines.into_vec(),
            exceptions: self.exceptions,
        }
    }

    /// The instructions in order, decoded as they are walked.
    pub(crate) fn raws(&self) -> RawInstructions<'c> {
        self.dec.decoder.walk(self.walk)
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

    /// This listing, ready for [`Prepared::instructions`] (kept for
    /// callers; the instructions are decoded as they are walked either way).
    pub(crate) fn decoded(self) -> Self {
        self
    }

    /// Every instruction's `get_instructions` record, their text (argrepr)
    /// within `max` bytes in all: one large constant loaded thousands of
    /// times (crafted) would otherwise make a copy per load.
    ///
    /// # Errors
    /// The first constant whose repr CPython could not produce; the budget.
    pub(crate) fn instructions(&self, max: usize) -> Result<Vec<Instruction>, Stop> {
        let mut line = None;
        let mut cursor = self.lines.cursor();
        let mut text = 0usize;
        self.raws()
            .map(|raw| {
                let ins = self
                    .instruction(&raw, cursor.starts_at(raw.offset), &mut line, true)
                    .map_err(Stop::Repr)?;
                text = text.saturating_add(ins.argrepr.len());
                if text > max {
                    return Err(Stop::Limit);
                }
                Ok(ins)
            })
            .collect()
    }
}
