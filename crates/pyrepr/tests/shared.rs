//! Constants shared through marshal references: hashing, comparing and
//! ordering them is linear in the input however the sharing expands (issue
//! 17, item 2), and gives what the expansion gives.

use std::time::{Duration, Instant};

use bytescope_marshal::{Format, Marshal, Value};
use bytescope_pyrepr::{ConstKeys, PythonVersion, ReprError, ReprOptions, hash_tuple, repr_object};

const V312: PythonVersion = PythonVersion::PY312;

/// A marshal stream writer that counts reference slots.
#[derive(Default)]
struct W {
    buf: Vec<u8>,
    refs: u32,
}

impl W {
    /// A container head (`(` or `>`) of `n` items taking a reference slot.
    fn head(&mut self, code: u8, n: u32) -> u32 {
        self.buf.push(code | 0x80);
        self.buf.extend_from_slice(&n.to_le_bytes());
        self.refs += 1;
        self.refs - 1
    }

    fn reference(&mut self, slot: u32) {
        self.buf.push(b'r');
        self.buf.extend_from_slice(&slot.to_le_bytes());
    }

    fn int(&mut self, v: i32) {
        self.buf.push(b'i');
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// `x_k = C(x_{k-1}, x_{k-1})`, the second a reference; `x_0 = C()`.
    fn doubling(&mut self, code: u8, k: u32) -> u32 {
        if k == 0 {
            return self.head(code, 0);
        }
        let slot = self.head(code, 2);
        let inner = self.doubling(code, k - 1);
        self.reference(inner);
        slot
    }
}

fn read(data: &[u8]) -> Marshal<'_> {
    bytescope_marshal::read(data, Format::for_version(V312), 0).expect("marshal")
}

/// `frozenset({1, t_k})` with `t_k = (t_{k-1}, t_{k-1})`.
fn tuple_doubling_set(k: u32) -> Vec<u8> {
    let mut w = W::default();
    w.buf.extend_from_slice(b">\x02\x00\x00\x00");
    w.int(1);
    w.doubling(b'(', k);
    w.buf
}

#[test]
fn doubling_tuples_hash_once_per_level() {
    let data = tuple_doubling_set(60);
    let m = read(&data);
    let start = Instant::now();
    let Value::FrozenSet(items) = m.get(m.root()) else { panic!("not a frozenset") };
    let items = m.items(*items).to_vec();
    let mut keys = ConstKeys::new(&m);
    // hash(t_k) by the recurrence, as CPython's tuple hash computes it.
    let mut want = hash_tuple(&[], V312);
    for _ in 0..60 {
        want = hash_tuple(&[want, want], V312);
    }
    assert_eq!(keys.hash(items[1]), Some(want));
    assert_eq!(keys.set_order(&items).map(|o| o.len()), Some(2));
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
}

#[test]
fn doubling_tuples_repr_stops_at_the_budget() {
    let data = tuple_doubling_set(40);
    let m = read(&data);
    let start = Instant::now();
    let mut out = String::new();
    let r = repr_object(&mut out, &m, m.root(), ReprOptions { max_len: 1 << 20 });
    assert_eq!(r, Err(ReprError::TooLarge { limit: 1 << 20 }));
    assert!(out.len() <= 2 << 20);
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
    // A small one prints in full: each shared level's text is copied.
    let data = tuple_doubling_set(3);
    let m = read(&data);
    let mut out = String::new();
    repr_object(&mut out, &m, m.root(), ReprOptions::default()).expect("repr");
    assert_eq!(out, "frozenset({1, ((((), ()), ((), ())), (((), ()), ((), ())))})");
}

/// `f_k = frozenset({f_{k-1}, f_{k-1}})`: one element (the same object
/// twice), so the repr is linear in k while the expansion doubles.
#[test]
fn doubling_frozensets_print_small_and_in_order() {
    for k in [12u32, 40, 1000] {
        let mut w = W::default();
        w.buf.extend_from_slice(b">\x02\x00\x00\x00");
        w.doubling(b'>', k);
        w.int(0);
        let m = read(&w.buf);
        let start = Instant::now();
        let mut out = String::new();
        let r = repr_object(&mut out, &m, m.root(), ReprOptions::default());
        assert!(start.elapsed() < Duration::from_secs(1), "k={k}: {:?}", start.elapsed());
        if k > 190 {
            // Deeper than bytescope shows constants (CPython's limit is ~990).
            assert_eq!(r, Err(ReprError::TooDeep));
            continue;
        }
        r.expect("repr");
        // CPython 3.12.1 prints k = 12 as `frozenset({0, frozenset({...})})`.
        let mut want = "frozenset()".to_owned();
        for _ in 0..k {
            want = format!("frozenset({{{want}}})");
        }
        assert_eq!(out, format!("frozenset({{0, {want}}})"));
    }
}

/// Two separately written, equal chains: comparing them takes one step per
/// level (each pair once), not 2^k.
#[test]
fn equal_doubling_chains_compare_once_per_pair() {
    let mut w = W::default();
    w.buf.extend_from_slice(b">\x02\x00\x00\x00");
    w.doubling(b'(', 50);
    w.doubling(b'(', 50);
    let m = read(&w.buf);
    let start = Instant::now();
    let Value::FrozenSet(items) = m.get(m.root()) else { panic!("not a frozenset") };
    let items = m.items(*items).to_vec();
    let mut keys = ConstKeys::new(&m);
    assert!(keys.eq(items[0], items[1]));
    // Equal elements collapse: the set has one.
    assert_eq!(keys.set_order(&items), Some(vec![items[0]]));
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
}
