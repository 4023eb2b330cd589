//! Analyses over CPython instruction streams of every version (2.7, 3.0–3.15).
//!
//! The first is the stack analysis: for every code object, the stack depth before and after
//! each instruction, following jumps and exception handlers as that version's compiler
//! counts them, and the maximum — which reproduces CPython's own `co_stacksize` — plus a
//! symbolic stack, each slot shown as the short expression that produced it.
//!
//! Stack effects (pops and pushes per opcode, per path) come from the generated opcode tables
//! ([`bytescope_opcodes::Semantics`]); how each version's compiler walks its blocks, where
//! generators start and which constants the peephole optimizer folded afterwards are small
//! per-version [`StackRules`] values. Input is untrusted: crafted code (jump loops,
//! self-jumps, huge arguments, jumps outside the code, inconsistent depths) gives
//! [`Problem`]s and a bounded amount of work, never a panic or a hang.
//!
//! ```no_run
//! # fn demo(data: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let pyc = bytescope_marshal::load_pyc(data, None)?;
//! let analyzer = bytescope_analysis::StackAnalyzer::new(pyc.version())?;
//! for code in bytescope_code::code_objects(&pyc.marshal)? {
//!     let depths = analyzer.depths(&code);
//!     println!("{}: computed {}, declared {}", code.name, depths.stacksize, code.stacksize());
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod cfg;
mod check;
mod depth;
pub mod diff;
mod dom;
mod fold;
mod insn;
mod record;
pub mod render;
mod rules;
mod symbolic;

use bytescope_code::Code;
use bytescope_code::exceptions::parse_exception_table_in;
use bytescope_dis::Disassembler;
use bytescope_opcodes::OpcodeTable;
use bytescope_pyc::PythonVersion;

pub use cfg::{Block, Cfg, Edge, EdgeKind, Loop};
pub use check::{CheckReport, Finding, FindingKind};
pub use record::{
    CfgBlockRecord, CfgLoopRecord, CfgRecord, CheckRecord, DiffPairRecord, DiffRecord, DiffSideRecord,
    DiffSummary, FindingRecord, PerIteration, StackRecord, StackRecordRow, argreprs,
};
pub use rules::{Fold, NullSlot, StackRules, Walk};

/// Why an analyzer could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// No opcode table for this version.
    #[error(
        "analysis of Python {version} bytecode is not supported (bytescope knows 1.5, 2.0-2.7 and 3.0-3.15)"
    )]
    NoTable {
        /// The version.
        version: PythonVersion,
    },
    /// Bytecode of another implementation (PyPy): its compiler's blocks and
    /// stack counting are not modelled.
    #[error(
        "analysis of {implementation} bytecode is not supported (stack, control flow and checks model \
         CPython's compilers; bytescope dis lists the file)"
    )]
    Implementation {
        /// The implementation that wrote the file.
        implementation: bytescope_pyc::Implementation,
    },
}

/// Something the stack analysis found wrong with a code object (crafted or damaged code;
/// CPython's compiler never writes these).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Byte offset of the instruction concerned.
    pub offset: u32,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong (see [`Problem`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// A jump whose target is outside the code or inside an instruction.
    BadJumpTarget {
        /// The target offset in bytes.
        target: i64,
    },
    /// An exception-table entry whose handler is outside the code or inside an instruction.
    BadHandler {
        /// The handler offset in bytes.
        target: i64,
    },
    /// An opcode the version does not have (or one with no stack effect, such as the
    /// runtime-only instrumented opcodes): the walk stops there.
    UnknownOpcode {
        /// The opcode byte.
        op: u8,
    },
    /// Control runs past the last instruction (reported at the last instruction).
    FallsOffEnd,
    /// The instruction takes more items than the stack holds (checked where control really
    /// goes: not in code the compiler walks after a return, before 3.7).
    Underflow {
        /// Depth before the instruction.
        depth: u32,
        /// Items it takes.
        pops: i64,
    },
    /// The walk needed more steps than any real code does (depths growing round a loop) and
    /// stopped; depths are those found so far.
    WalkLimit,
}

/// Stack depths of one code object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackDepths {
    /// The computed `co_stacksize`: what the version's compiler would store.
    pub stacksize: u32,
    /// Depth before and after each instruction, in order.
    pub insns: Vec<InsnDepth>,
    /// What is wrong with the code, if anything.
    pub problems: Vec<Problem>,
}

/// Depths around one instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsnDepth {
    /// Byte offset of the opcode.
    pub offset: u32,
    /// The opcode byte.
    pub opcode: u8,
    /// Depth before it (the largest control reaches it with); `None` when unreachable.
    pub before: Option<u32>,
    /// Depth after it on the fall-through path; `None` when unreachable.
    pub after: Option<u32>,
}

/// One instruction with its depths and the symbolic stack after it, for printers (`bytescope
/// stack`, the Python package).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StackRow {
    /// Byte offset of the opcode.
    pub offset: u32,
    /// The opcode's name as `dis` prints it.
    pub opname: &'static str,
    /// The argument, EXTENDED_ARG folded in.
    pub arg: Option<i64>,
    /// Depth before the instruction; `None` when unreachable.
    pub depth_before: Option<u32>,
    /// Depth after it on the fall-through path; `None` when unreachable.
    pub depth_after: Option<u32>,
    /// The stack after it, bottom first: each slot the expression that produced it (`NULL`
    /// for the NULLs 3.11+ push next to callables, `?` where paths disagree or the producer
    /// is unknown, cut with `…` past the width limit). Empty when unreachable.
    pub stack: Vec<String>,
}

/// The stack depths and control-flow graph of one code object ([`StackAnalyzer::analyze`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The computed `co_stacksize` and the problems found (no per-instruction depths).
    pub depths: StackDepths,
    /// The control-flow graph.
    pub cfg: Cfg,
}

/// Working memory of the analyses, kept by a caller between code objects
/// ([`StackAnalyzer::analyze_with`], [`StackAnalyzer::stacksize_with`]): the decoded
/// instructions, the per-instruction and per-block vectors of the stack walk, the graph builder and
/// the dominator and loop passes, and the last result. Analysing many code objects with one
/// `Scratch` allocates only when a code object is larger than all before it (and for loop
/// bodies); the results are the same as without it.
#[derive(Debug, Default)]
pub struct Scratch {
    graph: depth::GraphBufs,
    before: Vec<i64>,
    stack: Vec<usize>,
    live: Vec<bool>,
    cfg: cfg::CfgBufs,
    out: Analysis,
}

/// The stack analysis of one CPython version.
#[derive(Debug)]
pub struct StackAnalyzer {
    table: &'static OpcodeTable,
    rules: StackRules,
    /// The instruction model's per-version decoding data.
    data: &'static bytescope_instr::VersionData,
    /// For the argument texts of listings and diffs (`dis`'s own `argrepr`).
    dis: Disassembler,
    /// The net effects of the opcodes whose effect does not depend on the argument.
    nets: Box<depth::ConstantNets>,
}

/// Widest slot text [`StackAnalyzer::rows`] keeps by default (in characters, `…` included).
pub const DEFAULT_SLOT_WIDTH: usize = 40;

impl StackAnalyzer {
    /// The analyzer for `version`.
    ///
    /// # Errors
    /// [`AnalysisError::NoTable`] for versions without an opcode table.
    pub fn new(version: PythonVersion) -> Result<Self, AnalysisError> {
        let table = bytescope_opcodes::table(version).ok_or(AnalysisError::NoTable { version })?;
        let dis = Disassembler::new(version).map_err(|_| AnalysisError::NoTable { version })?;
        let data = bytescope_instr::VersionData::of(table);
        let nets = depth::constant_nets(table);
        Ok(StackAnalyzer { table, rules: StackRules::for_version(version), data, dis, nets })
    }

    /// The analyzer for the bytecode of `m`, which CPython must have written.
    ///
    /// # Errors
    /// [`AnalysisError::Implementation`] for another implementation's file
    /// (PyPy: its own opcodes and block model), [`AnalysisError::NoTable`] for
    /// versions without an opcode table.
    pub fn for_marshal(m: &bytescope_marshal::Marshal<'_>) -> Result<Self, AnalysisError> {
        match m.format().implementation {
            bytescope_pyc::Implementation::CPython => Self::new(m.version()),
            implementation => Err(AnalysisError::Implementation { implementation }),
        }
    }

    /// This analyzer with other rules: e.g. an assembler writing 3.8 bytecode itself wants
    /// `fold: Fold::None` (no peephole folded anything after counting), so the size is the
    /// exact maximum of the code it wrote.
    #[must_use]
    pub fn with_rules(mut self, rules: StackRules) -> Self {
        self.rules = rules;
        self
    }

    /// The version's stack-counting rules.
    #[must_use]
    pub fn rules(&self) -> &StackRules {
        &self.rules
    }

    fn entry_depth(&self, code: &Code<'_, '_>) -> i64 {
        if code.flags() & self.rules.generator_flags != 0 { i64::from(self.rules.generator_entry) } else { 0 }
    }

    /// The graph of `code` from its instructions `insns`, or from [`insn::Op`]s alone
    /// when `insns` is `None`.
    fn graph<'i, 'c>(
        &self,
        code: &Code<'_, '_>,
        insns: Option<&'i [insn::Insn<'c>]>,
        bufs: &mut depth::GraphBufs,
    ) -> depth::Graph<'i, 'c> {
        let mut bad = false;
        let mut exceptions = std::mem::take(&mut bufs.exceptions);
        exceptions.clear();
        if self.rules.exception_table {
            match parse_exception_table_in(code.exceptiontable, exceptions) {
                Ok(e) => exceptions = e,
                Err(_) => {
                    bad = true;
                    exceptions = Vec::new();
                }
            }
        }
        let mut g = match insns {
            Some(insns) => depth::Graph::new(insns, self.table, exceptions, &self.nets, bufs),
            None => depth::Graph::lean(code, self.data, exceptions, &self.nets, bufs),
        };
        if bad {
            g.problems.push(Problem { offset: 0, kind: ProblemKind::BadHandler { target: -1 } });
        }
        g
    }

    /// The summary of the walk `d` over `g` into `out` (its contents replaced, its memory
    /// reused; `g.problems` swapped with `out.problems`).
    fn finish(
        &self,
        code: &Code<'_, '_>,
        g: &mut depth::Graph<'_, '_>,
        d: &depth::Depths,
        rows: bool,
        work: (&mut Vec<bool>, &mut Vec<usize>),
        out: &mut StackDepths,
    ) {
        let mut max = d.max;
        for &(_, depth) in &fold::folded(g, &self.rules, code.marshal(), &d.before) {
            max = max.max(depth);
        }
        let (live, stack) = work;
        depth::live(g, &self.rules, live, stack);
        if let (Some(last), Some(&true)) = (g.ops.last(), live.last())
            && g.sems[g.ops.len() - 1].flow.falls_through()
        {
            depth::push_problem(&mut g.problems, last.offset, ProblemKind::FallsOffEnd);
        }
        let insns = &mut out.insns;
        insns.clear();
        if rows {
            insns.reserve(g.ops.len());
        }
        for (i, insn) in g.ops.iter().enumerate() {
            let b = d.before[i];
            if b == depth::UNREACHED {
                if rows {
                    insns.push(InsnDepth {
                        offset: insn.offset,
                        opcode: insn.opcode,
                        before: None,
                        after: None,
                    });
                }
                continue;
            }
            let pops = g.pops(i);
            if pops > b && live[i] {
                let depth = u32::try_from(b).unwrap_or(u32::MAX);
                depth::push_problem(&mut g.problems, insn.offset, ProblemKind::Underflow { depth, pops });
            }
            if rows {
                let after = g.net(i, false).map_or(b, |net| b.saturating_add(net).max(0));
                insns.push(InsnDepth {
                    offset: insn.offset,
                    opcode: insn.opcode,
                    before: Some(clamp(b)),
                    after: Some(clamp(after)),
                });
            }
        }
        out.stacksize = clamp(max).max(self.rules.minimum);
        out.problems.clear();
        std::mem::swap(&mut out.problems, &mut g.problems);
    }

    /// The stack walk of `code` (and its graph when `with_cfg`) into `s.out`, in `s`'s
    /// memory.
    fn run(&self, code: &Code<'_, '_>, s: &mut Scratch, rows: bool, with_cfg: bool) {
        let mut g = self.graph(code, None, &mut s.graph);
        let d = depth::walk(
            &mut g,
            &self.rules,
            self.entry_depth(code),
            std::mem::take(&mut s.before),
            &mut s.stack,
        );
        if with_cfg {
            let code_len = u32::try_from(code.code.len()).unwrap_or(u32::MAX);
            cfg::build(&g, &self.rules, &d.before, code_len, &mut s.out.cfg, &mut s.cfg);
        }
        self.finish(code, &mut g, &d, rows, (&mut s.live, &mut s.stack), &mut s.out.depths);
        s.before = d.before;
        g.recycle(&mut s.graph);
    }

    /// The stack depths of `code` and the `co_stacksize` its version's compiler computes.
    #[must_use]
    pub fn depths(&self, code: &Code<'_, '_>) -> StackDepths {
        let mut s = Scratch::default();
        self.run(code, &mut s, true, false);
        s.out.depths
    }

    /// Only the computed `co_stacksize` of `code` and the problems found (what
    /// [`StackAnalyzer::depths`] gives, without the per-instruction depths).
    #[must_use]
    pub fn stacksize(&self, code: &Code<'_, '_>) -> StackDepths {
        let mut s = Scratch::default();
        self.stacksize_with(code, &mut s);
        s.out.depths
    }

    /// [`StackAnalyzer::stacksize`] in `scratch`'s memory: for analysing many code objects,
    /// keep one [`Scratch`] and pass it to every call. The result lives in `scratch` until
    /// its next use.
    pub fn stacksize_with<'s>(&self, code: &Code<'_, '_>, scratch: &'s mut Scratch) -> &'s StackDepths {
        self.run(code, scratch, false, false);
        &scratch.out.depths
    }

    /// The consistency checks of `code` (see [`FindingKind`]): the stack size against what
    /// the code needs and what the compiler computes, jump targets, opcodes, operands, the
    /// exception and line tables, unreachable code, underflow.
    #[must_use]
    pub fn check(&self, code: &Code<'_, '_>) -> CheckReport {
        let mut s = Scratch::default();
        let insns = insn::decode(self.data, code);
        let mut g = self.graph(code, Some(&insns), &mut s.graph);
        let d = depth::walk(&mut g, &self.rules, self.entry_depth(code), Vec::new(), &mut s.stack);
        let code_len = u32::try_from(code.code.len()).unwrap_or(u32::MAX);
        let mut cfg = Cfg::default();
        cfg::build(&g, &self.rules, &d.before, code_len, &mut cfg, &mut s.cfg);
        let needed = clamp(d.max).max(self.rules.minimum);
        let mut compiler = StackDepths::default();
        self.finish(code, &mut g, &d, false, (&mut s.live, &mut s.stack), &mut compiler);
        check::run(&check::Inputs {
            code,
            g: &g,
            cfg: &cfg,
            compiler: &compiler,
            needed,
            stacksize_exact: self.rules.stacksize_exact(),
            exception_table: self.rules.exception_table,
            dead_code: self.rules.dead_code,
            before: &d.before,
        })
    }

    /// Every instruction of `code` as `dis` shows it (name, argument, `argrepr`), for the
    /// renderers ([`render`]); `argrepr`s are empty where `dis` could not show them.
    #[must_use]
    pub fn listing(&self, code: &Code<'_, '_>) -> Vec<render::InsnText> {
        let reprs = self.dis.instructions(code).ok();
        insn::decode(self.data, code)
            .iter()
            .map(|op| {
                let argrepr = reprs
                    .as_ref()
                    .and_then(|r| {
                        r.binary_search_by_key(&op.offset, |i| i.offset).ok().map(|k| r[k].argrepr.clone())
                    })
                    .unwrap_or_default();
                render::InsnText {
                    offset: op.offset,
                    opname: self.table.op(op.opcode).name,
                    arg: op.arg,
                    argrepr,
                }
            })
            .collect()
    }

    /// The control-flow graph of `code`: basic blocks, edges, dominators and natural loops.
    #[must_use]
    pub fn cfg(&self, code: &Code<'_, '_>) -> Cfg {
        self.analyze(code).cfg
    }

    /// The stack depths (as [`StackAnalyzer::stacksize`]: without the per-instruction
    /// depths) and the control-flow graph of `code`, decoded once.
    #[must_use]
    pub fn analyze(&self, code: &Code<'_, '_>) -> Analysis {
        let mut s = Scratch::default();
        self.analyze_with(code, &mut s);
        s.out
    }

    /// [`StackAnalyzer::analyze`] in `scratch`'s memory: for analysing many code objects,
    /// keep one [`Scratch`] and pass it to every call. The result lives in `scratch` until
    /// its next use (clone it to keep it).
    pub fn analyze_with<'s>(&self, code: &Code<'_, '_>, scratch: &'s mut Scratch) -> &'s Analysis {
        self.run(code, scratch, false, true);
        &scratch.out
    }

    /// Every instruction of `code` with its depths and symbolic stack (slots cut to
    /// `slot_width` characters with `…`), and the depths summary.
    #[must_use]
    pub fn rows(&self, code: &Code<'_, '_>, slot_width: usize) -> (Vec<StackRow>, StackDepths) {
        let mut s = Scratch::default();
        let insns = insn::decode(self.data, code);
        let mut g = self.graph(code, Some(&insns), &mut s.graph);
        let entry = self.entry_depth(code);
        let d = depth::walk(&mut g, &self.rules, entry, Vec::new(), &mut s.stack);
        let stacks = symbolic::Symbolic {
            g: &g,
            rules: &self.rules,
            table: self.table,
            m: code.marshal(),
            made: std::cell::Cell::new(0),
        }
        .run(&d.before, entry);
        let mut depths = StackDepths::default();
        self.finish(code, &mut g, &d, true, (&mut s.live, &mut s.stack), &mut depths);
        let rows = insns
            .iter()
            .zip(&depths.insns)
            .zip(stacks)
            .map(|((insn, dep), stack)| StackRow {
                offset: insn.offset,
                opname: self.table.op(insn.opcode).name,
                arg: insn.arg,
                depth_before: dep.before,
                depth_after: dep.after,
                stack: stack.unwrap_or_default().iter().map(|s| cut(s, slot_width)).collect(),
            })
            .collect();
        (rows, depths)
    }
}

fn clamp(d: i64) -> u32 {
    u32::try_from(d.max(0)).unwrap_or(u32::MAX)
}

/// `s` cut to `width` characters, the last one `…` when cut; a held PRECALL argument list
/// is not shown.
fn cut(s: &str, width: usize) -> String {
    let s = s.split('\u{1f}').next().unwrap_or("");
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_cfg;
#[cfg(test)]
mod tests_check;
