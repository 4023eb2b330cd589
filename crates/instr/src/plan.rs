//! Per-opcode decoding plans: what each opcode byte of one version means to
//! the decoder, decided once from the opcode table and the [`Rules`], so that
//! decoding an instruction and resolving its argument is a table lookup and
//! one `match` instead of a chain of name and flag tests per instruction.

use std::sync::OnceLock;

use bytescope_opcodes::{ArgFlags, OpInfo, OpcodeTable};

use crate::argument::{NameMarker, Operand};
use crate::rules::Rules;

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
    /// The marker of oparg `arg`: one load from a table indexed by the
    /// bits and the oparg's two low bits (no branch per instruction).
    #[inline]
    pub(crate) fn marker(self, arg: i64) -> NameMarker {
        use NameMarker as M;
        const MARKERS: [[NameMarker; 4]; 4] = [
            // None: the bits mean nothing.
            [M::None; 4],
            // Null, Method: bit 0.
            [M::None, M::Null, M::None, M::Null],
            [M::None, M::Method, M::None, M::Method],
            // Import: bit 0 (lazy) wins over bit 1 (eager).
            [M::None, M::Lazy, M::Eager, M::Lazy],
        ];
        MARKERS[self as usize][(arg & 3) as usize]
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
}

impl VersionData {
    fn new(table: &'static OpcodeTable) -> Self {
        let rules = Rules::for_version(table.version);
        let plans: [OpPlan; 256] = std::array::from_fn(|op| plan(table, &rules, op as u8));
        let steps = std::array::from_fn(|op| 2 + 2 * plans[op].caches);
        let stops =
            std::array::from_fn(|op| plans[op].is_ext || matches!(plans[op].kind, ArgKind::Jump { .. }));
        VersionData { table, rules, plans, steps, stops }
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

fn plan(t: &'static OpcodeTable, r: &Rules, op: u8) -> OpPlan {
    let info = t.op(op);
    let (deop, has_arg, caches) = if r.wordcode {
        let d = t.op(info.deopt);
        (info.deopt, d.has_arg, d.cache_entries)
    } else {
        (op, op >= t.have_argument, 0)
    };
    // 1.5 has no EXTENDED_ARG: its table names a number no opcode has.
    let is_ext = deop == t.extended_arg && t.op(deop).defined;
    OpPlan { info, deop, has_arg, caches, is_ext, kind: kind(t, deop) }
}

/// The argument kind of base opcode `deop`: how `dis` resolves it, read from
/// the opcode's generated semantics (`Semantics::operand` and
/// `Semantics::jump`), so no opcode is named here.
fn kind(t: &OpcodeTable, deop: u8) -> ArgKind {
    use bytescope_opcodes::semantics::Operand as O;
    let sem = t.semantics(deop);
    match sem.operand {
        O::Const => ArgKind::Const,
        O::Name => ArgKind::Name { shift: 0, bits: NameBits::None },
        O::NameNull => ArgKind::Name { shift: 1, bits: NameBits::Null },
        O::AttrMethod => ArgKind::Name { shift: 1, bits: NameBits::Method },
        O::SuperAttr => ArgKind::Name { shift: 2, bits: NameBits::Method },
        O::ImportName => ArgKind::Name { shift: 2, bits: NameBits::Import },
        O::Jump => match sem.jump {
            Some(j) => ArgKind::Jump { abs: j.absolute, backward: !j.absolute && j.backward },
            None => ArgKind::Plain,
        },
        O::LocalPair => ArgKind::Paired,
        O::Local => ArgKind::Local,
        O::Free => ArgKind::Free,
        O::Compare => ArgKind::Compare,
        O::FormatValue => ArgKind::FormatValue,
        O::Convert => ArgKind::Converter,
        O::FunctionFlags if !t.function_flags.is_empty() => ArgKind::FunctionFlags,
        O::BinaryOp => ArgKind::Table { list: t.binary_ops, which: Operand::BinaryOp },
        O::Intrinsic1 => ArgKind::Table { list: t.intrinsic1, which: Operand::Intrinsic },
        O::Intrinsic2 => ArgKind::Table { list: t.intrinsic2, which: Operand::Intrinsic },
        O::CommonConst => ArgKind::Common,
        O::SpecialMethod => ArgKind::Table { list: t.special_method_names, which: Operand::SpecialMethod },
        O::Is => ArgKind::IsOp,
        O::Contains => ArgKind::ContainsOp,
        // `dis` shows the split counts only where the version lists the opcode in `hasnargs`.
        O::Nargs if t.op(deop).flags.has(ArgFlags::NARGS) => ArgKind::Nargs,
        _ => ArgKind::Plain,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_table_has_a_slot() {
        assert!(bytescope_opcodes::tables().len() <= 32);
    }
}
