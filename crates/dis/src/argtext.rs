//! Arguments as `dis` shows them: the text (`argrepr`) and value
//! (`argval`) of each [`Argument`] the instruction model resolves, by the
//! version's printing rules.

use std::io::Write as _;

use bytescope_code::Code;
use bytescope_code::exceptions::ExceptionEntry;
use bytescope_code::lines::Positions;
use bytescope_instr::{Argument, ArgumentSink, Conversion, Decoder, NameMarker, Operand, RawInstruction};
use bytescope_marshal::{ObjId, Value};
use bytescope_opcodes::OpcodeTable;
use bytescope_pyrepr::{ReprError, ReprOptions, plain_str_quotes, repr_object};

use crate::plan::{JumpStyle, PrintPlan, VersionData};
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
    pub targets: Vec<i64>,
    pub marks: Vec<u8>,
    pub starts: Vec<(u32, Option<i64>)>,
    pub exceptions: Vec<ExceptionEntry>,
}

/// The number of the label at `offset` in `labels` (label offsets in
/// order), if there is one.
pub(crate) fn label_number(labels: &[i64], offset: i64) -> Option<u32> {
    labels.binary_search(&offset).ok().map(|i| i as u32 + 1)
}

/// `FORMAT_VALUE`/`CONVERT_VALUE` conversions as `dis` names them.
const CONVERSIONS: [&str; 4] = ["", "str", "repr", "ascii"];

/// Longest string constant whose argrepr the fast path takes straight from
/// the text (checked at every load); longer ones are reprs, computed once.
const FAST_STR_MAX: usize = 4096;

fn conversion_name(c: Conversion) -> &'static str {
    CONVERSIONS[usize::from(c.number() & 3)]
}

/// What `<invalid {what} {index}>` says for an operand out of range.
fn operand_name(o: Operand) -> &'static str {
    match o {
        Operand::Const => "const index",
        Operand::Name => "name index",
        Operand::Local => "local index",
        Operand::Free => "free index",
        Operand::Comparison => "comparison",
        Operand::Conversion => "conversion",
        Operand::BinaryOp => "binary operator",
        Operand::Intrinsic => "intrinsic",
        Operand::SpecialMethod => "special method",
        Operand::CommonConstant => "common constant",
    }
}

/// A listing line's argrepr on the fast path (see [`Printer::fast_text`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum FastText<'s> {
    /// Exactly this text (empty: no parentheses).
    Str(&'s str),
    /// `prefix text suffix`: a name with its marker, a str between quotes
    /// that are not one byte each side.
    Name(&'static str, &'s str, &'static str),
    /// A str constant, not empty, between two equal one-byte quotes (sorted
    /// out where constants are, so lines of names do not compare quotes).
    Quoted(u8, &'s str),
    /// `to {target}`.
    To(i64),
    /// An int constant.
    Int(i64),
    /// `{prep} L{label}` (3.13+) for the label at this target offset.
    Label(&'static str, i64),
    /// Resolve it the general way.
    Other,
}

/// Where [`Printer::fast_text`] hands a [`FastText`].
pub(crate) trait TextSink<'s> {
    type Out;
    fn put(self, text: FastText<'s>) -> Self::Out;
}

/// One code object's instructions as `dis` shows them: the instruction
/// model's decoder, and the version's printing rules and plans.
pub(crate) struct Printer<'c, 'm, 'a> {
    pub code: &'c Code<'m, 'a>,
    pub table: &'static OpcodeTable,
    pub rules: &'static Rules,
    pub plans: &'static [PrintPlan; 256],
    pub decoder: Decoder<'c, 'm, 'a>,
    pub repr: ReprOptions,
    /// See [`VersionData::affixes`].
    affixes: &'static [(&'static str, &'static str); 5],
}

impl<'c, 'm, 'a> Printer<'c, 'm, 'a> {
    /// A printer for `code`.
    pub fn new(code: &'c Code<'m, 'a>, data: &'static VersionData, repr: ReprOptions) -> Self {
        let table = data.decoding.table;
        Printer {
            code,
            table,
            rules: &data.rules,
            plans: &data.plans,
            decoder: Decoder::with_data(code, data.decoding),
            repr,
            affixes: &data.affixes,
        }
    }

    /// The analysis view of `raw`.
    pub fn op(&self, raw: &RawInstruction) -> Op<'c> {
        let plan = &self.plans[usize::from(raw.opcode)];
        let value = match self.decoder.resolve(raw) {
            Argument::Const(_) if plan.unknown_const => OpValue::None,
            Argument::Const(id) => OpValue::Const(id),
            Argument::Name { name, .. } | Argument::Local(name) | Argument::Free(name) => OpValue::Name(name),
            Argument::LocalPair(Ok(a), Ok(b)) => OpValue::Pair(a, b),
            Argument::Jump(target) => OpValue::Jump(target),
            Argument::Compare { op, .. } => OpValue::Text(op),
            Argument::BinaryOp(t)
            | Argument::Intrinsic(t)
            | Argument::SpecialMethod(t)
            | Argument::CommonConstant(t) => OpValue::Text(t),
            Argument::Is { invert } if self.rules.is_contains_argrepr => {
                OpValue::Text(if invert { "is not" } else { "is" })
            }
            Argument::Contains { invert } if self.rules.is_contains_argrepr => {
                OpValue::Text(if invert { "not in" } else { "in" })
            }
            Argument::None | Argument::Plain(_) | Argument::Is { .. } | Argument::Contains { .. } => {
                OpValue::None
            }
            Argument::Invalid { operand: Operand::Const, .. } if plan.unknown_const => OpValue::None,
            _ => OpValue::Other,
        };
        Op { offset: raw.offset, opcode: raw.opcode, deopt: raw.base, arg: raw.arg, value }
    }

    /// Whether `arg` of `raw` shows as 3.11's `dis.UNKNOWN`.
    #[inline]
    fn unknown(&self, raw: &RawInstruction, arg: &Argument<'_>) -> bool {
        self.plans[usize::from(raw.opcode)].unknown_const
            && matches!(arg, Argument::Const(_) | Argument::Invalid { operand: Operand::Const, .. })
    }

    /// What goes before and after the name `name` with `marker`.
    #[inline]
    fn around(&self, name: &str, marker: NameMarker) -> (&'static str, &'static str) {
        if name.is_empty() { ("", "") } else { self.affixes[marker as usize] }
    }

    /// `argrepr` of `arg` (of `raw`) when it is one borrowed string (nearly
    /// always: constants, plain names, locals, operators); `None` when it
    /// has to be assembled ([`Printer::write_argrepr`] does both).
    ///
    /// # Errors
    /// A constant CPython could not repr.
    #[inline]
    pub fn argrepr_text<'s>(
        &'s self,
        raw: &RawInstruction,
        arg: &Argument<'s>,
        cache: &'s mut ReprCache,
    ) -> Result<Option<&'s str>, ReprError> {
        if self.unknown(raw, arg) {
            return Ok(Some(""));
        }
        Ok(Some(match *arg {
            Argument::None | Argument::Plain(_) => "",
            Argument::Jump(_) if self.plans[usize::from(raw.opcode)].jump == JumpStyle::Hidden => "",
            Argument::Const(id) => self.const_repr(id, cache)?,
            Argument::Name { name, marker: NameMarker::None }
            | Argument::Local(name)
            | Argument::Free(name) => name,
            Argument::Compare { op, to_bool: false } => op,
            Argument::BinaryOp(t)
            | Argument::Intrinsic(t)
            | Argument::SpecialMethod(t)
            | Argument::CommonConstant(t) => t,
            Argument::Convert(c) => conversion_name(c),
            Argument::Is { invert } => match (self.rules.is_contains_argrepr, invert) {
                (false, _) => "",
                (true, false) => "is",
                (true, true) => "is not",
            },
            Argument::Contains { invert } => match (self.rules.is_contains_argrepr, invert) {
                (false, _) => "",
                (true, false) => "in",
                (true, true) => "not in",
            },
            Argument::CallCounts { .. } if !self.rules.nargs_argrepr => "",
            _ => return Ok(None),
        }))
    }

    /// Appends `argrepr` of `arg` (of `raw`). Constant reprs go through
    /// `cache`; `labels` holds the offsets of 3.13+'s `L<n>` labels in
    /// order (label `n` at `labels[n - 1]`), empty before 3.13.
    ///
    /// # Errors
    /// A constant CPython could not repr.
    pub fn write_argrepr(
        &self,
        out: &mut Vec<u8>,
        raw: &RawInstruction,
        arg: &Argument<'_>,
        labels: &[i64],
        cache: &mut ReprCache,
    ) -> Result<(), ReprError> {
        if let Some(text) = self.argrepr_text(raw, arg, cache)? {
            out.extend_from_slice(text.as_bytes());
            return Ok(());
        }
        self.write_argrepr_rest(out, raw, arg, labels);
        Ok(())
    }

    /// [`Printer::write_argrepr`] of an `arg` that
    /// [`Printer::argrepr_text`] does not give as one string.
    pub fn write_argrepr_rest(
        &self,
        out: &mut Vec<u8>,
        raw: &RawInstruction,
        arg: &Argument<'_>,
        labels: &[i64],
    ) {
        match *arg {
            Argument::Name { name, marker } => {
                let (prefix, suffix) = self.around(name, marker);
                out.extend_from_slice(prefix.as_bytes());
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(suffix.as_bytes());
            }
            Argument::Jump(target) => match self.plans[usize::from(raw.opcode)].jump {
                JumpStyle::Hidden => {}
                JumpStyle::Offset => {
                    out.extend_from_slice(b"to ");
                    out.extend_from_slice(itoa::Buffer::new().format(target).as_bytes());
                }
                JumpStyle::Label(prep) => match label_number(labels, target) {
                    Some(l) => {
                        let _ = write!(out, "{prep} L{l}");
                    }
                    None => {
                        let _ = write!(out, "{prep} <invalid target {target}>");
                    }
                },
            },
            Argument::LocalPair(a, b) => {
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
            Argument::Compare { op, to_bool } => {
                if to_bool {
                    let _ = write!(out, "bool({op})");
                } else {
                    out.extend_from_slice(op.as_bytes());
                }
            }
            Argument::FunctionFlags(arg) => {
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
            Argument::FormatValue { conversion, with_spec } => {
                out.extend_from_slice(conversion_name(conversion).as_bytes());
                if with_spec {
                    if conversion != Conversion::None {
                        out.extend_from_slice(b", ");
                    }
                    out.extend_from_slice(b"with format");
                }
            }
            Argument::CallCounts { positional, keyword } => {
                if self.rules.nargs_argrepr {
                    let _ = write!(out, "{positional} positional, {keyword} keyword pair");
                }
            }
            Argument::Invalid { operand, index } => {
                let _ = write!(out, "<invalid {} {index}>", operand_name(operand));
            }
            // One borrowed string: see `argrepr_text`.
            Argument::None
            | Argument::Plain(_)
            | Argument::Const(_)
            | Argument::Local(_)
            | Argument::Free(_)
            | Argument::BinaryOp(_)
            | Argument::Intrinsic(_)
            | Argument::SpecialMethod(_)
            | Argument::CommonConstant(_)
            | Argument::Is { .. }
            | Argument::Contains { .. }
            | Argument::Convert(_) => {}
        }
    }

    /// The argrepr of `raw` for the listing fast path: the instruction
    /// model resolves the argument ([`Decoder::resolve`]) and this shapes
    /// the common kinds (constants, names, locals, jumps by offset, fixed
    /// texts) into a [`FastText`] handed to `k`, from one place: a `k.put`
    /// inlined into each arm of the resolution made a copy of the line
    /// writer per argument kind, fewer instructions but a loop too large
    /// for the instruction cache (see `docs/performance.md`).
    /// [`FastText::Other`] sends the rest through [`Printer::write_argrepr`].
    /// Must agree with it (the listing tests compare both paths' output on
    /// every fixture).
    ///
    /// # Errors
    /// A constant CPython could not repr (`k` is not called).
    #[inline(always)]
    pub fn fast_text<'s, R>(
        &'s self,
        raw: &RawInstruction,
        cache: &'s mut ReprCache,
        k: impl TextSink<'s, Out = R>,
    ) -> Result<R, ReprError>
    where
        'c: 's,
    {
        FastSink { p: self, op: raw.opcode, cache, k }.put(self.decoder.resolve(raw))
    }

    /// The argrepr of constant `id` on the fast path, handed to `k` (see
    /// [`Printer::fast_text`]): the commonest constants straight from where
    /// they are (a str needing no escapes between its quotes, an int, a
    /// singleton), others through [`Printer::const_repr`].
    #[inline(always)]
    fn const_text_with<'s, R>(
        &'s self,
        id: ObjId,
        cache: &'s mut ReprCache,
        k: impl TextSink<'s, Out = R>,
    ) -> Result<R, ReprError>
    where
        'c: 's,
    {
        let m = self.code.marshal();
        Ok(match m.get(id) {
            // (Not ''; printers take an empty middle part for "no text".
            // Long strings go through the cache: this check reads the whole
            // text at every load.)
            Value::Str { text: Some(text), .. } if !text.is_empty() && text.len() <= FAST_STR_MAX => {
                match plain_str_quotes(text, self.rules.version) {
                    Some((open, close)) => k.put(match (open.as_bytes(), close.as_bytes()) {
                        (&[q], &[c]) if q == c => FastText::Quoted(q, text),
                        _ => FastText::Name(open, text, close),
                    }),
                    None => k.put(FastText::Str(self.const_repr(id, cache)?)),
                }
            }
            Value::Int(v) => k.put(FastText::Int(*v)),
            Value::None => k.put(FastText::Str("None")),
            Value::True => k.put(FastText::Str("True")),
            Value::False => k.put(FastText::Str("False")),
            _ => k.put(FastText::Str(self.const_repr(id, cache)?)),
        })
    }

    /// The repr of constant `id`, through `cache`.
    fn const_repr<'s>(&self, id: ObjId, cache: &'s mut ReprCache) -> Result<&'s str, ReprError> {
        let m = self.code.marshal();
        let id = m.resolve(id);
        cache.get(id, |s| repr_object(s, m, id, self.repr))
    }

    /// `Instruction.argval` of `arg` (of `raw`).
    pub fn argval(&self, raw: &RawInstruction, arg: &Argument<'_>) -> ArgVal {
        let plain = raw.arg.map_or(ArgVal::None, ArgVal::Int);
        if self.unknown(raw, arg) {
            return ArgVal::Unknown;
        }
        match *arg {
            Argument::None => ArgVal::None,
            Argument::Plain(_)
            | Argument::BinaryOp(_)
            | Argument::Intrinsic(_)
            | Argument::SpecialMethod(_)
            | Argument::Is { .. }
            | Argument::Contains { .. }
            | Argument::FunctionFlags(_)
            | Argument::CallCounts { .. } => plain,
            Argument::Const(id) => ArgVal::Const(id),
            Argument::Name { name, .. } | Argument::Local(name) | Argument::Free(name) => {
                ArgVal::Name(name.to_owned())
            }
            Argument::Jump(target) => {
                if self.plans[usize::from(raw.opcode)].jump == JumpStyle::Hidden {
                    plain
                } else {
                    ArgVal::Int(target)
                }
            }
            Argument::LocalPair(Ok(a), Ok(b)) => ArgVal::Pair(a.to_owned(), b.to_owned()),
            Argument::LocalPair(..) | Argument::Invalid { .. } => ArgVal::Invalid,
            Argument::Compare { op, .. } => ArgVal::Str(op),
            Argument::FormatValue { conversion, with_spec } => {
                ArgVal::FormatValue(conversion.number(), with_spec)
            }
            Argument::Convert(c) => ArgVal::Converter(c.number()),
            Argument::CommonConstant(text) => {
                if self.rules.common_constant_argval {
                    ArgVal::Common(text)
                } else {
                    plain
                }
            }
        }
    }
}

/// What [`Printer::fast_text`] hands the resolved argument to: shapes it
/// into a [`FastText`] for `k`, which is called once.
struct FastSink<'s, 'c, 'm, 'a, K> {
    p: &'s Printer<'c, 'm, 'a>,
    /// The opcode (its plan is read only by the arms that need it).
    op: u8,
    cache: &'s mut ReprCache,
    k: K,
}

impl<'s, 'c: 's, R, K: TextSink<'s, Out = R>> ArgumentSink<'c> for FastSink<'s, 'c, '_, '_, K> {
    type Out = Result<R, ReprError>;

    #[inline(always)]
    fn put(self, arg: Argument<'c>) -> Result<R, ReprError> {
        let FastSink { p, op, cache, k } = self;
        let plan = || &p.plans[usize::from(op)];
        let text = match arg {
            // The commonest kinds hand their text over in their own arm
            // (the line writer's match on it folds away there); the rest
            // share one call below.
            Argument::None | Argument::Plain(_) => return Ok(k.put(FastText::Str(""))),
            Argument::Const(_) | Argument::Invalid { operand: Operand::Const, .. }
                if plan().unknown_const =>
            {
                FastText::Str("")
            }
            Argument::Const(id) => return p.const_text_with(id, cache, k),
            Argument::Name { name, marker } => {
                // Only `NameMarker::None` has no affixes (see
                // `VersionData::affixes`): a plain name needs no `Name`.
                if marker == NameMarker::None || name.is_empty() {
                    return Ok(k.put(FastText::Str(name)));
                }
                let (prefix, suffix) = p.around(name, marker);
                return Ok(k.put(FastText::Name(prefix, name, suffix)));
            }
            Argument::Local(n) | Argument::Free(n) => return Ok(k.put(FastText::Str(n))),
            Argument::Jump(t) => match plan().jump {
                JumpStyle::Offset => FastText::To(t),
                JumpStyle::Hidden => FastText::Str(""),
                JumpStyle::Label(prep) => FastText::Label(prep, t),
            },
            Argument::BinaryOp(t)
            | Argument::Intrinsic(t)
            | Argument::SpecialMethod(t)
            | Argument::CommonConstant(t) => FastText::Str(t),
            Argument::Is { invert } => FastText::Str(match (p.rules.is_contains_argrepr, invert) {
                (false, _) => "",
                (true, false) => "is",
                (true, true) => "is not",
            }),
            Argument::Contains { invert } => FastText::Str(match (p.rules.is_contains_argrepr, invert) {
                (false, _) => "",
                (true, false) => "in",
                (true, true) => "not in",
            }),
            Argument::Compare { op, to_bool: false } => FastText::Str(op),
            // No format spec: the conversion's name alone.
            Argument::FormatValue { conversion, with_spec: false } => {
                FastText::Str(conversion_name(conversion))
            }
            Argument::Convert(c) => FastText::Str(conversion_name(c)),
            // No flag or one flag: its name alone.
            Argument::FunctionFlags(bits) if bits >= 0 && bits.count_ones() <= 1 => {
                let names = p.table.function_flags;
                FastText::Str(if bits == 0 {
                    ""
                } else {
                    names.get(bits.trailing_zeros() as usize).copied().unwrap_or("")
                })
            }
            Argument::CallCounts { .. } if !p.rules.nargs_argrepr => FastText::Str(""),
            _ => FastText::Other,
        };
        Ok(k.put(text))
    }
}
