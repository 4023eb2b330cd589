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

use bytescope_code::exceptions::parse_exception_table;
use bytescope_code::lines::{co_lines, position_ranges_in};
use bytescope_pyc::PythonVersion;

use crate::assemble::{Handler, Instruction, Item, JumpKind, Label, Location, Operand, op_facts};
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

#[derive(Debug, Clone, Copy)]
struct Raw {
    start: u32,
    end: u32,
    op: u8,
    arg: u32,
    has_arg: bool,
    prefixes: u8,
    /// Index of the jump target (`u32::MAX`: not a jump).
    target: u32,
    /// Index of the handler's first instruction (`u32::MAX`: none).
    handler: u32,
    depth: u32,
    lasti: bool,
    /// Whether a label stands before this instruction.
    label: u32,
}

/// [`lift`] with working memory kept between calls.
#[derive(Debug, Default)]
pub struct Lifter {
    raws: Vec<Raw>,
    ranges: Vec<bytescope_code::lines::PositionRange>,
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
        let mut raws = std::mem::take(&mut self.raws);
        raws.clear();
        let r = lift_raws(code, &mut raws, &mut self.ranges, items);
        self.raws = raws;
        r
    }
}

fn lift_raws(
    code: &CodeObject,
    raws: &mut Vec<Raw>,
    ranges: &mut Vec<bytescope_code::lines::PositionRange>,
    items: &mut Vec<Item>,
) -> Result<(), LiftError> {
    let v = code.version;
    let table = bytescope_opcodes::table(v).ok_or(LiftError::NoOpcodes(v))?;
    let wordcode = v >= PythonVersion::PY36;
    let bytes = &code.code;
    let facts = op_facts(v);
    // Decode.
    raws.reserve(bytes.len() / 2);
    let mut at = 0usize;
    while at < bytes.len() {
        let start = at;
        let (mut arg, mut prefixes) = (0u32, 0u8);
        let unsupported = |why| LiftError::Unsupported { offset: start as u64, why };
        loop {
            let op = bytes[at];
            let info = facts[usize::from(op)];
            if wordcode {
                let Some(&b) = bytes.get(at + 1) else { return Err(unsupported("truncated instruction")) };
                arg = arg << 8 | u32::from(b);
                at += 2;
                if op == table.extended_arg {
                    prefixes += 1;
                    if prefixes > 3 || at >= bytes.len() {
                        return Err(unsupported("EXTENDED_ARG chain the encoder cannot write"));
                    }
                    continue;
                }
                if !info.writable {
                    return Err(unsupported("not an opcode the encoder writes"));
                }
                let caches = 2 * usize::from(info.caches);
                if at + caches > bytes.len() {
                    return Err(unsupported("truncated inline caches"));
                }
                at += caches;
                raws.push(Raw {
                    start: start as u32,
                    end: at as u32,
                    op,
                    arg,
                    has_arg: info.has_arg,
                    prefixes,
                    ..BLANK
                });
                break;
            }
            at += 1;
            if !info.has_arg {
                if prefixes > 0 {
                    return Err(unsupported("EXTENDED_ARG before an instruction without argument"));
                }
                if !info.writable {
                    return Err(unsupported("not an opcode of this version"));
                }
                raws.push(Raw {
                    start: start as u32,
                    end: at as u32,
                    op,
                    arg: 0,
                    has_arg: false,
                    prefixes,
                    ..BLANK
                });
                break;
            }
            let (Some(&lo), Some(&hi)) = (bytes.get(at), bytes.get(at + 1)) else {
                return Err(unsupported("truncated instruction"));
            };
            at += 2;
            arg = arg << 16 | u32::from(u16::from_le_bytes([lo, hi]));
            if op == table.extended_arg {
                prefixes += 1;
                if prefixes > 1 || at >= bytes.len() {
                    return Err(unsupported("EXTENDED_ARG chain the encoder cannot write"));
                }
                continue;
            }
            if !info.writable {
                return Err(unsupported("not an opcode of this version"));
            }
            raws.push(Raw { start: start as u32, end: at as u32, op, arg, has_arg: true, prefixes, ..BLANK });
            break;
        }
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
    for i in 0..n_raws {
        let r = raws[i];
        let kind = facts[usize::from(r.op)].jump;
        if kind == JumpKind::No {
            continue;
        }
        let caches = 2 * i64::from(facts[usize::from(r.op)].caches);
        let a = i64::from(r.arg);
        let op_end = i64::from(r.end) - if wordcode { caches } else { 0 };
        let base = if v >= PythonVersion::PY312 { i64::from(r.end) } else { op_end };
        let t = match kind {
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
            Some(x) => x.label = 1,
            None => end_label = true,
        }
    }
    // Handlers.
    if v >= PythonVersion::PY311 {
        let entries = parse_exception_table(&code.exceptiontable)
            .map_err(|e| LiftError::ExceptionTable(e.to_string()))?;
        for e in entries {
            let t = i64::try_from(e.target).unwrap_or(i64::MAX);
            let target = index_of(raws, t).ok_or(LiftError::BadTarget {
                what: "exception handler",
                offset: e.start,
                target: t,
            })?;
            let depth = u32::try_from(e.depth).map_err(|_| LiftError::Unsupported {
                offset: e.start,
                why: "exception handler depth beyond 32 bits",
            })?;
            let first = raws.partition_point(|r| u64::from(r.start) < e.start);
            for r in &mut raws[first..] {
                if u64::from(r.start) >= e.end {
                    break;
                }
                (r.handler, r.depth, r.lasti) = (target as u32, depth, e.lasti);
            }
            match raws.get_mut(target) {
                Some(x) => x.label = 1,
                None => end_label = true,
            }
        }
    }
    // Labels are numbered by the instruction they stand before (index + 1;
    // the end of the code is `raws.len() + 1`): no extra pass.
    let label = |i: u32| Label(i + 1);
    let mut cursor = Locations::new(code, ranges);
    items.reserve(n_raws + n_raws / 8 + 1);
    for (i, r) in raws.iter().enumerate() {
        if r.label != 0 {
            items.push(Item::Label(label(i as u32)));
        }
        let is_jump = r.target != u32::MAX;
        let operand = if is_jump {
            Operand::Jump(label(r.target))
        } else if r.has_arg || r.arg != 0 {
            Operand::Arg(r.arg)
        } else {
            Operand::None
        };
        let needed = if wordcode {
            u8::from(r.arg > 0xff) + u8::from(r.arg > 0xffff) + u8::from(r.arg > 0xff_ffff)
        } else {
            u8::from(r.arg > 0xffff)
        };
        items.push(Item::Instr(Instruction {
            opcode: r.op,
            operand,
            location: cursor.at(r.start),
            handler: (r.handler != u32::MAX).then(|| Handler {
                target: label(r.handler),
                depth: r.depth,
                lasti: r.lasti,
            }),
            // Up to 3.9 a jump keeps its prefixes: the peephole optimizer
            // rewrote assembled bytecode without ever shrinking a jump, so
            // a prefix its argument needed before may now be needed only
            // because of its own size (the larger of two fixpoints). From
            // 3.10 the assembler's own fixpoint is reproduced exactly.
            min_prefixes: if r.prefixes > needed || is_jump && !units { r.prefixes } else { 0 },
        }));
    }
    *ranges = cursor.into_buffer();
    if end_label {
        items.push(Item::Label(label(n_raws as u32)));
    }
    Ok(())
}

const BLANK: Raw = Raw {
    start: 0,
    end: 0,
    op: 0,
    arg: 0,
    has_arg: false,
    prefixes: 0,
    target: u32::MAX,
    handler: u32::MAX,
    depth: 0,
    lasti: false,
    label: 0,
};

/// Each instruction's location, for instructions in code order: its first
/// unit's positions (3.11+), or its line (≤3.10).
enum Locations {
    Positions {
        ranges: Vec<bytescope_code::lines::PositionRange>,
        k: usize,
    },
    Lines {
        ranges: Vec<bytescope_code::lines::LineRange>,
        k: usize,
        buffer: Vec<bytescope_code::lines::PositionRange>,
    },
}

impl Locations {
    fn new(code: &CodeObject, buf: &mut Vec<bytescope_code::lines::PositionRange>) -> Locations {
        let v = code.version;
        let buffer = std::mem::take(buf);
        if v >= PythonVersion::PY311 {
            let ranges = position_ranges_in(v, code.code.len(), code.firstlineno, &code.linetable, buffer);
            Locations::Positions { ranges, k: 0 }
        } else {
            let ranges = co_lines(v, code.code.len(), code.firstlineno, &code.linetable);
            Locations::Lines { ranges, k: 0, buffer }
        }
    }

    fn at(&mut self, start: u32) -> Location {
        match self {
            Locations::Positions { ranges, k } => {
                while *k < ranges.len() && ranges[*k].end <= start {
                    *k += 1;
                }
                ranges.get(*k).filter(|x| x.start <= start).map_or(Location::NONE, |x| x.positions.into())
            }
            Locations::Lines { ranges, k, .. } => {
                while *k < ranges.len() && ranges[*k].end <= start {
                    *k += 1;
                }
                let line = ranges.get(*k).filter(|x| x.start <= start).and_then(|x| x.line);
                Location::line(line.and_then(|l| i32::try_from(l).ok()).unwrap_or(-1))
            }
        }
    }

    fn into_buffer(self) -> Vec<bytescope_code::lines::PositionRange> {
        match self {
            Locations::Positions { ranges, .. } | Locations::Lines { buffer: ranges, .. } => ranges,
        }
    }
}
