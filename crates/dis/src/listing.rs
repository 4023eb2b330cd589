//! One code object prepared for disassembly: decoded instructions, labels,
//! line starts, positions and exception entries.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use bytescope_code::Code;
use bytescope_code::exceptions::{ExceptionEntry, parse_exception_table};
use bytescope_code::lines::{LineStarts, Positions, co_positions, linestarts};
use bytescope_opcodes::OpcodeTable;
use bytescope_pyc::PythonVersion;
use bytescope_pyrepr::{ReprError, ReprOptions};

use crate::instr::{Decoder, Instruction, Raw, jump_targets};
use crate::rules::{Layout, Rules};
use crate::special::Special;

/// A code object ready to be listed.
pub struct Prepared<'c, 'm, 'a> {
    pub(crate) dec: Decoder<'c, 'm, 'a>,
    pub(crate) raws: Vec<Raw>,
    /// `>>` targets (≤3.12).
    pub(crate) targets: BTreeSet<i64>,
    /// `L<n>` labels by offset (3.13+).
    pub(crate) labels: BTreeMap<i64, u32>,
    pub(crate) linestarts: LineStarts,
    /// `co_positions()` per code unit (3.11+), computed on first use: plain
    /// `dis` text never needs it and it is ~6% of `bytescope dis`.
    positions: OnceCell<Vec<Positions>>,
    pub(crate) exceptions: Vec<ExceptionEntry>,
}

impl<'c, 'm, 'a> Prepared<'c, 'm, 'a> {
    /// Decodes `code` with `table`/`rules`. `dis.dis` labels exception-table
    /// offsets too (`labels_from_exceptions`); `dis.get_instructions` only
    /// jump targets.
    pub(crate) fn new(
        code: &'c Code<'m, 'a>,
        table: &'static OpcodeTable,
        rules: &'c Rules,
        special: &'c Special,
        repr: ReprOptions,
        labels_from_exceptions: bool,
    ) -> Self {
        let v = rules.version;
        let (locals, frees) = if v >= PythonVersion::PY311 {
            let lp: Vec<String> = code.localsplus.iter().map(|(n, _)| n.clone()).collect();
            (lp.clone(), lp)
        } else {
            (code.varnames.clone(), code.cellvars.iter().chain(&code.freevars).cloned().collect())
        };
        let dec = Decoder { code, table, rules, special, repr, locals, frees };
        let raws = dec.unpack();
        let code_len = code.code.len();
        let exceptions = if v >= PythonVersion::PY311 {
            // Lenient like `dis._parse_exception_table` (a cut-off entry ends
            // the table); only varints beyond 64 bits fail, and then no
            // entries are shown.
            parse_exception_table(code.exceptiontable).unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut targets = jump_targets(&dec, &raws);
        let mut labels = BTreeMap::new();
        if rules.layout == Layout::Py313 {
            let mut all = targets.clone();
            if labels_from_exceptions {
                for e in &exceptions {
                    all.extend([e.start as i64, e.end as i64, e.target as i64]);
                }
            }
            labels = all.into_iter().enumerate().map(|(i, off)| (off, i as u32 + 1)).collect();
        } else if rules.exc_targets_are_labels && labels_from_exceptions {
            targets.extend(exceptions.iter().filter(|e| e.start < e.end).map(|e| e.target as i64));
        }
        let ls = linestarts(v, code_len, code.firstlineno(), code.linetable);
        Prepared { dec, raws, targets, labels, linestarts: ls, positions: OnceCell::new(), exceptions }
    }

    /// `co_positions()` per code unit (empty before 3.11).
    pub(crate) fn positions(&self) -> &[Positions] {
        self.positions.get_or_init(|| {
            let v = self.dec.rules.version;
            let code = self.dec.code;
            if v >= PythonVersion::PY311 {
                co_positions(v, code.code.len(), code.firstlineno(), code.linetable)
            } else {
                Vec::new()
            }
        })
    }

    /// Positions of the code unit at byte `offset` (all `None` past the table).
    pub(crate) fn positions_at(&self, offset: u32) -> Option<Positions> {
        if self.dec.rules.version < PythonVersion::PY311 {
            return None;
        }
        Some(self.positions().get(offset as usize / 2).copied().unwrap_or(Positions::NONE))
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
        let (argval, argrepr, jump_target) = self.dec.resolve(raw, &self.labels)?;
        let starts_line = self.linestarts.get(raw.offset);
        if let Some(l) = starts_line {
            *line = l;
        }
        let (is_jump_target, label) = if self.dec.rules.layout == Layout::Py313 {
            (
                self.labels.contains_key(&i64::from(raw.offset)),
                self.labels.get(&i64::from(raw.offset)).copied(),
            )
        } else {
            (self.targets.contains(&i64::from(raw.offset)), None)
        };
        Ok(Instruction {
            offset: raw.offset,
            start_offset: raw.start_offset,
            opcode: raw.op,
            deopt: raw.deop,
            size: raw.size,
            arg: raw.arg,
            argval,
            argrepr,
            jump_target,
            cache_entries: raw.caches,
            starts_line,
            line_number: *line,
            is_jump_target,
            label,
            positions: if positions { self.positions_at(raw.offset) } else { None },
        })
    }

    /// Every instruction, resolved.
    ///
    /// # Errors
    /// The first constant whose repr CPython could not produce.
    pub(crate) fn instructions(&self) -> Result<Vec<Instruction>, ReprError> {
        let mut line = None;
        (0..self.raws.len()).map(|i| self.instruction(i, &mut line)).collect()
    }
}
