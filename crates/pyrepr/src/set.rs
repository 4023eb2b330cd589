//! Iteration order of a frozenset built by marshal.
//!
//! Every version's marshal reader creates an empty set (8 slots, mask 7) and
//! calls `PySet_Add` for each element in stream order; `repr` then walks the
//! table slot by slot. The table logic differs by version:
//!
//! | versions | probe sequence | grow when (after a new slot is filled) |
//! |---|---|---|
//! | 2.x, 3.0–3.3 | `i = h & mask`, then `i = 5*i + perturb + 1; perturb >>= 5` (perturb starts at `h`) | `fill*3 >= (mask+1)*2` |
//! | 3.4 | `i = h`; slots `i`, `i+1`…`i+9` (wrapping); `perturb >>= 5; i = 5*i + 1 + perturb` | `fill*3 >= (mask+1)*2` |
//! | 3.5–3.6 | `i = h & mask`; slot `i`, then `i+1`…`i+9` only if `i + 9 <= mask`; `perturb >>= 5; i = (5*i + 1 + perturb) & mask` | `fill*3 >= mask*2` |
//! | 3.7+ | as 3.5 | `fill*5 >= mask*3` |
//!
//! Growing rebuilds the table at the smallest power of two (from 8) above
//! `used*4` (`used*2` past 50000 elements), reinserting in old slot order.
//! 3.5 is taken from the 3.6 behaviour (no interpreter to check).

use bytescope_pyc::PythonVersion;

use crate::hash::{Hashable, hash, py_eq};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// 2.x–3.3: dict-style perturbation.
    Classic,
    /// 3.4: wrapping linear probes.
    Linear34,
    /// 3.5+: linear probes that never wrap.
    Linear35,
}

const LINEAR_PROBES: u64 = 9;
const PERTURB_SHIFT: u32 = 5;

fn scheme(v: PythonVersion) -> Scheme {
    if v < PythonVersion::PY34 {
        Scheme::Classic
    } else if v < PythonVersion::PY35 {
        Scheme::Linear34
    } else {
        Scheme::Linear35
    }
}

/// Probe positions for `hash` in a table of `mask + 1` slots, in order.
struct Probe {
    scheme: Scheme,
    mask: u64,
    perturb: u64,
    i: u64,
    /// Linear step within the current block (0 = the block's base slot).
    j: u64,
    started: bool,
}

impl Probe {
    fn new(scheme: Scheme, hash: i64, mask: u64) -> Self {
        let h = hash as u64;
        let i = match scheme {
            Scheme::Linear34 => h,
            Scheme::Classic | Scheme::Linear35 => h & mask,
        };
        Probe { scheme, mask, perturb: h, i, j: 0, started: false }
    }

    fn next_slot(&mut self) -> usize {
        if !self.started {
            self.started = true;
            return (self.i & self.mask) as usize;
        }
        match self.scheme {
            Scheme::Classic => {
                self.i = (self.i << 2).wrapping_add(self.i).wrapping_add(self.perturb).wrapping_add(1);
                self.perturb >>= PERTURB_SHIFT;
                (self.i & self.mask) as usize
            }
            Scheme::Linear34 => {
                if self.j < LINEAR_PROBES {
                    self.j += 1;
                    return (self.i.wrapping_add(self.j) & self.mask) as usize;
                }
                self.j = 0;
                self.perturb >>= PERTURB_SHIFT;
                self.i = self.i.wrapping_mul(5).wrapping_add(1).wrapping_add(self.perturb);
                (self.i & self.mask) as usize
            }
            Scheme::Linear35 => {
                if self.j < LINEAR_PROBES && self.i + LINEAR_PROBES <= self.mask {
                    self.j += 1;
                    return (self.i + self.j) as usize;
                }
                self.j = 0;
                self.perturb >>= PERTURB_SHIFT;
                self.i = self.i.wrapping_mul(5).wrapping_add(1).wrapping_add(self.perturb) & self.mask;
                self.i as usize
            }
        }
    }
}

/// Iteration order of a frozenset (or set) that marshal builds from
/// elements with these hashes, in stream order, all distinct. Returns the
/// element indices in table order.
#[must_use]
pub fn set_order(hashes: &[i64], v: PythonVersion) -> Vec<usize> {
    set_order_by(hashes, v, |_, _| false)
}

/// As [`set_order`], with `eq(a, b)` telling whether elements `a` and `b`
/// (indices into `hashes`) are equal in Python; it is only asked for
/// elements with equal hashes, as CPython does. An element equal to one
/// already inserted is dropped (the first one stays), so the result may be
/// shorter than `hashes`.
#[must_use]
pub fn set_order_by(
    hashes: &[i64],
    v: PythonVersion,
    mut eq: impl FnMut(usize, usize) -> bool,
) -> Vec<usize> {
    let scheme = scheme(v);
    let mut table: Vec<Option<usize>> = vec![None; 8];
    let mut used = 0usize;
    // Real sets probe a few slots per element; crafted ones whose hashes all
    // collide probe past every earlier element (quadratic, in CPython too).
    // Past this budget the marshal order is returned instead.
    let mut budget = 64usize.saturating_mul(hashes.len()).saturating_add(4096);
    for (idx, &h) in hashes.iter().enumerate() {
        let mask = (table.len() - 1) as u64;
        let mut probe = Probe::new(scheme, h, mask);
        let mut duplicate = false;
        // The table always keeps an empty slot, so this ends; the bound
        // guards against any logic error without panicking.
        let mut slot = None;
        for _ in 0..(64 * table.len() + 64) {
            if budget == 0 {
                return (0..hashes.len()).collect();
            }
            budget -= 1;
            let s = probe.next_slot();
            match table.get(s).copied().flatten() {
                None => {
                    slot = Some(s);
                    break;
                }
                Some(other) if hashes[other] == h && eq(other, idx) => {
                    duplicate = true;
                    break;
                }
                Some(_) => {}
            }
        }
        if duplicate {
            continue;
        }
        let Some(s) = slot.or_else(|| table.iter().position(Option::is_none)) else {
            continue;
        };
        table[s] = Some(idx);
        used += 1;
        let fill = used as u64;
        let grow = match v {
            _ if v >= PythonVersion::PY37 => fill * 5 >= mask * 3,
            _ if v >= PythonVersion::PY35 => fill * 3 >= mask * 2,
            _ => fill * 3 >= (mask + 1) * 2,
        };
        if grow {
            let minused = if used > 50_000 { used * 2 } else { used * 4 };
            let mut newsize = 8usize;
            while newsize <= minused {
                newsize <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![None; newsize]);
            let newmask = (newsize - 1) as u64;
            for e in old.into_iter().flatten() {
                let mut probe = Probe::new(scheme, hashes[e], newmask);
                for _ in 0..(64 * newsize + 64) {
                    let s = probe.next_slot();
                    if let Some(cell @ None) = table.get_mut(s) {
                        *cell = Some(e);
                        break;
                    }
                }
            }
        }
    }
    table.into_iter().flatten().collect()
}

/// Iteration order of a frozenset of these constants (marshal stream
/// order), deduplicating equal elements with [`py_eq`]. `None` when some
/// element's hash is not emulable (see [`hash`]).
#[must_use]
pub fn frozenset_order(elements: &[Hashable<'_>], v: PythonVersion) -> Option<Vec<usize>> {
    let hashes = elements.iter().map(|e| hash(e, v)).collect::<Option<Vec<_>>>()?;
    Some(set_order_by(&hashes, v, |a, b| py_eq(&elements[a], &elements[b], v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_ints() {
        // Stream 17, 9, 1 (3.12): 17 → slot 1; 9 collides, no linear probes
        // (1 + 9 > mask), 5*1+1 → slot 6; 1 → 1, 6, then 31 & 7 → slot 7.
        assert_eq!(set_order(&[17, 9, 1], PythonVersion::PY312), vec![0, 1, 2]);
        assert_eq!(set_order(&[], PythonVersion::PY312), Vec::<usize>::new());
        let order = set_order(&(0..100).rev().collect::<Vec<i64>>(), PythonVersion::PY27);
        assert_eq!(order, (0..100).rev().collect::<Vec<usize>>());
    }

    #[test]
    fn dedupe() {
        let elems = [Hashable::Int(1), Hashable::Float(1.0), Hashable::Bool(true), Hashable::Int(2)];
        assert_eq!(frozenset_order(&elems, PythonVersion::PY313), Some(vec![0, 3]));
    }
}
