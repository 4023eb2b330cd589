//! Walking `co_code`: instructions decoded (EXTENDED_ARG folded, inline
//! caches skipped) but not resolved.

use crate::plan::{OpPlan, VersionData};
use crate::rules::Rules;

/// An instruction decoded from `co_code`, its argument not yet resolved
/// (see [`Decoder::resolve`](crate::Decoder::resolve)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawInstruction {
    /// Byte offset of the opcode (not of its EXTENDED_ARG prefixes).
    pub offset: u32,
    /// Byte offset of the first EXTENDED_ARG prefix, or `offset`.
    pub start_offset: u32,
    /// The opcode byte.
    pub opcode: u8,
    /// The base opcode (`dis._deoptop`; differs only for specialized
    /// opcodes).
    pub base: u8,
    /// Bytes of the instruction itself: 2 (wordcode), or 1/3 (≤3.5),
    /// without its inline caches.
    pub size: u8,
    /// The argument with EXTENDED_ARG folded in, `None` for argument-less
    /// opcodes.
    pub arg: Option<i64>,
    /// Inline cache code units that follow (3.11+).
    pub caches: u8,
}

impl RawInstruction {
    /// Bytes from this instruction to the next: itself and its inline
    /// caches.
    #[inline]
    #[must_use]
    pub fn len(&self) -> u32 {
        u32::from(self.size) + 2 * u32::from(self.caches)
    }

    /// Never true: an instruction takes at least one byte.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The offset of the next instruction.
    #[inline]
    #[must_use]
    pub fn end(&self) -> u32 {
        self.offset.saturating_add(self.len())
    }
}

/// The [`RawInstruction`] `op arg` at `offset` of wordcode with no
/// EXTENDED_ARG in effect (`p` is its opcode's plan).
#[inline(always)]
fn word_raw(offset: u32, op: u8, arg: u8, p: &OpPlan) -> RawInstruction {
    RawInstruction {
        offset,
        start_offset: offset,
        opcode: op,
        base: p.deop,
        size: 2,
        arg: if p.has_arg { Some(i64::from(arg)) } else { None },
        caches: p.caches,
    }
}

/// The instructions of wordcode that holds no EXTENDED_ARG, decoded as they
/// are walked (see [`Walk`]).
#[derive(Clone, Debug)]
pub struct Words<'c> {
    code: &'c [u8],
    at: usize,
    data: &'static VersionData,
}

impl<'c> Words<'c> {
    pub(crate) fn new(code: &'c [u8], data: &'static VersionData) -> Self {
        Words { code, at: 0, data }
    }

    /// The next instruction's offset, opcode, argument byte and plan,
    /// moving past it and its inline caches.
    #[inline(always)]
    fn unit(&mut self) -> Option<(u32, u8, u8, &'static OpPlan)> {
        // (`get(at..)` then the chunk: two length tests, no `at + 2`.)
        let &[op, arg] = self.code.get(self.at..)?.first_chunk::<2>()?;
        let offset = self.at as u32;
        self.at += usize::from(self.data.steps[usize::from(op)]);
        Some((offset, op, arg, &self.data.plans[usize::from(op)]))
    }
}

impl Iterator for Words<'_> {
    type Item = RawInstruction;

    #[inline]
    fn next(&mut self) -> Option<RawInstruction> {
        let (offset, op, arg, p) = self.unit()?;
        Some(word_raw(offset, op, arg, p))
    }
}

/// The EXTENDED_ARG state of a wordcode walk: the argument bits carried to
/// the next instruction and how many EXTENDED_ARGs came right before it.
#[derive(Clone, Copy, Debug, Default)]
struct ExtState {
    ext: i64,
    count: u32,
}

impl ExtState {
    /// Whether no EXTENDED_ARG is in effect: a plain instruction decodes as
    /// [`word_raw`] does.
    #[inline(always)]
    fn idle(&self) -> bool {
        self.ext == 0 && self.count == 0
    }

    /// Decodes `op byte` at `offset` (`p` its plan) under this state, as
    /// `_unpack_opargs` does, and carries the state on.
    #[inline]
    fn step(&mut self, r: &Rules, offset: u32, op: u8, byte: u8, p: &OpPlan) -> RawInstruction {
        let arg = if p.has_arg {
            // Python ints are unbounded; i64 with saturation covers every
            // real file and keeps crafted EXTENDED_ARG chains finite (a
            // saturated value stays saturated, as `i64::MAX | byte` is
            // `i64::MAX`).
            let a = i64::from(byte) | self.ext;
            self.ext = if p.is_ext { a.saturating_mul(256) } else { 0 };
            // 3.11+: "the oparg is stored as a signed integer" — one
            // subtraction of 2**32, exactly as dis does it.
            if r.ext_wrap_i32 && self.ext >= 1 << 31 {
                self.ext -= 1 << 32;
            }
            Some(a)
        } else {
            if r.ext_reset_argless {
                self.ext = 0;
            }
            None
        };
        let start = if p.is_ext { offset } else { offset.saturating_sub(2 * self.count) };
        self.count = if p.is_ext { self.count + 1 } else { 0 };
        RawInstruction {
            offset,
            start_offset: start,
            opcode: op,
            base: p.deop,
            size: 2,
            arg,
            caches: p.caches,
        }
    }
}

/// The instructions of any wordcode, EXTENDED_ARGs folded as that
/// version's `_unpack_opargs` does, decoded as they are walked.
#[derive(Clone, Debug)]
pub struct ExtWords<'c> {
    words: Words<'c>,
    st: ExtState,
}

impl<'c> ExtWords<'c> {
    pub(crate) fn new(code: &'c [u8], data: &'static VersionData) -> Self {
        ExtWords { words: Words::new(code, data), st: ExtState::default() }
    }
}

impl Iterator for ExtWords<'_> {
    type Item = RawInstruction;

    #[inline]
    fn next(&mut self) -> Option<RawInstruction> {
        let (offset, op, byte, p) = self.words.unit()?;
        Some(if self.st.idle() && !p.is_ext {
            word_raw(offset, op, byte, p)
        } else {
            self.st.step(&self.words.data.rules, offset, op, byte, p)
        })
    }
}

/// The instructions of pre-3.6 bytecode (1 byte, or 3 with an argument;
/// EXTENDED_ARG adds 16 bits).
#[derive(Clone, Debug)]
pub struct Bytes<'c> {
    code: &'c [u8],
    at: usize,
    ext: i64,
    data: &'static VersionData,
}

impl<'c> Bytes<'c> {
    pub(crate) fn new(code: &'c [u8], data: &'static VersionData) -> Self {
        Bytes { code, at: 0, ext: 0, data }
    }
}

impl Iterator for Bytes<'_> {
    type Item = RawInstruction;

    #[inline]
    fn next(&mut self) -> Option<RawInstruction> {
        let i = self.at;
        let &op = self.code.get(i)?;
        let p = &self.data.plans[usize::from(op)];
        let (arg, size) = if p.has_arg {
            // A truncated final argument reads as zero bytes (CPython
            // would raise IndexError).
            let lo = i64::from(self.code.get(i + 1).copied().unwrap_or(0));
            let hi = i64::from(self.code.get(i + 2).copied().unwrap_or(0));
            let a = lo.saturating_add(hi * 256).saturating_add(self.ext);
            self.ext = if p.is_ext { a.saturating_mul(65536) } else { 0 };
            (Some(a), 3u8)
        } else {
            (None, 1u8)
        };
        self.at += usize::from(size);
        let offset = i as u32;
        Some(RawInstruction { offset, start_offset: offset, opcode: op, base: op, size, arg, caches: 0 })
    }
}

/// A walk over `co_code` in the cheapest form that decodes it exactly (see
/// [`Decoder::walk`](crate::Decoder::walk)): printers match on it once per
/// code object and run one loop per form.
#[derive(Clone, Debug)]
pub enum RawInstructions<'c> {
    /// Wordcode known to hold no EXTENDED_ARG.
    Words(Words<'c>),
    /// Any wordcode.
    ExtWords(ExtWords<'c>),
    /// Pre-3.6 bytecode.
    Bytes(Bytes<'c>),
}

impl Iterator for RawInstructions<'_> {
    type Item = RawInstruction;

    #[inline]
    fn next(&mut self) -> Option<RawInstruction> {
        match self {
            RawInstructions::Words(w) => w.next(),
            RawInstructions::ExtWords(w) => w.next(),
            RawInstructions::Bytes(b) => b.next(),
        }
    }
}

/// What a jump-target scan found out about the code's form, for
/// [`Decoder::walk`](crate::Decoder::walk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    pub(crate) form: Form,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    Words,
    ExtWords,
    Bytes,
}

/// The jump targets of wordcode into `targets`, walking the code without
/// keeping decoded instructions; returns whether it holds an EXTENDED_ARG.
pub(crate) fn wordcode_jump_targets(
    code: &[u8],
    data: &'static VersionData,
    jump: impl Fn(&RawInstruction) -> Option<i64> + Copy,
    targets: &mut Vec<i64>,
) -> bool {
    targets.clear();
    let end = code.len() & !1;
    // Each step of a walk waits on two loads (the opcode, then its step),
    // so two walks go side by side: one from the start, one from the first
    // unit at or after the middle whose opcode is not 0 (CACHE, which only
    // ever fills inline caches). The first must arrive exactly there, or
    // that unit was no instruction and the first walk goes on alone.
    let mut mid = (end / 2) & !1;
    while mid < end && code[mid] == 0 {
        mid += 2;
    }
    let (mut a, mut b) = (0, mid);
    let w = JumpWalk { code, data, jump };
    while a < mid && b < end {
        if !w.step(&mut a, targets) || !w.step(&mut b, targets) {
            return w.ext_jump_targets(targets);
        }
    }
    if !w.walk_until(&mut b, end, targets) || !w.walk_until(&mut a, mid, targets) {
        return w.ext_jump_targets(targets);
    }
    if a != mid {
        // The second walk started inside an instruction's caches: its
        // targets go, and the first walk finishes the code.
        targets.clear();
        if !w.walk_until(&mut 0, end, targets) {
            return w.ext_jump_targets(targets);
        }
    }
    false
}

struct JumpWalk<'c, J> {
    code: &'c [u8],
    data: &'static VersionData,
    jump: J,
}

impl<J: Fn(&RawInstruction) -> Option<i64> + Copy> JumpWalk<'_, J> {
    /// [`JumpWalk::step`]s from `at` until `until`; `false` at an
    /// EXTENDED_ARG.
    #[inline(always)]
    fn walk_until(&self, at: &mut usize, until: usize, targets: &mut Vec<i64>) -> bool {
        while *at < until {
            if !self.step(at, targets) {
                return false;
            }
        }
        true
    }

    /// One instruction of a jump-target walk at `at` (wordcode, no
    /// EXTENDED_ARG state): its target pushed if it jumps, `at` moved past
    /// its caches; `false` at an EXTENDED_ARG. Only jumps and EXTENDED_ARG
    /// (about one in ten) look further than two byte tables.
    #[inline(always)]
    fn step(&self, at: &mut usize, targets: &mut Vec<i64>) -> bool {
        let Some(&[op, arg]) = self.code.get(*at..*at + 2).and_then(|w| w.first_chunk::<2>()) else {
            *at = usize::MAX;
            return true;
        };
        if self.data.stops[usize::from(op)] {
            let p = &self.data.plans[usize::from(op)];
            if p.is_ext {
                return false;
            }
            if let Some(t) = (self.jump)(&word_raw(*at as u32, op, arg, p)) {
                targets.push(t);
            }
        }
        *at += usize::from(self.data.steps[usize::from(op)]);
        true
    }

    /// The jump targets of wordcode holding an EXTENDED_ARG (rare: about one
    /// code object in thirty), walked with its state; `true`.
    #[cold]
    fn ext_jump_targets(&self, targets: &mut Vec<i64>) -> bool {
        targets.clear();
        targets.extend(ExtWords::new(self.code, self.data).filter_map(|r| (self.jump)(&r)));
        true
    }
}
