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
use bytescope_code::lines::{Positions, co_lines, co_positions};
use bytescope_pyc::PythonVersion;

use crate::assemble::{Handler, Instruction, Item, JumpKind, Label, Operand, jump_kind};
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

struct Raw {
    start: u32,
    end: u32,
    op: u8,
    arg: u32,
    has_arg: bool,
    prefixes: u8,
}

/// The instructions of `code` with labels for every jump and handler
/// target, which [`assemble`](crate::assemble()) turns back into the same
/// `co_code` (and, 3.10+, the same tables).
///
/// # Errors
/// A [`LiftError`] for code the encoder could not reproduce.
pub fn lift(code: &CodeObject) -> Result<Vec<Item>, LiftError> {
    let v = code.version;
    let table = bytescope_opcodes::table(v).ok_or(LiftError::NoOpcodes(v))?;
    let wordcode = v >= PythonVersion::PY36;
    let bytes = &code.code;
    // Decode.
    let mut raws: Vec<Raw> = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let start = at;
        let (mut arg, mut prefixes) = (0u32, 0u8);
        let unsupported = |why| LiftError::Unsupported { offset: start as u64, why };
        loop {
            let op = bytes[at];
            let info = table.op(op);
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
                if !info.defined || info.name == "CACHE" {
                    return Err(unsupported("not an opcode the encoder writes"));
                }
                let caches = 2 * usize::from(info.cache_entries);
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
                });
                break;
            }
            at += 1;
            if !info.has_arg {
                if prefixes > 0 {
                    return Err(unsupported("EXTENDED_ARG before an instruction without argument"));
                }
                if !info.defined {
                    return Err(unsupported("not an opcode of this version"));
                }
                raws.push(Raw { start: start as u32, end: at as u32, op, arg: 0, has_arg: false, prefixes });
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
            if !info.defined {
                return Err(unsupported("not an opcode of this version"));
            }
            raws.push(Raw { start: start as u32, end: at as u32, op, arg, has_arg: true, prefixes });
            break;
        }
    }
    let index_of = |offset: i64| -> Option<usize> {
        if offset == bytes.len() as i64 {
            return Some(raws.len());
        }
        raws.binary_search_by_key(&offset, |r| i64::from(r.start)).ok()
    };
    // Jump targets (as bytescope-dis computes them).
    let units = v >= PythonVersion::PY310;
    let unit = if units { 2i64 } else { 1 };
    let mut targets: Vec<Option<usize>> = Vec::with_capacity(raws.len());
    for r in &raws {
        let kind = jump_kind(v, table, r.op);
        let caches = 2 * i64::from(table.op(r.op).cache_entries);
        let a = i64::from(r.arg);
        let op_end = i64::from(r.end) - if wordcode { caches } else { 0 };
        let base = if v >= PythonVersion::PY312 { i64::from(r.end) } else { op_end };
        let t = match kind {
            JumpKind::No => None,
            JumpKind::Absolute => Some(a * unit),
            JumpKind::Forward => Some(base + a * unit),
            JumpKind::Backward => Some(base - a * unit),
        };
        targets.push(match t {
            None => None,
            Some(t) => Some(index_of(t).ok_or(LiftError::BadTarget {
                what: "jump",
                offset: u64::from(r.start),
                target: t,
            })?),
        });
    }
    // Handlers.
    let mut handlers: Vec<Option<(usize, u32, bool)>> = vec![None; raws.len()];
    if v >= PythonVersion::PY311 {
        let entries = parse_exception_table(&code.exceptiontable)
            .map_err(|e| LiftError::ExceptionTable(e.to_string()))?;
        for e in entries {
            let t = i64::try_from(e.target).unwrap_or(i64::MAX);
            let target = index_of(t).ok_or(LiftError::BadTarget {
                what: "exception handler",
                offset: e.start,
                target: t,
            })?;
            let depth = u32::try_from(e.depth).map_err(|_| LiftError::Unsupported {
                offset: e.start,
                why: "exception handler depth beyond 32 bits",
            })?;
            for (i, r) in raws.iter().enumerate() {
                if u64::from(r.start) >= e.start && u64::from(r.start) < e.end {
                    handlers[i] = Some((target, depth, e.lasti));
                }
            }
        }
    }
    // Locations.
    let locations = locations(code, &raws);
    // Labels: one per targeted instruction, numbered in code order.
    let mut label_of: Vec<Option<u32>> = vec![None; raws.len() + 1];
    for t in targets.iter().flatten().chain(handlers.iter().flatten().map(|h| &h.0)) {
        label_of[*t] = Some(0);
    }
    let mut n = 0;
    for l in label_of.iter_mut().flatten() {
        n += 1;
        *l = n;
    }
    let label = |i: usize| Label(label_of[i].unwrap_or(0));
    let mut items = Vec::with_capacity(raws.len() + n as usize);
    for (i, r) in raws.iter().enumerate() {
        if label_of[i].is_some() {
            items.push(Item::Label(label(i)));
        }
        let operand = match targets[i] {
            Some(t) => Operand::Jump(label(t)),
            None if r.has_arg || r.arg != 0 => Operand::Arg(r.arg),
            None => Operand::None,
        };
        let needed = if wordcode {
            u8::from(r.arg > 0xff) + u8::from(r.arg > 0xffff) + u8::from(r.arg > 0xff_ffff)
        } else {
            u8::from(r.arg > 0xffff)
        };
        items.push(Item::Instr(Instruction {
            opcode: r.op,
            operand,
            location: locations[i],
            handler: handlers[i].map(|(t, depth, lasti)| Handler { target: label(t), depth, lasti }),
            // Up to 3.9 a jump keeps its prefixes: the peephole optimizer
            // rewrote assembled bytecode without ever shrinking a jump, so
            // a prefix its argument needed before may now be needed only
            // because of its own size (the larger of two fixpoints). From
            // 3.10 the assembler's own fixpoint is reproduced exactly.
            min_prefixes: if r.prefixes > needed || targets[i].is_some() && !units { r.prefixes } else { 0 },
        }));
    }
    if label_of[raws.len()].is_some() {
        items.push(Item::Label(label(raws.len())));
    }
    Ok(items)
}

/// Each instruction's location: its first unit's positions (3.11+), or its
/// line (≤3.10).
fn locations(code: &CodeObject, raws: &[Raw]) -> Vec<Positions> {
    let v = code.version;
    if v >= PythonVersion::PY311 {
        let per_unit = co_positions(v, code.code.len(), code.firstlineno, &code.linetable);
        return raws
            .iter()
            .map(|r| per_unit.get(r.start as usize / 2).copied().unwrap_or(Positions::NONE))
            .collect();
    }
    let ranges = co_lines(v, code.code.len(), code.firstlineno, &code.linetable);
    let mut k = 0;
    raws.iter()
        .map(|r| {
            while k < ranges.len() && ranges[k].end <= r.start {
                k += 1;
            }
            let line = ranges.get(k).filter(|x| x.start <= r.start).and_then(|x| x.line);
            let line = line.and_then(|l| i32::try_from(l).ok());
            Positions { line, ..Positions::NONE }
        })
        .collect()
}
