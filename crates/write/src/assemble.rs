//! Instruction encoding: a list of instructions and labels becomes
//! `co_code`, the line table and (3.11+) the exception table of a version.
//!
//! - **Jumps** name a [`Label`]; the argument is computed in the version's
//!   units (bytes up to 3.9, code units from 3.10) and direction: relative
//!   jumps count from the end of the instruction (from 3.12 after its inline
//!   caches), absolute jumps from the start of the code. A relative jump
//!   whose label lies the other way switches to its sibling opcode where
//!   the version has one (3.11 `POP_JUMP_FORWARD_IF_X` ↔
//!   `POP_JUMP_BACKWARD_IF_X`, `JUMP_FORWARD` ↔ `JUMP_BACKWARD`); otherwise
//!   it is an error (3.12+ conditional jumps only go forward).
//! - **`EXTENDED_ARG`** prefixes are implicit, sized to a fixpoint as
//!   CPython does: up to 3.12 the least fixpoint (start without prefixes,
//!   only grow), from 3.13 CPython's `resolve_jump_offsets` (each jump
//!   starts with its target's instruction index as argument, sizes may
//!   shrink and grow). [`Instruction::min_prefixes`] keeps the extra
//!   `EXTENDED_ARG 0` prefixes older peephole optimizers left.
//! - **Inline caches** (3.11+): zeroed `CACHE` units after each instruction
//!   that has them, as a .pyc stores them.
//! - **Locations**: `co_lnotab` events where the line changes (up to 3.9),
//!   the 3.10 line ranges, or one 3.11+ location run per instruction, each
//!   through the version's encoder in [`crate::tables`].
//! - **Handlers** (3.11+): each instruction's handler; adjacent instructions
//!   with the same handler share an exception-table entry.

use bytescope_code::lines::{LineRange, Positions};
use bytescope_opcodes::OpcodeTable;
use bytescope_pyc::PythonVersion;

use crate::tables::locations::LocationWriter;
use crate::tables::{ExceptionTableBuilder, LineInput, TableError, encode_line_table};

/// A jump target: a position between instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub u32);

/// A source location in 16 bytes: `-1` stands for an unknown field (as in
/// CPython, and as [`Positions`] reads it), so it converts both ways without
/// loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// First line (`-1`: no line).
    pub line: i32,
    /// Last line (`-1`: unknown).
    pub end_line: i32,
    /// Start column (`-1`: unknown).
    pub col: i32,
    /// End column (`-1`: unknown).
    pub end_col: i32,
}

impl Location {
    /// No location.
    pub const NONE: Location = Location { line: -1, end_line: -1, col: -1, end_col: -1 };

    /// A line and nothing else.
    #[must_use]
    pub fn line(line: i32) -> Location {
        Location { line, ..Location::NONE }
    }

    /// The line, if known.
    #[must_use]
    pub fn line_number(&self) -> Option<i32> {
        (self.line != -1).then_some(self.line)
    }

    /// As the decoders' [`Positions`].
    #[must_use]
    pub fn positions(&self) -> Positions {
        Positions::from_raw(self.line, self.end_line, self.col, self.end_col)
    }
}

impl From<Positions> for Location {
    fn from(p: Positions) -> Location {
        let raw = |x: Option<i32>| x.unwrap_or(-1);
        Location { line: raw(p.line), end_line: raw(p.end_line), col: raw(p.col), end_col: raw(p.end_col) }
    }
}

/// An instruction's argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// No argument (written as 0 from 3.6).
    None,
    /// A plain argument value.
    Arg(u32),
    /// A jump to a label.
    Jump(Label),
}

/// The exception handler covering an instruction (3.11+).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handler {
    /// Where the handler starts.
    pub target: Label,
    /// Stack depth to unwind to.
    pub depth: u32,
    /// Whether the offset of the raising instruction is pushed.
    pub lasti: bool,
}

/// One instruction to encode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instruction {
    /// The opcode byte of the version (never `EXTENDED_ARG` or `CACHE`: both
    /// are written by the encoder).
    pub opcode: u8,
    /// Its argument.
    pub operand: Operand,
    /// Its source location (only the line is used before 3.11).
    pub location: Location,
    /// Its exception handler (3.11+).
    pub handler: Option<Handler>,
    /// At least this many `EXTENDED_ARG` prefixes (more when the argument
    /// needs them).
    pub min_prefixes: u8,
}

impl Instruction {
    /// An instruction with no location, handler or forced prefixes.
    #[must_use]
    pub fn new(opcode: u8, operand: Operand) -> Instruction {
        Instruction { opcode, operand, location: Location::NONE, handler: None, min_prefixes: 0 }
    }
}

/// An item of the instruction list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Item {
    /// A label at this position.
    Label(Label),
    /// An instruction.
    Instr(Instruction),
}

/// What [`assemble`] produces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assembled {
    /// `co_code`.
    pub code: Vec<u8>,
    /// `co_lnotab` / `co_linetable` for the given `co_firstlineno`.
    pub linetable: Vec<u8>,
    /// `co_exceptiontable` (empty before 3.11).
    pub exceptiontable: Vec<u8>,
}

/// Why instructions could not be encoded. `index` counts instructions (not
/// labels) from 0.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AsmError {
    /// bytescope has no opcode table for the version.
    #[error("no opcode table for Python {0}")]
    NoOpcodes(PythonVersion),
    /// The opcode does not exist in the version (or is written by the
    /// encoder itself).
    #[error("instruction {index}: opcode {opcode} cannot be written in Python {version}: {why}")]
    BadOpcode {
        /// Instruction index.
        index: usize,
        /// The opcode.
        opcode: u8,
        /// The version.
        version: PythonVersion,
        /// Why.
        why: &'static str,
    },
    /// A label jumped to or used as a handler but never placed.
    #[error("instruction {index}: label {label} is not defined")]
    UnknownLabel {
        /// Instruction index.
        index: usize,
        /// The label.
        label: u32,
    },
    /// A label placed twice.
    #[error("label {0} is defined twice")]
    DuplicateLabel(u32),
    /// A label operand on an instruction that does not jump, or a plain
    /// argument on one that does.
    #[error("instruction {index} ({name}): {why}")]
    Operand {
        /// Instruction index.
        index: usize,
        /// The opcode's name.
        name: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A relative jump whose label lies the other way, with no sibling
    /// opcode for that direction.
    #[error("instruction {index} ({name}) jumps {direction}, which it cannot in Python {version}")]
    Direction {
        /// Instruction index.
        index: usize,
        /// The opcode's name.
        name: &'static str,
        /// `"backward"` or `"forward"`.
        direction: &'static str,
        /// The version.
        version: PythonVersion,
    },
    /// The code would be 4 GiB or more.
    #[error("the code would be 4 GiB or more")]
    TooLarge,
    /// The layout did not settle (cannot happen for real code; bounded).
    #[error("EXTENDED_ARG sizes did not settle after {0} rounds")]
    NoFixpoint(usize),
    /// A table encoder failed.
    #[error(transparent)]
    Table(#[from] TableError),
}

/// The jump semantics of one opcode in one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JumpKind {
    /// Not a jump.
    No,
    /// Absolute target.
    Absolute,
    /// Relative, forward.
    Forward,
    /// Relative, backward.
    Backward,
}

/// The jump kind of `op`, from its generated semantics (`Semantics::jump`).
pub(crate) fn jump_kind(table: &OpcodeTable, op: u8) -> JumpKind {
    match table.semantics(op).jump {
        None => JumpKind::No,
        Some(j) if j.absolute => JumpKind::Absolute,
        Some(j) if j.backward => JumpKind::Backward,
        Some(_) => JumpKind::Forward,
    }
}

/// What the encoder and its inverse need of one opcode, per version.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpFacts {
    /// Its jump kind.
    pub(crate) jump: JumpKind,
    /// Inline cache units (3.11+).
    pub(crate) caches: u8,
    /// `dis` reads an argument.
    pub(crate) has_arg: bool,
    /// An opcode of the version that an instruction list may hold (not
    /// `EXTENDED_ARG` or `CACHE`, which the encoder writes).
    pub(crate) writable: bool,
}

const NO_FACTS: OpFacts = OpFacts { jump: JumpKind::No, caches: 0, has_arg: false, writable: false };

/// [`OpFacts`] of every opcode of version `v`, computed once per version
/// (the hot loops read one small array instead of the opcode table's
/// names).
pub(crate) fn op_facts(v: PythonVersion) -> &'static [OpFacts; 256] {
    use std::sync::OnceLock;
    static FACTS: [OnceLock<[OpFacts; 256]>; 32] = [const { OnceLock::new() }; 32];
    static NONE: [OpFacts; 256] = [NO_FACTS; 256];
    let tables = bytescope_opcodes::tables();
    let Some((i, table)) = tables
        .iter()
        .enumerate()
        .find(|(_, t)| t.version == v && t.implementation == bytescope_pyc::Implementation::CPython)
    else {
        return &NONE;
    };
    let Some(slot) = FACTS.get(i) else { return &NONE };
    slot.get_or_init(|| {
        std::array::from_fn(|o| {
            let op = o as u8;
            let info = table.op(op);
            OpFacts {
                jump: jump_kind(table, op),
                caches: info.cache_entries,
                has_arg: info.has_arg,
                writable: info.defined && op != table.extended_arg && info.name != "CACHE",
            }
        })
    })
}

/// The opcode that jumps the other way, if the version has one.
fn sibling(table: &OpcodeTable, op: u8) -> Option<u8> {
    let name = table.op(op).name;
    let other = if name.contains("FORWARD") {
        name.replacen("FORWARD", "BACKWARD", 1)
    } else if name.contains("BACKWARD") {
        name.replacen("BACKWARD", "FORWARD", 1)
    } else {
        return None;
    };
    table.opcode(&other)
}

/// How one version lays out instructions.
struct Layout {
    v: PythonVersion,
    wordcode: bool,
    /// Jump arguments count code units (3.10+).
    units: bool,
    /// Relative jumps count from after the inline caches (3.12+).
    skip_caches: bool,
    /// 3.13+ `resolve_jump_offsets` (else the least fixpoint).
    index_start: bool,
    facts: &'static [OpFacts; 256],
}

/// Number of `EXTENDED_ARG` prefixes `arg` needs.
#[inline]
fn prefixes_for(wordcode: bool, arg: u32) -> u8 {
    if arg <= 0xff {
        0
    } else if wordcode {
        u8::from(arg > 0xff) + u8::from(arg > 0xffff) + u8::from(arg > 0xff_ffff)
    } else {
        u8::from(arg > 0xffff)
    }
}

/// One instruction being laid out (16 bytes).
#[derive(Clone, Copy, Debug)]
struct Slot {
    arg: u32,
    /// A jump's label while the items are read, then the index into `slots`
    /// of the label's instruction (`slots.len()` for the end of the code).
    target: u32,
    /// Size in bytes without prefixes (opcode, argument, caches).
    base: u16,
    op: u8,
    jump: JumpKind,
    has_arg: bool,
    caches: u8,
    prefixes: u8,
    min_prefixes: u8,
}

impl Layout {
    /// Size in bytes of an instruction with `prefixes` prefixes: each is a
    /// code unit from 3.6, an `EXTENDED_ARG` with a 16-bit argument before.
    fn size(&self, s: &Slot, prefixes: u8) -> u32 {
        u32::from(s.base) + u32::from(prefixes) * if self.wordcode { 2 } else { 3 }
    }

    /// The argument of jump `s` at byte `start` with size `size`, given the
    /// byte offset of every instruction (and the end).
    fn jump_arg(&self, s: &Slot, start: u32, size: u32, offsets: &[u32]) -> u32 {
        if s.jump == JumpKind::No {
            return s.arg;
        }
        let target = offsets.get(s.target as usize).copied().unwrap_or(0);
        let div = if self.units { 2 } else { 1 };
        match s.jump {
            JumpKind::Absolute => target / div,
            _ => {
                let mut base = start + size;
                if !self.skip_caches {
                    base -= 2 * u32::from(s.caches);
                }
                if s.jump == JumpKind::Forward {
                    target.saturating_sub(base) / div
                } else {
                    base.saturating_sub(target) / div
                }
            }
        }
    }
}

/// Encodes `items` for `version`; `firstlineno` is the code object's
/// `co_firstlineno`, from which the line table counts.
///
/// # Errors
/// An [`AsmError`] naming the instruction.
pub fn assemble(version: PythonVersion, firstlineno: i32, items: &[Item]) -> Result<Assembled, AsmError> {
    Assembler::default().assemble(version, firstlineno, items)
}

/// [`assemble`] with working memory kept between calls: a caller encoding
/// many code objects allocates it once.
#[derive(Debug, Default)]
pub struct Assembler {
    /// Instruction index of each label, for labels below `4 * items + 64`
    /// (`u32::MAX`: not placed); larger labels go to `sparse`.
    dense: Vec<u32>,
    sparse: std::collections::HashMap<u32, usize, foldhash::fast::FixedState>,
    slots: Vec<Slot>,
    /// Indices of the jumps in `slots`.
    jumps: Vec<u32>,
    offsets: Vec<u32>,
    events: Vec<(u64, i64)>,
    ranges: Vec<LineRange>,
    handlers: ExceptionTableBuilder,
}

impl Assembler {
    /// A new assembler.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn label(&self, index: usize, l: Label) -> Result<usize, AsmError> {
        let found = match self.dense.get(l.0 as usize) {
            Some(&i) if i != u32::MAX => Some(i as usize),
            Some(_) => None,
            None => self.sparse.get(&l.0).copied(),
        };
        found.ok_or(AsmError::UnknownLabel { index, label: l.0 })
    }

    /// Encodes `items` for `version` (see [`assemble`]).
    ///
    /// # Errors
    /// An [`AsmError`] naming the instruction.
    pub fn assemble(
        &mut self,
        version: PythonVersion,
        firstlineno: i32,
        items: &[Item],
    ) -> Result<Assembled, AsmError> {
        let mut out = Assembled::default();
        self.assemble_into(version, firstlineno, items, &mut out)?;
        Ok(out)
    }

    /// [`Assembler::assemble`] into the buffers of `out` (emptied first,
    /// their memory reused): re-encoding a code object in place can pass
    /// its own `code`, `linetable` and `exceptiontable`, taken with
    /// [`std::mem::take`], and allocate nothing. On error `out` holds
    /// unspecified bytes.
    ///
    /// # Errors
    /// As [`assemble`].
    pub fn assemble_into(
        &mut self,
        version: PythonVersion,
        firstlineno: i32,
        items: &[Item],
        out: &mut Assembled,
    ) -> Result<(), AsmError> {
        out.code.clear();
        out.linetable.clear();
        out.exceptiontable.clear();
        let table = bytescope_opcodes::table(version).ok_or(AsmError::NoOpcodes(version))?;
        let layout = Layout {
            v: version,
            wordcode: version >= PythonVersion::PY36,
            units: version >= PythonVersion::PY310,
            skip_caches: version >= PythonVersion::PY312,
            index_start: version >= PythonVersion::PY313,
            facts: op_facts(version),
        };
        self.read_items(&layout, table, items)?;
        self.resolve_targets(&layout, table)?;
        resolve(&layout, &mut self.slots, &self.jumps, &mut self.offsets)?;
        self.write(&layout, table, firstlineno, items, out)
    }

    /// One pass over the items: labels → instruction index, and a slot per
    /// instruction (jump targets resolved after, when every label is known).
    // Kept out of line: inlined into a caller's loop over many code objects
    // it costs more (register pressure) than the call.
    #[inline(never)]
    fn read_items(&mut self, layout: &Layout, table: &OpcodeTable, items: &[Item]) -> Result<(), AsmError> {
        let limit = 4 * items.len() + 64;
        self.dense.clear();
        self.sparse.clear();
        self.slots.clear();
        self.jumps.clear();
        self.slots.reserve(items.len());
        let facts = layout.facts;
        let w = layout.wordcode;
        for item in items {
            match item {
                Item::Label(l) => {
                    let count = self.slots.len();
                    let at = u32::try_from(count).unwrap_or(u32::MAX);
                    let dup = if (l.0 as usize) < limit {
                        let i = l.0 as usize;
                        if self.dense.len() <= i {
                            self.dense.resize(i + 1, u32::MAX);
                        }
                        std::mem::replace(&mut self.dense[i], at) != u32::MAX
                    } else {
                        self.sparse.insert(l.0, count).is_some()
                    };
                    if dup {
                        return Err(AsmError::DuplicateLabel(l.0));
                    }
                }
                Item::Instr(ins) => {
                    let index = self.slots.len();
                    let op = ins.opcode;
                    let f = facts[usize::from(op)];
                    if !f.writable {
                        return Err(bad_opcode(layout.v, table, index, op));
                    }
                    let (arg, jump, target, prefixes) = match ins.operand {
                        Operand::Arg(a) => {
                            if !f.has_arg && (a > 0xff || !w) && a != 0 {
                                let why = format!("takes no argument, got {a}");
                                return Err(AsmError::Operand { index, name: table.op(op).name, why });
                            }
                            (a, JumpKind::No, 0, prefixes_for(w, a).max(ins.min_prefixes))
                        }
                        Operand::None => (0, JumpKind::No, 0, ins.min_prefixes),
                        Operand::Jump(l) => {
                            if f.jump == JumpKind::No {
                                let why = format!("does not jump, but has label {} as argument", l.0);
                                return Err(AsmError::Operand { index, name: table.op(op).name, why });
                            }
                            self.jumps.push(index as u32);
                            (0, f.jump, l.0, 0)
                        }
                    };
                    let caches = if w { f.caches } else { 0 };
                    let has_arg = f.has_arg || arg != 0;
                    let base = if w {
                        2 * (1 + u16::from(caches))
                    } else if has_arg {
                        3
                    } else {
                        1
                    };
                    self.slots.push(Slot {
                        arg,
                        target,
                        base,
                        op,
                        jump,
                        has_arg,
                        caches,
                        prefixes,
                        min_prefixes: ins.min_prefixes,
                    });
                }
            }
        }
        Ok(())
    }

    /// Resolves each jump's label to its instruction, switching a relative
    /// jump to its sibling when the label lies the other way, and gives it
    /// its initial prefixes.
    // Kept out of line: inlined into a caller's loop over many code objects
    // it costs more (register pressure) than the call.
    #[inline(never)]
    fn resolve_targets(&mut self, layout: &Layout, table: &OpcodeTable) -> Result<(), AsmError> {
        let v = layout.v;
        let facts = layout.facts;
        let mut slots = std::mem::take(&mut self.slots);
        let mut result = Ok(());
        for &j in &self.jumps {
            let index = j as usize;
            let s = &mut slots[index];
            let t = match self.label(index, Label(s.target)) {
                Ok(t) => t,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            s.target = t as u32;
            // 3.13+: a jump starts with its target's instruction index as
            // argument.
            let initial = if layout.index_start { u32::try_from(t).unwrap_or(u32::MAX) } else { 0 };
            s.prefixes = prefixes_for(layout.wordcode, initial).max(s.min_prefixes);
            if !matches!(s.jump, JumpKind::Forward | JumpKind::Backward) {
                continue;
            }
            // A label at or before the jump is behind it.
            let want = if t <= index { JumpKind::Backward } else { JumpKind::Forward };
            if want == s.jump {
                continue;
            }
            match sibling(table, s.op) {
                Some(other) if jump_kind(table, other) == want => {
                    s.op = other;
                    s.jump = want;
                    if layout.wordcode {
                        s.caches = facts[usize::from(other)].caches;
                        s.base = 2 * (1 + u16::from(s.caches));
                    }
                }
                _ => {
                    result = Err(AsmError::Direction {
                        index,
                        name: table.op(s.op).name,
                        direction: if want == JumpKind::Backward { "backward" } else { "forward" },
                        version: v,
                    });
                    break;
                }
            }
        }
        self.slots = slots;
        result
    }

    /// One pass: the bytes, the line table and the handlers.
    // Kept out of line: inlined into a caller's loop over many code objects
    // it costs more (register pressure) than the call.
    #[inline(never)]
    fn write(
        &mut self,
        layout: &Layout,
        table: &OpcodeTable,
        firstlineno: i32,
        items: &[Item],
        out: &mut Assembled,
    ) -> Result<(), AsmError> {
        let version = layout.v;
        let offsets = &self.offsets;
        let total = offsets.last().copied().unwrap_or(0) as usize;
        let code = &mut out.code;
        code.resize(total, 0);
        let ext = table.extended_arg;
        for (s, o) in self.slots.iter().zip(offsets.windows(2)) {
            let (start, end) = (o[0], o[1]);
            let arg = layout.jump_arg(s, start, end - start, offsets);
            // Within `size(s, s.prefixes)` bytes by construction.
            let Some(dst) = code.get_mut(start as usize..end as usize) else { break };
            let p = usize::from(s.prefixes);
            if layout.wordcode {
                if p == 0
                    && let [op, a, ..] = dst
                {
                    (*op, *a) = (s.op, arg as u8);
                    continue;
                }
                // Each prefix carries the next 8 bits of the argument, most
                // significant first.
                let bits = |k: usize| arg.checked_shr((8 * (p - k)) as u32).unwrap_or(0);
                for k in 0..p {
                    dst[2 * k] = ext;
                    dst[2 * k + 1] = bits(k) as u8;
                }
                dst[2 * p] = s.op;
                dst[2 * p + 1] = arg as u8;
            } else {
                // 16 bits per prefix.
                let bits = |k: usize| arg.checked_shr((16 * (p - k)) as u32).unwrap_or(0);
                for k in 0..p {
                    dst[3 * k] = ext;
                    dst[3 * k + 1..3 * k + 3].copy_from_slice(&(bits(k) as u16).to_le_bytes());
                }
                dst[3 * p] = s.op;
                if s.has_arg {
                    dst[3 * p + 1..3 * p + 3].copy_from_slice(&(arg as u16).to_le_bytes());
                }
            }
        }
        // The line table's input and the handlers, per instruction.
        let instrs = items.iter().filter_map(|i| match i {
            Item::Instr(x) => Some(x),
            Item::Label(_) => None,
        });
        let ranges = offsets.windows(2).zip(instrs);
        let mut locations = LocationWriter::new(version, firstlineno);
        if !layout.units {
            self.events.clear();
            let mut last_line = i64::from(firstlineno);
            for (o, ins) in ranges {
                if let Some(line) = ins.location.line_number()
                    && i64::from(line) != last_line
                {
                    self.events.push((u64::from(o[0]), i64::from(line)));
                    last_line = i64::from(line);
                }
            }
        } else if version == PythonVersion::PY310 {
            self.ranges.clear();
            for (o, ins) in ranges {
                let (start, end) = (o[0], o[1]);
                let line = ins.location.line_number().map(i64::from);
                match self.ranges.last_mut() {
                    Some(r) if r.line == line => r.end = end,
                    _ => self.ranges.push(LineRange { start, end, line }),
                }
            }
        } else {
            self.handlers.clear();
            let mut cached_handler: Option<(Label, u64)> = None;
            for (i, (o, ins)) in ranges.enumerate() {
                let (start, end) = (o[0], o[1]);
                locations.add(&mut out.linetable, (end - start) / 2, ins.location);
                if let Some(h) = ins.handler {
                    let target = match cached_handler {
                        Some((l, offset)) if l == h.target => offset,
                        _ => {
                            let offset = u64::from(offsets[self.label(i, h.target)?]);
                            cached_handler = Some((h.target, offset));
                            offset
                        }
                    };
                    let handler = Some((target, u64::from(h.depth), h.lasti));
                    self.handlers.instruction(u64::from(start), u64::from(end), handler);
                }
            }
        }
        if !layout.units {
            out.linetable = encode_line_table(version, firstlineno, &LineInput::Events(&self.events))?;
        } else if version == PythonVersion::PY310 {
            out.linetable = encode_line_table(version, firstlineno, &LineInput::Ranges(&self.ranges))?;
        } else {
            locations.finish(&mut out.linetable);
        }
        if version >= PythonVersion::PY311 {
            self.handlers.finish_into(&mut out.exceptiontable);
        }
        Ok(())
    }
}

/// Why `op` cannot stand in an instruction list of `v`.
fn bad_opcode(v: PythonVersion, table: &OpcodeTable, index: usize, op: u8) -> AsmError {
    let info = table.op(op);
    let why = if !info.defined {
        "not an opcode of this version"
    } else if op == table.extended_arg {
        "EXTENDED_ARG prefixes are implicit (see min_prefixes)"
    } else {
        "inline caches are written by the encoder"
    };
    AsmError::BadOpcode { index, opcode: op, version: v, why }
}

/// Sizes the prefixes to a fixpoint; fills each instruction's byte offset
/// and the end.
// Kept out of line: inlined into a caller's loop over many code objects
// it costs more (register pressure) than the call.
#[inline(never)]
fn resolve(
    layout: &Layout,
    slots: &mut [Slot],
    jumps: &[u32],
    offsets: &mut Vec<u32>,
) -> Result<(), AsmError> {
    let w = layout.wordcode;
    offsets.clear();
    offsets.resize(slots.len() + 1, 0);
    let max_rounds = 64 + 4 * slots.len();
    for _ in 0..max_rounds {
        let mut at = 0u32;
        for (o, s) in offsets.iter_mut().zip(slots.iter()) {
            *o = at;
            at = at.checked_add(layout.size(s, s.prefixes)).ok_or(AsmError::TooLarge)?;
        }
        offsets[slots.len()] = at;
        let mut changed = false;
        for &j in jumps {
            let i = j as usize;
            let s = &mut slots[i];
            let size = layout.size(s, s.prefixes);
            let arg = layout.jump_arg(s, offsets[i], size, offsets);
            let need = prefixes_for(w, arg).max(s.min_prefixes);
            let new = if layout.index_start { need } else { need.max(s.prefixes) };
            if new != s.prefixes {
                s.prefixes = new;
                changed = true;
            }
        }
        if !changed {
            return Ok(());
        }
    }
    Err(AsmError::NoFixpoint(max_rounds))
}
