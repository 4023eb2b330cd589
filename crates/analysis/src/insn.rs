//! The analyses' view of an instruction: the public instruction model's
//! [`bytescope_instr::Instruction`], decoded once per code object.

use bytescope_code::Code;
use bytescope_instr::{ArgKind, Argument, Decoder, Instruction, VersionData};

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

/// The instructions of `code`, in order, in `buf`'s memory (its contents are dropped). The
/// analyses index them and walk them several times, hence the one vector per code object.
pub(crate) fn decode<'c>(
    data: &'static VersionData,
    code: &'c Code<'_, '_>,
    buf: Vec<Insn<'_>>,
) -> Vec<Insn<'c>> {
    let mut out = recycle(buf);
    out.extend(Decoder::with_data(code, data).iter());
    out
}

/// [`decode`] for the stack walk and the graph, which read only jump targets and constants:
/// every field is decoded as [`decode`] does, but only jump and constant arguments are
/// resolved; the others stay [`Argument::Plain`] (their names and tables are not looked
/// up).
pub(crate) fn decode_lean<'c>(
    data: &'static VersionData,
    code: &'c Code<'_, '_>,
    buf: Vec<Insn<'_>>,
) -> Vec<Insn<'c>> {
    let mut out = recycle(buf);
    let d = Decoder::with_data(code, data);
    out.extend(d.raw_instructions().map(|raw| {
        let plan = d.plan(raw.opcode);
        let argument = match (plan.kind, raw.arg) {
            (ArgKind::Jump { .. } | ArgKind::Const, _) => d.resolve(&raw),
            (_, Some(arg)) => Argument::Plain(arg),
            (_, None) => Argument::None,
        };
        Instruction {
            offset: raw.offset,
            start_offset: raw.start_offset,
            opcode: raw.opcode,
            base: raw.base,
            size: raw.size,
            cache_entries: raw.caches,
            arg: raw.arg,
            argument,
            info: plan.info,
            semantics: data.table.semantics(raw.opcode),
        }
    }));
    out
}

/// `v`'s memory, emptied, for instructions borrowing from another code object: the
/// emptied vector is collected in place (same element layout), so the allocation is kept.
// `filter_map`, not `filter`: the element type changes (its lifetime), which is the point.
#[allow(clippy::unnecessary_filter_map)]
pub(crate) fn recycle<'b>(mut v: Vec<Insn<'_>>) -> Vec<Insn<'b>> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}
