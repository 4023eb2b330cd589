//! Nothing panics on arbitrary input (a cheap deterministic fuzz pass).

use bytescope_pyrepr::{
    Hashable, PythonVersion, frozenset_order, hash, repr_bytes, repr_complex, repr_float, repr_long,
    repr_str, set_order,
};

/// xorshift64*, enough for input variety.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn no_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let versions = [
        PythonVersion::PY15,
        PythonVersion::PY27,
        PythonVersion::PY30,
        PythonVersion::PY33,
        PythonVersion::PY34,
        PythonVersion::PY35,
        PythonVersion::PY310,
        PythonVersion::PY315,
        PythonVersion::new(3, 99),
    ];
    for round in 0..3000 {
        let v = versions[round % versions.len()];
        let n = (rng.next() % 24) as usize;
        let b = rng.bytes(n);
        let mut out = String::new();
        repr_str(&mut out, &b, v);
        repr_bytes(&mut out, &b, v);
        repr_float(&mut out, f64::from_bits(rng.next()), v);
        repr_complex(&mut out, f64::from_bits(rng.next()), f64::from_bits(rng.next()), v);
        let digits: Vec<u16> = (0..n).map(|_| rng.next() as u16).collect();
        let _ = repr_long(&mut out, rng.next() & 1 == 1, &digits, v);
        let elems: Vec<Hashable<'_>> = vec![
            Hashable::Str(&b),
            Hashable::Bytes(&b),
            Hashable::Float(f64::from_bits(rng.next())),
            Hashable::Complex(f64::from_bits(rng.next()), f64::from_bits(rng.next())),
            Hashable::Int(rng.next() as i64),
            Hashable::Tuple(vec![
                Hashable::Str(&b),
                Hashable::FrozenSet(vec![Hashable::Int(1), Hashable::Bool(true)]),
            ]),
            Hashable::None,
            Hashable::Ellipsis,
        ];
        for e in &elems {
            let _ = hash(e, v);
        }
        let _ = frozenset_order(&elems, v);
        let hashes: Vec<i64> = (0..n * 8).map(|_| rng.next() as i64 % 64).collect();
        let order = set_order(&hashes, v);
        assert_eq!(order.len(), hashes.len());
    }
}
