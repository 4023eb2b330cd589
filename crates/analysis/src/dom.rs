//! Reachability, dominators (Lengauer–Tarjan, iterative: crafted code gives graphs of
//! millions of blocks and arbitrary depth), loop back edges and natural loops of a
//! [`Cfg`].

use crate::cfg::{Cfg, EdgeKind, Loop};

const NONE: u32 = u32::MAX;

/// Loop work (blocks and edges visited while collecting loop bodies and counting
/// iterations) allowed per block and edge of the graph, plus a constant: real code nests a
/// few loops deep; thousands of crafted nested loops would take quadratic time.
const LOOP_WORK_PER_ITEM: usize = 32;

/// The working vectors of [`finish`], kept between code objects (see [`crate::Scratch`]).
#[derive(Debug, Default)]
pub(crate) struct DomBufs {
    preds: Preds,
    dfs: Dfs,
    dfs_stack: Vec<(u32, usize)>,
    lt: Lt,
    tree: DomTree,
    loops: LoopBufs,
}

/// Fills in reachability, immediate dominators, back edges and loops.
pub(crate) fn finish(cfg: &mut Cfg, bufs: &mut DomBufs) {
    let nb = cfg.blocks.len();
    if nb == 0 {
        return;
    }
    let DomBufs { preds, dfs: d, dfs_stack, lt, tree, loops: lb } = bufs;
    preds.fill(cfg);
    d.fill(cfg, dfs_stack);
    for &v in &d.vertex {
        cfg.blocks[v as usize].reachable = true;
    }
    lengauer_tarjan(d, preds, lt);
    for (w, &i) in lt.idom.iter().enumerate().skip(1) {
        if i != NONE {
            cfg.blocks[d.vertex[w] as usize].idom = Some(d.vertex[i as usize]);
        }
    }
    tree.fill(cfg);
    let mut any_back = false;
    for e in &mut cfg.edges {
        e.back = cfg.blocks[e.from as usize].reachable && tree.dominates(e.to, e.from);
        any_back |= e.back;
    }
    if any_back {
        loops(cfg, preds, lb);
    }
}

/// Predecessors of every block, as a compressed list.
#[derive(Debug, Default)]
struct Preds {
    start: Vec<u32>,
    fill: Vec<u32>,
    list: Vec<u32>,
}

impl Preds {
    fn fill(&mut self, cfg: &Cfg) {
        let nb = cfg.blocks.len();
        let count = &mut self.start;
        count.clear();
        count.resize(nb + 1, 0);
        for e in &cfg.edges {
            count[e.to as usize + 1] += 1;
        }
        for i in 0..nb {
            count[i + 1] += count[i];
        }
        self.fill.clear();
        self.fill.extend_from_slice(count);
        self.list.clear();
        self.list.resize(cfg.edges.len(), 0);
        for e in &cfg.edges {
            let slot = &mut self.fill[e.to as usize];
            self.list[*slot as usize] = e.from;
            *slot += 1;
        }
    }

    fn of(&self, b: u32) -> &[u32] {
        let b = b as usize;
        &self.list[self.start[b] as usize..self.start[b + 1] as usize]
    }
}

/// A depth-first numbering of the blocks reachable from the entry.
#[derive(Debug, Default)]
struct Dfs {
    /// Block of each DFS number.
    vertex: Vec<u32>,
    /// DFS number of each block ([`NONE`] when unreachable).
    number: Vec<u32>,
    /// DFS number of each DFS number's parent.
    parent: Vec<u32>,
}

impl Dfs {
    fn fill(&mut self, cfg: &Cfg, stack: &mut Vec<(u32, usize)>) {
        let nb = cfg.blocks.len();
        self.vertex.clear();
        self.parent.clear();
        self.number.clear();
        self.number.resize(nb, NONE);
        stack.clear();
        let visit = |d: &mut Dfs, b: u32, parent: u32, stack: &mut Vec<(u32, usize)>| {
            d.number[b as usize] = u32::try_from(d.vertex.len()).unwrap_or(NONE);
            d.vertex.push(b);
            d.parent.push(parent);
            stack.push((b, 0));
        };
        visit(self, 0, NONE, stack);
        while let Some(top) = stack.last_mut() {
            let (b, k) = *top;
            let succ = cfg.successors(b);
            if let Some(e) = succ.get(k) {
                top.1 += 1;
                if self.number[e.to as usize] == NONE {
                    let p = self.number[b as usize];
                    visit(self, e.to, p, stack);
                }
            } else {
                stack.pop();
            }
        }
    }
}

/// Lengauer and Tarjan's working vectors; [`Lt::idom`] is the result.
#[derive(Debug, Default)]
struct Lt {
    semi: Vec<u32>,
    label: Vec<u32>,
    ancestor: Vec<u32>,
    /// Immediate dominators by DFS number (`NONE` for the root).
    idom: Vec<u32>,
    bucket_head: Vec<u32>,
    bucket_next: Vec<u32>,
    path: Vec<u32>,
}

/// Immediate dominators by DFS number (`NONE` for the root) into `lt.idom`, Lengauer and
/// Tarjan's simple version (path compression without balancing): `O(m log n)`.
fn lengauer_tarjan(d: &Dfs, preds: &Preds, lt: &mut Lt) {
    let r = d.vertex.len();
    let Lt { semi, label, ancestor, idom, bucket_head, bucket_next, path } = lt;
    semi.clear();
    semi.extend((0..r).map(|i| u32::try_from(i).unwrap_or(NONE)));
    label.clear();
    label.extend_from_slice(semi);
    for v in [&mut *ancestor, &mut *idom, &mut *bucket_head, &mut *bucket_next] {
        v.clear();
        v.resize(r, NONE);
    }
    let mut eval = |v: u32, ancestor: &mut [u32], label: &mut [u32], semi: &[u32]| -> u32 {
        if ancestor[v as usize] == NONE {
            return v;
        }
        // Compress the path from `v` to the root of its tree in the forest.
        path.clear();
        let mut x = v;
        while ancestor[ancestor[x as usize] as usize] != NONE {
            path.push(x);
            x = ancestor[x as usize];
        }
        for &x in path.iter().rev() {
            let a = ancestor[x as usize];
            if semi[label[a as usize] as usize] < semi[label[x as usize] as usize] {
                label[x as usize] = label[a as usize];
            }
            ancestor[x as usize] = ancestor[a as usize];
        }
        label[v as usize]
    };
    for w in (1..r).rev() {
        let wv = d.vertex[w];
        for &p in preds.of(wv) {
            let v = d.number[p as usize];
            if v == NONE {
                continue;
            }
            let u = eval(v, ancestor, label, semi);
            if semi[u as usize] < semi[w] {
                semi[w] = semi[u as usize];
            }
        }
        let s = semi[w] as usize;
        bucket_next[w] = bucket_head[s];
        bucket_head[s] = u32::try_from(w).unwrap_or(NONE);
        let p = d.parent[w];
        ancestor[w] = p;
        let mut v = std::mem::replace(&mut bucket_head[p as usize], NONE);
        while v != NONE {
            let u = eval(v, ancestor, label, semi);
            idom[v as usize] = if semi[u as usize] < semi[v as usize] { u } else { p };
            v = bucket_next[v as usize];
        }
    }
    for w in 1..r {
        if idom[w] != semi[w] {
            idom[w] = idom[idom[w] as usize];
        }
    }
}

/// The dominator tree, numbered for `O(1)` dominance queries.
#[derive(Debug, Default)]
struct DomTree {
    enter: Vec<u32>,
    leave: Vec<u32>,
    head: Vec<u32>,
    next: Vec<u32>,
    stack: Vec<(u32, u32)>,
}

impl DomTree {
    fn fill(&mut self, cfg: &Cfg) {
        let nb = cfg.blocks.len();
        let DomTree { enter, leave, head, next, stack } = self;
        for v in [&mut *head, &mut *next, &mut *enter] {
            v.clear();
            v.resize(nb, NONE);
        }
        leave.clear();
        leave.resize(nb, 0);
        for b in (0..nb).rev() {
            if let Some(p) = cfg.blocks[b].idom {
                next[b] = head[p as usize];
                head[p as usize] = u32::try_from(b).unwrap_or(NONE);
            }
        }
        let mut clock = 0u32;
        stack.clear();
        stack.push((0, head[0]));
        enter[0] = 0;
        while let Some(top) = stack.last_mut() {
            let (b, child) = *top;
            if child == NONE {
                leave[b as usize] = clock;
                stack.pop();
            } else {
                top.1 = next[child as usize];
                clock += 1;
                enter[child as usize] = clock;
                stack.push((child, head[child as usize]));
            }
        }
    }

    /// Whether `a` dominates `b` (both reachable).
    fn dominates(&self, a: u32, b: u32) -> bool {
        let (a, b) = (a as usize, b as usize);
        self.enter[a] != NONE
            && self.enter[b] != NONE
            && self.enter[a] <= self.enter[b]
            && self.leave[b] <= self.leave[a]
    }
}

/// Natural loops from the back edges, their nesting, and the instructions per iteration.
/// The working vectors of [`loops`], kept between code objects.
#[derive(Debug, Default)]
struct LoopBufs {
    latches: Vec<(u32, u32)>,
    mark: Vec<u32>,
    work: Vec<u32>,
    innermost: Vec<u32>,
    counter: Iterations,
}

fn loops(cfg: &mut Cfg, preds: &Preds, bufs: &mut LoopBufs) {
    let nb = cfg.blocks.len();
    let mut budget = (nb + cfg.edges.len()).saturating_mul(LOOP_WORK_PER_ITEM).saturating_add(1 << 16);
    let LoopBufs { latches, mark, work, innermost, counter } = bufs;
    // Headers in block order, each with its latches.
    latches.clear();
    latches.extend(cfg.edges.iter().filter(|e| e.back).map(|e| (e.to, e.from)));
    latches.sort_unstable();
    latches.dedup();
    let mut found: Vec<Loop> = Vec::new();
    mark.clear();
    mark.resize(nb, NONE);
    work.clear();
    let mut i = 0;
    'headers: while i < latches.len() {
        let header = latches[i].0;
        let stamp = u32::try_from(found.len()).unwrap_or(NONE);
        let mut lp = Loop {
            header,
            latches: Vec::new(),
            blocks: vec![header],
            parent: None,
            depth: 1,
            per_iteration: None,
        };
        mark[header as usize] = stamp;
        while i < latches.len() && latches[i].0 == header {
            let l = latches[i].1;
            lp.latches.push(l);
            if mark[l as usize] != stamp {
                mark[l as usize] = stamp;
                lp.blocks.push(l);
                work.push(l);
            }
            i += 1;
        }
        while let Some(b) = work.pop() {
            for &p in preds.of(b) {
                if budget == 0 {
                    cfg.loops_truncated = true;
                    break 'headers;
                }
                budget -= 1;
                if cfg.blocks[p as usize].reachable && mark[p as usize] != stamp {
                    mark[p as usize] = stamp;
                    lp.blocks.push(p);
                    work.push(p);
                }
            }
        }
        lp.blocks.sort_unstable();
        found.push(lp);
    }
    work.clear();
    // Nesting: larger loops first; each loop's parent is the smallest larger loop holding
    // its header.
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by_key(|&l| (std::cmp::Reverse(found[l].blocks.len()), found[l].header));
    innermost.clear();
    innermost.resize(nb, NONE);
    let mut parent = vec![NONE; found.len()];
    for &l in &order {
        parent[l] = innermost[found[l].header as usize];
        for &b in &found[l].blocks {
            innermost[b as usize] = u32::try_from(l).unwrap_or(NONE);
        }
    }
    // Output order: the loop tree in pre-order, siblings in code order.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); found.len()];
    let mut roots = Vec::new();
    for (l, &p) in parent.iter().enumerate() {
        match p {
            NONE => roots.push(l),
            p => children[p as usize].push(l),
        }
    }
    let mut pre = Vec::with_capacity(found.len());
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(l) = stack.pop() {
        pre.push(l);
        stack.extend(children[l].iter().rev());
    }
    let mut new_index = vec![NONE; found.len()];
    for (k, &l) in pre.iter().enumerate() {
        new_index[l] = u32::try_from(k).unwrap_or(NONE);
    }
    let mut slots: Vec<Option<Loop>> = found.into_iter().map(Some).collect();
    let mut out: Vec<Loop> = Vec::with_capacity(pre.len());
    for &l in &pre {
        let Some(mut lp) = slots[l].take() else { continue };
        if parent[l] != NONE {
            let p = new_index[parent[l] as usize];
            lp.parent = Some(p);
            lp.depth = out.get(p as usize).map_or(1, |q| q.depth.saturating_add(1));
        }
        out.push(lp);
    }
    counter.reset(nb);
    for lp in &mut out {
        if cfg.loops_truncated {
            break;
        }
        match counter.count(cfg, lp, &mut budget) {
            Some(p) => lp.per_iteration = p,
            None => cfg.loops_truncated = true,
        }
    }
    cfg.loops = out;
}

/// Counts the instructions of one iteration of a loop: paths from the header to a latch
/// over the loop's blocks, without exception edges and without going round a loop (a
/// back edge, or any edge closing a cycle in the depth-first order for irreducible code).
#[derive(Debug, Default)]
struct Iterations {
    /// Loop membership stamp of each block.
    member: Vec<u32>,
    /// Post-order number of each block in the current loop ([`NONE`] when not visited).
    post: Vec<u32>,
    /// `(fewest, most)` instructions from the header to the end of each block.
    dist: Vec<(u32, u32)>,
    order: Vec<u32>,
    stamp: u32,
}

impl Iterations {
    fn reset(&mut self, nb: usize) {
        for v in [&mut self.member, &mut self.post] {
            v.clear();
            v.resize(nb, NONE);
        }
        self.dist.clear();
        self.dist.resize(nb, (0, 0));
        self.order.clear();
        self.stamp = 0;
    }

    /// `Some(per_iteration)`, or `None` when the budget ran out.
    fn count(&mut self, cfg: &Cfg, lp: &Loop, budget: &mut usize) -> Option<Option<(u32, u32)>> {
        self.stamp += 1;
        for &b in &lp.blocks {
            self.member[b as usize] = self.stamp;
            self.post[b as usize] = NONE;
        }
        let inside = |s: &Iterations, e: &crate::cfg::Edge| {
            e.kind != EdgeKind::Exception && e.to != lp.header && s.member[e.to as usize] == s.stamp
        };
        // Post-order from the header.
        self.order.clear();
        let mut stack = vec![(lp.header, 0usize)];
        self.post[lp.header as usize] = NONE - 1;
        while let Some(top) = stack.last_mut() {
            let (b, k) = *top;
            let succ = cfg.successors(b);
            if let Some(e) = succ.get(k) {
                top.1 += 1;
                *budget = budget.checked_sub(1)?;
                if inside(self, e) && self.post[e.to as usize] == NONE {
                    self.post[e.to as usize] = NONE - 1;
                    stack.push((e.to, 0));
                }
            } else {
                self.post[b as usize] = u32::try_from(self.order.len()).unwrap_or(NONE - 2);
                self.order.push(b);
                stack.pop();
            }
        }
        // Longest and shortest paths over the acyclic part, in reverse post-order.
        for &b in &self.order {
            self.dist[b as usize] = (u32::MAX, 0);
        }
        let h = lp.header as usize;
        self.dist[h] = (cfg.blocks[h].len, cfg.blocks[h].len);
        for idx in (0..self.order.len()).rev() {
            let b = self.order[idx];
            let (lo, hi) = self.dist[b as usize];
            if lo == u32::MAX {
                continue;
            }
            for e in cfg.successors(b) {
                *budget = budget.checked_sub(1)?;
                // Forward edges only: the target finishes before the source.
                if !inside(self, e) || self.post[e.to as usize] >= self.post[b as usize] {
                    continue;
                }
                let w = cfg.blocks[e.to as usize].len;
                let d = &mut self.dist[e.to as usize];
                d.0 = d.0.min(lo.saturating_add(w));
                d.1 = d.1.max(hi.saturating_add(w));
            }
        }
        let mut best: Option<(u32, u32)> = None;
        for &l in &lp.latches {
            let normal = cfg
                .successors(l)
                .iter()
                .any(|e| e.to == lp.header && e.back && e.kind != EdgeKind::Exception);
            let (lo, hi) = self.dist[l as usize];
            if !normal || self.post[l as usize] == NONE || lo == u32::MAX {
                continue;
            }
            best = Some(best.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        Some(best)
    }
}
