//! The decoded, resolved instruction and the stream of them.

use bytescope_opcodes::OpInfo;
use bytescope_opcodes::semantics::{Effect, Semantics};

use crate::argument::Argument;
use crate::decoder::Decoder;
use crate::walk::{RawInstruction, RawInstructions};

/// One instruction of a code object: where it is, what it is, and what its
/// argument refers to. Borrows names from the code object; `Copy`.
///
/// The fields are enough to re-encode it: `opcode`, `arg` (EXTENDED_ARG
/// prefixes are the instructions from `start_offset` to `offset`) and
/// `cache_entries` zeroed code units after it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instruction<'c> {
    /// Byte offset of the opcode (not of its EXTENDED_ARG prefixes).
    pub offset: u32,
    /// Byte offset of the first EXTENDED_ARG prefix, or `offset` (3.13's
    /// `start_offset`).
    pub start_offset: u32,
    /// The opcode byte.
    pub opcode: u8,
    /// The base opcode (`dis._deoptop`; differs only for specialized
    /// opcodes, which no .pyc holds).
    pub base: u8,
    /// Bytes of the instruction itself: 2 (wordcode), or 1/3 (≤3.5),
    /// without its inline caches (see [`Instruction::len`]).
    pub size: u8,
    /// Inline cache code units that follow (3.11+).
    pub cache_entries: u8,
    /// The argument with EXTENDED_ARG folded in by the version's rules,
    /// `None` for argument-less opcodes.
    pub arg: Option<i64>,
    /// The argument, resolved.
    pub argument: Argument<'c>,
    /// The opcode's table entry (name, kind, flags, caches, base opcode).
    pub info: &'static OpInfo,
    /// What the opcode does, from the generated tables: its role
    /// ([`Semantics::action`]), where control goes ([`Semantics::flow`]), how
    /// the argument reads, and its stack effect as pops and pushes.
    /// Specialised opcodes carry their base opcode's.
    pub semantics: &'static Semantics,
}

impl Instruction<'_> {
    /// The opcode's name, as `dis` prints it.
    #[inline]
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.info.name
    }

    /// Bytes from this instruction to the next: itself and its inline
    /// caches.
    #[inline]
    #[must_use]
    pub fn len(&self) -> u32 {
        u32::from(self.size) + 2 * u32::from(self.cache_entries)
    }

    /// Never true: an instruction takes at least one byte.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The offset of the next instruction.
    #[inline]
    #[must_use]
    pub fn end_offset(&self) -> u32 {
        self.offset.saturating_add(self.len())
    }

    /// The jump target in bytes, for jumps.
    #[inline]
    #[must_use]
    pub fn jump_target(&self) -> Option<i64> {
        self.argument.jump_target()
    }

    /// Items popped and pushed on the fall-through path (`jump == false`) or
    /// the jump path (branch taken, or a setup's handler); `None` where the
    /// version's `dis.stack_effect` has no value either.
    #[must_use]
    pub fn stack_effect(&self, jump: bool) -> Option<Effect> {
        let oparg = self.arg.unwrap_or(0) as u32;
        self.semantics.stack.map(|s| s.eval(oparg, jump))
    }

    /// Whether control can go on to the next instruction.
    #[inline]
    #[must_use]
    pub fn falls_through(&self) -> bool {
        self.semantics.flow.falls_through()
    }

    /// The decoded part alone.
    #[must_use]
    pub fn raw(&self) -> RawInstruction {
        RawInstruction {
            offset: self.offset,
            start_offset: self.start_offset,
            opcode: self.opcode,
            base: self.base,
            size: self.size,
            arg: self.arg,
            caches: self.cache_entries,
        }
    }
}

/// The instructions of one code object in order ([`Decoder::iter`]); no
/// allocation.
#[derive(Clone, Debug)]
pub struct Instructions<'c, 'm, 'a> {
    dec: Decoder<'c, 'm, 'a>,
    raws: RawInstructions<'c>,
}

impl<'c, 'm, 'a> Instructions<'c, 'm, 'a> {
    pub(crate) fn new(dec: Decoder<'c, 'm, 'a>, raws: RawInstructions<'c>) -> Self {
        Instructions { dec, raws }
    }
}

impl<'c> Iterator for Instructions<'c, '_, '_> {
    type Item = Instruction<'c>;

    #[inline]
    fn next(&mut self) -> Option<Instruction<'c>> {
        let raw = self.raws.next()?;
        Some(self.dec.instruction(&raw))
    }
}

impl std::iter::FusedIterator for Instructions<'_, '_, '_> {}
