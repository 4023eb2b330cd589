//! The pre-order walk over a stream's code objects, as `dis` recurses.

use crate::object::{CodeNode, Marshal, ObjId, Value};

/// One code object reached by a [`CodeWalk`].
#[derive(Clone, Copy, Debug)]
pub struct CodeVisit<'m> {
    /// The code object.
    pub code: &'m CodeNode,
    /// Position of the visit whose `co_consts` holds this one (`None` for
    /// the root). Positions count the visits the walk yields.
    pub parent: Option<usize>,
    /// Whether the walk has yielded this code object before: a marshal
    /// reference puts one code object in several places.
    pub repeat: bool,
}

/// Work units a repeat visit costs: this plus its `co_code` bytes (and
/// scanning its `co_consts` again costs one unit per item).
const REPEAT_COST: usize = 64;

/// Code objects in pre-order: the root, then each nested code object in
/// `co_consts` order, recursively — the order `dis` lists them in.
///
/// Every distinct code object is yielded, always: a code object that marshal
/// references put in several places (crafted files; compilers never share
/// them) is yielded *again* at each further place, as CPython's `dis` lists
/// it, only while a budget of work lasts (by default 4 units per input byte
/// plus 4096; a repeat costs 64 units plus its bytecode and its constants).
/// Past it, or after [`CodeWalk::stop_repeats`], repeats are skipped, with
/// what they hold (their nested code objects were all visited the first
/// time), and [`CodeWalk::skipped`] counts them. A shared `co_consts` tuple
/// is scanned once for free, again only as part of a repeat, so the walk is
/// linear in the input.
#[derive(Debug)]
pub struct CodeWalk<'m, 'a> {
    m: &'m Marshal<'a>,
    root: Option<ObjId>,
    /// `co_consts` items still to look at, innermost last, with the
    /// position of the visit they belong to.
    frames: Vec<(&'m [ObjId], usize)>,
    /// Per code object (index in [`Marshal::codes`]): visited.
    seen_codes: Vec<bool>,
    /// Per node, a bit: a `co_consts` tuple scanned before.
    seen_tuples: Vec<u64>,
    /// Code objects in the shared `co_consts` tuples skipped so far.
    code_counts: std::collections::HashMap<ObjId, usize>,
    yielded: usize,
    budget: usize,
    repeats: bool,
    skipped: usize,
}

impl<'m, 'a> CodeWalk<'m, 'a> {
    /// The walk over the code objects of `m` from its root (nothing if the
    /// root is not a code object).
    #[must_use]
    pub fn new(m: &'m Marshal<'a>) -> Self {
        CodeWalk {
            m,
            root: Some(m.root()),
            frames: Vec::new(),
            seen_codes: vec![false; m.codes().len()],
            seen_tuples: Vec::new(),
            code_counts: std::collections::HashMap::new(),
            yielded: 0,
            budget: m.end_offset().saturating_mul(4).saturating_add(4096),
            repeats: true,
            skipped: 0,
        }
    }

    /// The same walk with `units` of work for repeats (0: none, every code
    /// object once).
    #[must_use]
    pub fn with_repeat_budget(mut self, units: usize) -> Self {
        self.budget = units;
        self.repeats = units > 0;
        self
    }

    /// Skips every repeat from now on (a consumer's own budget ran out).
    pub fn stop_repeats(&mut self) {
        self.repeats = false;
    }

    /// Repeat visits skipped so far (each with whatever it holds).
    #[must_use]
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Whether a repeat costing `cost` units may be visited; spends them.
    fn allow_repeat(&mut self, cost: usize) -> bool {
        if self.repeats && cost <= self.budget {
            self.budget -= cost;
            return true;
        }
        self.repeats = false;
        false
    }

    /// Whether the node `tuple` was scanned before; marks it.
    fn tuple_seen(&mut self, tuple: ObjId) -> bool {
        let i = tuple.index();
        if self.seen_tuples.is_empty() {
            self.seen_tuples = vec![0; self.m.nodes().len().div_ceil(64)];
        }
        let bit = 1u64 << (i % 64);
        match self.seen_tuples.get_mut(i / 64) {
            Some(word) => {
                let seen = *word & bit != 0;
                *word |= bit;
                seen
            }
            None => false,
        }
    }

    /// Visits `id` (a `co_consts` item, or the root) if it is a code object.
    fn visit(&mut self, id: ObjId, parent: Option<usize>) -> Option<CodeVisit<'m>> {
        let m = self.m;
        let Value::Code(index) = m.get(id) else { return None };
        let code = m.codes().get(*index as usize)?;
        let seen = self.seen_codes.get_mut(*index as usize)?;
        let repeat = std::mem::replace(seen, true);
        let items = m.tuple(code.consts).unwrap_or(&[]);
        if repeat {
            let code_len = m.bytes(code.code).map_or(0, <[u8]>::len);
            let cost = REPEAT_COST.saturating_add(code_len);
            if !self.allow_repeat(cost) {
                self.skipped += 1;
                return None;
            }
        }
        let position = self.yielded;
        self.yielded += 1;
        // A tuple scanned before belongs to another code object, whose
        // nested code objects were all visited then: scanning it again is
        // a repeat of each (a distinct code object sharing the tuple gets
        // them only while repeats last).
        let tuple = m.resolve(code.consts);
        if !self.tuple_seen(tuple) || self.allow_repeat(items.len()) {
            self.frames.push((items, position));
        } else {
            let count = *self
                .code_counts
                .entry(tuple)
                .or_insert_with(|| items.iter().filter(|&&c| m.code(c).is_some()).count());
            self.skipped += count;
        }
        Some(CodeVisit { code, parent, repeat })
    }
}

impl<'m> Iterator for CodeWalk<'m, '_> {
    type Item = CodeVisit<'m>;

    fn next(&mut self) -> Option<CodeVisit<'m>> {
        if let Some(root) = self.root.take()
            && let Some(v) = self.visit(root, None)
        {
            return Some(v);
        }
        loop {
            let (items, parent) = self.frames.last_mut()?;
            let Some((&first, rest)) = items.split_first() else {
                self.frames.pop();
                continue;
            };
            *items = rest;
            let parent = *parent;
            if let Some(v) = self.visit(first, Some(parent)) {
                return Some(v);
            }
        }
    }
}
