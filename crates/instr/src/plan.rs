//! Per-opcode decoding plans: what each opcode byte of one version means to
//! the decoder, decided once from the opcode table and the [`Rules`], so that
//! decoding an instruction and resolving its argument is a table lookup and
//! one `match` instead of a chain of name and flag tests per instruction.

use std::sync::OnceLock;

use bytescope_opcodes::{ArgFlags, OpInfo, OpcodeTable};

use crate::argument::{NameMarker, Operand};
use crate::rules::{Backward, Rules};
use crate::special::Special;

/// How an opcode's argument is resolved, in the order `dis` tests the
/// cases (`ArgResolver.get_argval_argrepr` and its predecessors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// The oparg itself.
    Plain,
    /// `co_consts[arg]`.
    Const,
    /// `co_names[arg >> shift]`, the low bits meaning `bits`.
    Name {
        /// Bits below the index.
        shift: u8,
        /// What they mean.
        bits: NameBits,
    },
    /// A relative or absolute jump.
    Jump {
        /// Absolute (`hasjabs`).
        abs: bool,
        /// Relative and backward.
        backward: bool,
    },
    /// Two locals in one argument (3.13+).
    Paired,
    /// A local variable.
    Local,
    /// A cell or free variable.
    Free,
    /// A comparison operator.
    Compare,
    /// FORMAT_VALUE.
    FormatValue,
    /// CONVERT_VALUE.
    Converter,
    /// MAKE_FUNCTION / SET_FUNCTION_ATTRIBUTE flags (3.8+).
    FunctionFlags,
    /// An entry of a fixed name list.
    Table {
        /// The list.
        list: &'static [&'static str],
        /// Which list it is.
        which: Operand,
    },
    /// LOAD_COMMON_CONSTANT.
    Common,
    /// IS_OP.
    IsOp,
    /// CONTAINS_OP.
    ContainsOp,
    /// CALL_FUNCTION-style counts (before 3.6).
    Nargs,
}

/// What the bits below a name index mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameBits {
    /// Nothing (shift 0).
    None,
    /// Bit 0: LOAD_GLOBAL pushes NULL.
    Null,
    /// Bit 0: a method load (`NULL|self`).
    Method,
    /// Bits 0–1: IMPORT_NAME's lazy (1) / eager (2) flags.
    Import,
}

impl NameBits {
    /// The marker of oparg `arg`.
    #[inline]
    pub(crate) fn marker(self, arg: i64) -> NameMarker {
        match self {
            NameBits::None => NameMarker::None,
            NameBits::Import if arg & 1 != 0 => NameMarker::Lazy,
            NameBits::Import if arg & 2 != 0 => NameMarker::Eager,
            NameBits::Import => NameMarker::None,
            _ if arg & 1 == 0 => NameMarker::None,
            NameBits::Null => NameMarker::Null,
            NameBits::Method => NameMarker::Method,
        }
    }
}

/// Everything decoding needs to know about one opcode byte.
#[derive(Clone, Copy, Debug)]
pub struct OpPlan {
    /// The opcode's table entry.
    pub info: &'static OpInfo,
    /// The base opcode (`dis._deoptop`).
    pub deop: u8,
    /// Whether the byte carries an argument (wordcode: of the base opcode;
    /// bytecode: `op >= HAVE_ARGUMENT`).
    pub has_arg: bool,
    /// Inline cache units after the instruction (of the base opcode).
    pub caches: u8,
    /// The base opcode is EXTENDED_ARG.
    pub is_ext: bool,
    /// How the argument resolves (of the base opcode).
    pub kind: ArgKind,
}

/// One version's rules and opcode plans, computed once per version.
#[derive(Debug)]
pub struct VersionData {
    /// The version's opcode table.
    pub table: &'static OpcodeTable,
    /// The decoding rules.
    pub rules: Rules,
    /// Per opcode byte.
    pub plans: [OpPlan; 256],
    /// Bytes from each opcode to the next instruction in wordcode (2 plus
    /// its inline caches): apart from `plans` so that walking the code,
    /// where each step waits on this lookup, reads one small table.
    pub steps: [u8; 256],
    /// Opcodes a jump-target walk stops at: jumps and EXTENDED_ARG.
    pub stops: [bool; 256],
    /// The opcodes the decoder treats specially.
    pub special: Special,
}

impl VersionData {
    fn new(table: &'static OpcodeTable) -> Self {
        let rules = Rules::for_version(table.version);
        let special = Special::new(table);
        let plans: [OpPlan; 256] = std::array::from_fn(|op| plan(table, &rules, &special, op as u8));
        let steps = std::array::from_fn(|op| 2 + 2 * plans[op].caches);
        let stops =
            std::array::from_fn(|op| plans[op].is_ext || matches!(plans[op].kind, ArgKind::Jump { .. }));
        VersionData { table, rules, plans, steps, stops, special }
    }

    /// The (cached) data of `table`'s version.
    #[must_use]
    pub fn of(table: &'static OpcodeTable) -> &'static VersionData {
        // One slot per generated table; computed on first use.
        static SLOTS: [OnceLock<VersionData>; 32] = [const { OnceLock::new() }; 32];
        let index = bytescope_opcodes::tables().iter().position(|t| std::ptr::eq(*t, table));
        match index.and_then(|i| SLOTS.get(i)) {
            Some(slot) => slot.get_or_init(|| VersionData::new(table)),
            // Only tables outside `tables()` get here (none today): leak one
            // small value rather than fail.
            None => Box::leak(Box::new(VersionData::new(table))),
        }
    }

    /// The plan of opcode byte `op`.
    #[inline]
    #[must_use]
    pub fn plan(&self, op: u8) -> &OpPlan {
        &self.plans[usize::from(op)]
    }
}

fn plan(t: &'static OpcodeTable, r: &Rules, s: &Special, op: u8) -> OpPlan {
    let info = t.op(op);
    let (deop, has_arg, caches) = if r.wordcode {
        let d = t.op(info.deopt);
        (info.deopt, d.has_arg, d.cache_entries)
    } else {
        (op, op >= t.have_argument, 0)
    };
    OpPlan { info, deop, has_arg, caches, is_ext: deop == t.extended_arg, kind: kind(t, r, s, deop) }
}

/// The argument kind of base opcode `deop`, tested in `dis`'s order.
fn kind(t: &OpcodeTable, r: &Rules, s: &Special, deop: u8) -> ArgKind {
    let info = t.op(deop);
    let flags = info.flags;
    let is = |o: Option<u8>| o == Some(deop);
    if flags.has(ArgFlags::CONST) {
        return ArgKind::Const;
    }
    if flags.has(ArgFlags::NAME) {
        let (shift, bits) = if r.global_null_bit && is(s.LOAD_GLOBAL) {
            (1, NameBits::Null)
        } else if r.attr_null_bit && is(s.LOAD_ATTR) {
            (1, NameBits::Method)
        } else if is(s.LOAD_SUPER_ATTR) {
            (2, NameBits::Method)
        } else if r.import_name_flags && is(s.IMPORT_NAME) {
            (2, NameBits::Import)
        } else {
            (0, NameBits::None)
        };
        return ArgKind::Name { shift, bits };
    }
    if flags.has(ArgFlags::JREL) || flags.has(ArgFlags::JABS) {
        let abs = flags.has(ArgFlags::JABS);
        let backward = flags.has(ArgFlags::JREL)
            && match r.backward {
                Backward::None => false,
                Backward::NameContains => info.name.contains("JUMP_BACKWARD"),
                Backward::Names(list) => list.contains(&info.name),
            };
        return ArgKind::Jump { abs, backward };
    }
    if s.is_paired_local(deop) {
        return ArgKind::Paired;
    }
    if flags.has(ArgFlags::LOCAL) {
        ArgKind::Local
    } else if flags.has(ArgFlags::FREE) {
        ArgKind::Free
    } else if flags.has(ArgFlags::COMPARE) {
        ArgKind::Compare
    } else if is(s.FORMAT_VALUE) {
        ArgKind::FormatValue
    } else if is(s.CONVERT_VALUE) {
        ArgKind::Converter
    } else if (is(s.MAKE_FUNCTION) || is(s.SET_FUNCTION_ATTRIBUTE)) && !t.function_flags.is_empty() {
        ArgKind::FunctionFlags
    } else if is(s.BINARY_OP) {
        ArgKind::Table { list: t.binary_ops, which: Operand::BinaryOp }
    } else if is(s.CALL_INTRINSIC_1) {
        ArgKind::Table { list: t.intrinsic1, which: Operand::Intrinsic }
    } else if is(s.CALL_INTRINSIC_2) {
        ArgKind::Table { list: t.intrinsic2, which: Operand::Intrinsic }
    } else if is(s.LOAD_COMMON_CONSTANT) {
        ArgKind::Common
    } else if is(s.LOAD_SPECIAL) {
        ArgKind::Table { list: t.special_method_names, which: Operand::SpecialMethod }
    } else if is(s.IS_OP) {
        ArgKind::IsOp
    } else if is(s.CONTAINS_OP) {
        ArgKind::ContainsOp
    } else if r.split_nargs && flags.has(ArgFlags::NARGS) {
        ArgKind::Nargs
    } else {
        ArgKind::Plain
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_table_has_a_slot() {
        assert!(bytescope_opcodes::tables().len() <= 32);
    }
}
