//! The analyses' view of an instruction: the public instruction model's
//! [`bytescope_instr::Instruction`], decoded once per code object.

use bytescope_code::Code;
use bytescope_instr::{Decoder, Instruction, VersionData};

/// One instruction: offset, opcode byte (its semantics are the base opcode's), argument
/// with EXTENDED_ARG folded in, and what the argument refers to (jumps carry their target
/// offset in bytes).
pub(crate) type Insn<'c> = Instruction<'c>;

/// The argument as CPython's C `int` oparg: its low 32 bits (0 without an argument).
pub(crate) fn oparg(insn: &Insn<'_>) -> u32 {
    // Truncation is the point: crafted EXTENDED_ARG chains fold past 32 bits.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let low = insn.arg.unwrap_or(0) as u32;
    low
}

/// The jump target in bytes, for instructions with a jump argument.
pub(crate) fn target(insn: &Insn<'_>) -> Option<i64> {
    insn.jump_target()
}

/// The instructions of `code`, in order. The analyses index them and walk them several
/// times, hence the one vector per code object.
pub(crate) fn decode<'c>(data: &'static VersionData, code: &'c Code<'_, '_>) -> Vec<Insn<'c>> {
    Decoder::with_data(code, data).iter().collect()
}
