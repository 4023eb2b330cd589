//! Instructions decoded once and resolved field by field, for consumers that
//! read only some fields of some instructions (the Python package's lazy
//! `get_instructions`): [`Disassembler::decode`] keeps what every
//! instruction has in one 40-byte [`Row`], nothing resolved; its argument
//! ([`Disassembler::arg_ref`]) and argument text ([`Disassembler::argrepr`])
//! are resolved when asked for, by the same rules as
//! [`Disassembler::instructions`] (a test compares both on every fixture).

use bytescope_code::Code;
use bytescope_pyrepr::ReprError;

use bytescope_instr::{ArgKind, Argument, RawInstruction, py_index};

use crate::argtext::{ArgVal, Buffers, Printer, ReprCache};
use crate::rules::Layout;
use crate::{DisError, Disassembler};

/// One decoded instruction, without its resolved argument (see
/// [`Disassembler::arg_ref`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// Byte offset of the opcode (not of its EXTENDED_ARG prefixes).
    pub offset: u32,
    /// Byte offset of the first EXTENDED_ARG prefix, or `offset`.
    pub start_offset: u32,
    /// The opcode byte.
    pub opcode: u8,
    /// The base opcode (differs only for specialized opcodes).
    pub deopt: u8,
    /// Size in bytes without inline caches.
    pub size: u8,
    /// Inline cache code units that follow (3.11+).
    pub cache_entries: u8,
    flags: u8,
    /// The `L<n>` label (3.13+) or 1 for a `>>` mark; 0 when nothing jumps here.
    mark: u32,
    arg: i64,
    line: i64,
}

const HAS_ARG: u8 = 1;
const STARTS_LINE: u8 = 2;
const HAS_LINE: u8 = 4;

impl Row {
    /// The argument with EXTENDED_ARG folded in, `None` for argument-less
    /// opcodes.
    #[must_use]
    pub fn arg(&self) -> Option<i64> {
        (self.flags & HAS_ARG != 0).then_some(self.arg)
    }

    /// `Some(line)` when the instruction starts a line (`line` is `None` for
    /// a 3.13+ line start without a line number).
    #[must_use]
    pub fn starts_line(&self) -> Option<Option<i64>> {
        (self.flags & STARTS_LINE != 0).then(|| self.line_number())
    }

    /// The line the instruction belongs to (3.13's `line_number`).
    #[must_use]
    pub fn line_number(&self) -> Option<i64> {
        (self.flags & HAS_LINE != 0).then_some(self.line)
    }

    /// Whether something jumps here (`>>` up to 3.12, a label from 3.13).
    #[must_use]
    pub fn is_jump_target(&self) -> bool {
        self.mark != 0
    }

    fn raw(&self) -> RawInstruction {
        RawInstruction {
            offset: self.offset,
            start_offset: self.start_offset,
            opcode: self.opcode,
            base: self.deopt,
            size: self.size,
            arg: self.arg(),
            caches: self.cache_entries,
        }
    }
}

/// One code object's instructions ([`Disassembler::decode`]).
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    /// The instructions in order.
    pub rows: Vec<Row>,
    /// Offsets of the `L<n>` labels in order (3.13+; empty before).
    labels: Vec<i64>,
    labelled: bool,
}

impl Decoded {
    /// The `L<n>` label of row `row` (3.13+), if something jumps there.
    #[must_use]
    pub fn label(&self, row: &Row) -> Option<u32> {
        (self.labelled && row.mark != 0).then_some(row.mark)
    }
}

/// What an instruction's `argval` is: an entry of one of the code object's
/// tables by index, or a value of its own.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgRef {
    /// `co_consts[i]`.
    Const(usize),
    /// `co_names[i]`.
    Name(usize),
    /// [`Code::localsplus`]`[i]`: a local, cell or free variable (up to 3.10
    /// the varnames, then the cellvars, then the freevars).
    Local(usize),
    /// Two locals (3.13+ paired-local opcodes), indices into
    /// [`Code::localsplus`].
    Pair(usize, usize),
    /// Anything else.
    Value(ArgVal),
}

impl Disassembler {
    /// Decodes every instruction of `code` with its line and jump-target
    /// facts, as [`Disassembler::instructions`] gives them (`bytecode`: as
    /// [`Disassembler::bytecode_instructions`], where from 3.11 exception
    /// handlers are jump targets too); arguments are resolved later, per
    /// instruction.
    #[must_use]
    pub fn decode(&self, code: &Code<'_, '_>, bytecode: bool) -> Decoded {
        let p = self.prepare(code, bytecode, Buffers::default());
        let labelled = self.data.rules.layout == Layout::Py313;
        let mut rows = Vec::with_capacity(code.code.len() / 2);
        let mut line: Option<i64> = None;
        let mut cursor = p.lines.cursor();
        for raw in p.raws() {
            let mut flags = 0;
            if let Some(l) = cursor.starts_at(raw.offset) {
                flags |= STARTS_LINE;
                line = l;
            }
            if line.is_some() {
                flags |= HAS_LINE;
            }
            if raw.arg.is_some() {
                flags |= HAS_ARG;
            }
            rows.push(Row {
                offset: raw.offset,
                start_offset: raw.start_offset,
                opcode: raw.opcode,
                deopt: raw.base,
                size: raw.size,
                cache_entries: raw.caches,
                flags,
                mark: p.mark(raw.offset),
                arg: raw.arg.unwrap_or(0),
                line: line.unwrap_or(0),
            });
        }
        let labels = p.labels().to_vec();
        Decoded { rows, labels, labelled }
    }

    fn printer<'c, 'm, 'a>(&self, code: &'c Code<'m, 'a>) -> Printer<'c, 'm, 'a> {
        Printer::new(code, self.data, self.repr_for(code.marshal()))
    }

    /// What `row`'s `argval` is.
    #[must_use]
    pub fn arg_ref(&self, code: &Code<'_, '_>, row: &Row) -> ArgRef {
        self.resolve_ref(&self.printer(code), code, &row.raw())
    }

    fn resolve_ref(&self, p: &Printer<'_, '_, '_>, code: &Code<'_, '_>, raw: &RawInstruction) -> ArgRef {
        let arg = p.decoder.resolve(raw);
        let kind = self.data.decoding.plan(raw.opcode).kind;
        let a = raw.arg.unwrap_or(0);
        // The table entries the decoder found, by index (it found them, so
        // the indices are in range).
        let index = match (arg, kind) {
            (Argument::Const(id), ArgKind::Const)
                if !self.data.plans[usize::from(raw.opcode)].unknown_const =>
            {
                py_index(code.consts.len(), a).filter(|&i| code.consts[i] == id).map(ArgRef::Const)
            }
            (Argument::Name { .. }, ArgKind::Name { shift, .. }) => {
                py_index(code.names.len(), a >> shift).map(ArgRef::Name)
            }
            (Argument::Local(_), ArgKind::Local) => self.local_index(code, a, false).map(ArgRef::Local),
            (Argument::Free(_), ArgKind::Free) => self.local_index(code, a, true).map(ArgRef::Local),
            (Argument::LocalPair(Ok(_), Ok(_)), ArgKind::Paired) => {
                match (self.local_index(code, a >> 4, false), self.local_index(code, a & 15, false)) {
                    (Some(x), Some(y)) => Some(ArgRef::Pair(x, y)),
                    _ => None,
                }
            }
            _ => None,
        };
        index.unwrap_or_else(|| ArgRef::Value(p.argval(raw, &arg)))
    }

    /// The index in [`Code::localsplus`] of local (`free`: cell or free
    /// variable) operand `i`, as `dis` indexes them.
    fn local_index(&self, code: &Code<'_, '_>, i: i64, free: bool) -> Option<usize> {
        if self.data.decoding.rules.localsplus {
            return py_index(code.localsplus.len(), i);
        }
        if free {
            // Cellvars then freevars, after the varnames in localsplus.
            let n = code.cellvars.len() + code.freevars.len();
            py_index(n, i).map(|j| code.varnames.len() + j)
        } else {
            py_index(code.varnames.len(), i)
        }
    }

    /// `row`'s `argrepr` (`decoded` gives the labels its jumps name).
    /// `cache` keeps constant reprs between calls (any code object of the
    /// same file).
    ///
    /// # Errors
    /// A constant CPython could not repr.
    pub fn argrepr(
        &self,
        code: &Code<'_, '_>,
        decoded: &Decoded,
        row: &Row,
        cache: &mut ArgreprCache,
    ) -> Result<String, DisError> {
        let p = self.printer(code);
        let raw = row.raw();
        let arg = p.decoder.resolve(&raw);
        let mut text = Vec::new();
        p.write_argrepr(&mut text, &raw, &arg, &decoded.labels, &mut cache.0)
            .map_err(|error: ReprError| DisError::Repr { error, code_offset: code.offset() })?;
        // Built from whole `&str`s and ASCII only.
        Ok(String::from_utf8(text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// `row`'s jump target in bytes, for jump opcodes.
    #[must_use]
    pub fn row_jump_target(&self, code: &Code<'_, '_>, row: &Row) -> Option<i64> {
        self.printer(code).decoder.resolve(&row.raw()).jump_target()
    }
}

/// Constant reprs kept between [`Disassembler::argrepr`] calls on the code
/// objects of one file.
#[derive(Debug, Default)]
pub struct ArgreprCache(ReprCache);
