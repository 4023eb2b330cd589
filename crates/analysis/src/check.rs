//! Consistency checks of a code object of unknown origin: what CPython's compiler always
//! gets right and a hand edit or a damaged file gets wrong.

use bytescope_code::Code;
use bytescope_code::exceptions::{parse_exception_table, parse_exception_table_strict};
use bytescope_code::lines::{LineTableFormat, check_line_table, co_lines};
use bytescope_opcodes::{Action, Operand};
use serde::Serialize;

use crate::cfg::Cfg;
use crate::depth::Graph;
use crate::{ProblemKind, StackDepths};

/// Most findings of one kind kept per code object.
const MAX_FINDINGS: usize = 64;

/// One thing found wrong with a code object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Byte offset of the instruction (or table entry's first instruction) concerned;
    /// `None` for the code object as a whole.
    pub offset: Option<u32>,
    /// What is wrong.
    #[serde(flatten)]
    pub kind: FindingKind,
}

/// What is wrong (see [`Finding`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// `co_stacksize` is smaller than the deepest the code's own stack goes: the interpreter
    /// would write past the frame's stack. Before 3.7 (2.7, 3.0–3.6), where the compiler's
    /// count is approximate, only a shortfall of more than 6 slots is reported.
    StacksizeTooSmall {
        /// `co_stacksize`.
        declared: i64,
        /// The deepest the code goes.
        needed: u32,
    },
    /// `co_stacksize` is not what this version's compiler computes for this code (only
    /// where that count is exact: 3.7+).
    StacksizeDiffers {
        /// `co_stacksize`.
        declared: i64,
        /// What the compiler computes.
        computed: u32,
    },
    /// A jump whose target is outside the code or inside an instruction.
    BadJumpTarget {
        /// The target offset in bytes.
        target: i64,
        /// `true` when the target is inside the code but not on an instruction.
        inside: bool,
    },
    /// An opcode this version does not have (or a runtime-only instrumented opcode).
    UnknownOpcode {
        /// The opcode byte.
        op: u8,
    },
    /// An argument indexing past the table it refers to.
    OperandOutOfRange {
        /// Which table: `consts`, `names`, `locals`, `free`.
        table: &'static str,
        /// The index.
        index: i64,
        /// The table's length.
        len: usize,
    },
    /// The exception table cannot be read, or is not one the compiler writes (3.11+).
    ExceptionTableMalformed {
        /// Why.
        reason: String,
    },
    /// An exception-table entry whose range is empty, outside the code, does not start or
    /// end on an instruction, or overlaps or precedes the entry before it.
    BadExceptionRange {
        /// First byte covered.
        start: u64,
        /// Byte just past the range.
        end: u64,
    },
    /// An exception-table entry whose handler is outside the code or inside an instruction.
    BadHandler {
        /// The handler offset in bytes.
        target: u64,
    },
    /// The line table is not one the compiler writes.
    LineTableMalformed {
        /// Why.
        reason: String,
    },
    /// The line table does not describe exactly the code: it stops short of its end, or
    /// runs past it.
    LineTableCoverage {
        /// Bytes of code the table covers.
        covered: u64,
        /// Length of the code.
        code_len: u64,
    },
    /// Code that no path from the entry reaches, in versions whose compiler removes dead
    /// code (3.10+; [`crate::StackRules::dead_code`]), and that is not a handler the
    /// compiler counted but left out of the exception table, nor (3.11+) what a `try` whose
    /// body compiled to nothing leaves (a run that begins as a handler or inside a table
    /// range).
    Unreachable {
        /// First byte.
        start: u32,
        /// Byte just past it.
        end: u32,
    },
    /// An instruction takes more items than the stack holds.
    Underflow {
        /// Depth before it.
        depth: u32,
        /// Items it takes.
        pops: i64,
    },
    /// Control runs past the last instruction.
    FallsOffEnd,
    /// The stack walk needed more steps than any real code does (depths growing round a
    /// loop).
    WalkLimit,
}

impl Finding {
    /// One line saying what is wrong.
    #[must_use]
    pub fn message(&self) -> String {
        match &self.kind {
            FindingKind::StacksizeTooSmall { declared, needed } => {
                format!("co_stacksize {declared} is too small: the code needs {needed}")
            }
            FindingKind::StacksizeDiffers { declared, computed } => {
                format!("co_stacksize {declared}, but the compiler computes {computed}")
            }
            FindingKind::BadJumpTarget { target, inside: true } => {
                format!("jump to {target}, inside an instruction")
            }
            FindingKind::BadJumpTarget { target, inside: false } => {
                format!("jump to {target}, outside the code")
            }
            FindingKind::UnknownOpcode { op } => format!("unknown opcode {op}"),
            FindingKind::OperandOutOfRange { table, index, len } => {
                format!("argument {index} out of range of {table} ({len} entries)")
            }
            FindingKind::ExceptionTableMalformed { reason } => format!("exception table malformed: {reason}"),
            FindingKind::BadExceptionRange { start, end } => {
                format!("exception-table entry {start} to {end} does not cover whole instructions in order")
            }
            FindingKind::BadHandler { target } => {
                format!("exception handler at {target}, not at an instruction")
            }
            FindingKind::LineTableMalformed { reason } => format!("line table malformed: {reason}"),
            FindingKind::LineTableCoverage { covered, code_len } => {
                format!("line table covers {covered} of {code_len} bytes of code")
            }
            FindingKind::Unreachable { start, end } => format!("unreachable code {start} to {end}"),
            FindingKind::Underflow { depth, pops } => {
                format!("stack underflow: takes {pops} item(s) from a stack of {depth}")
            }
            FindingKind::FallsOffEnd => "control runs past the end of the code".to_owned(),
            FindingKind::WalkLimit => "stack depths keep growing round a loop".to_owned(),
        }
    }
}

/// The checks' results for one code object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The `co_stacksize` this version's compiler computes.
    pub computed_stacksize: u32,
    /// The deepest the code's own stack goes (no compiler rule about folded constants).
    pub needed_stacksize: u32,
    /// What was found, by offset (code-object-wide findings first).
    pub findings: Vec<Finding>,
}

/// Everything the checks read.
pub(crate) struct Inputs<'a, 'i, 'c> {
    pub code: &'a Code<'a, 'a>,
    pub g: &'a Graph<'i, 'c>,
    pub cfg: &'a Cfg,
    /// The compiler's count, with its rules about folded constants.
    pub compiler: &'a StackDepths,
    /// The deepest the code itself goes.
    pub needed: u32,
    /// The count is the compiler's exactly ([`crate::StackRules::stacksize_exact`]).
    pub stacksize_exact: bool,
    pub exception_table: bool,
    /// The version's compiler leaves unreachable code ([`crate::StackRules::dead_code`]).
    pub dead_code: bool,
    /// The compiler's walk's depth before each instruction ([`crate::depth::UNREACHED`]
    /// where it never went): code it counted but that no path reaches is dead code the
    /// compiler left itself.
    pub before: &'a [i64],
}

fn push(out: &mut Vec<Finding>, offset: Option<u32>, kind: FindingKind) {
    let d = std::mem::discriminant(&kind);
    if out.iter().filter(|f| std::mem::discriminant(&f.kind) == d).count() < MAX_FINDINGS {
        out.push(Finding { offset, kind });
    }
}

pub(crate) fn run(x: &Inputs<'_, '_, '_>) -> CheckReport {
    let code = x.code;
    let mut out = Vec::new();
    let declared = i64::from(code.stacksize());
    // Before 3.7 the count is the compiler's order-dependent recursive walk, with slots
    // reserved on the fall-through of every SETUP_EXCEPT/SETUP_FINALLY that the code never
    // uses; the reconstruction can exceed CPython's by a few slots (3 of the 3.6 standard
    // library's 61,223 code objects, by 1 to 4). Only a shortfall beyond one block's
    // reservation is certain there.
    let slack = if x.stacksize_exact { 0 } else { 6 };
    if declared + slack < i64::from(x.needed) {
        push(&mut out, None, FindingKind::StacksizeTooSmall { declared, needed: x.needed });
    } else if x.stacksize_exact && declared != i64::from(x.compiler.stacksize) {
        push(&mut out, None, FindingKind::StacksizeDiffers { declared, computed: x.compiler.stacksize });
    }
    let code_len = code.code.len() as u64;
    let at = |t: i64| x.g.insns.binary_search_by_key(&t, |i| i64::from(i.offset)).is_ok();
    let inside = |t: i64| t >= 0 && (t as u64) < code_len;
    // Jumps, opcodes, operands.
    for (i, insn) in x.g.insns.iter().enumerate() {
        let sem = x.g.sems[i];
        let off = Some(insn.offset);
        if sem.action == Action::Unknown || sem.stack.is_none() {
            push(&mut out, off, FindingKind::UnknownOpcode { op: insn.opcode });
            continue;
        }
        if sem.flow.jumps()
            && let Some(t) = crate::insn::target(insn)
            && !at(t)
        {
            push(&mut out, off, FindingKind::BadJumpTarget { target: t, inside: inside(t) });
        }
        if let Some((table, index, len)) = operand_out_of_range(code, sem.operand, insn.arg.unwrap_or(0)) {
            push(&mut out, off, FindingKind::OperandOutOfRange { table, index, len });
        }
    }
    // The stack walk's own findings (underflow, running off the end, endless growth).
    for p in &x.compiler.problems {
        let kind = match p.kind {
            ProblemKind::Underflow { depth, pops } => FindingKind::Underflow { depth, pops },
            ProblemKind::FallsOffEnd => FindingKind::FallsOffEnd,
            ProblemKind::WalkLimit => FindingKind::WalkLimit,
            _ => continue,
        };
        push(&mut out, Some(p.offset), kind);
    }
    if x.exception_table {
        exception_table(x, &at, &mut out);
    }
    line_table(code, &mut out);
    unreachable(x, &mut out);
    out.sort_by_key(|f| f.offset.map_or(-1, i64::from));
    CheckReport { computed_stacksize: x.compiler.stacksize, needed_stacksize: x.needed, findings: out }
}

/// The table an operand indexes, the index and the table's length, when out of range.
fn operand_out_of_range(
    code: &Code<'_, '_>,
    operand: Operand,
    arg: i64,
) -> Option<(&'static str, i64, usize)> {
    let names = code.names.len();
    let (table, index, len, ok) = match operand {
        Operand::Const => ("consts", arg, code.consts.len(), None),
        Operand::Name => ("names", arg, names, None),
        Operand::NameNull | Operand::AttrMethod => ("names", arg >> 1, names, None),
        Operand::SuperAttr | Operand::ImportName => ("names", arg >> 2, names, None),
        Operand::Local => {
            let ok = usize::try_from(arg).ok().and_then(|i| code.local_name(i)).is_some();
            ("locals", arg, local_count(code), Some(ok))
        }
        Operand::LocalPair => {
            let (a, b) = (arg >> 4, arg & 15);
            let ok = |i: i64| usize::try_from(i).ok().and_then(|i| code.local_name(i)).is_some();
            let bad = if ok(a) { b } else { a };
            ("locals", bad, local_count(code), Some(ok(a) && ok(b)))
        }
        Operand::Free => {
            let ok = usize::try_from(arg).ok().and_then(|i| code.free_name(i)).is_some();
            let len = if code.localsplus.is_empty() {
                code.cellvars.len() + code.freevars.len()
            } else {
                code.localsplus.len()
            };
            ("free", arg, len, Some(ok))
        }
        _ => return None,
    };
    let ok = ok.unwrap_or_else(|| usize::try_from(index).is_ok_and(|i| i < len));
    (!ok).then_some((table, index, len))
}

fn local_count(code: &Code<'_, '_>) -> usize {
    if code.localsplus.is_empty() { code.varnames.len() } else { code.localsplus.len() }
}

fn exception_table(x: &Inputs<'_, '_, '_>, at: &dyn Fn(i64) -> bool, out: &mut Vec<Finding>) {
    let code = x.code;
    if let Err(e) = parse_exception_table_strict(code.exceptiontable) {
        push(out, None, FindingKind::ExceptionTableMalformed { reason: e.to_string() });
    }
    let Ok(entries) = parse_exception_table(code.exceptiontable) else { return };
    let code_len = code.code.len() as u64;
    let first_at = |o: u64| {
        let k = x.g.insns.partition_point(|i| u64::from(i.offset) < o);
        x.g.insns.get(k).map(|i| i.offset)
    };
    let mut prev_end = 0u64;
    for e in &entries {
        let boundary = |o: u64| o == code_len || i64::try_from(o).is_ok_and(at);
        let ordered = e.start >= prev_end;
        if e.start >= e.end || e.end > code_len || !boundary(e.start) || !boundary(e.end) || !ordered {
            push(out, first_at(e.start), FindingKind::BadExceptionRange { start: e.start, end: e.end });
        }
        prev_end = prev_end.max(e.end);
        let t = i64::try_from(e.target).unwrap_or(i64::MAX);
        if !at(t) {
            push(out, first_at(e.start), FindingKind::BadHandler { target: e.target });
        }
    }
}

fn line_table(code: &Code<'_, '_>, out: &mut Vec<Finding>) {
    let v = code.version();
    if let Err(e) = check_line_table(v, code.linetable) {
        push(out, None, FindingKind::LineTableMalformed { reason: e.to_string() });
        return;
    }
    let code_len = code.code.len() as u64;
    let covered = match LineTableFormat::for_version(v) {
        // ≤3.9: the lnotab's address increments may stop anywhere before the end (the last
        // line runs on), but not past it.
        LineTableFormat::Lnotab { .. } => {
            let sum: u64 = code.linetable.chunks_exact(2).map(|p| u64::from(p[0])).sum();
            if sum <= code_len {
                return;
            }
            sum
        }
        _ => co_lines(v, code.code.len(), code.firstlineno(), code.linetable)
            .last()
            .map_or(0, |r| u64::from(r.end)),
    };
    if covered != code_len {
        push(out, None, FindingKind::LineTableCoverage { covered, code_len });
    }
}

fn unreachable(x: &Inputs<'_, '_, '_>, out: &mut Vec<Finding>) {
    if x.dead_code {
        return;
    }
    let cfg = x.cfg;
    let mut k = 0;
    while k < cfg.blocks.len() {
        if cfg.blocks[k].reachable {
            k += 1;
            continue;
        }
        // A run of unreachable blocks is one finding; blocks the compiler's own depth walk
        // counted (handlers whose table entry the compiler dropped from 3.11) are the
        // compiler's dead code.
        // So are, from 3.11, runs that begin as a handler or inside an exception-table range:
        // what is left of a `try` whose body compiled to nothing (`try: pass`, an
        // `except … as e:` ending in `continue`), handlers and cleanups the compiler keeps.
        let start = k;
        let mut counted = true;
        let first = &cfg.blocks[k];
        let covered = !x.g.exceptions.is_empty()
            && (first.handler
                || (first.first..first.first + first.len)
                    .all(|i| x.g.entry_of.get(i as usize).is_some_and(Option::is_some)));
        while k < cfg.blocks.len() && !cfg.blocks[k].reachable {
            let b = &cfg.blocks[k];
            counted &= x.before.get(b.first as usize).is_some_and(|&d| d != crate::depth::UNREACHED);
            k += 1;
        }
        counted |= covered;
        if counted {
            continue;
        }
        let (first, last) = (&cfg.blocks[start], &cfg.blocks[k - 1]);
        push(out, Some(first.start), FindingKind::Unreachable { start: first.start, end: last.end });
    }
}
