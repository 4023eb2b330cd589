//! Per-version CPython opcode tables.
//!
//! One [`OpcodeTable`] per minor version drives both instruction decoding and
//! printing (as one operator list drives wasmparser and wasmprinter). The
//! tables in `generated/` are written by `tools/gen_opcodes.py` from
//! `tools/data/opcodes/X.Y.json`, which is extracted from the real
//! interpreters' `opcode`/`dis` modules (2.7, 3.6–3.15, PyPy 3.9) or transcribed by hand
//! (3.0–3.5; 1.5, 2.0–2.6 and PyPy 2.7 from `tools/data/opcodes/old_versions.txt`; no
//! interpreter available; see each table's [`OpcodeTable::source`]
//! and the JSON's `transcription_notes`). Do not edit them by hand.
//!
//! Every [`OpInfo`] states what that version's `dis` does with the byte, so
//! `table.op(byte)` is all a decoder needs: the printed name, whether an
//! argument follows, the argument kind and the inline caches, already resolved
//! through the deoptimized base for 3.11+ specialized opcodes.
//!
//! A parallel table, [`OpcodeTable::semantics`], says what each opcode *does*
//! ([`Semantics`]): its [`Action`] (load, store or delete of a [`Place`], call,
//! build, import, operator, block setup, …), its [`Flow`], how its argument is
//! read ([`Operand`]), how a jump argument becomes a target ([`JumpArg`]), and
//! its [`StackEffect`] — pops and pushes as formulas of the argument, on the
//! fall-through and the jump path. [`OpcodeTable::stack_effect`] evaluates it;
//! [`OpcodeTable::dis_stack_effect`] is the version's `dis.stack_effect`.
#![deny(missing_docs)]

use bytescope_pyc::{Implementation, PythonVersion};

mod generated;
mod quicken;
pub mod semantics;

pub use quicken::{Quickening, quickening};
pub use semantics::{
    Action, Block, CallKind, Condition, Container, Count, Effect, Flow, JumpArg, MAX_TERMS, Operand, Place,
    Semantics, StackEffect, Symbol, Term,
};

/// Facts about one opcode number in one version.
///
/// Every field describes what that version's `dis` does with the byte, so a
/// decoder and printer can use the entry directly: argument presence, inline
/// caches and argument kind are already resolved through the deoptimized base
/// opcode (`dis._deoptop`), as `dis` resolves them from 3.11 on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    /// The name `dis` prints for this byte, e.g. `"LOAD_CONST"`, or `"<N>"` for
    /// unused numbers. In 3.11-3.13 this is `dis._all_opname[op]`, which also
    /// names the specialized opcodes that `opcode.opname` leaves as `<N>`.
    pub name: &'static str,
    /// Whether this number is a real opcode of this version (including
    /// specialized/instrumented ones); `false` exactly when `kind` is
    /// [`OpKind::Unused`].
    pub defined: bool,
    /// What sort of opcode this is.
    pub kind: OpKind,
    /// Whether `dis` reads an argument for this byte: `op >= HAVE_ARGUMENT`
    /// up to 3.10, `deopt >= HAVE_ARGUMENT` in 3.11, `deopt in opcode.hasarg`
    /// from 3.12 (2.7: a 2-byte argument follows; 3.6+: the instruction's
    /// second byte is the argument).
    pub has_arg: bool,
    /// Argument kind flags: the `opcode.has*` lists that [`OpInfo::deopt`]
    /// belongs to (specialized opcodes are only listed under their base).
    pub flags: ArgFlags,
    /// Inline cache entries (code units) that `dis` skips after this byte
    /// (3.11+; the base opcode's count for specialized ones).
    pub cache_entries: u8,
    /// For specialized opcodes the base opcode (`dis._deoptop`, from
    /// `dis.deoptmap`); otherwise the opcode itself. Instrumented opcodes
    /// (3.12+) map to themselves, as they do in `dis`.
    pub deopt: u8,
}

/// What sort of opcode a byte is in one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// No opcode has this number; `dis` prints `<N>`.
    Unused,
    /// A real opcode (`opcode.opmap`), as the compiler emits it. This includes
    /// `CACHE`, `RESERVED`, `ENTER_EXECUTOR` and similar internal opcodes.
    Base,
    /// A specialized (quickened) form of a base opcode (3.11+, from
    /// `opcode._specializations`); never written to a .pyc.
    Specialized,
    /// An `INSTRUMENTED_*` opcode used by `sys.monitoring` (3.12+); never
    /// written to a .pyc.
    Instrumented,
}

/// Bit set of the `dis.has*` lists an opcode belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ArgFlags(pub u16);

impl ArgFlags {
    /// `hasconst`
    pub const CONST: u16 = 1 << 0;
    /// `hasname`
    pub const NAME: u16 = 1 << 1;
    /// `hasjrel`
    pub const JREL: u16 = 1 << 2;
    /// `hasjabs`
    pub const JABS: u16 = 1 << 3;
    /// `haslocal`
    pub const LOCAL: u16 = 1 << 4;
    /// `hasfree`
    pub const FREE: u16 = 1 << 5;
    /// `hascompare`
    pub const COMPARE: u16 = 1 << 6;
    /// `hasnargs` (3.6–3.11)
    pub const NARGS: u16 = 1 << 7;
    /// `hasexc` (3.12+)
    pub const EXC: u16 = 1 << 8;
    /// `hasjump` (3.13+; before that, use `JREL | JABS`)
    pub const JUMP: u16 = 1 << 9;

    /// Whether all bits of `mask` are set.
    #[must_use]
    pub const fn has(self, mask: u16) -> bool {
        self.0 & mask == mask
    }
}

/// A named field of an opcode's inline cache (`opcode._cache_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheField {
    /// Field name, e.g. `"counter"`.
    pub name: &'static str,
    /// Size in code units.
    pub size: u8,
}

/// Everything `dis` of one CPython minor version knows about its bytecode.
#[derive(Debug)]
pub struct OpcodeTable {
    /// The version these tables were extracted from.
    pub version: PythonVersion,
    /// Whose bytecode: CPython's, or PyPy's for that Python version.
    pub implementation: Implementation,
    /// Where the data came from, e.g. `"extracted from the opcode and dis
    /// modules of CPython 3.12.1"` (3.0-3.5 are transcribed from source).
    pub source: &'static str,
    /// `opcode.HAVE_ARGUMENT`.
    pub have_argument: u8,
    /// `opcode.EXTENDED_ARG` (`dis.EXTENDED_ARG`). 1.5 has none: its table gives 143, a
    /// number no 1.5 opcode has (`op(143).defined` is false).
    pub extended_arg: u8,
    /// `opcode.MIN_INSTRUMENTED_OPCODE` (3.12+): opcodes from here up are
    /// instrumented forms.
    pub min_instrumented: Option<u8>,
    /// Indexed by opcode byte; all 256 entries present.
    pub ops: [OpInfo; 256],
    /// `opcode.cmp_op`.
    pub cmp_op: &'static [&'static str],
    /// `[symbol for name, symbol in opcode._nb_ops]` (3.11+), e.g. `"+="`.
    pub binary_ops: &'static [&'static str],
    /// `opcode._intrinsic_1_descs` (3.12+).
    pub intrinsic1: &'static [&'static str],
    /// `opcode._intrinsic_2_descs` (3.12+).
    pub intrinsic2: &'static [&'static str],
    /// `opcode._special_method_names` (3.14+).
    pub special_method_names: &'static [&'static str],
    /// `opcode._common_constants` (3.14+) as `dis` shows them in the
    /// `LOAD_COMMON_CONSTANT` argrepr: a type by its `__name__`, anything else
    /// (builtin functions included) by its repr, e.g. `"AssertionError"`,
    /// `"<built-in function all>"`, `"None"`, `"''"`.
    pub common_constants: &'static [&'static str],
    /// `(opname, fields)` from `opcode._cache_format` (3.11+), in the order
    /// `dis` walks them.
    pub cache_format: &'static [(&'static str, &'static [CacheField])],
    /// `dis.COMPILER_FLAG_NAMES` as `(bit, name)`, ascending bit. 2.7, 3.0
    /// and 3.1 have no such table (no `code_info`); for them this holds the
    /// `inspect.CO_*` names, which are the names 3.2's `dis` uses.
    pub compiler_flag_names: &'static [(u32, &'static str)],
    /// `dis.MAKE_FUNCTION_FLAGS` (3.8-3.12; `FUNCTION_ATTR_FLAGS` in 3.13+);
    /// empty before 3.8.
    pub function_flags: &'static [&'static str],
    /// What each opcode byte does (indexed like [`OpcodeTable::ops`]; specialized opcodes
    /// carry their base opcode's semantics). Apart from `ops`, which decoders read for every
    /// instruction.
    pub semantics: &'static [Semantics; 256],
    /// Where each column of [`OpcodeTable::semantics`] came from, as `(column, source)`:
    /// `roles`, `pops_pushes`, `jump_path`, and what it was `checked_against`.
    pub semantics_source: &'static [(&'static str, &'static str)],
}

impl OpcodeTable {
    /// The entry for opcode byte `op`.
    #[must_use]
    pub fn op(&self, op: u8) -> &OpInfo {
        &self.ops[op as usize]
    }

    /// What opcode byte `op` does.
    #[must_use]
    pub fn semantics(&self, op: u8) -> &Semantics {
        &self.semantics[op as usize]
    }

    /// What opcode byte `op` pops and pushes with argument `oparg` on the fall-through path
    /// (`jump == false`) or the jump path; `None` for bytes with no known effect (unused and
    /// instrumented opcodes, as `dis.stack_effect` has none). `oparg` is CPython's `int`
    /// argument: only its low 32 bits count.
    #[must_use]
    pub fn stack_effect(&self, op: u8, oparg: u32, jump: bool) -> Option<Effect> {
        self.semantics[op as usize].stack.map(|s| s.eval(oparg, jump))
    }

    /// What this version's `dis.stack_effect(op, oparg, jump=jump)` returns (3.4+), or `None`
    /// where it raises `ValueError` (or, before 3.8, `TypeError` for a `jump`): unknown,
    /// specialized and instrumented opcodes; an `oparg` given to an opcode that takes none,
    /// or missing for one that takes one (up to 3.12; from 3.13 `oparg` is optional);
    /// NOP and EXTENDED_ARG before 3.8. `jump=None` gives the larger of the two paths from
    /// 3.7, and before that what the compiler adds before branching (see the crate docs of
    /// `semantics`). Arguments outside `0..=i32::MAX` are not emulated (`None`).
    #[must_use]
    pub fn dis_stack_effect(&self, op: u8, oparg: Option<i64>, jump: Option<bool>) -> Option<i64> {
        let v = self.version;
        let info = self.op(op);
        if info.kind != OpKind::Base || v < PythonVersion::PY34 || (jump.is_some() && v < PythonVersion::PY38)
        {
            return None;
        }
        let sem = self.semantics(op);
        let stack = sem.stack?;
        if v < PythonVersion::PY38 && matches!(sem.action, Action::Nop | Action::ExtendedArg) {
            return None;
        }
        if v < PythonVersion::PY313 {
            let needs = if v >= PythonVersion::PY312 { info.has_arg } else { op >= self.have_argument };
            if needs != oparg.is_some() {
                return None;
            }
        }
        let arg = u32::try_from(oparg.unwrap_or(0)).ok().filter(|a| i32::try_from(*a).is_ok())?;
        let fall = stack.eval(arg, false).net();
        let taken = stack.eval(arg, true).net();
        Some(match jump {
            Some(true) => taken,
            Some(false) => fall,
            None if v >= PythonVersion::PY37 => fall.max(taken),
            None if matches!(sem.action, Action::JumpIf(Condition::FalseOrPop | Condition::TrueOrPop)) => {
                taken
            }
            None => fall,
        })
    }

    /// The opcode number of a name, if this version has it.
    #[must_use]
    pub fn opcode(&self, name: &str) -> Option<u8> {
        self.ops.iter().position(|o| o.defined && o.name == name).and_then(|i| u8::try_from(i).ok())
    }

    /// The name of a binary operator argument (`BINARY_OP`, 3.11+), e.g. `"+="`.
    #[must_use]
    pub fn binary_op(&self, arg: u32) -> Option<&'static str> {
        self.binary_ops.get(arg as usize).copied()
    }

    /// The cache fields `dis` prints for `opname` (3.11+).
    #[must_use]
    pub fn cache_fields(&self, opname: &str) -> &'static [CacheField] {
        self.cache_format.iter().find(|(n, _)| *n == opname).map_or(&[], |(_, f)| f)
    }
}

/// CPython's table for `version`, if bytescope has one (1.5, 2.0–2.7 and 3.0–3.15).
#[must_use]
pub fn table(version: PythonVersion) -> Option<&'static OpcodeTable> {
    generated::table(Implementation::CPython, version)
}

/// The table of `implementation`'s bytecode for `version`: PyPy 2.7 and 3.9 have
/// their own (CPython's plus PyPy's opcodes, some renumbered in 3.9); other PyPy
/// versions fall back on CPython's table of that version.
#[must_use]
pub fn table_for(implementation: Implementation, version: PythonVersion) -> Option<&'static OpcodeTable> {
    generated::table(implementation, version).or_else(|| generated::table(Implementation::CPython, version))
}

/// Every table bytescope has, oldest version first.
#[must_use]
pub fn tables() -> &'static [&'static OpcodeTable] {
    &generated::ALL
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_semantics;
