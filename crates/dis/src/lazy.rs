//! Instructions decoded once and resolved field by field, for consumers that
//! read only some fields of some instructions (the Python package's lazy
//! `get_instructions`): [`Disassembler::decode`] keeps what every
//! instruction has in 32 bytes ([`Row`]); its argument
//! ([`Disassembler::arg_ref`]) and argument text ([`Disassembler::argrepr`])
//! are resolved when asked for, by the same rules as
//! [`Disassembler::instructions`] (a test compares both on every fixture).

use bytescope_code::Code;
use bytescope_pyrepr::ReprError;

use crate::instr::{Arg, ArgVal, Buffers, Decoder, Raw, ReprCache, py_index};
use crate::plan::ArgKind;
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
    /// What `slot` holds (`SLOT_*`).
    slot_kind: u8,
    /// The `L<n>` label (3.13+) or 1 for a `>>` mark; 0 when nothing jumps here.
    mark: u32,
    arg: i64,
    line: i64,
    /// The argval's index or value (see [`Row::arg_slot`]).
    slot: i64,
}

const SLOT_NONE: u8 = 0;
const SLOT_INT: u8 = 1;
const SLOT_CONST: u8 = 2;
const SLOT_NAME: u8 = 3;
const SLOT_LOCAL: u8 = 4;
const SLOT_PAIR: u8 = 5;
const SLOT_OTHER: u8 = 6;

/// What an instruction's `argval` is, as far as it is an index or a number
/// ([`Row::arg_slot`]); the rest through [`Disassembler::arg_ref`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgSlot {
    /// `None`.
    None,
    /// The number (the argument, or a jump target).
    Int(i64),
    /// `co_consts[i]`.
    Const(usize),
    /// `co_names[i]`.
    Name(usize),
    /// [`Code::localsplus`]`[i]`.
    Local(usize),
    /// Two entries of [`Code::localsplus`].
    Pair(usize, usize),
    /// Something else: see [`Disassembler::arg_ref`].
    Other,
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

    /// What `argval` is (resolved when the row was decoded).
    #[must_use]
    pub fn arg_slot(&self) -> ArgSlot {
        let s = self.slot;
        match self.slot_kind {
            SLOT_NONE => ArgSlot::None,
            SLOT_INT => ArgSlot::Int(s),
            SLOT_CONST => ArgSlot::Const(s as usize),
            SLOT_NAME => ArgSlot::Name(s as usize),
            SLOT_LOCAL => ArgSlot::Local(s as usize),
            SLOT_PAIR => ArgSlot::Pair((s >> 32) as usize, (s & 0xffff_ffff) as usize),
            _ => ArgSlot::Other,
        }
    }

    fn raw(&self) -> Raw {
        Raw {
            offset: self.offset,
            start_offset: self.start_offset,
            op: self.opcode,
            deop: self.deopt,
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
        let mut p = self.prepare(code, bytecode, Buffers::default());
        if bytecode {
            p = p.decoded();
        }
        let labelled = self.data.rules.layout == Layout::Py313;
        let mut rows = Vec::with_capacity(p.raw_slice().len());
        let mut line: Option<i64> = None;
        let starts = p.linestarts.as_slice();
        let mut next_start = 0usize;
        for raw in p.raw_slice() {
            // Line starts ascend, like the offsets: one cursor walks both.
            while starts.get(next_start).is_some_and(|&(o, _)| o < raw.offset) {
                next_start += 1;
            }
            let mut flags = 0;
            if let Some(&(o, l)) = starts.get(next_start)
                && o == raw.offset
            {
                flags |= STARTS_LINE;
                line = l;
            }
            if line.is_some() {
                flags |= HAS_LINE;
            }
            if raw.arg.is_some() {
                flags |= HAS_ARG;
            }
            let mut row = Row {
                offset: raw.offset,
                start_offset: raw.start_offset,
                opcode: raw.op,
                deopt: raw.deop,
                size: raw.size,
                cache_entries: raw.caches,
                flags,
                slot_kind: SLOT_OTHER,
                mark: p.mark(raw.offset),
                arg: raw.arg.unwrap_or(0),
                line: line.unwrap_or(0),
                slot: 0,
            };
            (row.slot_kind, row.slot) = match self.resolve_ref(&p.dec, code, &row) {
                ArgRef::Const(i) => (SLOT_CONST, i as i64),
                ArgRef::Name(i) => (SLOT_NAME, i as i64),
                ArgRef::Local(i) => (SLOT_LOCAL, i as i64),
                ArgRef::Pair(a, b) => match (u32::try_from(a), u32::try_from(b)) {
                    (Ok(a), Ok(b)) => (SLOT_PAIR, (i64::from(a) << 32) | i64::from(b)),
                    _ => (SLOT_OTHER, 0),
                },
                ArgRef::Value(ArgVal::None) => (SLOT_NONE, 0),
                ArgRef::Value(ArgVal::Int(v)) => (SLOT_INT, v),
                ArgRef::Value(_) => (SLOT_OTHER, 0),
            };
            rows.push(row);
        }
        let labels = p.labels().to_vec();
        Decoded { rows, labels, labelled }
    }

    fn decoder<'c, 'm, 'a>(&'c self, code: &'c Code<'m, 'a>) -> Decoder<'c, 'm, 'a> {
        Decoder::new(code, self.table, self.data, self.repr)
    }

    /// What `row`'s `argval` is.
    #[must_use]
    pub fn arg_ref(&self, code: &Code<'_, '_>, row: &Row) -> ArgRef {
        self.resolve_ref(&self.decoder(code), code, row)
    }

    fn resolve_ref(&self, dec: &Decoder<'_, '_, '_>, code: &Code<'_, '_>, row: &Row) -> ArgRef {
        let raw = row.raw();
        let arg = dec.resolve(&raw, &[]);
        let kind = self.data.plans[usize::from(row.opcode)].kind;
        let a = row.arg;
        // The table entries `resolve` found, by index (it found them, so the
        // indices are in range).
        let index = match (arg, kind) {
            (Arg::Const(i), _) => Some(ArgRef::Const(i)),
            (Arg::Name { .. }, ArgKind::Name { shift, .. }) => {
                py_index(code.names.len(), a >> shift).map(ArgRef::Name)
            }
            (Arg::Local(_), ArgKind::Local) => self.local_index(code, a, false).map(ArgRef::Local),
            (Arg::Local(_), ArgKind::Free) => self.local_index(code, a, true).map(ArgRef::Local),
            (Arg::Pair(Ok(_), Ok(_)), ArgKind::Paired) => {
                match (self.local_index(code, a >> 4, false), self.local_index(code, a & 15, false)) {
                    (Some(x), Some(y)) => Some(ArgRef::Pair(x, y)),
                    _ => None,
                }
            }
            _ => None,
        };
        index.unwrap_or_else(|| ArgRef::Value(dec.argval(&arg, &raw)))
    }

    /// The index in [`Code::localsplus`] of local (`free`: cell or free
    /// variable) operand `i`, as `dis` indexes them.
    fn local_index(&self, code: &Code<'_, '_>, i: i64, free: bool) -> Option<usize> {
        if self.data.rules.localsplus {
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
        let dec = self.decoder(code);
        let raw = row.raw();
        let arg = dec.resolve(&raw, &decoded.labels);
        let mut text = Vec::new();
        dec.write_argrepr(&mut text, &arg, &mut cache.0)
            .map_err(|error: ReprError| DisError::Repr { error, code_offset: code.offset() })?;
        // Built from whole `&str`s and ASCII only.
        Ok(String::from_utf8(text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    /// `row`'s jump target in bytes, for jump opcodes.
    #[must_use]
    pub fn row_jump_target(&self, code: &Code<'_, '_>, row: &Row) -> Option<i64> {
        let dec = self.decoder(code);
        let raw = row.raw();
        let arg = dec.resolve(&raw, &[]);
        Decoder::arg_jump_target(&arg).or_else(|| dec.jump_target(&raw))
    }
}

/// Constant reprs kept between [`Disassembler::argrepr`] calls on the code
/// objects of one file.
#[derive(Debug, Default)]
pub struct ArgreprCache(ReprCache);
