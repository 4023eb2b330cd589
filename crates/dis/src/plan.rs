//! Per-opcode decoding plans: what `dis` does with each opcode byte of one
//! version, decided once from the opcode table and the [`Rules`], so that
//! decoding an instruction and resolving its argument is a table lookup and
//! one `match` instead of a chain of name and flag tests per instruction.

use std::sync::OnceLock;

use bytescope_opcodes::{ArgFlags, OpcodeTable};

use crate::rules::{Backward, Layout, NullMarker, Rules};
use crate::special::Special;

/// How an opcode's argument is resolved (`ArgResolver.get_argval_argrepr`
/// and its predecessors), in the order `dis` tests the cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// `argval = arg`, no text.
    Plain,
    /// `co_consts[arg]`.
    Const,
    /// A `hasconst` opcode 3.11 does not resolve (`dis.UNKNOWN`).
    Unknown,
    /// `co_names[arg >> shift]`, with an optional marker for the low bits.
    Name { shift: u8, marker: NameMarker },
    /// A relative or absolute jump.
    Jump { abs: bool, backward: bool, text: JumpStyle },
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
    /// MAKE_FUNCTION / SET_FUNCTION_ATTRIBUTE flags.
    FunctionFlags,
    /// An entry of a fixed name list (binary operators, intrinsics, special
    /// methods) or `<invalid {what} …>`.
    Table { list: &'static [&'static str], what: &'static str },
    /// LOAD_COMMON_CONSTANT.
    Common,
    /// IS_OP (3.14+).
    IsOp,
    /// CONTAINS_OP (3.14+).
    ContainsOp,
    /// 3.4–3.5 CALL_FUNCTION-style counts.
    Nargs,
}

/// What a name's low argument bits add to its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameMarker {
    /// Nothing.
    None,
    /// LOAD_GLOBAL's `NULL` (`NULL + x` 3.11–3.12, `x + NULL` 3.13+).
    Null(NullMarker),
    /// LOAD_ATTR / LOAD_SUPER_ATTR's `NULL|self`.
    NullSelf(NullMarker),
    /// 3.15 IMPORT_NAME's lazy/eager bits.
    ImportFlags,
}

impl NameMarker {
    /// What goes before and after the name `name` of argument `arg`
    /// (nothing around an empty name).
    #[inline]
    pub(crate) fn around(self, name: &str, arg: i64) -> (&'static str, &'static str) {
        if name.is_empty() {
            return ("", "");
        }
        match self {
            NameMarker::None => ("", ""),
            NameMarker::ImportFlags if arg & 1 != 0 => ("", " + lazy"),
            NameMarker::ImportFlags if arg & 2 != 0 => ("", " + eager"),
            NameMarker::ImportFlags => ("", ""),
            _ if arg & 1 == 0 => ("", ""),
            NameMarker::Null(NullMarker::Prefix) => ("NULL + ", ""),
            NameMarker::NullSelf(NullMarker::Prefix) => ("NULL|self + ", ""),
            NameMarker::Null(_) => ("", " + NULL"),
            NameMarker::NullSelf(_) => ("", " + NULL|self"),
        }
    }
}

/// How a jump's argument is worded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JumpStyle {
    /// No text (absolute jumps before 3.10).
    Hidden,
    /// `to 42`.
    Offset,
    /// `to L3` / `from L3` (3.13+).
    Label(&'static str),
}

/// Everything decoding needs to know about one opcode byte.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpPlan {
    /// The name `dis` prints.
    pub name: &'static str,
    /// The name padded with spaces to [`NAME_SLOT`] bytes (cut there if
    /// longer), for fixed-size copies into listing lines.
    pub padded: [u8; NAME_SLOT],
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

/// Bytes of [`OpPlan::padded`].
pub(crate) const NAME_SLOT: usize = 32;

/// One version's rules and opcode plans.
#[derive(Debug)]
pub(crate) struct VersionData {
    pub rules: Rules,
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
        let special = Special::new(table);
        let plans: [OpPlan; 256] = std::array::from_fn(|op| plan(table, &rules, &special, op as u8));
        let steps = std::array::from_fn(|op| 2 + 2 * plans[op].caches);
        let stops =
            std::array::from_fn(|op| plans[op].is_ext || matches!(plans[op].kind, ArgKind::Jump { .. }));
        VersionData { rules, plans, steps, stops }
    }
}

/// The (cached) data of `table`'s version.
pub(crate) fn version_data(table: &'static OpcodeTable) -> &'static VersionData {
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

fn plan(t: &OpcodeTable, r: &Rules, s: &Special, op: u8) -> OpPlan {
    let info = t.op(op);
    let (deop, has_arg, caches) = if r.wordcode {
        let d = t.op(info.deopt);
        (info.deopt, d.has_arg, d.cache_entries)
    } else {
        (op, op >= t.have_argument, 0)
    };
    let mut padded = [b' '; NAME_SLOT];
    let n = info.name.len().min(NAME_SLOT);
    padded[..n].copy_from_slice(&info.name.as_bytes()[..n]);
    OpPlan {
        name: info.name,
        padded,
        deop,
        has_arg,
        caches,
        is_ext: deop == t.extended_arg,
        kind: kind(t, r, s, deop),
    }
}

/// The argument kind of base opcode `deop`, tested in `dis`'s order.
fn kind(t: &OpcodeTable, r: &Rules, s: &Special, deop: u8) -> ArgKind {
    let info = t.op(deop);
    let flags = info.flags;
    let is = |o: Option<u8>| o == Some(deop);
    if flags.has(ArgFlags::CONST) {
        return if r.only_load_const_resolves && !is(s.LOAD_CONST) {
            ArgKind::Unknown
        } else {
            ArgKind::Const
        };
    }
    if flags.has(ArgFlags::NAME) {
        let null = r.null_marker.unwrap_or(NullMarker::Suffix);
        let (shift, marker) = if r.null_marker.is_some() && is(s.LOAD_GLOBAL) {
            (1, NameMarker::Null(null))
        } else if r.attr_null_bit && is(s.LOAD_ATTR) {
            (1, NameMarker::NullSelf(null))
        } else if is(s.LOAD_SUPER_ATTR) {
            (2, NameMarker::NullSelf(null))
        } else if r.import_name_flags && is(s.IMPORT_NAME) {
            (2, NameMarker::ImportFlags)
        } else {
            (0, NameMarker::None)
        };
        return ArgKind::Name { shift, marker };
    }
    if flags.has(ArgFlags::JREL) || flags.has(ArgFlags::JABS) {
        let abs = flags.has(ArgFlags::JABS);
        let backward = flags.has(ArgFlags::JREL)
            && match r.backward {
                Backward::None => false,
                Backward::NameContains => info.name.contains("JUMP_BACKWARD"),
                Backward::Names(list) => list.contains(&info.name),
            };
        let text = if abs && !r.jabs_argrepr {
            JumpStyle::Hidden
        } else if r.layout == Layout::Py313 {
            JumpStyle::Label(if r.from_ops.contains(&info.name) { "from" } else { "to" })
        } else {
            JumpStyle::Offset
        };
        return ArgKind::Jump { abs, backward, text };
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
        ArgKind::Table { list: t.binary_ops, what: "binary operator" }
    } else if is(s.CALL_INTRINSIC_1) {
        ArgKind::Table { list: t.intrinsic1, what: "intrinsic" }
    } else if is(s.CALL_INTRINSIC_2) {
        ArgKind::Table { list: t.intrinsic2, what: "intrinsic" }
    } else if is(s.LOAD_COMMON_CONSTANT) {
        ArgKind::Common
    } else if is(s.LOAD_SPECIAL) {
        ArgKind::Table { list: t.special_method_names, what: "special method" }
    } else if r.is_contains_argrepr && is(s.IS_OP) {
        ArgKind::IsOp
    } else if r.is_contains_argrepr && is(s.CONTAINS_OP) {
        ArgKind::ContainsOp
    } else if r.nargs_argrepr && flags.has(ArgFlags::NARGS) {
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
