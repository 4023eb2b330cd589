//! The narrow view of an instruction stream the analyses read.
//!
//! Built today from [`bytescope_dis::Disassembler::ops`]; when the public instruction model
//! lands, only [`decode`] and these accessors change.

use bytescope_code::Code;
use bytescope_dis::{Disassembler, Op, OpValue};

/// One instruction as the analyses need it: offset, opcode byte (its semantics are the base
/// opcode's), argument with EXTENDED_ARG folded in, and what the argument refers to (jumps
/// carry their target offset in bytes).
pub(crate) type Insn<'c> = Op<'c>;

/// The argument as CPython's C `int` oparg: its low 32 bits (0 without an argument).
pub(crate) fn oparg(insn: &Insn<'_>) -> u32 {
    // Truncation is the point: crafted EXTENDED_ARG chains fold past 32 bits.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let low = insn.arg.unwrap_or(0) as u32;
    low
}

/// The jump target in bytes, for instructions with a jump argument.
pub(crate) fn target(insn: &Insn<'_>) -> Option<i64> {
    match insn.value {
        OpValue::Jump(t) => Some(t),
        _ => None,
    }
}

/// The instructions of `code`, in order.
pub(crate) fn decode<'c>(dis: &'c Disassembler, code: &'c Code<'_, '_>) -> Vec<Insn<'c>> {
    dis.ops(code)
}
