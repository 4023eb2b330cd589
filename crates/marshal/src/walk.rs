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
///
/// Distinct code objects can also share their fields (a names tuple of
/// 50,000 names held by 20,000 code objects, one large bytecode string):
/// every consumer reads them again for each. Such sharing (crafted data;
/// compilers share only small singletons) has a budget of its own, one unit
/// (a name, a byte) per input byte plus 4096; past it the walk stops, and
/// [`CodeWalk::overflow`] says where.
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
    seen_fields: Vec<u64>,
    /// Work units left for first visits of code objects whose fields other
    /// code objects hold too (names, bytecode, tables: each consumer reads
    /// them again for each).
    shared_budget: usize,
    /// The whole shared-field budget.
    shared_limit: usize,
    /// Where the shared-field budget ran out: the walk stopped there.
    overflow: Option<usize>,
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
            seen_fields: Vec::new(),
            shared_budget: Self::shared_field_limit(m),
            shared_limit: Self::shared_field_limit(m),
            overflow: None,
            code_counts: std::collections::HashMap::new(),
            yielded: 0,
            budget: m.end_offset().saturating_mul(4).saturating_add(4096),
            repeats: true,
            skipped: 0,
        }
    }

    /// The budget for re-reading fields that distinct code objects of `m`
    /// share (one unit, a name or a byte, per input byte plus 4096): a
    /// consumer that reads every code object's fields once in full stays
    /// linear in the input while [`Marshal::shared_code_fields`] is within
    /// it (always, for files a compiler wrote).
    #[must_use]
    pub fn shared_field_limit(m: &Marshal<'_>) -> usize {
        m.end_offset().saturating_add(4096)
    }

    /// The walk over the code object `code` of `m` and those nested in it
    /// (nothing if `code` is not a code object of `m`).
    #[must_use]
    pub fn from_code(m: &'m Marshal<'a>, code: ObjId) -> Self {
        CodeWalk { root: Some(code), ..CodeWalk::new(m) }
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

    /// Whether the `co_consts` tuple `node` was scanned before; marks it.
    fn field_seen(&mut self, node: ObjId) -> bool {
        let i = node.index();
        if self.seen_fields.is_empty() {
            self.seen_fields = vec![0; self.m.nodes().len().div_ceil(64)];
        }
        let bit = 1u64 << (i % 64);
        match self.seen_fields.get_mut(i / 64) {
            Some(word) => {
                let seen = *word & bit != 0;
                *word |= bit;
                seen
            }
            None => false,
        }
    }

    /// The size (items or bytes) of the fields of `code` that consumers
    /// read in full (bytecode, name tuples, kinds, tables): of all of them
    /// (`all`, for a repeat), or of those that are marshal references to an
    /// object written elsewhere (shared with an earlier code object; a field
    /// written in place is read once). Constants are not counted: they are
    /// borrowed, and their scan is counted where it happens.
    fn field_units(&self, code: &CodeNode, all: bool) -> usize {
        field_units(self.m, code, all)
    }

    /// What a consumer that reads `code`'s fields in full (bytecode, name
    /// tuples, kinds, tables; not constants) reads again because they are
    /// marshal references to objects other code objects hold: the units
    /// the walk charges to its shared-field budget
    /// ([`CodeWalk::shared_field_limit`]).
    #[must_use]
    pub fn shared_units(m: &Marshal<'_>, code: &CodeNode) -> usize {
        field_units(m, code, false)
    }

    /// Where the walk stopped because code objects share more fields than
    /// its budget allows (the offset of the first code object not yielded);
    /// the walk yields nothing after that.
    #[must_use]
    pub fn overflow(&self) -> Option<usize> {
        self.overflow
    }

    /// Visits `id` (a `co_consts` item, or the root) if it is a code object.
    #[inline(always)]
    fn visit(&mut self, id: ObjId, parent: Option<usize>) -> Option<CodeVisit<'m>> {
        // Most constants are not code objects: no call for them.
        let Value::Code(index) = self.m.get(id) else { return None };
        self.visit_code(*index, parent)
    }

    /// Visits the code object `index` (of [`Marshal::codes`]).
    #[inline(never)]
    fn visit_code(&mut self, index: u32, parent: Option<usize>) -> Option<CodeVisit<'m>> {
        let m = self.m;
        let index = &index;
        let code = m.codes().get(*index as usize)?;
        let repeat = *self.seen_codes.get(*index as usize)?;
        let items = m.tuple(code.consts).unwrap_or(&[]);
        if repeat {
            let cost = REPEAT_COST.saturating_add(self.field_units(code, true));
            if !self.allow_repeat(cost) {
                self.skipped += 1;
                return None;
            }
        } else {
            // The fields only this code object holds are read once in the
            // whole walk; those it shares are read again for it (counted
            // only when the stream shares more than the budget in all).
            let shared =
                if m.shared_code_fields() > self.shared_limit { self.field_units(code, false) } else { 0 };
            if shared > self.shared_budget {
                self.overflow = Some(m.node(code.node).offset as usize);
                self.frames.clear();
                return None;
            }
            self.shared_budget -= shared;
            if let Some(seen) = self.seen_codes.get_mut(*index as usize) {
                *seen = true;
            }
        }
        let position = self.yielded;
        self.yielded += 1;
        // A tuple scanned before belongs to another code object, whose
        // nested code objects were all visited then: scanning it again is
        // a repeat of each (a distinct code object sharing the tuple gets
        // them only while repeats last).
        // (A tuple written here without a reference slot is met only here:
        // nothing to remember, nearly always.)
        let tuple = m.resolve(code.consts);
        let held = tuple != code.consts || m.node(tuple).flag_ref();
        if !(held && self.field_seen(tuple)) || self.allow_repeat(items.len()) {
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
        if self.overflow.is_some() {
            return None;
        }
        if let Some(root) = self.root.take()
            && let Some(v) = self.visit(root, None)
        {
            return Some(v);
        }
        let m = self.m;
        loop {
            let (items, parent) = self.frames.last_mut()?;
            // The next code object among the constants (most are not).
            let Some(i) = items.iter().position(|&c| matches!(m.get(c), Value::Code(_))) else {
                self.frames.pop();
                continue;
            };
            let id = items[i];
            *items = &items[i + 1..];
            let parent = *parent;
            if let Some(v) = self.visit(id, Some(parent)) {
                return Some(v);
            }
        }
    }
}

/// The size of `code`'s fields that consumers read in full: all of them
/// (`all`), or those that are marshal references (see `CodeWalk::field_units`).
fn field_units(m: &Marshal<'_>, code: &CodeNode, all: bool) -> usize {
    let fields = [
        Some(code.code),
        Some(code.names),
        Some(code.varnames),
        code.localspluskinds,
        code.freevars,
        code.cellvars,
        Some(code.linetable),
        code.exceptiontable,
    ];
    let mut units = 0usize;
    for field in fields.into_iter().flatten() {
        if !all && !matches!(m.node(field).value, Value::Ref(_) | Value::StringRef(_)) {
            continue;
        }
        units = units.saturating_add(match m.get(field) {
            Value::Bytes(b) => b.len(),
            Value::Tuple(items) | Value::List(items) => items.len(),
            _ => 0,
        });
    }
    units
}
