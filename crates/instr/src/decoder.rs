//! Decoding one code object: walks, jump targets and argument resolution.

use bytescope_code::{Code, Name};
use bytescope_opcodes::OpcodeTable;
use bytescope_pyc::PythonVersion;

use crate::argument::{Argument, Conversion, Operand};
use crate::instruction::{Instruction, Instructions};
use crate::plan::{ArgKind, OpPlan, VersionData};
use crate::rules::Rules;
use crate::walk::{
    Bytes, ExtWords, Form, RawInstruction, RawInstructions, Walk, Words, wordcode_jump_targets,
};

/// Where [`Decoder::resolve_with`] hands an argument.
pub trait ArgumentSink<'c> {
    /// What `put` gives back.
    type Out;
    /// Takes the argument.
    fn put(self, arg: Argument<'c>) -> Self::Out;
}

/// The identity sink.
#[derive(Clone, Copy, Debug)]
struct Same;

impl<'c> ArgumentSink<'c> for Same {
    type Out = Argument<'c>;

    #[inline(always)]
    fn put(self, arg: Argument<'c>) -> Argument<'c> {
        arg
    }
}

/// No opcode table for a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("decoding Python {version} bytecode is not supported (bytescope knows 1.5, 2.0-2.7 and 3.0-3.15)")]
pub struct NoTable {
    /// The version.
    pub version: PythonVersion,
}

/// Decodes one code object's instructions by its version's rules.
///
/// Cheap to make (no allocation): it borrows the code object and the
/// version's cached tables. [`Decoder::iter`] gives the instructions;
/// [`Decoder::walk`], [`Decoder::resolve`] and [`Decoder::resolve_with`] are
/// the pieces it is made of, for consumers that only need some of each
/// instruction (printers' fast paths, jump-target scans).
#[derive(Clone, Copy, Debug)]
pub struct Decoder<'c, 'm, 'a> {
    code: &'c Code<'m, 'a>,
    data: &'static VersionData,
    /// Names LOCAL-kind operands index: `co_varnames` ≤3.10, localsplus 3.11+.
    locals: NameList<'c, 'a>,
    /// Names FREE-kind operands index: cellvars + freevars up to 3.10,
    /// localsplus 3.11+.
    frees: NameList<'c, 'a>,
}

/// A name list operands index, borrowed from the code object (no list is
/// built per code object).
#[derive(Clone, Copy, Debug)]
enum NameList<'c, 'a> {
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

/// Python's `seq[i]` index rules (negative counts from the end).
#[inline]
#[must_use]
pub fn py_index(len: usize, i: i64) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let j = if i < 0 { i + len } else { i };
    if (0..len).contains(&j) { usize::try_from(j).ok() } else { None }
}

impl<'c, 'm, 'a> Decoder<'c, 'm, 'a> {
    /// A decoder for `code` by the rules of the version it was read as.
    ///
    /// # Errors
    /// [`NoTable`] for versions without an opcode table (before 2.7, and
    /// 2.8–2.x).
    pub fn new(code: &'c Code<'m, 'a>) -> Result<Self, NoTable> {
        let version = code.version();
        let table = bytescope_opcodes::table(version).ok_or(NoTable { version })?;
        Ok(Decoder::with_table(code, table))
    }

    /// A decoder for `code` with `table`'s opcodes and rules.
    #[must_use]
    pub fn with_table(code: &'c Code<'m, 'a>, table: &'static OpcodeTable) -> Self {
        Decoder::with_data(code, VersionData::of(table))
    }

    /// A decoder for `code` with a version's data (from
    /// [`VersionData::of`]; cheapest when decoding many code objects).
    #[must_use]
    pub fn with_data(code: &'c Code<'m, 'a>, data: &'static VersionData) -> Self {
        let (locals, frees) = if data.rules.localsplus {
            // Both kinds index localsplus.
            let l = NameList::LocalsPlus(&code.localsplus);
            (l, l)
        } else {
            (NameList::Two(&code.varnames, &[]), NameList::Two(&code.cellvars, &code.freevars))
        };
        Decoder { code, data, locals, frees }
    }

    /// The code object.
    #[must_use]
    pub fn code(&self) -> &'c Code<'m, 'a> {
        self.code
    }

    /// The version's opcode table.
    #[must_use]
    pub fn table(&self) -> &'static OpcodeTable {
        self.data.table
    }

    /// The version's decoding rules.
    #[must_use]
    pub fn rules(&self) -> &'static Rules {
        &self.data.rules
    }

    /// The version's per-opcode plans and rules.
    #[must_use]
    pub fn data(&self) -> &'static VersionData {
        self.data
    }

    /// The instructions in order, resolved.
    #[must_use]
    pub fn iter(&self) -> Instructions<'c, 'm, 'a> {
        Instructions::new(*self, self.raw_instructions())
    }

    /// The decoded (unresolved) instructions in order.
    #[must_use]
    pub fn raw_instructions(&self) -> RawInstructions<'c> {
        let form = if self.data.rules.wordcode { Form::ExtWords } else { Form::Bytes };
        self.walk(Walk { form })
    }

    /// The decoded instructions in the form `walk` (from
    /// [`Decoder::jump_targets`]) says is exact and cheapest.
    #[must_use]
    pub fn walk(&self, walk: Walk) -> RawInstructions<'c> {
        let code = self.code.code;
        match walk.form {
            Form::Words if self.data.rules.wordcode => RawInstructions::Words(Words::new(code, self.data)),
            Form::Words | Form::ExtWords if self.data.rules.wordcode => {
                RawInstructions::ExtWords(ExtWords::new(code, self.data))
            }
            _ => RawInstructions::Bytes(Bytes::new(code, self.data)),
        }
    }

    /// The jump targets (`dis.findlabels`) in instruction order, possibly
    /// repeated, into `targets` (cleared first), in one pass over the code
    /// that keeps no instructions. The [`Walk`] it returns names the
    /// cheapest exact way to walk the code afterwards.
    pub fn jump_targets(&self, targets: &mut Vec<i64>) -> Walk {
        if self.data.rules.wordcode {
            // The walk is the listing's hottest loop: one copy per label rule,
            // so that versions whose labels read base opcodes pay nothing.
            let (code, data) = (self.code.code, self.data);
            let ext = if data.rules.labels_deoptimise {
                wordcode_jump_targets(code, data, |r| self.jump_target(r), targets)
            } else {
                wordcode_jump_targets(code, data, |r| self.label_target(r), targets)
            };
            Walk { form: if ext { Form::ExtWords } else { Form::Words } }
        } else {
            targets.clear();
            targets.extend(Bytes::new(self.code.code, self.data).filter_map(|r| self.label_target(&r)));
            Walk { form: Form::Bytes }
        }
    }

    /// The target `dis.findlabels` counts for `raw`: its jump target, except
    /// for a specialised jump where the version's `findlabels` reads the
    /// stored opcode (3.11, see [`Rules::labels_deoptimise`]).
    #[inline]
    #[must_use]
    pub fn label_target(&self, raw: &RawInstruction) -> Option<i64> {
        if !self.data.rules.labels_deoptimise && self.data.plans[usize::from(raw.opcode)].deop != raw.opcode {
            return None;
        }
        self.jump_target(raw)
    }

    /// The plan of opcode byte `op`.
    #[inline]
    #[must_use]
    pub fn plan(&self, op: u8) -> &'static OpPlan {
        &self.data.plans[usize::from(op)]
    }

    /// The jump target of `raw` in bytes (`_get_jump_target` /
    /// `findlabels`), for jumps.
    #[inline]
    #[must_use]
    pub fn jump_target(&self, raw: &RawInstruction) -> Option<i64> {
        let arg = raw.arg?;
        let ArgKind::Jump { abs, backward } = self.data.plans[usize::from(raw.opcode)].kind else {
            return None;
        };
        Some(self.target(raw, arg, abs, backward))
    }

    #[inline(always)]
    fn target(&self, raw: &RawInstruction, arg: i64, abs: bool, backward: bool) -> i64 {
        let r = &self.data.rules;
        let unit = if r.jump_in_units { 2 } else { 1 };
        if abs {
            return arg.saturating_mul(unit);
        }
        // Crafted EXTENDED_ARG chains saturate at the i64 limits; keep the
        // arithmetic saturating too.
        let signed = if backward { arg.saturating_neg() } else { arg };
        let mut t = (i64::from(raw.offset) + i64::from(raw.size)).saturating_add(signed.saturating_mul(unit));
        if r.jump_skips_caches {
            t = t.saturating_add(2 * i64::from(raw.caches));
        }
        t
    }

    /// The argument of `raw`, resolved by the version's rules.
    #[inline]
    #[must_use]
    pub fn resolve(&self, raw: &RawInstruction) -> Argument<'c> {
        self.resolve_with(raw, Same)
    }

    /// [`Decoder::resolve`], handing the argument to `k` where it is made:
    /// inlined, each kind's arm calls `k` with a variant known there, so a
    /// caller's `match` on it folds away (one dispatch per instruction, not
    /// two) when `k`'s [`ArgumentSink::put`] is `#[inline(always)]`.
    /// Printers' fast paths use this. (Forced inlining only in optimised
    /// builds: unoptimised, each copy would stay whole.)
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn resolve_with<K: ArgumentSink<'c>>(&self, raw: &RawInstruction, k: K) -> K::Out {
        let Some(arg) = raw.arg else { return k.put(Argument::None) };
        let r = &self.data.rules;
        let code = self.code;
        // Each kind's arm hands over its argument; operands out of range
        // fall through to one `Invalid` (one call site, not one per kind).
        let (operand, index) = match self.data.plans[usize::from(raw.opcode)].kind {
            ArgKind::Plain => return k.put(Argument::Plain(arg)),
            ArgKind::Const => match py_index(code.consts.len(), arg) {
                Some(j) => return k.put(Argument::Const(code.consts[j])),
                None => (Operand::Const, arg),
            },
            ArgKind::Name { shift, bits } => {
                // `arg >> shift` is Python's `arg // 2**shift` (floor division).
                let index = arg >> shift;
                match py_index(code.names.len(), index) {
                    Some(j) => {
                        let name: &'c str = code.names[j].as_ref();
                        return k.put(Argument::Name { name, marker: bits.marker(arg) });
                    }
                    None => (Operand::Name, index),
                }
            }
            ArgKind::Jump { abs, backward } => {
                return k.put(Argument::Jump(self.target(raw, arg, abs, backward)));
            }
            ArgKind::Local => match self.locals.pick(arg) {
                Ok(n) => return k.put(Argument::Local(n)),
                Err(index) => (Operand::Local, index),
            },
            ArgKind::Free => match self.frees.pick(arg) {
                Ok(n) => return k.put(Argument::Free(n)),
                Err(index) => (Operand::Free, index),
            },
            ArgKind::Paired => {
                return k.put(Argument::LocalPair(self.locals.pick(arg >> 4), self.locals.pick(arg & 15)));
            }
            ArgKind::Compare => {
                let index = arg >> r.compare_shift;
                match py_index(self.data.table.cmp_op.len(), index) {
                    Some(j) => {
                        let op = self.data.table.cmp_op[j];
                        return k.put(Argument::Compare { op, to_bool: r.compare_bool_bit && arg & 16 != 0 });
                    }
                    None => (Operand::Comparison, index),
                }
            }
            ArgKind::Table { list, which } => match py_index(list.len(), arg) {
                Some(j) => {
                    return k.put(match which {
                        Operand::BinaryOp => Argument::BinaryOp(list[j]),
                        Operand::SpecialMethod => Argument::SpecialMethod(list[j]),
                        _ => Argument::Intrinsic(list[j]),
                    });
                }
                None => (which, arg),
            },
            ArgKind::IsOp => return k.put(Argument::Is { invert: arg != 0 }),
            ArgKind::ContainsOp => return k.put(Argument::Contains { invert: arg != 0 }),
            ArgKind::FormatValue => {
                return k.put(Argument::FormatValue {
                    conversion: Conversion::from_bits(arg),
                    with_spec: arg & 4 != 0,
                });
            }
            ArgKind::Converter => match py_index(4, arg) {
                Some(j) => return k.put(Argument::Convert(Conversion::from_bits(j as i64))),
                None => (Operand::Conversion, arg),
            },
            ArgKind::FunctionFlags => return k.put(Argument::FunctionFlags(arg)),
            ArgKind::Common => match py_index(self.data.table.common_constants.len(), arg) {
                Some(j) => return k.put(Argument::CommonConstant(self.data.table.common_constants[j])),
                None => (Operand::CommonConstant, arg),
            },
            ArgKind::Nargs => {
                // The argument's two bytes, as `dis` reads them from the
                // code (not the EXTENDED_ARG-folded value).
                let at = raw.offset as usize;
                let byte = |i: usize| code.code.get(at + i).copied().unwrap_or(0);
                return k.put(Argument::CallCounts { positional: byte(1), keyword: byte(2) });
            }
        };
        k.put(Argument::Invalid { operand, index })
    }

    /// The instruction `raw`, resolved.
    #[inline]
    #[must_use]
    pub fn instruction(&self, raw: &RawInstruction) -> Instruction<'c> {
        let argument = self.resolve(raw);
        Instruction {
            offset: raw.offset,
            start_offset: raw.start_offset,
            opcode: raw.opcode,
            base: raw.base,
            size: raw.size,
            cache_entries: raw.caches,
            arg: raw.arg,
            argument,
            info: self.data.plans[usize::from(raw.opcode)].info,
            semantics: &self.data.table.semantics[usize::from(raw.opcode)],
        }
    }
}
