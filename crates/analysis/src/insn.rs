//! The narrow view of an instruction stream the analyses read.
//!
//! Built today from [`bytescope_dis::Disassembler::ops`]; when the public instruction model
//! lands, only [`decode`] changes.

use bytescope_code::Code;
use bytescope_dis::{Disassembler, OpValue};

/// One instruction as the analyses need it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Insn<'c> {
    /// Byte offset of the opcode.
    pub offset: u32,
    /// The opcode byte as it is in the code (its semantics are the base opcode's).
    pub op: u8,
    /// The argument, EXTENDED_ARG folded in.
    pub arg: Option<i64>,
    /// What the argument refers to; jumps carry their target offset in bytes.
    pub value: OpValue<'c>,
}

impl Insn<'_> {
    /// The argument as CPython's C `int` oparg: its low 32 bits (0 without an argument).
    pub fn oparg(&self) -> u32 {
        // Truncation is the point: crafted EXTENDED_ARG chains fold past 32 bits.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let low = self.arg.unwrap_or(0) as u32;
        low
    }

    /// The jump target in bytes, for instructions with a jump argument.
    pub fn target(&self) -> Option<i64> {
        match self.value {
            OpValue::Jump(t) => Some(t),
            _ => None,
        }
    }
}

/// The instructions of `code`, in order.
pub(crate) fn decode<'c>(dis: &'c Disassembler, code: &'c Code<'_, '_>) -> Vec<Insn<'c>> {
    let ops = dis.ops(code);
    ops.iter().map(|op| Insn { offset: op.offset, op: op.opcode, arg: op.arg, value: op.value }).collect()
}
