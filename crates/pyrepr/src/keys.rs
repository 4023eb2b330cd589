//! `hash()`, `==` and frozenset order of constants on the marshal reference
//! graph.
//!
//! Marshal references let a file share one object among many containers:
//! `t_k = (t_{k-1}, t_{k-1})` takes a few bytes per level while its
//! expansion doubles with each. Here every object is hashed once (by its
//! resolved node, bottom-up, without recursion), every pair of objects is
//! compared once, and identical objects are equal without a look inside (as
//! CPython's `PyObject_RichCompareBool` and set lookups treat them), so the
//! work stays linear in the input for any sharing.

use std::borrow::Cow;
use std::collections::HashMap;

use bytescope_marshal::{Marshal, ObjId, Value, long_to_i64};
use bytescope_pyc::PythonVersion;

use crate::hash::{Hashable, hash, hash_frozenset, hash_tuple, py_eq};
use crate::set::set_order_by;

/// Deepest nesting [`ConstKeys::eq`] compares (it recurses); past it the
/// objects count as unequal and the order that depends on them as unknown.
const MAX_EQ_DEPTH: usize = 200;

/// Hashes, equalities and set orders of the constants of one marshal stream
/// as a CPython version computes them (under `PYTHONHASHSEED=0`), memoised
/// per object.
///
/// Equality walks are budgeted (64 steps per node of the stream, plus 4096):
/// a crafted stream of many distinct objects with equal hashes could
/// otherwise make them quadratic. Once the budget is spent, orders that
/// needed more comparisons are reported as unknown (`None`), like orders
/// that depend on addresses.
pub struct ConstKeys<'m, 'a> {
    m: &'m Marshal<'a>,
    v: PythonVersion,
    hashes: HashMap<ObjId, Option<i64>>,
    eqs: HashMap<(ObjId, ObjId), bool>,
    budget: usize,
    /// Set once a comparison gave up (budget or depth): results that
    /// depended on it are not exact.
    gave_up: bool,
}

impl<'m, 'a> ConstKeys<'m, 'a> {
    /// Keys of the objects of `m`, as the version `m` was read as computes them.
    #[must_use]
    pub fn new(m: &'m Marshal<'a>) -> Self {
        ConstKeys {
            m,
            v: m.version(),
            hashes: HashMap::new(),
            eqs: HashMap::new(),
            budget: m.nodes().len().saturating_mul(64).saturating_add(4096),
            gave_up: false,
        }
    }

    /// `hash(obj)`, or `None` where [`crate::hash`] gives none (address-based
    /// hashes, unhashable objects such as lists, code objects, Latin-1-stored
    /// non-ASCII text) or a frozenset's deduplication was not decided.
    pub fn hash(&mut self, id: ObjId) -> Option<i64> {
        let root = self.m.resolve(id);
        if let Some(&h) = self.hashes.get(&root) {
            return h;
        }
        // Post-order over the graph with an explicit stack: a node is
        // expanded once (its children are done before the stack returns to
        // anything pushed earlier), so the pushes total the stream's items.
        let mut stack: Vec<(ObjId, bool)> = vec![(root, false)];
        while let Some((node, expanded)) = stack.pop() {
            if self.hashes.contains_key(&node) {
                continue;
            }
            let h = match self.m.get(node) {
                Value::Tuple(items) | Value::FrozenSet(items) => {
                    let items = self.m.items(*items);
                    if !expanded {
                        stack.push((node, true));
                        for &c in items.iter().rev() {
                            let c = self.m.resolve(c);
                            if !self.hashes.contains_key(&c) {
                                stack.push((c, false));
                            }
                        }
                        continue;
                    }
                    self.container_hash(node, items)
                }
                value => leaf(value).and_then(|k| hash(&k, self.v)),
            };
            self.hashes.insert(node, h);
        }
        self.hashes.get(&root).copied().flatten()
    }

    /// The hash of a tuple or frozenset whose items are hashed.
    fn container_hash(&mut self, node: ObjId, items: &[ObjId]) -> Option<i64> {
        let hashes: Vec<i64> = items
            .iter()
            .map(|&c| self.hashes.get(&self.m.resolve(c)).copied().flatten())
            .collect::<Option<_>>()?;
        if let Value::Tuple(_) = self.m.get(node) {
            return Some(hash_tuple(&hashes, self.v));
        }
        let kept = self.order_with(items, &hashes)?;
        let kept: Vec<i64> = kept.iter().map(|&i| hashes[i]).collect();
        Some(hash_frozenset(&kept, self.v))
    }

    /// The iteration order of a frozenset (or set) of `items` built by
    /// marshal: the items in that version's table order, equal ones
    /// dropped after the first. `None` when not emulable (see
    /// [`ConstKeys::hash`]).
    pub fn set_order(&mut self, items: &[ObjId]) -> Option<Vec<ObjId>> {
        let hashes: Vec<i64> = items.iter().map(|&c| self.hash(c)).collect::<Option<_>>()?;
        let order = self.order_with(items, &hashes)?;
        Some(order.into_iter().map(|i| items[i]).collect())
    }

    /// [`set_order_by`] of `items` with their `hashes`; `None` if a
    /// comparison gave up.
    fn order_with(&mut self, items: &[ObjId], hashes: &[i64]) -> Option<Vec<usize>> {
        let before = self.gave_up;
        self.gave_up = false;
        let order = set_order_by(hashes, self.v, |a, b| self.eq_at(items[a], items[b], 0));
        let gave_up = self.gave_up;
        self.gave_up |= before;
        (!gave_up).then_some(order)
    }

    /// Python's `==` between two constants (see [`crate::py_eq`]), with
    /// identical objects equal.
    pub fn eq(&mut self, a: ObjId, b: ObjId) -> bool {
        self.eq_at(a, b, 0)
    }

    fn eq_at(&mut self, a: ObjId, b: ObjId, depth: usize) -> bool {
        let (a, b) = (self.m.resolve(a), self.m.resolve(b));
        if a == b {
            return true;
        }
        let (va, vb) = (self.m.get(a), self.m.get(b));
        let containers = matches!(va, Value::Tuple(_) | Value::FrozenSet(_))
            && matches!(vb, Value::Tuple(_) | Value::FrozenSet(_));
        if !containers {
            // Scalars (and a scalar against a container): no walk to share.
            return scalar_eq(va, vb, self.v);
        }
        let key = (a.min(b), a.max(b));
        if let Some(&r) = self.eqs.get(&key) {
            return r;
        }
        if self.budget == 0 || depth > MAX_EQ_DEPTH {
            self.gave_up = true;
            return false;
        }
        self.budget -= 1;
        // Equal objects have equal hashes (where both are known).
        if let (Some(ha), Some(hb)) = (self.hash(a), self.hash(b))
            && ha != hb
        {
            self.eqs.insert(key, false);
            return false;
        }
        let m = self.m;
        let before = std::mem::replace(&mut self.gave_up, false);
        let r = match (va, vb) {
            (Value::Tuple(x), Value::Tuple(y)) => {
                let (x, y) = (m.items(*x), m.items(*y));
                x.len() == y.len() && x.iter().zip(y).all(|(&p, &q)| self.eq_at(p, q, depth + 1))
            }
            (Value::FrozenSet(x), Value::FrozenSet(y)) => self.frozenset_eq(m.items(*x), m.items(*y), depth),
            _ => false,
        };
        // A result that rests on a comparison given up is not kept.
        if !self.gave_up {
            self.eqs.insert(key, r);
        }
        self.gave_up |= before;
        r
    }

    /// `frozenset(x) == frozenset(y)`: the same distinct elements.
    fn frozenset_eq(&mut self, x: &[ObjId], y: &[ObjId], depth: usize) -> bool {
        let dx = self.distinct(x, depth);
        let dy = self.distinct(y, depth);
        if dx.len() != dy.len() {
            return false;
        }
        dx.iter().all(|&p| {
            let hp = self.hash(p);
            dy.iter().any(|&q| {
                let same_hash = match (hp, self.hash(q)) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                };
                same_hash && self.eq_at(p, q, depth + 1)
            })
        })
    }

    /// The elements of `items` with later equal ones dropped.
    fn distinct(&mut self, items: &[ObjId], depth: usize) -> Vec<ObjId> {
        let mut out: Vec<ObjId> = Vec::new();
        for &item in items {
            if !out.iter().any(|&o| self.eq_at(o, item, depth + 1)) {
                out.push(item);
            }
        }
        out
    }
}

/// `==` of two objects that are not both containers: the common cases
/// directly, the others through [`py_eq`].
fn scalar_eq(a: &Value<'_>, b: &Value<'_>, v: PythonVersion) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        // Marshal longs are normalised (the reader checks): equal values
        // have equal digits.
        (Value::Long { size: s, digits: d }, Value::Long { size: t, digits: e }) => s == t && d == e,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::Str { data: x, encoding: e, .. }, Value::Str { data: y, encoding: f, .. })
            if e == f && x == y =>
        {
            true
        }
        _ => match (leaf(a), leaf(b)) {
            (Some(p), Some(q)) => py_eq(&p, &q, v),
            _ => false,
        },
    }
}

/// A non-container constant as a [`Hashable`]; `None` for containers and
/// values this crate cannot hash.
fn leaf<'a>(value: &Value<'a>) -> Option<Hashable<'a>> {
    Some(match value {
        Value::None => Hashable::None,
        Value::True => Hashable::Bool(true),
        Value::False => Hashable::Bool(false),
        Value::Ellipsis => Hashable::Ellipsis,
        Value::Int(i) => Hashable::Int(*i),
        Value::Long { size, digits } => match long_to_i64(*size, digits) {
            Some(i) => Hashable::Int(i),
            None => {
                let ds: Vec<u16> = digits.chunks_exact(2).map(|d| u16::from_le_bytes([d[0], d[1]])).collect();
                Hashable::Long(crate::long_from_digits(*size < 0, &ds))
            }
        },
        Value::Float { value, .. } => Hashable::Float(*value),
        Value::Complex { re, im, .. } => Hashable::Complex(*re, *im),
        Value::Str { data, encoding, .. } => match bytescope_marshal::str_utf8(data, *encoding) {
            Cow::Borrowed(b) => Hashable::Str(b),
            // Latin-1 stored non-ASCII text: rare enough to give up on order.
            Cow::Owned(_) => return None,
        },
        Value::Bytes(b) => Hashable::Bytes(b),
        _ => return None,
    })
}
