//! The analyses' view of an instruction: the public instruction model's
//! [`bytescope_instr::Instruction`], decoded once per code object.

use bytescope_code::Code;
use bytescope_instr::{ArgKind, Argument, Decoder, Instruction, VersionData};
use bytescope_marshal::ObjId;

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

/// The instructions of `code`, in order, for the views that read their arguments (the
/// symbolic stack, the checks, listings, diffs).
pub(crate) fn decode<'c>(data: &'static VersionData, code: &'c Code<'_, '_>) -> Vec<Insn<'c>> {
    Decoder::with_data(code, data).iter().collect()
}

/// One instruction as the stack walk, the graph and the fold rule read it: a fifth of an
/// [`Insn`]'s size, so the passes over a code object's instructions touch less memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Op {
    /// Byte offset of the opcode.
    pub offset: u32,
    /// The argument as CPython's C `int` oparg ([`oparg`]).
    pub oparg: u32,
    /// The constant a constant-loading argument refers to.
    pub konst: Option<ObjId>,
    /// The opcode byte.
    pub opcode: u8,
}

impl Op {
    /// The walk's view of `insn`, and its jump target in bytes.
    pub(crate) fn of(insn: &Insn<'_>) -> (Op, Option<i64>) {
        let konst = match insn.argument {
            Argument::Const(id) => Some(id),
            _ => None,
        };
        (Op { offset: insn.offset, oparg: oparg(insn), konst, opcode: insn.opcode }, target(insn))
    }
}

/// The instructions of `code` as [`Op`]s with their jump targets in bytes, into `ops` and
/// `targets` (emptied first), straight from the decoder: only jump and constant arguments
/// are resolved, and no [`Insn`] is made. Gives what [`Op::of`] gives on [`decode`]'s
/// instructions (a test checks it on every fixture).
pub(crate) fn decode_ops(
    data: &'static VersionData,
    code: &Code<'_, '_>,
    ops: &mut Vec<Op>,
    targets: &mut Vec<Option<i64>>,
) {
    ops.clear();
    targets.clear();
    let d = Decoder::with_data(code, data);
    for raw in d.raw_instructions() {
        let (konst, target) = match d.plan(raw.opcode).kind {
            ArgKind::Jump { .. } => (None, d.jump_target(&raw)),
            ArgKind::Const => match d.resolve(&raw) {
                Argument::Const(id) => (Some(id), None),
                _ => (None, None),
            },
            _ => (None, None),
        };
        // Truncation is the point, as in `oparg`.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let oparg = raw.arg.unwrap_or(0) as u32;
        ops.push(Op { offset: raw.offset, oparg, konst, opcode: raw.opcode });
        targets.push(target);
    }
}
