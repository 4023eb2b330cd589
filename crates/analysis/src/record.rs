//! The JSON records of the analyses — `stack`, `cfg`, `check` and `diff
//! --json` — shared by the CLI and the Python package (`bytescope.analysis`)
//! so both write the same fields (schemas: `docs/schemas/*.schema.json`;
//! the CLI adds `path` and `member` to the per-code-object ones).

use serde::Serialize;

use crate::diff::{self, DiffCode, LoopSummary, Op};
use crate::{Cfg, CheckReport, Edge, Finding, Problem, StackDepths, StackRow};

/// One code object's stack analysis as a record.
#[derive(Serialize)]
pub struct StackRecord<'a> {
    /// Its qualified name.
    pub qualname: &'a str,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// The stored `co_stacksize`.
    pub co_stacksize: i32,
    /// The computed one.
    pub computed_stacksize: u32,
    /// Every instruction's row (left out for summaries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<Vec<StackRecordRow<'a>>>,
    /// What is wrong with the code.
    pub problems: &'a [Problem],
}

/// One instruction of a [`StackRecord`].
#[derive(Serialize)]
pub struct StackRecordRow<'a> {
    /// Byte offset of the opcode.
    pub offset: u32,
    /// The opcode's name.
    pub opname: &'static str,
    /// The folded argument.
    pub arg: Option<i64>,
    /// `dis`'s argument text.
    pub argrepr: &'a str,
    /// Depth before; `None` when unreachable.
    pub depth_before: Option<u32>,
    /// Depth after on the fall-through path.
    pub depth_after: Option<u32>,
    /// The symbolic stack after it.
    pub stack: &'a [String],
}

/// Each row's argument text as `dis` prints it (`Instruction.argrepr`; empty
/// where the listing has no instruction at the row's offset or the code cannot
/// be listed): the `argrepr` column of a [`StackRecord`] and of `bytescope
/// stack`'s text.
#[must_use]
pub fn argreprs(
    dis: &bytescope_dis::Disassembler,
    code: &bytescope_code::Code<'_, '_>,
    rows: &[StackRow],
) -> Vec<String> {
    let Ok(instructions) = dis.instructions(code) else { return vec![String::new(); rows.len()] };
    let mut by_offset = instructions.into_iter().peekable();
    rows.iter()
        .map(|r| {
            while by_offset.peek().is_some_and(|i| i.offset < r.offset) {
                by_offset.next();
            }
            match by_offset.peek() {
                Some(i) if i.offset == r.offset => i.argrepr.clone(),
                _ => String::new(),
            }
        })
        .collect()
}

impl<'a> StackRecord<'a> {
    /// The record of a code object named `qualname` with `firstlineno` and
    /// `co_stacksize`, its `depths`, and — unless a summary — its `rows` with
    /// each row's argument text in `argreprs` (same order).
    #[must_use]
    pub fn new(
        qualname: &'a str,
        firstlineno: i32,
        co_stacksize: i32,
        depths: &'a StackDepths,
        rows: Option<(&'a [StackRow], &'a [String])>,
    ) -> Self {
        StackRecord {
            qualname,
            firstlineno,
            co_stacksize,
            computed_stacksize: depths.stacksize,
            instructions: rows.map(|(rows, reprs)| {
                rows.iter()
                    .zip(reprs)
                    .map(|(r, a)| StackRecordRow {
                        offset: r.offset,
                        opname: r.opname,
                        arg: r.arg,
                        argrepr: a,
                        depth_before: r.depth_before,
                        depth_after: r.depth_after,
                        stack: &r.stack,
                    })
                    .collect()
            }),
            problems: &depths.problems,
        }
    }
}

/// One code object's control-flow graph as the `cfg --json` record.
#[derive(Serialize)]
pub struct CfgRecord<'a> {
    /// Its position among the file's code objects (pre-order).
    pub index: usize,
    /// Its qualified name.
    pub qualname: &'a str,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// The basic blocks, in code order.
    pub blocks: Vec<CfgBlockRecord<'a>>,
    /// Every edge.
    pub edges: &'a [Edge],
    /// The natural loops.
    pub loops: Vec<CfgLoopRecord<'a>>,
    /// Whether the loops were cut short by the work budget.
    pub loops_truncated: bool,
}

/// One basic block of a [`CfgRecord`].
#[derive(Serialize)]
pub struct CfgBlockRecord<'a> {
    /// Block number.
    pub id: u32,
    /// Offset of its first instruction.
    pub start: u32,
    /// Offset past its last instruction.
    pub end: u32,
    /// Offsets of its instructions.
    pub offsets: &'a [u32],
    /// Reachable from the entry.
    pub reachable: bool,
    /// An exception handler.
    pub handler: bool,
    /// Immediate dominator.
    pub idom: Option<u32>,
}

/// One loop of a [`CfgRecord`].
#[derive(Serialize)]
pub struct CfgLoopRecord<'a> {
    /// The header block.
    pub header: u32,
    /// Blocks with back edges to the header.
    pub latches: &'a [u32],
    /// Every block of the loop.
    pub blocks: &'a [u32],
    /// The enclosing loop.
    pub parent: Option<u32>,
    /// Nesting depth (1: outermost).
    pub depth: u32,
    /// Instructions one iteration runs.
    pub per_iteration: Option<PerIteration>,
}

/// Fewest and most instructions one loop iteration runs.
#[derive(Serialize)]
pub struct PerIteration {
    /// Fewest.
    pub min: u32,
    /// Most.
    pub max: u32,
}

impl<'a> CfgRecord<'a> {
    /// The record of code object number `index` (pre-order), named
    /// `qualname`, starting at `firstlineno`, whose graph is `cfg`.
    #[must_use]
    pub fn new(index: usize, qualname: &'a str, firstlineno: i32, cfg: &'a Cfg) -> Self {
        CfgRecord {
            index,
            qualname,
            firstlineno,
            blocks: cfg
                .blocks
                .iter()
                .map(|b| CfgBlockRecord {
                    id: b.id,
                    start: b.start,
                    end: b.end,
                    offsets: cfg.block_offsets(b),
                    reachable: b.reachable,
                    handler: b.handler,
                    idom: b.idom,
                })
                .collect(),
            edges: &cfg.edges,
            loops: cfg
                .loops
                .iter()
                .map(|l| CfgLoopRecord {
                    header: l.header,
                    latches: &l.latches,
                    blocks: &l.blocks,
                    parent: l.parent,
                    depth: l.depth,
                    per_iteration: l.per_iteration.map(|(min, max)| PerIteration { min, max }),
                })
                .collect(),
            loops_truncated: cfg.loops_truncated,
        }
    }
}

/// One code object's consistency checks as the `check --json` record.
#[derive(Serialize)]
pub struct CheckRecord<'a> {
    /// Its position among the file's code objects (pre-order).
    pub index: usize,
    /// Its qualified name.
    pub qualname: &'a str,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// The stored `co_stacksize`.
    pub co_stacksize: i32,
    /// What the version's compiler computes.
    pub computed_stacksize: u32,
    /// The deepest the code's own stack goes.
    pub needed_stacksize: u32,
    /// What was found.
    pub findings: Vec<FindingRecord<'a>>,
}

/// One finding of a [`CheckRecord`]: its fields and its message.
#[derive(Serialize)]
pub struct FindingRecord<'a> {
    /// The finding.
    #[serde(flatten)]
    pub finding: &'a Finding,
    /// What `bytescope check` prints for it.
    pub message: String,
}

impl<'a> CheckRecord<'a> {
    /// The record of code object number `index` (pre-order), named
    /// `qualname`, starting at `firstlineno`, declaring `co_stacksize`,
    /// checked in `report`.
    #[must_use]
    pub fn new(
        index: usize,
        qualname: &'a str,
        firstlineno: i32,
        co_stacksize: i32,
        report: &'a CheckReport,
    ) -> Self {
        CheckRecord {
            index,
            qualname,
            firstlineno,
            co_stacksize,
            computed_stacksize: report.computed_stacksize,
            needed_stacksize: report.needed_stacksize,
            findings: report
                .findings
                .iter()
                .map(|finding| FindingRecord { finding, message: finding.message() })
                .collect(),
        }
    }
}

/// A comparison as the `diff --json` record.
#[derive(Serialize)]
pub struct DiffRecord<'a> {
    /// The first side.
    pub a: DiffSideRecord<'a>,
    /// The second side.
    pub b: DiffSideRecord<'a>,
    /// Whether every pair's instructions are the same.
    pub same: bool,
    /// The code objects paired, with their alignment.
    pub pairs: Vec<DiffPairRecord<'a>>,
}

/// What one side of a [`DiffRecord`] is.
#[derive(Serialize)]
pub struct DiffSideRecord<'a> {
    /// The file (`<bytes>` for data).
    pub path: &'a str,
    /// The code object compared, when one was picked by name.
    pub qualname: Option<&'a str>,
    /// Its Python version (`3.12`).
    pub version: String,
}

/// Two paired code objects of a [`DiffRecord`] (one is missing when the
/// other side has no partner).
#[derive(Serialize)]
pub struct DiffPairRecord<'a> {
    /// The first side's qualified name.
    pub a: Option<&'a str>,
    /// The second side's.
    pub b: Option<&'a str>,
    /// The alignment.
    pub ops: &'a [Op],
    /// The first side's instructions as compared.
    pub a_instructions: Vec<&'a str>,
    /// The second side's.
    pub b_instructions: Vec<&'a str>,
    /// The first side's instruction count and loops.
    pub a_summary: Option<DiffSummary<'a>>,
    /// The second side's.
    pub b_summary: Option<DiffSummary<'a>>,
}

/// Instructions and loops of one code object of a diff.
#[derive(Serialize)]
pub struct DiffSummary<'a> {
    /// Instructions of the code object.
    pub instructions: usize,
    /// Its loops.
    pub loops: &'a [LoopSummary],
}

impl<'a> DiffRecord<'a> {
    /// The record of comparing `a_codes` (described by `a`) with `b_codes`
    /// (described by `b`), as [`diff::compare`] compared them.
    #[must_use]
    pub fn new(
        a: DiffSideRecord<'a>,
        b: DiffSideRecord<'a>,
        a_codes: &'a [DiffCode],
        b_codes: &'a [DiffCode],
        comparison: &'a diff::Comparison,
    ) -> Self {
        let summary =
            |c: &'a DiffCode| DiffSummary { instructions: c.side.instructions, loops: &c.side.loops };
        let texts = |c: Option<&'a DiffCode>| {
            c.map(|c| c.side.insns.iter().map(|x| x.text.as_str()).collect()).unwrap_or_default()
        };
        let pairs = comparison
            .pairs
            .iter()
            .zip(&comparison.ops)
            .map(|(&(i, j), ops)| {
                let sa = i.and_then(|i| a_codes.get(i));
                let sb = j.and_then(|j| b_codes.get(j));
                DiffPairRecord {
                    a: sa.map(|s| s.qualname.as_str()),
                    b: sb.map(|s| s.qualname.as_str()),
                    ops,
                    a_instructions: texts(sa),
                    b_instructions: texts(sb),
                    a_summary: sa.map(summary),
                    b_summary: sb.map(summary),
                }
            })
            .collect();
        DiffRecord { a, b, same: comparison.same, pairs }
    }
}
