//! The control-flow graph of one code object: basic blocks, the edges between them
//! (fall-through, jumps, both ways of a branch, exception edges), dominators and natural
//! loops.
//!
//! Blocks start at offset 0, at every jump target, at every exception handler and after
//! every instruction that does not simply go on to the next (jumps, branches, returns,
//! raises); nothing else splits them. An exception edge goes from every block holding an
//! instruction that an exception-table entry covers (3.11+), or that runs inside a
//! `SETUP_EXCEPT`/`SETUP_FINALLY`/`SETUP_WITH` block (2.7–3.10, found by simulating the
//! block stack), to that handler.

use bytescope_opcodes::{Action, Block as SetupBlock, Flow};
use serde::Serialize;

use crate::depth::{Graph, UNREACHED};
use crate::rules::StackRules;

/// How control goes from one block to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EdgeKind {
    /// On to the next instruction, which starts another block.
    Fallthrough,
    /// An unconditional jump (and `CONTINUE_LOOP`, `BREAK_LOOP` ≤3.7, `CALL_FINALLY` 3.8).
    Jump,
    /// A conditional branch, taken (`POP_JUMP_IF_*`, `FOR_ITER` exhausted, `SEND` done…).
    BranchTaken,
    /// A conditional branch, not taken: on to the next instruction.
    BranchNotTaken,
    /// To an exception handler, from a block holding an instruction it covers.
    Exception,
}

impl EdgeKind {
    /// The name used in the JSON, DOT and Mermaid outputs.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            EdgeKind::Fallthrough => "fallthrough",
            EdgeKind::Jump => "jump",
            EdgeKind::BranchTaken => "branch_taken",
            EdgeKind::BranchNotTaken => "branch_not_taken",
            EdgeKind::Exception => "exception",
        }
    }
}

/// An edge between two blocks (indices into [`Cfg::blocks`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// The block control leaves.
    pub from: u32,
    /// The block control enters.
    pub to: u32,
    /// How.
    pub kind: EdgeKind,
    /// A loop back edge: `to` dominates `from` (`to` is a natural loop's header).
    pub back: bool,
    /// Exception edges: the stack depth the handler unwinds to before pushing the exception
    /// (3.11+: the exception table's `depth`; before: the depth at the `SETUP_*`
    /// instruction); `None` for other edges, or where the depth is not known (the setup
    /// was not reached by the stack walk).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    /// Exception edges, 3.11+: whether the offset of the raising instruction is pushed too
    /// (the table's `lasti`); `None` for other edges and before 3.11.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lasti: Option<bool>,
}

/// A basic block: instructions `first..first + len` of the code object, run in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Block {
    /// Its index in [`Cfg::blocks`] (blocks are in code order).
    pub id: u32,
    /// Byte offset of its first instruction.
    pub start: u32,
    /// Byte offset just past its last instruction (inline caches included): the next
    /// block's start, or the length of the code.
    pub end: u32,
    /// Index of its first instruction in the code object's instruction stream.
    pub first: u32,
    /// Number of instructions.
    pub len: u32,
    /// Whether control can reach it from the entry (following every edge, exception edges
    /// included).
    pub reachable: bool,
    /// Whether an exception handler starts here.
    pub handler: bool,
    /// Its immediate dominator; `None` for the entry block and unreachable blocks.
    pub idom: Option<u32>,
}

/// A natural loop: a header and every block that reaches one of its back edges without
/// passing through the header. Loops sharing a header are one loop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Loop {
    /// The header block: it dominates every block of the loop.
    pub header: u32,
    /// The blocks whose edges go back to the header, in code order.
    pub latches: Vec<u32>,
    /// Every block of the loop, the header included, in code order.
    pub blocks: Vec<u32>,
    /// The innermost loop enclosing this one (an index into [`Cfg::loops`]).
    pub parent: Option<u32>,
    /// Nesting depth: 1 for an outermost loop.
    pub depth: u32,
    /// Instructions one iteration runs, from entering the header to taking a back edge,
    /// without exceptions: `(fewest, most)` over the paths through the loop (a nested loop
    /// counted as entered and left once). `None` when no path was found.
    pub per_iteration: Option<(u32, u32)>,
}

/// The control-flow graph of one code object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cfg {
    /// The basic blocks, in code order.
    pub blocks: Vec<Block>,
    /// Every edge, grouped by [`Edge::from`] in block order.
    pub edges: Vec<Edge>,
    /// The natural loops, outer loops before the loops they hold.
    pub loops: Vec<Loop>,
    /// Byte offset of every instruction, in order (a block's are
    /// `offsets[first..first + len]`).
    pub offsets: Vec<u32>,
    /// The loops could not all be worked out within the work budget (crafted code only:
    /// thousands of nested loops); [`Cfg::loops`] holds those found.
    pub loops_truncated: bool,
    /// `edge_start[b]..edge_start[b + 1]` are block `b`'s edges in [`Cfg::edges`].
    #[serde(skip)]
    edge_start: Vec<u32>,
}

impl Cfg {
    /// The instruction offsets of `block`.
    #[must_use]
    pub fn block_offsets(&self, block: &Block) -> &[u32] {
        let a = block.first as usize;
        self.offsets.get(a..a + block.len as usize).unwrap_or(&[])
    }

    /// The edges leaving block `b`.
    #[must_use]
    pub fn successors(&self, b: u32) -> &[Edge] {
        let b = b as usize;
        match (self.edge_start.get(b), self.edge_start.get(b + 1)) {
            (Some(&s), Some(&e)) => &self.edges[s as usize..e as usize],
            _ => &[],
        }
    }

    /// The block holding the instruction at index `insn` of the stream.
    #[must_use]
    pub fn block_of(&self, insn: u32) -> Option<u32> {
        let i = self.blocks.partition_point(|b| b.first <= insn);
        let b = self.blocks.get(i.checked_sub(1)?)?;
        (insn < b.first + b.len).then_some(b.id)
    }
}

/// No block, instruction or frame.
const NONE: u32 = u32::MAX;

/// Whether an instruction with this flow ends its block.
const fn ends_block(flow: Flow) -> bool {
    !matches!(flow, Flow::Next | Flow::Setup | Flow::Link)
}

/// The working vectors of [`build`], kept between code objects (see [`crate::Scratch`]).
#[derive(Debug, Default)]
pub(crate) struct CfgBufs {
    leader: Vec<bool>,
    handler: Vec<bool>,
    block_of: Vec<u32>,
    exc: Vec<(u32, Option<u32>, Option<bool>)>,
    dom: crate::dom::DomBufs,
}

/// Builds the graph of the code `g` describes into `cfg` (its contents are replaced, its
/// memory reused); `before` is the stack walk's depth before each instruction, `code_len`
/// the length of `co_code`.
pub(crate) fn build(
    g: &Graph<'_, '_>,
    rules: &StackRules,
    before: &[i64],
    code_len: u32,
    cfg: &mut Cfg,
    bufs: &mut CfgBufs,
) {
    let n = g.ops.len();
    cfg.blocks.clear();
    cfg.edges.clear();
    cfg.loops.clear();
    cfg.loops_truncated = false;
    cfg.edge_start.clear();
    cfg.offsets.clear();
    cfg.offsets.extend(g.ops.iter().map(|i| i.offset));
    if n == 0 {
        cfg.edge_start.push(0);
        return;
    }
    let stack = if rules.exception_table { None } else { Some(BlockStack::simulate(g, rules)) };

    // Leaders.
    let CfgBufs { leader, handler, block_of, exc, dom } = bufs;
    leader.clear();
    leader.resize(n, false);
    handler.clear();
    handler.resize(n, false);
    leader[0] = true;
    for i in 0..n {
        if let Some(t) = g.targets[i] {
            leader[t as usize] = true;
        }
        if ends_block(g.sems[i].flow) && i + 1 < n {
            leader[i + 1] = true;
        }
        if let Some(h) = exception_target(g, stack.as_ref(), i) {
            leader[h as usize] = true;
            handler[h as usize] = true;
        }
    }

    // Blocks.
    block_of.clear();
    block_of.resize(n, 0);
    for i in 0..n {
        if leader[i] {
            let id = u32::try_from(cfg.blocks.len()).unwrap_or(NONE);
            let first = u32::try_from(i).unwrap_or(NONE);
            cfg.blocks.push(Block {
                id,
                start: g.ops[i].offset,
                end: 0,
                first,
                len: 0,
                reachable: false,
                handler: handler[i],
                idom: None,
            });
        }
        let b = cfg.blocks.len() - 1;
        cfg.blocks[b].len += 1;
        block_of[i] = u32::try_from(b).unwrap_or(NONE);
    }
    for b in 0..cfg.blocks.len() {
        cfg.blocks[b].end = cfg.blocks.get(b + 1).map_or(code_len.max(g.ops[n - 1].offset), |x| x.start);
    }

    // Edges, block by block.
    cfg.edge_start.reserve(cfg.blocks.len() + 1);
    for b in 0..cfg.blocks.len() {
        cfg.edge_start.push(u32::try_from(cfg.edges.len()).unwrap_or(NONE));
        let blk = cfg.blocks[b];
        let last = (blk.first + blk.len - 1) as usize;
        let from = blk.id;
        let next = (last + 1 < n).then(|| block_of[last + 1]);
        let target = g.targets[last].map(|t| block_of[t as usize]);
        let mut add = |to: Option<u32>, kind: EdgeKind| {
            if let Some(to) = to {
                cfg.edges.push(Edge { from, to, kind, back: false, depth: None, lasti: None });
            }
        };
        match g.sems[last].flow {
            Flow::Next | Flow::Setup | Flow::Link => add(next, EdgeKind::Fallthrough),
            Flow::Jump | Flow::Continue => add(target, EdgeKind::Jump),
            Flow::Branch => {
                add(target, EdgeKind::BranchTaken);
                add(next, EdgeKind::BranchNotTaken);
            }
            Flow::CallFinally => {
                add(target, EdgeKind::Jump);
                add(next, EdgeKind::Fallthrough);
            }
            Flow::Break => {
                let t = stack.as_ref().and_then(|s| s.break_setup(last)).and_then(|s| g.targets[s as usize]);
                add(t.map(|t| block_of[t as usize]), EdgeKind::Jump);
            }
            // Return, Raise, Reraise, and anything newer: no successor in this frame.
            _ => {}
        }
        // Exception edges: one per distinct handler among the block's instructions.
        exc.clear();
        for i in blk.first as usize..=last {
            let Some((h, depth, lasti)) = exception_edge(g, stack.as_ref(), before, i) else { continue };
            let to = block_of[h as usize];
            if !exc.contains(&(to, depth, lasti)) {
                exc.push((to, depth, lasti));
            }
        }
        for &(to, depth, lasti) in exc.iter() {
            cfg.edges.push(Edge { from, to, kind: EdgeKind::Exception, back: false, depth, lasti });
        }
    }
    cfg.edge_start.push(u32::try_from(cfg.edges.len()).unwrap_or(NONE));

    crate::dom::finish(cfg, dom);
}

/// The handler instruction an exception raised at instruction `i` goes to.
fn exception_target(g: &Graph<'_, '_>, stack: Option<&BlockStack>, i: usize) -> Option<u32> {
    match stack {
        None => g.handler(i).map(|(h, _)| h),
        Some(s) => s.catch_setup(i).and_then(|setup| g.targets[setup as usize]),
    }
}

/// `(handler, depth, lasti)` of the exception edge from instruction `i`.
fn exception_edge(
    g: &Graph<'_, '_>,
    stack: Option<&BlockStack>,
    before: &[i64],
    i: usize,
) -> Option<(u32, Option<u32>, Option<bool>)> {
    match stack {
        None => {
            let (entry, h) = g.entry(i)?;
            Some((h?, Some(u32::try_from(entry.depth).unwrap_or(u32::MAX)), Some(entry.lasti)))
        }
        Some(s) => {
            let setup = s.catch_setup(i)? as usize;
            let h = g.targets[setup]?;
            let d = before[setup];
            let depth = (d != UNREACHED).then(|| u32::try_from(d).unwrap_or(u32::MAX));
            Some((h, depth, None))
        }
    }
}

/// What a frame of the block stack is (≤3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum FrameKind {
    /// `SETUP_LOOP` (≤3.7): `BREAK_LOOP` goes to its target.
    Loop,
    /// `SETUP_EXCEPT`, `SETUP_FINALLY`, `SETUP_WITH`, `SETUP_ASYNC_WITH`: exceptions go to
    /// its target.
    Catch,
    /// `EXCEPT_HANDLER` (3.0–3.10): pushed on entering a handler, catches nothing.
    Handler,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    parent: u32,
    kind: FrameKind,
    /// The setup instruction (for [`FrameKind::Handler`], the setup whose handler runs).
    setup: u32,
    /// The innermost catching frame, this one included ([`NONE`] when there is none).
    catch: u32,
    /// The innermost loop frame, this one included.
    lp: u32,
}

/// The block stack at every instruction (2.7–3.10), simulated along the control flow. Each
/// stack is a frame in an arena of shared tails, so equal stacks are the same index.
struct BlockStack {
    frames: Vec<Frame>,
    /// The stack before each instruction ([`NONE`]: empty; [`UNSET`]: not reached).
    state: Vec<u32>,
}

/// Not reached by the simulation.
const UNSET: u32 = u32::MAX - 1;

impl BlockStack {
    fn simulate(g: &Graph<'_, '_>, rules: &StackRules) -> BlockStack {
        let n = g.ops.len();
        let mut s = BlockStack { frames: Vec::new(), state: vec![UNSET; n] };
        let mut interned: std::collections::HashMap<(u32, FrameKind, u32), u32> =
            std::collections::HashMap::new();
        let mut work = vec![0usize];
        s.state[0] = NONE;
        // Every instruction is visited once: the first stack that reaches it is kept (the
        // compiler's stacks agree wherever paths meet, but for the `EXCEPT_HANDLER` an
        // exception adds on entering a `finally` body, which leaves with it).
        while let Some(i) = work.pop() {
            let st = s.state[i];
            let sem = g.sems[i];
            let mut after = st;
            let mut jump = st;
            let mut jump_to = g.targets[i];
            match sem.action {
                Action::Setup(kind) => {
                    let fk = if kind == SetupBlock::Loop { FrameKind::Loop } else { FrameKind::Catch };
                    after = s.push(&mut interned, st, fk, u32::try_from(i).unwrap_or(NONE));
                    // A setup's target is reached by BREAK_LOOP or an exception, with the block
                    // popped, not by the setup itself.
                    jump_to = None;
                }
                Action::PopBlock => after = s.parent(st),
                Action::PopExcept | Action::EndFinally | Action::PopFinally
                    if s.top_kind(st) == Some(FrameKind::Handler) =>
                {
                    after = s.parent(st);
                }
                _ => {}
            }
            match sem.flow {
                Flow::Break => {
                    let lp = s.frame(st).map_or(NONE, |f| f.lp);
                    if let Some(f) = s.frames.get(lp as usize) {
                        jump_to = g.targets[f.setup as usize];
                        jump = f.parent;
                    }
                }
                Flow::Continue => {
                    let lp = s.frame(st).map_or(NONE, |f| f.lp);
                    if lp != NONE {
                        jump = lp;
                    }
                }
                _ => {}
            }
            let reach = |j: usize, state: u32, work: &mut Vec<usize>, states: &mut Vec<u32>| {
                if states[j] == UNSET {
                    states[j] = state;
                    work.push(j);
                }
            };
            if sem.flow.falls_through() && i + 1 < n {
                reach(i + 1, after, &mut work, &mut s.state);
            }
            if let Some(t) = jump_to.filter(|_| sem.flow.jumps() || sem.flow == Flow::Break) {
                reach(t as usize, jump, &mut work, &mut s.state);
            }
            let catch = s.frame(st).map_or(NONE, |f| f.catch);
            if let Some(c) = s.frames.get(catch as usize).copied()
                && let Some(h) = g.targets[c.setup as usize]
            {
                let hs = if rules.handler_block {
                    s.push(&mut interned, c.parent, FrameKind::Handler, c.setup)
                } else {
                    c.parent
                };
                reach(h as usize, hs, &mut work, &mut s.state);
            }
        }
        s
    }

    fn frame(&self, st: u32) -> Option<&Frame> {
        self.frames.get(st as usize)
    }

    fn parent(&self, st: u32) -> u32 {
        self.frame(st).map_or(st, |f| f.parent)
    }

    fn top_kind(&self, st: u32) -> Option<FrameKind> {
        self.frame(st).map(|f| f.kind)
    }

    fn push(
        &mut self,
        interned: &mut std::collections::HashMap<(u32, FrameKind, u32), u32>,
        parent: u32,
        kind: FrameKind,
        setup: u32,
    ) -> u32 {
        let parent = if parent == UNSET { NONE } else { parent };
        if let Some(&id) = interned.get(&(parent, kind, setup)) {
            return id;
        }
        let id = u32::try_from(self.frames.len()).unwrap_or(NONE);
        let (pc, pl) = self.frame(parent).map_or((NONE, NONE), |f| (f.catch, f.lp));
        self.frames.push(Frame {
            parent,
            kind,
            setup,
            catch: if kind == FrameKind::Catch { id } else { pc },
            lp: if kind == FrameKind::Loop { id } else { pl },
        });
        interned.insert((parent, kind, setup), id);
        id
    }

    /// The setup instruction of the innermost block catching an exception raised at `i`.
    fn catch_setup(&self, i: usize) -> Option<u32> {
        let st = *self.state.get(i)?;
        let c = self.frame(st)?.catch;
        self.frames.get(c as usize).map(|f| f.setup)
    }

    /// The `SETUP_LOOP` whose end `BREAK_LOOP` at `i` goes to: the innermost loop's.
    fn break_setup(&self, i: usize) -> Option<u32> {
        let st = *self.state.get(i)?;
        let lp = self.frame(st)?.lp;
        self.frames.get(lp as usize).map(|f| f.setup)
    }
}
