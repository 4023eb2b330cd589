//! Stack depth before and after every instruction, and the maximum, as each version's
//! compiler counts it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::mem::take;

use bytescope_code::exceptions::ExceptionEntry;
use bytescope_opcodes::{Action, Flow, OpcodeTable, Semantics};

use crate::insn::{Insn, Op};
use crate::rules::{StackRules, Walk};
use crate::{Problem, ProblemKind};

/// No depth known (instruction not reached).
pub(crate) const UNREACHED: i64 = -1;

/// Most problems of one kind kept per code object (crafted code could have one per
/// instruction).
const MAX_PROBLEMS: usize = 64;

/// Steps (instructions walked) allowed per instruction of the code before the walk gives up:
/// valid code needs one or two; crafted jump loops with growing depths would never end.
const STEPS_PER_INSN: usize = 64;

/// Marks a missing net effect (an opcode without a known stack effect).
const NO_EFFECT: i64 = i64::MIN;

/// Everything the walks need about one code object.
pub(crate) struct Graph<'i, 'c> {
    /// The instructions, for the views that read their arguments (the symbolic stack, the
    /// checks); empty when the graph was made from [`Op`]s alone ([`Graph::lean`]).
    pub insns: &'i [Insn<'c>],
    /// The instructions as the walks read them.
    pub ops: Vec<Op>,
    pub sems: Vec<&'static Semantics>,
    /// Net effect of each instruction on its fall-through and jump paths ([`NO_EFFECT`] when
    /// unknown) and what it pops on the fall-through path, evaluated once.
    nets: Vec<(i64, i64, i64)>,
    /// Index of each instruction's jump target, for instructions whose target is a place
    /// control goes to (see [`Flow::jumps`]).
    pub targets: Vec<Option<u32>>,
    /// `(handler index, depth at the handler)` of the exception entry covering each
    /// instruction (3.11+; empty when the code has no exception table).
    handlers: Vec<Option<(u32, i64)>>,
    /// Index in [`Graph::exceptions`] of the entry covering each instruction (3.11+; empty
    /// when the code has no exception table).
    pub entry_of: Vec<Option<u32>>,
    /// The exception table (3.11+).
    pub exceptions: Vec<ExceptionEntry>,
    /// The depth the table says for the covering entry (3.11+, for dead handlers; empty
    /// when the code has no exception table).
    cover_depth: Vec<Option<i64>>,
    /// Whether some jump targets each instruction.
    pub is_target: Vec<bool>,
    pub problems: Vec<Problem>,
}

/// The per-instruction vectors of a [`Graph`], kept between code objects (see
/// [`crate::Scratch`]).
#[derive(Debug, Default)]
pub(crate) struct GraphBufs {
    sems: Vec<&'static Semantics>,
    nets: Vec<(i64, i64, i64)>,
    targets: Vec<Option<u32>>,
    handlers: Vec<Option<(u32, i64)>>,
    entry_of: Vec<Option<u32>>,
    /// The exception table's memory.
    pub exceptions: Vec<ExceptionEntry>,
    cover_depth: Vec<Option<i64>>,
    is_target: Vec<bool>,
    problems: Vec<Problem>,
    ops: Vec<Op>,
    /// Jump targets in bytes, while the graph is made.
    jumps: Vec<Option<i64>>,
    /// [`assign_handlers`]' working memory.
    order: Vec<usize>,
    active: BinaryHeap<Reverse<(usize, u64)>>,
}

/// Net effects of each opcode byte of a version whose stack effect does not depend on the
/// argument (`None`: it does), as [`Graph`] stores them: looked up instead of evaluated.
pub(crate) type ConstantNets = [Option<(i64, i64, i64)>; 256];

/// The net effects of `table`'s opcodes (see [`ConstantNets`]).
pub(crate) fn constant_nets(table: &'static OpcodeTable) -> Box<ConstantNets> {
    Box::new(std::array::from_fn(|op| {
        let op = u8::try_from(op).unwrap_or(0);
        match table.semantics(op).stack {
            None => Some((NO_EFFECT, NO_EFFECT, 0)),
            Some(s) => {
                let constant = s.pops.is_constant()
                    && s.pushes.is_constant()
                    && s.jump.is_none_or(|(p, q)| p.is_constant() && q.is_constant());
                constant.then(|| nets(&s, 0))
            }
        }
    }))
}

/// `(fall-through net, jump net, fall-through pops)` of an effect for `arg`.
fn nets(s: &bytescope_opcodes::StackEffect, arg: u32) -> (i64, i64, i64) {
    let fall = s.eval(arg, false);
    let taken = if s.jump.is_some() { s.eval(arg, true).net() } else { fall.net() };
    (fall.net(), taken, fall.pops)
}

impl<'i, 'c> Graph<'i, 'c> {
    /// The graph of `insns`, in `bufs`' memory (give it back with [`Graph::recycle`]).
    pub fn new(
        insns: &'i [Insn<'c>],
        table: &'static OpcodeTable,
        exceptions: Vec<ExceptionEntry>,
        constant: &ConstantNets,
        bufs: &mut GraphBufs,
    ) -> Self {
        let mut ops = take(&mut bufs.ops);
        let mut jumps = take(&mut bufs.jumps);
        ops.clear();
        jumps.clear();
        for insn in insns {
            let (op, jump) = Op::of(insn);
            ops.push(op);
            jumps.push(jump);
        }
        Graph::build(insns, ops, jumps, table, exceptions, constant, bufs)
    }

    /// The graph of `code` without [`Insn`]s ([`Graph::insns`] is empty), decoded straight
    /// into [`Op`]s: what the stack walk and the control-flow graph read.
    pub fn lean(
        code: &bytescope_code::Code<'_, '_>,
        data: &'static bytescope_instr::VersionData,
        exceptions: Vec<ExceptionEntry>,
        constant: &ConstantNets,
        bufs: &mut GraphBufs,
    ) -> Self {
        let mut ops = take(&mut bufs.ops);
        let mut jumps = take(&mut bufs.jumps);
        crate::insn::decode_ops(data, code, &mut ops, &mut jumps);
        Graph::build(&[], ops, jumps, data.table, exceptions, constant, bufs)
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        insns: &'i [Insn<'c>],
        ops: Vec<Op>,
        jumps: Vec<Option<i64>>,
        table: &'static OpcodeTable,
        exceptions: Vec<ExceptionEntry>,
        constant: &ConstantNets,
        bufs: &mut GraphBufs,
    ) -> Self {
        let mut problems = take(&mut bufs.problems);
        problems.clear();
        let n = ops.len();
        let mut sems = take(&mut bufs.sems);
        sems.clear();
        let mut nets = take(&mut bufs.nets);
        nets.clear();
        for op in &ops {
            let sem = table.semantics(op.opcode);
            sems.push(sem);
            nets.push(match constant[usize::from(op.opcode)] {
                Some(n) => n,
                None => sem.stack.map_or((NO_EFFECT, NO_EFFECT, 0), |s| self::nets(&s, op.oparg)),
            });
        }
        let index_of = |offset: i64| -> Option<u32> {
            let o = u32::try_from(offset).ok()?;
            ops.binary_search_by_key(&o, |i| i.offset).ok().and_then(|i| u32::try_from(i).ok())
        };
        let mut targets = take(&mut bufs.targets);
        targets.clear();
        let mut is_target = take(&mut bufs.is_target);
        is_target.clear();
        is_target.resize(n, false);
        for ((op, sem), &jump) in ops.iter().zip(&sems).zip(&jumps) {
            let t = match jump {
                Some(t) if sem.flow.jumps() => {
                    let idx = index_of(t);
                    match idx {
                        Some(j) => is_target[j as usize] = true,
                        None => {
                            push_problem(&mut problems, op.offset, ProblemKind::BadJumpTarget { target: t })
                        }
                    }
                    idx
                }
                _ => None,
            };
            targets.push(t);
        }
        let mut handlers = take(&mut bufs.handlers);
        let mut cover_depth = take(&mut bufs.cover_depth);
        let mut entry_of = take(&mut bufs.entry_of);
        handlers.clear();
        cover_depth.clear();
        entry_of.clear();
        if !exceptions.is_empty() {
            handlers.resize(n, None);
            cover_depth.resize(n, None);
            entry_of.resize(n, None);
            let mut out = Assigned {
                handlers: &mut handlers,
                cover: &mut cover_depth,
                entry_of: &mut entry_of,
                order: &mut bufs.order,
                active: &mut bufs.active,
            };
            assign_handlers(&ops, &exceptions, &index_of, &mut out, &mut problems);
        }
        bufs.jumps = jumps;
        Graph {
            insns,
            ops,
            sems,
            nets,
            targets,
            handlers,
            entry_of,
            exceptions,
            cover_depth,
            is_target,
            problems,
        }
    }

    /// Gives the graph's memory back to `bufs`.
    pub fn recycle(self, bufs: &mut GraphBufs) {
        *bufs = GraphBufs {
            sems: self.sems,
            nets: self.nets,
            targets: self.targets,
            handlers: self.handlers,
            entry_of: self.entry_of,
            exceptions: self.exceptions,
            cover_depth: self.cover_depth,
            is_target: self.is_target,
            problems: self.problems,
            ops: self.ops,
            jumps: take(&mut bufs.jumps),
            order: take(&mut bufs.order),
            active: take(&mut bufs.active),
        };
    }

    fn len(&self) -> usize {
        self.ops.len()
    }

    /// Net effect of instruction `i` on its fall-through (`jump == false`) or jump path;
    /// `None` for opcodes without a known effect.
    pub fn net(&self, i: usize, jump: bool) -> Option<i64> {
        let (fall, taken, _) = self.nets[i];
        let net = if jump { taken } else { fall };
        (net != NO_EFFECT).then_some(net)
    }

    /// What instruction `i` pops on its fall-through path (0 when unknown).
    pub fn pops(&self, i: usize) -> i64 {
        self.nets[i].2
    }

    /// The exception handler covering instruction `i` and the depth it is entered at.
    pub fn handler(&self, i: usize) -> Option<(u32, i64)> {
        self.handlers.get(i).copied().flatten()
    }

    /// The exception-table entry covering instruction `i` (3.11+), with its handler's index
    /// when that is an instruction.
    pub fn entry(&self, i: usize) -> Option<(&ExceptionEntry, Option<u32>)> {
        let e = self.entry_of.get(i).copied().flatten()?;
        let entry = self.exceptions.get(e as usize)?;
        Some((entry, self.handler(i).map(|(h, _)| h)))
    }

    /// The depth of the exception-table entry covering instruction `i`.
    pub fn cover_depth(&self, i: usize) -> Option<i64> {
        self.cover_depth.get(i).copied().flatten()
    }

    /// The jump edge of `i` the compiler follows, with its target index.
    fn jump_edge(&self, i: usize, rules: &StackRules) -> Option<usize> {
        let t = self.targets[i]?;
        if self.sems[i].flow == Flow::Continue && !rules.follow_continue {
            return None;
        }
        Some(t as usize)
    }
}

/// Where [`assign_handlers`] writes, one slot per instruction.
struct Assigned<'a> {
    handlers: &'a mut [Option<(u32, i64)>],
    cover: &'a mut [Option<i64>],
    entry_of: &'a mut [Option<u32>],
    order: &'a mut Vec<usize>,
    active: &'a mut BinaryHeap<Reverse<(usize, u64)>>,
}

/// Assigns each instruction the first exception entry (in table order) covering it, as
/// CPython's unwinder looks it up: a sweep over the entries sorted by start, so crafted
/// tables with many overlapping entries stay `O((n + e) log e)`.
fn assign_handlers(
    insns: &[Op],
    exceptions: &[ExceptionEntry],
    index_of: &dyn Fn(i64) -> Option<u32>,
    out: &mut Assigned<'_>,
    problems: &mut Vec<Problem>,
) {
    if exceptions.is_empty() {
        return;
    }
    let order = &mut *out.order;
    order.clear();
    order.extend(0..exceptions.len());
    order.sort_by_key(|&e| exceptions[e].start);
    let active = &mut *out.active;
    active.clear();
    let mut next = 0;
    for (i, insn) in insns.iter().enumerate() {
        let at = u64::from(insn.offset);
        while next < order.len() && exceptions[order[next]].start <= at {
            let e = order[next];
            active.push(Reverse((e, exceptions[e].end)));
            next += 1;
        }
        // The first entry in table order that still covers `at`; ended ones are dropped.
        while let Some(&Reverse((e, end))) = active.peek() {
            if end > at {
                let entry = &exceptions[e];
                let depth = i64::try_from(entry.depth).unwrap_or(i64::MAX);
                out.cover[i] = Some(depth);
                out.entry_of[i] = u32::try_from(e).ok();
                match i64::try_from(entry.target).ok().and_then(index_of) {
                    Some(t) => {
                        let handler_depth = depth.saturating_add(1 + i64::from(entry.lasti));
                        out.handlers[i] = Some((t, handler_depth));
                    }
                    None => push_problem(
                        problems,
                        insn.offset,
                        ProblemKind::BadHandler { target: i64::try_from(entry.target).unwrap_or(i64::MAX) },
                    ),
                }
                break;
            }
            active.pop();
        }
    }
}

pub(crate) fn push_problem(problems: &mut Vec<Problem>, offset: u32, kind: ProblemKind) {
    let same =
        problems.iter().filter(|p| std::mem::discriminant(&p.kind) == std::mem::discriminant(&kind)).count();
    if same < MAX_PROBLEMS {
        problems.push(Problem { offset, kind });
    }
}

/// Which instructions control can reach from the entry, following only real control flow
/// (fall-through, jumps, handlers): the compiler's walks also count code after a return
/// (before 3.7) and handlers it dropped (3.11+), where an underflow means nothing.
pub(crate) fn live(g: &Graph<'_, '_>, rules: &StackRules, live: &mut Vec<bool>, stack: &mut Vec<usize>) {
    let n = g.len();
    live.clear();
    live.resize(n, false);
    stack.clear();
    if n > 0 {
        live[0] = true;
        stack.push(0);
    }
    while let Some(i) = stack.pop() {
        let flow = g.sems[i].flow;
        let mut next = [None, None, None];
        if flow.falls_through() && i + 1 < n {
            next[0] = Some(i + 1);
        }
        next[1] = g.jump_edge(i, rules);
        next[2] = g.handler(i).map(|(h, _)| h as usize);
        for j in next.into_iter().flatten() {
            if !live[j] {
                live[j] = true;
                stack.push(j);
            }
        }
    }
}

/// The result of the walk.
pub(crate) struct Depths {
    /// Depth before each instruction (the largest the walk reached it with), or
    /// [`UNREACHED`].
    pub before: Vec<i64>,
    /// The maximum, before the version's minimum and folding rules.
    pub max: i64,
}

/// Walks `g` from the entry at `entry` depth by the version's rules, in the memory of
/// `before` (its contents are dropped) and `stack`.
pub(crate) fn walk(
    g: &mut Graph<'_, '_>,
    rules: &StackRules,
    entry: i64,
    mut before: Vec<i64>,
    stack: &mut Vec<usize>,
) -> Depths {
    let n = g.len();
    before.clear();
    before.resize(n, UNREACHED);
    if n == 0 {
        return Depths { before, max: 0 };
    }
    let budget = n.saturating_mul(STEPS_PER_INSN).saturating_add(1024);
    let finished = match rules.walk {
        Walk::Recursive => recursive(g, rules, entry, &mut before, budget),
        Walk::Worklist => {
            stack.clear();
            let mut w = Worklist { before: &mut before, stack, steps: 0, budget };
            w.push(0, entry);
            let ok = w.run(g, rules);
            if ok && rules.dead_handlers { dead_code(g, rules, &mut w) } else { ok }
        }
    };
    if !finished {
        // Keep what was found (every depth so far is one the compiler would also reach).
        let offset = g.ops.first().map_or(0, |i| i.offset);
        push_problem(&mut g.problems, offset, ProblemKind::WalkLimit);
    }
    let max = maximum(g, rules, &before);
    Depths { before, max }
}

/// The largest depth the compiler counts: before and after each reached instruction, at
/// each jump target it follows and at each exception handler.
fn maximum(g: &Graph<'_, '_>, rules: &StackRules, before: &[i64]) -> i64 {
    let mut max = 0i64;
    for (i, &d) in before.iter().enumerate() {
        if d == UNREACHED {
            continue;
        }
        max = max.max(d);
        if let Some(net) = g.net(i, false) {
            max = max.max(d.saturating_add(net));
        }
        if g.jump_edge(i, rules).is_some()
            && let Some(net) = g.net(i, true)
        {
            max = max.max(d.saturating_add(net));
        }
        if let Some((_, h)) = g.handler(i) {
            max = max.max(h);
        }
    }
    max
}

struct Worklist<'b> {
    before: &'b mut [i64],
    stack: &'b mut Vec<usize>,
    steps: usize,
    budget: usize,
}

impl Worklist<'_> {
    /// Queues instruction `i` at `depth` unless it was reached with at least that depth.
    fn push(&mut self, i: usize, depth: i64) {
        let depth = depth.max(0);
        if depth > self.before[i] {
            self.before[i] = depth;
            self.stack.push(i);
        }
    }

    /// Runs until nothing is queued; `false` when the step budget ran out.
    fn run(&mut self, g: &mut Graph<'_, '_>, rules: &StackRules) -> bool {
        while let Some(start) = self.stack.pop() {
            let mut i = start;
            let mut d = self.before[i];
            loop {
                self.steps += 1;
                if self.steps > self.budget {
                    return false;
                }
                let Some(fall) = g.net(i, false) else {
                    push_problem(
                        &mut g.problems,
                        g.ops[i].offset,
                        ProblemKind::UnknownOpcode { op: g.ops[i].opcode },
                    );
                    break;
                };
                if let Some(t) = g.jump_edge(i, rules) {
                    let jump = g.net(i, true).unwrap_or(fall);
                    self.push(t, d.saturating_add(jump));
                }
                if let Some((h, depth)) = g.handler(i) {
                    self.push(h as usize, depth);
                }
                if rules.stops(g.sems[i].flow) {
                    break;
                }
                let next = i + 1;
                if next >= g.len() {
                    // Falling off the end is reported from the live code (see `live`).
                    break;
                }
                let nd = d.saturating_add(fall).max(0);
                if nd <= self.before[next] {
                    break;
                }
                self.before[next] = nd;
                i = next;
                d = nd;
            }
        }
        true
    }
}

/// 3.11+: code the compiler counted but whose table entry it then dropped. First every
/// unreached handler (PUSH_EXC_INFO) at the depth of the entry covering it, then, until
/// nothing changes, unreached instructions that lead into counted code, at the depth that
/// code has less their effect.
fn dead_code(g: &mut Graph<'_, '_>, rules: &StackRules, w: &mut Worklist<'_>) -> bool {
    for i in 0..g.len() {
        if w.before[i] == UNREACHED
            && g.sems[i].action == Action::PushExcInfo
            && let Some(d) = g.cover_depth(i)
        {
            w.push(i, d);
        }
    }
    if !w.run(g, rules) {
        return false;
    }
    // Each pass resolves whole fall-through chains (it goes backwards); real code needs one
    // or two, crafted code gets no more than this many.
    for _ in 0..DEAD_CODE_PASSES {
        let mut changed = false;
        for i in (0..g.len()).rev() {
            if w.before[i] != UNREACHED {
                continue;
            }
            let flow = g.sems[i].flow;
            let mut found = None;
            if !rules.stops(flow) && i + 1 < g.len() && w.before[i + 1] != UNREACHED {
                found = g.net(i, false).map(|net| w.before[i + 1] - net);
            }
            if found.is_none()
                && let Some(t) = g.jump_edge(i, rules)
                && w.before[t] != UNREACHED
            {
                found = g.net(i, true).map(|net| w.before[t] - net);
            }
            if let Some(d) = found.filter(|&d| d >= 0) {
                w.push(i, d);
                changed = true;
            }
        }
        if !changed {
            return true;
        }
        if !w.run(g, rules) {
            return false;
        }
    }
    true
}

/// Passes of the dead-code rule (see [`dead_code`]).
const DEAD_CODE_PASSES: usize = 8;

/// 2.7 and 3.0–3.6: `stackdepth_walk`, a depth-first walk over blocks (a block starts at
/// offset 0 and at every jump target) that skips a block on the current path or already
/// reached with at least this depth. Iterative, with a step budget.
fn recursive(
    g: &mut Graph<'_, '_>,
    rules: &StackRules,
    entry: i64,
    before: &mut [i64],
    budget: usize,
) -> bool {
    /// One pending piece of the recursion.
    enum Frame {
        /// Walking block `block`, now at instruction `i` with `depth`; `done` when only
        /// the nested call for the next block is left (the block stays on the path).
        Walk { block: usize, i: usize, depth: i64, done: bool },
        /// The call for the block a finished block falls into, made once the calls before
        /// it have returned.
        Enter { block: usize, depth: i64 },
    }
    let n = g.len();
    let mut leader = g.is_target.clone();
    leader[0] = true;
    let mut on_path = vec![false; n];
    let mut start_depth = vec![i64::MIN; n];
    let enter = |on_path: &mut [bool], start_depth: &mut [i64], b: usize, depth: i64| -> Option<Frame> {
        if on_path[b] || start_depth[b] >= depth {
            return None;
        }
        on_path[b] = true;
        start_depth[b] = depth;
        Some(Frame::Walk { block: b, i: b, depth, done: false })
    };
    let mut frames: Vec<Frame> = enter(&mut on_path, &mut start_depth, 0, entry).into_iter().collect();
    let mut steps = 0usize;
    while let Some(frame) = frames.last_mut() {
        steps += 1;
        if steps > budget {
            return false;
        }
        let (i, d) = match *frame {
            Frame::Enter { block, depth } => {
                frames.pop();
                frames.extend(enter(&mut on_path, &mut start_depth, block, depth));
                continue;
            }
            Frame::Walk { block, done: true, .. } => {
                on_path[block] = false;
                frames.pop();
                continue;
            }
            Frame::Walk { i, depth, .. } => (i, depth),
        };
        before[i] = before[i].max(d.max(0));
        let Some(fall) = g.net(i, false) else {
            push_problem(
                &mut g.problems,
                g.ops[i].offset,
                ProblemKind::UnknownOpcode { op: g.ops[i].opcode },
            );
            if let Frame::Walk { done, .. } = frame {
                *done = true;
            }
            continue;
        };
        let after = d.saturating_add(fall);
        let stop = rules.stops(g.sems[i].flow);
        let next = i + 1;
        let off_end = !stop && next >= n;
        let into_next = !stop && !off_end && leader[next];
        if let Frame::Walk { i: fi, depth, done, .. } = frame {
            if stop || off_end || into_next {
                *done = true;
            } else {
                *fi = next;
                *depth = after;
            }
        }
        // CPython's order: the call for the jump target now, the one for the next block
        // after it returns.
        if into_next {
            frames.push(Frame::Enter { block: next, depth: after });
        }
        if let Some(t) = g.jump_edge(i, rules) {
            let td = d.saturating_add(g.net(i, true).unwrap_or(fall));
            frames.extend(enter(&mut on_path, &mut start_depth, t, td));
        }
    }
    true
}
