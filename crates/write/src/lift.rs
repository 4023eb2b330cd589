//! The inverse of [`assemble`](crate::assemble()): a code object's
//! `co_code` and tables as labelled instructions, so that unedited code
//! assembles back to the same bytes.
//!
//! `EXTENDED_ARG` prefixes fold into the instruction they extend (more of
//! them than the argument needs, and up to 3.9 every prefix of a jump, are
//! kept as
//! [`Instruction::min_prefixes`](crate::Instruction::min_prefixes)), inline
//! caches are dropped (the encoder writes them), jump targets and handlers
//! become labels, and each instruction takes the location of its first code
//! unit.

use bytescope_code::exceptions::{ExceptionEntry, parse_exception_table_in};
use bytescope_code::lines::{LocationEntries, LocationEntry, co_lines};
use bytescope_pyc::PythonVersion;

use crate::assemble::{Handler, Instruction, Item, JumpKind, Label, Location, OpFacts, Operand, op_facts};
use crate::code::CodeObject;

/// Why code could not be turned into instructions that assemble back to it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LiftError {
    /// bytescope has no opcode table for the version.
    #[error("no opcode table for Python {0}")]
    NoOpcodes(PythonVersion),
    /// A jump or handler target that is not the start of an instruction.
    #[error("{what} at offset {offset} targets offset {target}, which is not the start of an instruction")]
    BadTarget {
        /// `"jump"` or `"exception handler"`.
        what: &'static str,
        /// The instruction's offset.
        offset: u64,
        /// The target.
        target: i64,
    },
    /// Code the encoder cannot reproduce (a trailing `EXTENDED_ARG`, a
    /// truncated instruction, an opcode the version does not define).
    #[error("offset {offset}: {why}")]
    Unsupported {
        /// The offset.
        offset: u64,
        /// What.
        why: &'static str,
    },
    /// The exception table does not parse.
    #[error("the exception table does not parse: {0}")]
    ExceptionTable(String),
}

/// One decoded instruction (its end is the next one's start).
#[derive(Debug, Clone, Copy)]
struct Raw {
    start: u32,
    arg: u32,
    /// Index of the jump target (`u32::MAX`: not a jump).
    target: u32,
    /// Index of the covering exception-table entry (`u32::MAX`: none).
    handler: u32,
    op: u8,
    prefixes: u8,
    /// Whether `dis` reads an argument.
    has_arg: bool,
    /// Whether a label stands before this instruction.
    label: bool,
}

/// [`lift`] with working memory kept between calls.
#[derive(Debug, Default)]
pub struct Lifter {
    raws: Vec<Raw>,
    /// Number of labels before instructions.
    labels: usize,
    /// Indices of the jumps in `raws`.
    jumps: Vec<u32>,
    entries: Vec<ExceptionEntry>,
}

/// The instructions of `code` with labels for every jump and handler
/// target, which [`assemble`](crate::assemble()) turns back into the same
/// `co_code` (and, 3.10+, the same tables).
///
/// # Errors
/// A [`LiftError`] for code the encoder could not reproduce.
pub fn lift(code: &CodeObject) -> Result<Vec<Item>, LiftError> {
    let mut items = Vec::new();
    Lifter::default().lift_into(code, &mut items)?;
    Ok(items)
}

impl Lifter {
    /// A new lifter.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// [`lift`] into `items` (emptied first).
    ///
    /// # Errors
    /// As [`lift`].
    pub fn lift_into(&mut self, code: &CodeObject, items: &mut Vec<Item>) -> Result<(), LiftError> {
        items.clear();
        self.raws.clear();
        self.jumps.clear();
        self.labels = 0;
        let end_label = self.decode(code)?;
        emit_items(code, &self.raws, self.labels, &self.entries, end_label, items);
        Ok(())
    }

    /// Decodes `code` into `raws`, resolves jump and handler targets to
    /// instruction indices and marks them; returns whether a label stands
    /// at the end of the code.
    // Kept out of line: inlined into a caller's loop over many code objects
    // it costs more (register pressure) than the call.
    #[inline(never)]
    fn decode(&mut self, code: &CodeObject) -> Result<bool, LiftError> {
        let v = code.version;
        let table = bytescope_opcodes::table(v).ok_or(LiftError::NoOpcodes(v))?;
        let wordcode = v >= PythonVersion::PY36;
        let bytes = &code.code[..];
        let facts = op_facts(v);
        let (raws, jumps) = (&mut self.raws, &mut self.jumps);
        raws.reserve(bytes.len() / 2);
        if wordcode {
            decode_wordcode(bytes, table.extended_arg, facts, raws, jumps)?;
        } else {
            decode_bytecode(bytes, table.extended_arg, facts, raws, jumps)?;
        }
        let n_raws = raws.len();
        let index_of = |raws: &[Raw], offset: i64| -> Option<usize> {
            if offset == bytes.len() as i64 {
                return Some(n_raws);
            }
            raws.binary_search_by_key(&offset, |r| i64::from(r.start)).ok()
        };
        // Jump targets (as bytescope-dis computes them).
        let units = v >= PythonVersion::PY310;
        let unit = if units { 2i64 } else { 1 };
        let mut end_label = false;
        for &j in jumps.iter() {
            let i = j as usize;
            let r = raws[i];
            let f = facts[usize::from(r.op)];
            let end = raws.get(i + 1).map_or(bytes.len() as i64, |n| i64::from(n.start));
            let a = i64::from(r.arg);
            let op_end = end - if wordcode { 2 * i64::from(f.caches) } else { 0 };
            let base = if v >= PythonVersion::PY312 { end } else { op_end };
            let t = match f.jump {
                JumpKind::Absolute => a * unit,
                JumpKind::Forward => base + a * unit,
                _ => base - a * unit,
            };
            let target = index_of(raws, t).ok_or(LiftError::BadTarget {
                what: "jump",
                offset: u64::from(r.start),
                target: t,
            })?;
            raws[i].target = target as u32;
            match raws.get_mut(target) {
                Some(x) => {
                    self.labels += usize::from(!x.label);
                    x.label = true;
                }
                None => end_label = true,
            }
        }
        // Handlers: each instruction takes the last entry that covers it.
        self.entries.clear();
        if v >= PythonVersion::PY311 {
            self.entries = parse_exception_table_in(&code.exceptiontable, std::mem::take(&mut self.entries))
                .map_err(|e| LiftError::ExceptionTable(e.to_string()))?;
            for (k, e) in self.entries.iter_mut().enumerate() {
                let t = i64::try_from(e.target).unwrap_or(i64::MAX);
                let target = index_of(raws, t).ok_or(LiftError::BadTarget {
                    what: "exception handler",
                    offset: e.start,
                    target: t,
                })?;
                if u32::try_from(e.depth).is_err() {
                    return Err(LiftError::Unsupported {
                        offset: e.start,
                        why: "exception handler depth beyond 32 bits",
                    });
                }
                // From here on the entry's target is the instruction index.
                e.target = target as u64;
                let first = raws.partition_point(|r| u64::from(r.start) < e.start);
                for r in &mut raws[first..] {
                    if u64::from(r.start) >= e.end {
                        break;
                    }
                    r.handler = k as u32;
                }
                match raws.get_mut(target) {
                    Some(x) => {
                        self.labels += usize::from(!x.label);
                        x.label = true;
                    }
                    None => end_label = true,
                }
            }
        }
        Ok(end_label)
    }
}

/// Decodes 3.6+ wordcode into `raws` (and the jumps' indices into `jumps`):
/// one flat loop over code units, prefixes folded into the instruction
/// they extend, caches skipped.
fn decode_wordcode(
    bytes: &[u8],
    ext: u8,
    facts: &[OpFacts; 256],
    raws: &mut Vec<Raw>,
    jumps: &mut Vec<u32>,
) -> Result<(), LiftError> {
    let (mut at, mut start) = (0usize, 0usize);
    let (mut arg, mut prefixes) = (0u32, 0u8);
    let unsupported = |start: usize, why| LiftError::Unsupported { offset: start as u64, why };
    while let Some(&op) = bytes.get(at) {
        let Some(&b) = bytes.get(at + 1) else { return Err(unsupported(start, "truncated instruction")) };
        arg = arg << 8 | u32::from(b);
        at += 2;
        if op == ext {
            prefixes += 1;
            if prefixes > 3 || at >= bytes.len() {
                return Err(unsupported(start, "EXTENDED_ARG chain the encoder cannot write"));
            }
            continue;
        }
        let info = facts[usize::from(op)];
        if !info.writable {
            return Err(unsupported(start, "not an opcode the encoder writes"));
        }
        at += 2 * usize::from(info.caches);
        if at > bytes.len() {
            return Err(unsupported(start, "truncated inline caches"));
        }
        push_raw(raws, jumps, start, arg, op, prefixes, info);
        (start, arg, prefixes) = (at, 0, 0);
    }
    Ok(())
}

/// Appends the instruction `op arg` at `start` (its target, handler and
/// label not known yet) to `raws`, and its index to `jumps` if it jumps.
#[inline]
fn push_raw(
    raws: &mut Vec<Raw>,
    jumps: &mut Vec<u32>,
    start: usize,
    arg: u32,
    op: u8,
    prefixes: u8,
    info: OpFacts,
) {
    if info.jump != JumpKind::No {
        jumps.push(raws.len() as u32);
    }
    raws.push(Raw {
        start: start as u32,
        arg,
        target: u32::MAX,
        handler: u32::MAX,
        op,
        prefixes,
        has_arg: info.has_arg,
        label: false,
    });
}

/// Decodes pre-3.6 bytecode (1 or 3 bytes an instruction) into `raws`.
fn decode_bytecode(
    bytes: &[u8],
    ext: u8,
    facts: &[OpFacts; 256],
    raws: &mut Vec<Raw>,
    jumps: &mut Vec<u32>,
) -> Result<(), LiftError> {
    let mut at = 0usize;
    while at < bytes.len() {
        let start = at;
        let (mut arg, mut prefixes) = (0u32, 0u8);
        let unsupported = |why| LiftError::Unsupported { offset: start as u64, why };
        loop {
            let op = bytes[at];
            let info = facts[usize::from(op)];
            at += 1;
            if !info.has_arg {
                if prefixes > 0 {
                    return Err(unsupported("EXTENDED_ARG before an instruction without argument"));
                }
                if !info.writable {
                    return Err(unsupported("not an opcode of this version"));
                }
            } else {
                let (Some(&lo), Some(&hi)) = (bytes.get(at), bytes.get(at + 1)) else {
                    return Err(unsupported("truncated instruction"));
                };
                at += 2;
                arg = arg << 16 | u32::from(u16::from_le_bytes([lo, hi]));
                if op == ext {
                    prefixes += 1;
                    if prefixes > 1 || at >= bytes.len() {
                        return Err(unsupported("EXTENDED_ARG chain the encoder cannot write"));
                    }
                    continue;
                }
                if !info.writable {
                    return Err(unsupported("not an opcode of this version"));
                }
            }
            push_raw(raws, jumps, start, arg, op, prefixes, info);
            break;
        }
    }
    Ok(())
}

/// Labels are numbered by the instruction they stand before (index + 1;
/// the end of the code is `raws.len() + 1`): no extra pass.
fn label(i: u32) -> Label {
    Label(i + 1)
}

/// The items of decoded instructions, each with its location.
// Kept out of line: inlined into a caller's loop over many code objects
// it costs more (register pressure) than the call.
#[inline(never)]
fn emit_items(
    code: &CodeObject,
    raws: &[Raw],
    labels: usize,
    entries: &[ExceptionEntry],
    end_label: bool,
    items: &mut Vec<Item>,
) {
    let v = code.version;
    let wordcode = v >= PythonVersion::PY36;
    let units = v >= PythonVersion::PY310;
    items.reserve(raws.len() + labels + 1);
    let item = |r: &Raw, location: Location| {
        let is_jump = r.target != u32::MAX;
        let operand = if is_jump {
            Operand::Jump(label(r.target))
        } else if r.arg != 0 || r.has_arg {
            Operand::Arg(r.arg)
        } else {
            Operand::None
        };
        let min_prefixes = if r.prefixes == 0 {
            0
        } else {
            let needed = if wordcode {
                u8::from(r.arg > 0xff) + u8::from(r.arg > 0xffff) + u8::from(r.arg > 0xff_ffff)
            } else {
                u8::from(r.arg > 0xffff)
            };
            // Up to 3.9 a jump keeps its prefixes: the peephole optimizer
            // rewrote assembled bytecode without ever shrinking a jump, so
            // a prefix its argument needed before may now be needed only
            // because of its own size (the larger of two fixpoints). From
            // 3.10 the assembler's own fixpoint is reproduced exactly.
            if r.prefixes > needed || is_jump && !units { r.prefixes } else { 0 }
        };
        let handler = entries.get(r.handler as usize).map(|e| Handler {
            target: label(e.target as u32),
            depth: e.depth as u32,
            lasti: e.lasti,
        });
        Instruction { opcode: r.op, operand, location, handler, min_prefixes }
    };
    if v >= PythonVersion::PY311 {
        // Each instruction takes the location of its first code unit: walk
        // the location table alongside.
        let mut table = LocationEntries::new(code.firstlineno, &code.linetable);
        // Past the table: covers nothing (offsets stay below i32::MAX).
        const PAST: LocationEntry =
            LocationEntry { start: u32::MAX, end: u32::MAX, line: -1, end_line: -1, col: -1, end_col: -1 };
        let as_location = |e: &LocationEntry| Location {
            line: e.line,
            end_line: e.end_line,
            col: e.col,
            end_col: e.end_col,
        };
        let mut cur = table.next().unwrap_or(PAST);
        let mut cur_location = as_location(&cur);
        for (i, r) in raws.iter().enumerate() {
            if cur.end <= r.start {
                while cur.end <= r.start {
                    cur = table.next().unwrap_or(PAST);
                }
                cur_location = as_location(&cur);
            }
            let location = if cur.start <= r.start { cur_location } else { Location::NONE };
            if r.label {
                items.push(Item::Label(label(i as u32)));
            }
            items.push(Item::Instr(item(r, location)));
        }
    } else {
        let ranges = co_lines(v, code.code.len(), code.firstlineno, &code.linetable);
        let mut k = 0;
        for (i, r) in raws.iter().enumerate() {
            while k < ranges.len() && ranges[k].end <= r.start {
                k += 1;
            }
            let line = ranges.get(k).filter(|x| x.start <= r.start).and_then(|x| x.line);
            let location = Location::line(line.and_then(|l| i32::try_from(l).ok()).unwrap_or(-1));
            if r.label {
                items.push(Item::Label(label(i as u32)));
            }
            items.push(Item::Instr(item(r, location)));
        }
    }
    if end_label {
        items.push(Item::Label(label(raws.len() as u32)));
    }
}
