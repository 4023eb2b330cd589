//! Decoding instructions and resolving their arguments as `dis` does.

use bytescope_code::{Code, Name};

use bytescope_code::exceptions::ExceptionEntry;
use bytescope_code::lines::Positions;
use bytescope_marshal::reuse::room_for;
use bytescope_marshal::{ObjId, Value};
use bytescope_opcodes::OpcodeTable;
use std::io::Write as _;

use bytescope_pyrepr::{ReprError, ReprOptions, plain_str_quotes, repr_object};

use crate::plan::{ArgKind, JumpStyle, OpPlan, VersionData};
use crate::rules::Rules;

/// One decoded instruction, with its argument resolved as that version's
/// `dis` resolves it.
#[derive(Clone, Debug, PartialEq)]
pub struct Instruction {
    /// Byte offset of the opcode (not of its EXTENDED_ARG prefixes).
    pub offset: u32,
    /// Byte offset of the first EXTENDED_ARG prefix, or `offset` (3.13's
    /// `start_offset`).
    pub start_offset: u32,
    /// The opcode byte.
    pub opcode: u8,
    /// The base opcode (differs only for specialized opcodes).
    pub deopt: u8,
    /// Size in bytes: 2 (wordcode), or 1/3 (≤3.5) — without inline caches.
    pub size: u8,
    /// The argument with EXTENDED_ARG folded in, `None` for argument-less
    /// opcodes.
    pub arg: Option<i64>,
    /// The resolved argument (`Instruction.argval`).
    pub argval: ArgVal,
    /// Its text (`Instruction.argrepr`).
    pub argrepr: String,
    /// The jump target in bytes, for jump opcodes.
    pub jump_target: Option<i64>,
    /// Inline cache code units that follow (3.11+).
    pub cache_entries: u8,
    /// `Some(line)` when the instruction starts a line (`line` is `None` for
    /// a 3.13+ line start without a line number).
    pub starts_line: Option<Option<i64>>,
    /// The line the instruction belongs to (3.13's `line_number`).
    pub line_number: Option<i64>,
    /// Whether something jumps here (`>>` up to 3.12).
    pub is_jump_target: bool,
    /// The `L<n>` label (3.13+).
    pub label: Option<u32>,
    /// Source positions of the instruction's first code unit (3.11+).
    pub positions: Option<Positions>,
}

/// What `Instruction.argval` holds.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgVal {
    /// No argument (`None`).
    None,
    /// The raw argument, or a computed offset.
    Int(i64),
    /// A constant from `co_consts`.
    Const(ObjId),
    /// A name (global, attribute, local, cell).
    Name(String),
    /// A fixed string such as a comparison operator.
    Str(&'static str),
    /// Two local names (3.13+ paired-local opcodes).
    Pair(String, String),
    /// FORMAT_VALUE: the conversion (0 none, 1 str, 2 repr, 3 ascii) and
    /// whether a format spec follows.
    FormatValue(u8, bool),
    /// CONVERT_VALUE's conversion function (1 str, 2 repr, 3 ascii; 0 None).
    Converter(u8),
    /// A 3.15 LOAD_COMMON_CONSTANT value, as `dis` shows it.
    Common(&'static str),
    /// `dis.UNKNOWN` (3.11 resolves no constant but LOAD_CONST's).
    Unknown,
    /// An operand out of range of its table; the text says which.
    Invalid,
}

/// One instruction for analyses: the opcode, its argument and what the
/// argument refers to, without building printable text (no constant
/// reprs, no copies of names). See [`crate::Disassembler::ops`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Op<'c> {
    /// Byte offset of the opcode.
    pub offset: u32,
    /// The opcode byte.
    pub opcode: u8,
    /// The base opcode (differs only for specialized opcodes).
    pub deopt: u8,
    /// The argument with EXTENDED_ARG folded in.
    pub arg: Option<i64>,
    /// What the argument refers to.
    pub value: OpValue<'c>,
}

/// What an [`Op`]'s argument refers to, resolved by the version's rules
/// (`NULL` bits, lazy-import bits and the like already stripped).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OpValue<'c> {
    /// No argument, or one with no meaning beyond its number.
    None,
    /// A constant (`co_consts` entry).
    Const(ObjId),
    /// A global, attribute, import, local or cell name.
    Name(&'c str),
    /// Two local names (3.13+ paired-local opcodes).
    Pair(&'c str, &'c str),
    /// A jump target in bytes.
    Jump(i64),
    /// A fixed text: comparison or binary operator, intrinsic, special
    /// method, common constant, `is`/`in` form.
    Text(&'static str),
    /// Something else (flags, conversions) or an operand out of range.
    Other,
}

impl OpValue<'_> {
    /// The fixed text, or `""`.
    #[must_use]
    pub fn text(&self) -> &'static str {
        match self {
            OpValue::Text(t) => t,
            _ => "",
        }
    }
}

/// Longest string constant whose argrepr the fast path takes straight from
/// the text (checked at every load); longer ones are reprs, computed once.
const FAST_STR_MAX: usize = 4096;

/// Everything needed to decode one code object's instructions.
pub(crate) struct Decoder<'c, 'm, 'a> {
    pub code: &'c Code<'m, 'a>,
    pub table: &'static OpcodeTable,
    pub rules: &'c Rules,
    /// What each opcode byte means (see [`crate::plan`]).
    pub plans: &'c [OpPlan; 256],
    /// Wordcode step per opcode (see [`VersionData::steps`]).
    pub steps: &'c [u8; 256],
    /// See [`VersionData::stops`].
    pub stops: &'c [bool; 256],
    pub repr: ReprOptions,
    /// Names LOCAL-kind operands index: `co_varnames` ≤3.10, localsplus 3.11+.
    pub locals: NameList<'c, 'a>,
    /// Names FREE-kind operands index: cellvars + freevars up to 3.10,
    /// localsplus 3.11+.
    pub frees: NameList<'c, 'a>,
}

/// A name list operands index, borrowed from the code object (no list is
/// built per code object).
#[derive(Clone, Copy, Debug)]
pub(crate) enum NameList<'c, 'a> {
    /// 3.11+ `co_localsplusnames`.
    LocalsPlus(&'c [(Name<'a>, u8)]),
    /// One list, then another (`co_varnames` and an empty list; or
    /// `co_cellvars` then `co_freevars`).
    Two(&'c [Name<'a>], &'c [Name<'a>]),
}

impl<'c> NameList<'c, '_> {
    fn len(self) -> usize {
        match self {
            NameList::LocalsPlus(l) => l.len(),
            NameList::Two(a, b) => a.len() + b.len(),
        }
    }

    /// `list[i]` with Python's index rules, keeping the names' lifetime.
    #[inline]
    fn pick(self, i: i64) -> Result<&'c str, i64> {
        let j = py_index(self.len(), i).ok_or(i)?;
        Ok(match self {
            NameList::LocalsPlus(l) => l[j].0.as_ref(),
            NameList::Two(a, b) => match a.get(j) {
                Some(n) => n.as_ref(),
                None => b[j - a.len()].as_ref(),
            },
        })
    }
}

/// A decoded instruction before argument resolution.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Raw {
    pub offset: u32,
    pub start_offset: u32,
    pub op: u8,
    pub deop: u8,
    pub size: u8,
    pub arg: Option<i64>,
    pub caches: u8,
}

/// A resolved argument that borrows what it names. Printers write its text
/// straight into their output; [`Instruction`]s are built from it for the
/// structured views, so the resolution rules exist once.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arg<'c> {
    /// No argument.
    None,
    /// `argval = arg`, no text.
    Plain,
    /// `co_consts[i]`.
    Const(usize),
    /// `dis.UNKNOWN` (3.11 resolves only LOAD_CONST's constant).
    Unknown,
    /// A name with an optional ` + NULL`-style marker before or after it.
    Name { name: &'c str, prefix: &'static str, suffix: &'static str },
    /// A local or cell name.
    Local(&'c str),
    /// A jump to `target` (bytes) and how `dis` words it.
    Jump { target: i64, text: JumpText },
    /// Two local names (3.13+), each possibly out of range.
    Pair(Result<&'c str, i64>, Result<&'c str, i64>),
    /// A comparison operator (`argval` is the operator).
    Compare { op: &'static str, boolean: bool },
    /// Fixed text; `argval = arg`.
    Text(&'static str),
    /// MAKE_FUNCTION / SET_FUNCTION_ATTRIBUTE flag names; `argval = arg`.
    FunctionFlags(i64),
    /// FORMAT_VALUE.
    FormatValue(u8, bool),
    /// CONVERT_VALUE.
    Converter(u8),
    /// LOAD_COMMON_CONSTANT; `value` says whether argval is the object (3.15).
    Common { text: &'static str, value: bool },
    /// 3.4–3.5 CALL_FUNCTION-style counts.
    Nargs(u8, u8),
    /// An operand out of range: `<invalid {what} {index}>`.
    Invalid { what: &'static str, index: i64 },
}

/// A listing line's argrepr on the fast path (see [`Decoder::fast_text`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum FastText<'s> {
    /// Exactly this text (empty: no parentheses).
    Str(&'s str),
    /// `prefix text suffix`: a name with its marker, a str between quotes.
    Name(&'static str, &'s str, &'static str),
    /// `to {target}`.
    To(i64),
    /// An int constant.
    Int(i64),
    /// `{prep} L{label}` (3.13+) for the label at this target offset.
    Label(&'static str, i64),
    /// Resolve it the general way.
    Other,
}

/// Where [`Decoder::fast_text`] hands a [`FastText`]. Its `put` is
/// inlined into each kind's arm, where the variant is known.
pub(crate) trait TextSink<'s> {
    type Out;
    fn put(self, text: FastText<'s>) -> Self::Out;
}

/// How a jump's argument is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JumpText {
    /// No text (absolute jumps before 3.10).
    Hidden,
    /// `to 42`.
    Offset,
    /// `to L3` / `from L3` (3.13+); `None` when the target has no label.
    Label(&'static str, Option<u32>),
}

/// Constant reprs of one file, computed once per object and kept in one
/// reusable text arena. Keyed by the object the constant resolves to:
/// constants shared through marshal references (interned strings, small
/// ints, repeated tuples) and code objects (repr'd by their parent's
/// LOAD_CONST and again as their own listing's header) are shown many times
/// but computed once.
#[derive(Debug, Default)]
pub(crate) struct ReprCache {
    arena: String,
    /// Per object index: 0 when not computed yet, else the repr's `(start,
    /// end)` in `arena` is `ranges[slot - 1]`. Indexed directly (objects
    /// are numbered densely from 0): one load per lookup, no hashing.
    slots: Vec<u32>,
    ranges: Vec<(u32, u32)>,
}

impl ReprCache {
    /// Forgets every repr (keeping the memory).
    pub fn clear(&mut self) {
        self.arena.clear();
        self.slots.clear();
        self.ranges.clear();
    }

    /// The repr of object `id` (resolved), computing it with `repr` the
    /// first time.
    pub fn get(
        &mut self,
        id: ObjId,
        repr: impl FnOnce(&mut String) -> Result<(), ReprError>,
    ) -> Result<&str, ReprError> {
        let i = id.index();
        if let Some(&slot) = self.slots.get(i)
            && slot != 0
            && let Some(&(start, end)) = self.ranges.get(slot as usize - 1)
        {
            return Ok(&self.arena[start as usize..end as usize]);
        }
        let start = self.arena.len();
        if let Err(err) = repr(&mut self.arena) {
            self.arena.truncate(start);
            return Err(err);
        }
        let end = self.arena.len();
        if self.slots.len() <= i {
            // Grows to the objects seen (at most the file's node count).
            self.slots.resize(i + 1, 0);
        }
        self.ranges.push((start as u32, end as u32));
        self.slots[i] = self.ranges.len() as u32;
        Ok(&self.arena[start..end])
    }
}

/// Vectors a listing needs per code object, handed from one code object to
/// the next so that a file's listing allocates them once.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    pub reprs: ReprCache,
    pub raws: Vec<Raw>,
    pub targets: Vec<i64>,
    pub marks: Vec<u8>,
    pub starts: Vec<(u32, Option<i64>)>,
    pub exceptions: Vec<ExceptionEntry>,
}

/// The number of the label at `offset` in `labels` (label offsets in
/// order, see [`Decoder::resolve`]), if there is one.
pub(crate) fn label_number(labels: &[i64], offset: i64) -> Option<u32> {
    labels.binary_search(&offset).ok().map(|i| i as u32 + 1)
}

/// Python's `seq[i]` index rules (negative counts from the end).
pub(crate) fn py_index(len: usize, i: i64) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let j = if i < 0 { i + len } else { i };
    if (0..len).contains(&j) { usize::try_from(j).ok() } else { None }
}

const CONVERSIONS: [&str; 4] = ["", "str", "repr", "ascii"];

impl<'c, 'm, 'a> Decoder<'c, 'm, 'a> {
    /// A decoder for `code`.
    pub fn new(
        code: &'c Code<'m, 'a>,
        table: &'static OpcodeTable,
        data: &'c VersionData,
        repr: ReprOptions,
    ) -> Self {
        let (rules, plans, steps, stops) = (&data.rules, &data.plans, &data.steps, &data.stops);
        let (locals, frees) = if rules.localsplus {
            // Both kinds index localsplus.
            let l = NameList::LocalsPlus(&code.localsplus);
            (l, l)
        } else {
            (NameList::Two(&code.varnames, &[]), NameList::Two(&code.cellvars, &code.freevars))
        };
        Decoder { code, table, rules, plans, steps, stops, repr, locals, frees }
    }

    /// The analysis view of `raw`.
    pub fn op(&self, raw: &Raw) -> Op<'c> {
        let value = match self.resolve(raw, &[]) {
            Arg::Const(i) => OpValue::Const(self.code.consts[i]),
            Arg::Name { name, .. } | Arg::Local(name) => OpValue::Name(name),
            Arg::Pair(Ok(a), Ok(b)) => OpValue::Pair(a, b),
            Arg::Jump { target, .. } => OpValue::Jump(target),
            Arg::Compare { op, .. } => OpValue::Text(op),
            Arg::Text(t) | Arg::Common { text: t, .. } => OpValue::Text(t),
            Arg::None | Arg::Plain | Arg::Unknown => OpValue::None,
            _ => OpValue::Other,
        };
        Op { offset: raw.offset, opcode: raw.op, deopt: raw.deop, arg: raw.arg, value }
    }
}

impl<'c> Decoder<'c, '_, '_> {
    /// `_unpack_opargs` of the version.
    pub fn unpack(&self) -> Vec<Raw> {
        self.unpack_into(Vec::new())
    }

    /// [`Decoder::unpack`] into `out`'s memory (cleared first).
    pub fn unpack_into(&self, mut out: Vec<Raw>) -> Vec<Raw> {
        room_for(&mut out, self.code.code.len() / 2, 0);
        if self.rules.wordcode { self.unpack_wordcode(out) } else { self.unpack_bytecode(out) }
    }

    fn unpack_wordcode(&self, mut out: Vec<Raw>) -> Vec<Raw> {
        let code = self.code.code;
        let plans = self.plans;
        let mut i = 0usize;
        loop {
            // Instructions with no EXTENDED_ARG in effect (nearly all), in a
            // loop that carries no EXTENDED_ARG state.
            while let Some(&[op, byte]) = code.get(i..i + 2) {
                let p = &plans[usize::from(op)];
                if p.is_ext {
                    break;
                }
                let offset = i as u32;
                // The instruction, then its inline cache units.
                i += usize::from(self.steps[usize::from(op)]);
                let arg = if p.has_arg { Some(i64::from(byte)) } else { None };
                out.push(Raw {
                    offset,
                    start_offset: offset,
                    op,
                    deop: p.deop,
                    size: 2,
                    arg,
                    caches: p.caches,
                });
            }
            if i + 2 > code.len() {
                return out;
            }
            i = self.unpack_extended(i, &mut out);
        }
    }

    /// From the EXTENDED_ARG at `i`, decodes until no EXTENDED_ARG state is
    /// left; returns where to go on.
    #[cold]
    fn unpack_extended(&self, mut i: usize, out: &mut Vec<Raw>) -> usize {
        let code = self.code.code;
        let mut st = ExtState::default();
        while let Some(&[op, byte]) = code.get(i..i + 2) {
            let p = &self.plans[usize::from(op)];
            if st.idle() && !p.is_ext {
                break;
            }
            let offset = i as u32;
            // The instruction, then its inline cache units (not
            // instructions, no EXTENDED_ARG effect).
            i += usize::from(self.steps[usize::from(op)]);
            out.push(st.step(self.rules, offset, op, byte, p));
        }
        i
    }

    fn unpack_bytecode(&self, mut out: Vec<Raw>) -> Vec<Raw> {
        let code = self.code.code;
        let plans = self.plans;
        let mut ext: i64 = 0;
        let mut i = 0usize;
        while i < code.len() {
            let op = code[i];
            let offset = i as u32;
            let p = &plans[usize::from(op)];
            let (arg, size) = if p.has_arg {
                // A truncated final argument reads as zero bytes (CPython
                // would raise IndexError).
                let lo = i64::from(code.get(i + 1).copied().unwrap_or(0));
                let hi = i64::from(code.get(i + 2).copied().unwrap_or(0));
                let a = lo.saturating_add(hi * 256).saturating_add(ext);
                ext = if p.is_ext { a.saturating_mul(65536) } else { 0 };
                (Some(a), 3u8)
            } else {
                (None, 1u8)
            };
            out.push(Raw { offset, start_offset: offset, op, deop: op, size, arg, caches: 0 });
            i += usize::from(size);
        }
        out
    }

    /// The jump target of `raw` in bytes (`_get_jump_target` / `findlabels`).
    pub fn jump_target(&self, raw: &Raw) -> Option<i64> {
        let arg = raw.arg?;
        let ArgKind::Jump { abs, backward, .. } = self.plans[usize::from(raw.op)].kind else {
            return None;
        };
        let unit = if self.rules.jump_in_units { 2 } else { 1 };
        if abs {
            return Some(arg.saturating_mul(unit));
        }
        // Crafted EXTENDED_ARG chains saturate at the i64 limits; keep the
        // arithmetic saturating too.
        let signed = if backward { arg.saturating_neg() } else { arg };
        let mut t = (i64::from(raw.offset) + i64::from(raw.size)).saturating_add(signed.saturating_mul(unit));
        if self.rules.jump_skips_caches {
            t = t.saturating_add(2 * i64::from(raw.caches));
        }
        Some(t)
    }

    fn entry(list: &'static [&'static str], i: i64, what: &'static str) -> Arg<'static> {
        match py_index(list.len(), i) {
            Some(j) => Arg::Text(list[j]),
            None => Arg::Invalid { what, index: i },
        }
    }

    /// Resolves the argument of `raw` as that version's `dis` does
    /// (`ArgResolver.get_argval_argrepr` and its predecessors), without
    /// allocating.
    /// `labels` holds the offsets of 3.13+'s `L<n>` labels in order (label
    /// `n` at `labels[n - 1]`), empty before 3.13.
    pub fn resolve(&self, raw: &Raw, labels: &[i64]) -> Arg<'c> {
        let Some(arg) = raw.arg else { return Arg::None };
        let r = self.rules;
        match self.plans[usize::from(raw.op)].kind {
            ArgKind::Plain => Arg::Plain,
            ArgKind::Unknown => Arg::Unknown,
            ArgKind::Const => match py_index(self.code.consts.len(), arg) {
                Some(j) => Arg::Const(j),
                None => Arg::Invalid { what: "const index", index: arg },
            },
            ArgKind::Name { shift, marker } => {
                // `arg >> shift` is Python's `arg // 2**shift` (floor division).
                let index = arg >> shift;
                let Some(j) = py_index(self.code.names.len(), index) else {
                    return Arg::Invalid { what: "name index", index };
                };
                let name: &'c str = self.code.names[j].as_ref();
                let (prefix, suffix) = marker.around(name, arg);
                Arg::Name { name, prefix, suffix }
            }
            ArgKind::Jump { text, .. } => {
                let target = self.jump_target(raw).unwrap_or(arg);
                let text = match text {
                    JumpStyle::Hidden => JumpText::Hidden,
                    JumpStyle::Offset => JumpText::Offset,
                    JumpStyle::Label(prep) => JumpText::Label(prep, label_number(labels, target)),
                };
                Arg::Jump { target, text }
            }
            ArgKind::Paired => Arg::Pair(self.locals.pick(arg >> 4), self.locals.pick(arg & 15)),
            ArgKind::Local => match self.locals.pick(arg) {
                Ok(n) => Arg::Local(n),
                Err(index) => Arg::Invalid { what: "local index", index },
            },
            ArgKind::Free => match self.frees.pick(arg) {
                Ok(n) => Arg::Local(n),
                Err(index) => Arg::Invalid { what: "free index", index },
            },
            ArgKind::Compare => match Self::entry(self.table.cmp_op, arg >> r.compare_shift, "comparison") {
                Arg::Text(op) => Arg::Compare { op, boolean: r.compare_bool_bit && arg & 16 != 0 },
                invalid => invalid,
            },
            ArgKind::FormatValue => Arg::FormatValue((arg & 3) as u8, arg & 4 != 0),
            ArgKind::Converter => match py_index(4, arg) {
                Some(j) => Arg::Converter(j as u8),
                None => Arg::Invalid { what: "conversion", index: arg },
            },
            ArgKind::FunctionFlags => Arg::FunctionFlags(arg),
            ArgKind::Table { list, what } => Self::entry(list, arg, what),
            ArgKind::Common => match Self::entry(self.table.common_constants, arg, "common constant") {
                Arg::Text(text) => Arg::Common { text, value: r.import_name_flags },
                invalid => invalid,
            },
            ArgKind::IsOp => Arg::Text(if arg != 0 { "is not" } else { "is" }),
            ArgKind::ContainsOp => Arg::Text(if arg != 0 { "not in" } else { "in" }),
            ArgKind::Nargs => {
                let code = self.code.code;
                let at = raw.offset as usize;
                Arg::Nargs(code.get(at + 1).copied().unwrap_or(0), code.get(at + 2).copied().unwrap_or(0))
            }
        }
    }

    /// Appends `argrepr` of `arg`. Constant reprs go through `cache` (one
    /// slot per `co_consts` entry).
    ///
    /// # Errors
    /// A constant CPython could not repr.
    pub fn write_argrepr(
        &self,
        out: &mut Vec<u8>,
        arg: &Arg<'_>,
        cache: &mut ReprCache,
    ) -> Result<(), ReprError> {
        if let Some(text) = self.argrepr_text(arg, cache)? {
            out.extend_from_slice(text.as_bytes());
            return Ok(());
        }
        self.write_argrepr_rest(out, arg);
        Ok(())
    }

    /// [`Decoder::write_argrepr`] of an `arg` that
    /// [`Decoder::argrepr_text`] does not give as one string.
    pub fn write_argrepr_rest(&self, out: &mut Vec<u8>, arg: &Arg<'_>) {
        match *arg {
            // One borrowed string: handled above.
            Arg::None
            | Arg::Plain
            | Arg::Unknown
            | Arg::Const(_)
            | Arg::Local(_)
            | Arg::Text(_)
            | Arg::Common { .. }
            | Arg::Converter(_) => {}
            Arg::Name { name, prefix, suffix } => {
                out.extend_from_slice(prefix.as_bytes());
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(suffix.as_bytes());
            }
            Arg::Jump { target, text } => match text {
                JumpText::Hidden => {}
                JumpText::Offset => {
                    out.extend_from_slice(b"to ");
                    out.extend_from_slice(itoa::Buffer::new().format(target).as_bytes());
                }
                JumpText::Label(prep, Some(l)) => {
                    let _ = write!(out, "{prep} L{l}");
                }
                JumpText::Label(prep, None) => {
                    let _ = write!(out, "{prep} <invalid target {target}>");
                }
            },
            Arg::Pair(a, b) => {
                for (k, x) in [a, b].into_iter().enumerate() {
                    if k > 0 {
                        out.extend_from_slice(b", ");
                    }
                    match x {
                        Ok(n) => out.extend_from_slice(n.as_bytes()),
                        Err(i) => {
                            let _ = write!(out, "<invalid local index {i}>");
                        }
                    }
                }
            }
            Arg::Compare { op, boolean } => {
                if boolean {
                    let _ = write!(out, "bool({op})");
                } else {
                    out.extend_from_slice(op.as_bytes());
                }
            }
            Arg::FunctionFlags(arg) => {
                let mut first = true;
                for (i, name) in self.table.function_flags.iter().enumerate() {
                    if arg & (1 << i) != 0 {
                        if !first {
                            out.extend_from_slice(b", ");
                        }
                        first = false;
                        out.extend_from_slice(name.as_bytes());
                    }
                }
            }
            Arg::FormatValue(conv, spec) => {
                out.extend_from_slice(CONVERSIONS[usize::from(conv & 3)].as_bytes());
                if spec {
                    if conv & 3 != 0 {
                        out.extend_from_slice(b", ");
                    }
                    out.extend_from_slice(b"with format");
                }
            }
            Arg::Nargs(lo, hi) => {
                let _ = write!(out, "{lo} positional, {hi} keyword pair");
            }
            Arg::Invalid { what, index } => {
                let _ = write!(out, "<invalid {what} {index}>");
            }
        }
    }

    /// The argrepr of `raw` for the listing fast path, resolved and shaped
    /// in one step for the common kinds (constants, names, locals, jumps by
    /// offset, fixed texts), handed to `k` where it is made: inlined, each
    /// kind's arm puts a variant known there, so the printer's `match` on it
    /// folds away (one dispatch per line, not two). [`FastText::Other`]
    /// sends the rest through [`Decoder::resolve`]. Must agree with
    /// `resolve` + `write_argrepr` (the listing tests and conformance runs
    /// compare both paths' output).
    ///
    /// # Errors
    /// A constant CPython could not repr (`k` is not called).
    #[inline(always)]
    pub fn fast_text<'s, R>(
        &'s self,
        raw: &Raw,
        cache: &'s mut ReprCache,
        k: impl TextSink<'s, Out = R>,
    ) -> Result<R, ReprError> {
        let Some(arg) = raw.arg else { return Ok(k.put(FastText::Str(""))) };
        Ok(match self.plans[usize::from(raw.op)].kind {
            ArgKind::Plain | ArgKind::Unknown => k.put(FastText::Str("")),
            ArgKind::Const => match py_index(self.code.consts.len(), arg) {
                Some(i) => self.const_text_with(i, cache, k)?,
                None => k.put(FastText::Other),
            },
            ArgKind::Name { shift, marker } => {
                let Some(j) = py_index(self.code.names.len(), arg >> shift) else {
                    return Ok(k.put(FastText::Other));
                };
                let name: &'s str = self.code.names[j].as_ref();
                let (prefix, suffix) = marker.around(name, arg);
                k.put(FastText::Name(prefix, name, suffix))
            }
            ArgKind::Local => match self.locals.pick(arg) {
                Ok(n) => k.put(FastText::Str(n)),
                Err(_) => k.put(FastText::Other),
            },
            ArgKind::Jump { text: JumpStyle::Offset, .. } => match self.jump_target(raw) {
                Some(t) => k.put(FastText::To(t)),
                None => k.put(FastText::Other),
            },
            ArgKind::Jump { text: JumpStyle::Hidden, .. } => k.put(FastText::Str("")),
            ArgKind::Jump { text: JumpStyle::Label(prep), .. } => match self.jump_target(raw) {
                Some(t) => k.put(FastText::Label(prep, t)),
                None => k.put(FastText::Other),
            },
            ArgKind::Free => match self.frees.pick(arg) {
                Ok(n) => k.put(FastText::Str(n)),
                Err(_) => k.put(FastText::Other),
            },
            ArgKind::Table { list, .. } => match py_index(list.len(), arg) {
                Some(j) => k.put(FastText::Str(list[j])),
                None => k.put(FastText::Other),
            },
            ArgKind::IsOp => k.put(FastText::Str(if arg != 0 { "is not" } else { "is" })),
            ArgKind::ContainsOp => k.put(FastText::Str(if arg != 0 { "not in" } else { "in" })),
            ArgKind::Compare if !(self.rules.compare_bool_bit && arg & 16 != 0) => {
                match py_index(self.table.cmp_op.len(), arg >> self.rules.compare_shift) {
                    Some(j) => k.put(FastText::Str(self.table.cmp_op[j])),
                    None => k.put(FastText::Other),
                }
            }
            // No format spec: the conversion's name alone.
            ArgKind::FormatValue if arg & 4 == 0 => k.put(FastText::Str(CONVERSIONS[(arg & 3) as usize])),
            // No flag or one flag: its name alone.
            ArgKind::FunctionFlags if arg >= 0 && arg.count_ones() <= 1 => {
                let names = self.table.function_flags;
                k.put(FastText::Str(if arg == 0 {
                    ""
                } else {
                    names.get(arg.trailing_zeros() as usize).copied().unwrap_or("")
                }))
            }
            _ => k.put(FastText::Other),
        })
    }

    /// `argrepr` of `arg` when it is one borrowed string (nearly always:
    /// constants, plain names, locals, operators); `None` when it has to be
    /// assembled ([`Decoder::write_argrepr`] does both).
    ///
    /// # Errors
    /// A constant CPython could not repr.
    #[inline]
    pub fn argrepr_text<'s>(
        &'s self,
        arg: &Arg<'s>,
        cache: &'s mut ReprCache,
    ) -> Result<Option<&'s str>, ReprError> {
        Ok(Some(match *arg {
            Arg::None | Arg::Plain | Arg::Unknown | Arg::Jump { text: JumpText::Hidden, .. } => "",
            Arg::Const(i) => self.const_repr(i, cache)?,
            Arg::Name { name, prefix: "", suffix: "" } | Arg::Local(name) => name,
            Arg::Compare { op, boolean: false } => op,
            Arg::Text(text) | Arg::Common { text, .. } => text,
            Arg::Converter(c) => CONVERSIONS[usize::from(c & 3)],
            _ => return Ok(None),
        }))
    }

    /// The argrepr of `co_consts[i]` (`i` in range) on the fast path, handed
    /// to `k` (see [`Decoder::fast_text`]): the commonest constants
    /// straight from where they are (a str needing no escapes between its
    /// quotes, an int, a singleton), others through [`Decoder::const_repr`].
    #[inline(always)]
    fn const_text_with<'s, R>(
        &'s self,
        i: usize,
        cache: &'s mut ReprCache,
        k: impl TextSink<'s, Out = R>,
    ) -> Result<R, ReprError> {
        let m = self.code.marshal();
        Ok(match m.get(self.code.consts[i]) {
            // (Not ''; printers take an empty middle part for "no text".
            // Long strings go through the cache: this check reads the whole
            // text at every load.)
            Value::Str { text: Some(text), .. } if !text.is_empty() && text.len() <= FAST_STR_MAX => {
                match plain_str_quotes(text, self.rules.version) {
                    Some((open, close)) => k.put(FastText::Name(open, text, close)),
                    None => k.put(FastText::Str(self.const_repr(i, cache)?)),
                }
            }
            Value::Int(v) => k.put(FastText::Int(*v)),
            Value::None => k.put(FastText::Str("None")),
            Value::True => k.put(FastText::Str("True")),
            Value::False => k.put(FastText::Str("False")),
            _ => k.put(FastText::Str(self.const_repr(i, cache)?)),
        })
    }

    /// The repr of `co_consts[i]` (`i` in range), through `cache`.
    fn const_repr<'s>(&self, i: usize, cache: &'s mut ReprCache) -> Result<&'s str, ReprError> {
        let m = self.code.marshal();
        let id = m.resolve(self.code.consts[i]);
        cache.get(id, |s| repr_object(s, m, id, self.repr))
    }

    /// `Instruction.argval` of `arg`.
    pub fn argval(&self, arg: &Arg<'_>, raw: &Raw) -> ArgVal {
        let plain = raw.arg.map_or(ArgVal::None, ArgVal::Int);
        match *arg {
            Arg::None => ArgVal::None,
            Arg::Plain | Arg::Text(_) | Arg::FunctionFlags(_) | Arg::Nargs(..) => plain,
            Arg::Const(i) => ArgVal::Const(self.code.consts[i]),
            Arg::Unknown => ArgVal::Unknown,
            Arg::Name { name, .. } | Arg::Local(name) => ArgVal::Name(name.to_owned()),
            Arg::Jump { target, text } => {
                if text == JumpText::Hidden {
                    plain
                } else {
                    ArgVal::Int(target)
                }
            }
            Arg::Pair(Ok(a), Ok(b)) => ArgVal::Pair(a.to_owned(), b.to_owned()),
            Arg::Pair(..) | Arg::Invalid { .. } => ArgVal::Invalid,
            Arg::Compare { op, .. } => ArgVal::Str(op),
            Arg::FormatValue(conv, spec) => ArgVal::FormatValue(conv, spec),
            Arg::Converter(c) => ArgVal::Converter(c),
            Arg::Common { text, value } => {
                if value {
                    ArgVal::Common(text)
                } else {
                    plain
                }
            }
        }
    }

    /// The jump target of a resolved argument.
    pub fn arg_jump_target(arg: &Arg<'_>) -> Option<i64> {
        match arg {
            Arg::Jump { target, .. } => Some(*target),
            _ => None,
        }
    }
}

/// The jump targets of wordcode (as [`jump_targets`]) into `targets`,
/// walking the code without keeping decoded instructions; returns whether
/// it holds an EXTENDED_ARG. The listing then walks the code again with
/// [`Words`], or [`ExtWords`] when it does: the bytes are in cache by then.
pub(crate) fn wordcode_jump_targets(dec: &Decoder<'_, '_, '_>, targets: &mut Vec<i64>) -> bool {
    targets.clear();
    let code = dec.code.code;
    let end = code.len() & !1;
    // Each step of a walk waits on two loads (the opcode, then its step),
    // so two walks go side by side: one from the start, one from the first
    // unit at or after the middle whose opcode is not 0 (CACHE, which only
    // ever fills inline caches). The first must arrive exactly there, or
    // that unit was no instruction and the first walk goes on alone.
    let mut mid = (end / 2) & !1;
    while mid < end && code[mid] == 0 {
        mid += 2;
    }
    let (mut a, mut b) = (0, mid);
    while a < mid && b < end {
        if !jump_step(dec, &mut a, targets) || !jump_step(dec, &mut b, targets) {
            return ext_jump_targets(dec, targets);
        }
    }
    if !walk_until(dec, &mut b, end, targets) || !walk_until(dec, &mut a, mid, targets) {
        return ext_jump_targets(dec, targets);
    }
    if a != mid {
        // The second walk started inside an instruction's caches: its
        // targets go, and the first walk finishes the code.
        targets.clear();
        if !walk_until(dec, &mut 0, end, targets) {
            return ext_jump_targets(dec, targets);
        }
    }
    false
}

/// [`jump_step`]s from `at` until `until`; `false` at an EXTENDED_ARG.
#[inline(always)]
fn walk_until(dec: &Decoder<'_, '_, '_>, at: &mut usize, until: usize, targets: &mut Vec<i64>) -> bool {
    while *at < until {
        if !jump_step(dec, at, targets) {
            return false;
        }
    }
    true
}

/// One instruction of a jump-target walk at `at` (wordcode, no EXTENDED_ARG
/// state): its target pushed if it jumps, `at` moved past its caches;
/// `false` at an EXTENDED_ARG. Only jumps and EXTENDED_ARG (about one in
/// ten) look further than two byte tables.
#[inline(always)]
fn jump_step(dec: &Decoder<'_, '_, '_>, at: &mut usize, targets: &mut Vec<i64>) -> bool {
    let Some(&[op, arg]) = dec.code.code.get(*at..*at + 2).and_then(|w| w.first_chunk::<2>()) else {
        *at = usize::MAX;
        return true;
    };
    if dec.stops[usize::from(op)] {
        let p = &dec.plans[usize::from(op)];
        if p.is_ext {
            return false;
        }
        if let Some(t) = dec.jump_target(&word_raw(*at as u32, op, arg, p)) {
            targets.push(t);
        }
    }
    *at += usize::from(dec.steps[usize::from(op)]);
    true
}

/// The jump targets of wordcode holding an EXTENDED_ARG (rare: about one
/// code object in thirty), walked with its state; `true`.
#[cold]
fn ext_jump_targets(dec: &Decoder<'_, '_, '_>, targets: &mut Vec<i64>) -> bool {
    targets.clear();
    push_jump_targets(dec, ExtWords::new(dec), targets);
    true
}

/// Pushes the jump targets of `raws` onto `targets`, in instruction order.
fn push_jump_targets(dec: &Decoder<'_, '_, '_>, raws: impl Iterator<Item = Raw>, targets: &mut Vec<i64>) {
    targets.extend(raws.filter_map(|raw| dec.jump_target(&raw)));
}

/// The [`Raw`] of the instruction `op arg` at `offset` of wordcode with no
/// EXTENDED_ARG (`p` is its opcode's plan).
#[inline(always)]
fn word_raw(offset: u32, op: u8, arg: u8, p: &OpPlan) -> Raw {
    Raw {
        offset,
        start_offset: offset,
        op,
        deop: p.deop,
        size: 2,
        arg: if p.has_arg { Some(i64::from(arg)) } else { None },
        caches: p.caches,
    }
}

/// The instructions of wordcode, decoded as they are walked, for code with
/// no EXTENDED_ARG (which [`wordcode_jump_targets`] checks walking them).
#[derive(Clone, Debug)]
pub(crate) struct Words<'c> {
    code: &'c [u8],
    at: usize,
    plans: &'c [OpPlan; 256],
    steps: &'c [u8; 256],
}

impl<'c> Words<'c> {
    pub(crate) fn new(dec: &Decoder<'c, '_, '_>) -> Self {
        Words { code: dec.code.code, at: 0, plans: dec.plans, steps: dec.steps }
    }

    /// The next instruction's offset, opcode, argument byte and plan,
    /// moving past it and its inline caches.
    #[inline(always)]
    fn unit(&mut self) -> Option<(u32, u8, u8, &'c OpPlan)> {
        let &[op, arg] = self.code.get(self.at..self.at + 2)?.first_chunk::<2>()?;
        let offset = self.at as u32;
        self.at += usize::from(self.steps[usize::from(op)]);
        Some((offset, op, arg, &self.plans[usize::from(op)]))
    }
}

impl Iterator for Words<'_> {
    type Item = Raw;

    #[inline]
    fn next(&mut self) -> Option<Raw> {
        let (offset, op, arg, p) = self.unit()?;
        Some(word_raw(offset, op, arg, p))
    }
}

/// The EXTENDED_ARG state of a wordcode walk: the argument bits carried to
/// the next instruction and how many EXTENDED_ARGs came right before it.
#[derive(Clone, Copy, Debug, Default)]
struct ExtState {
    ext: i64,
    count: u32,
}

impl ExtState {
    /// Whether no EXTENDED_ARG is in effect: a plain instruction decodes as
    /// [`word_raw`] does.
    #[inline(always)]
    fn idle(&self) -> bool {
        self.ext == 0 && self.count == 0
    }

    /// Decodes `op byte` at `offset` (`p` its plan) under this state, as
    /// `_unpack_opargs` does, and carries the state on.
    #[inline]
    fn step(&mut self, r: &Rules, offset: u32, op: u8, byte: u8, p: &OpPlan) -> Raw {
        let arg = if p.has_arg {
            // Python ints are unbounded; i64 with saturation covers every
            // real file and keeps crafted EXTENDED_ARG chains finite (a
            // saturated value stays saturated, as `i64::MAX | byte` is
            // `i64::MAX`).
            let a = i64::from(byte) | self.ext;
            self.ext = if p.is_ext { a.saturating_mul(256) } else { 0 };
            // 3.11+: "the oparg is stored as a signed integer" — one
            // subtraction of 2**32, exactly as dis does it.
            if r.ext_wrap_i32 && self.ext >= 1 << 31 {
                self.ext -= 1 << 32;
            }
            Some(a)
        } else {
            if r.ext_reset_argless {
                self.ext = 0;
            }
            None
        };
        let start = if p.is_ext { offset } else { offset - 2 * self.count };
        self.count = if p.is_ext { self.count + 1 } else { 0 };
        Raw { offset, start_offset: start, op, deop: p.deop, size: 2, arg, caches: p.caches }
    }
}

/// [`Words`] for wordcode that holds EXTENDED_ARGs: the same instructions
/// as [`Decoder::unpack`], decoded as they are walked.
#[derive(Clone, Debug)]
pub(crate) struct ExtWords<'c> {
    words: Words<'c>,
    rules: &'c Rules,
    st: ExtState,
}

impl<'c> ExtWords<'c> {
    pub(crate) fn new(dec: &Decoder<'c, '_, '_>) -> Self {
        ExtWords { words: Words::new(dec), rules: dec.rules, st: ExtState::default() }
    }
}

impl Iterator for ExtWords<'_> {
    type Item = Raw;

    #[inline]
    fn next(&mut self) -> Option<Raw> {
        let (offset, op, byte, p) = self.words.unit()?;
        Some(if self.st.idle() && !p.is_ext {
            word_raw(offset, op, byte, p)
        } else {
            self.st.step(self.rules, offset, op, byte, p)
        })
    }
}

/// Jump targets (`findlabels`), in instruction order, possibly repeated,
/// into `out`'s memory (cleared first).
pub(crate) fn jump_targets(dec: &Decoder<'_, '_, '_>, raws: &[Raw], mut out: Vec<i64>) -> Vec<i64> {
    out.clear();
    push_jump_targets(dec, raws.iter().copied(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytescope_marshal::load_pyc;
    use bytescope_pyc::PythonVersion;

    /// The side-by-side jump-target walks find what one walk over the
    /// unpacked instructions finds, for code made mostly of CACHE units,
    /// jumps and EXTENDED_ARGs (where a second walk can start inside an
    /// instruction's caches), in a version with inline caches and one
    /// without.
    #[test]
    fn jump_target_walks_match_unpack() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        for (v, file) in
            [(PythonVersion::PY312, "3.12/constants.pyc"), (PythonVersion::PY38, "3.8/comprehensions.pyc")]
        {
            let data = std::fs::read(root.join(file)).expect("fixture");
            let pyc = load_pyc(&data, None).expect("loads");
            let m = &pyc.marshal;
            let node = m.code(m.root()).expect("a code object");
            let table = bytescope_opcodes::table(v).expect("table");
            let vd = crate::plan::version_data(table);
            let ops: Vec<u8> = (0..=255u8)
                .filter(|&op| {
                    vd.plans[usize::from(op)].is_ext
                        || matches!(vd.plans[usize::from(op)].kind, ArgKind::Jump { .. })
                })
                .chain([0, 0, 0, 1, 2, vd.plans.iter().position(|p| p.caches > 1).unwrap_or(1) as u8])
                .collect();
            let mut seed = 0x9e37_79b9_7f4a_7c15u64;
            let mut next = move |n: usize| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed % n as u64) as usize
            };
            for case in 0..4000 {
                let len = case % 97;
                let bytes: Vec<u8> = (0..len)
                    .map(|i| if i % 2 == 0 { ops[next(ops.len())] } else { next(256) as u8 })
                    .collect();
                let mut code = Code::new(m, node).expect("code");
                code.code = &bytes;
                let dec = Decoder::new(&code, table, vd, ReprOptions::default());
                let mut fast = Vec::new();
                wordcode_jump_targets(&dec, &mut fast);
                let mut slow = jump_targets(&dec, &dec.unpack(), Vec::new());
                fast.sort_unstable();
                slow.sort_unstable();
                assert_eq!(fast, slow, "{v} {bytes:?}");
            }
        }
    }
}
