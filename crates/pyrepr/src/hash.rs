//! `hash()` of constants under `PYTHONHASHSEED=0`, per CPython version.
//!
//! All results assume a 64-bit build (`Py_hash_t` = 64 bits, 30-bit long
//! digits) and, for 3.0–3.2, a wide (UCS-4) unicode build.

use bytescope_pyc::PythonVersion;
use num_bigint::{BigInt, Sign};
use siphasher::sip::{SipHasher13, SipHasher24};
use std::hash::Hasher;

use crate::strings::decode_lenient;

/// A hashable constant as it appears in a code object.
#[derive(Clone, Debug, PartialEq)]
pub enum Hashable<'a> {
    /// An int that fits in 64 bits (marshal `i`, `I`, or a small `l`).
    Int(i64),
    /// Any int (marshal `l`; see [`crate::long_from_digits`]).
    Long(BigInt),
    /// `True` / `False`.
    Bool(bool),
    /// A `str` (Python 2: `unicode`) as marshal stores it: surrogatepass
    /// UTF-8, decoded with [`crate::decode_lenient`].
    Str(&'a [u8]),
    /// `bytes` (Python 2: `str`).
    Bytes(&'a [u8]),
    /// A float.
    Float(f64),
    /// A complex number (real, imaginary).
    Complex(f64, f64),
    /// A tuple.
    Tuple(Vec<Hashable<'a>>),
    /// A frozenset, elements in marshal stream order (duplicates allowed;
    /// they collapse as in CPython).
    FrozenSet(Vec<Hashable<'a>>),
    /// `None`.
    None,
    /// `...`.
    Ellipsis,
}

const MODULUS: u64 = (1 << 61) - 1;
const HASH_INF: i64 = 314_159;

/// `hash(value)` in CPython `v` under `PYTHONHASHSEED=0`.
///
/// `None` (before 3.12) and `Ellipsis` hash by address. Their addresses are
/// statics of the interpreter image: ASLR moves the image by whole pages, so
/// the low 12 bits — which decide the slot of these objects in any set of up
/// to 256 slots — are fixed for a given build. Those hashes use the
/// addresses of the reference builds ([`reference_address`]); the high bits,
/// which ASLR randomises (and which only matter for long probe chains), are
/// taken as zero.
///
/// Returns `None` when the hash cannot be reproduced: a version without a
/// reference build (3.0–3.5) for `None`/`Ellipsis`, a NaN float (or complex with a NaN part) from
/// 3.10, and any container holding one of those.
///
/// Versions before 2.7 are treated as 2.7, versions after 3.15 as 3.15.
#[must_use]
pub fn hash(value: &Hashable<'_>, v: PythonVersion) -> Option<i64> {
    Some(match value {
        Hashable::Int(i) if v >= PythonVersion::PY32 => {
            let m = (i.unsigned_abs() % MODULUS) as i64;
            fix_minus_one(if *i < 0 { -m } else { m })
        }
        Hashable::Int(i) => hash_int(&BigInt::from(*i), v),
        Hashable::Long(n) => hash_int(n, v),
        Hashable::Bool(b) => i64::from(*b),
        Hashable::Str(s) => hash_str_chars(&decode_lenient(s), v),
        Hashable::Bytes(b) => hash_bytes(b, v),
        Hashable::Float(x) => hash_float(*x, v)?,
        Hashable::Complex(re, im) => {
            let r = hash_float(*re, v)? as u64;
            let i = hash_float(*im, v)? as u64;
            fix_minus_one(r.wrapping_add(i.wrapping_mul(1_000_003)) as i64)
        }
        Hashable::Tuple(items) => {
            let hashes = items.iter().map(|x| hash(x, v)).collect::<Option<Vec<_>>>()?;
            hash_tuple(&hashes, v)
        }
        Hashable::FrozenSet(items) => {
            let hashes = items.iter().map(|x| hash(x, v)).collect::<Option<Vec<_>>>()?;
            let kept = crate::set::set_order_by(&hashes, v, |a, b| py_eq(&items[a], &items[b], v));
            let kept: Vec<i64> = kept.iter().map(|&i| hashes[i]).collect();
            hash_frozenset(&kept, v)
        }
        Hashable::None if v >= PythonVersion::PY312 => 0xFCA8_6420,
        Hashable::None => pointer_hash(reference_address(v)?.none),
        Hashable::Ellipsis => pointer_hash(reference_address(v)?.ellipsis),
    })
}

fn fix_minus_one(x: i64) -> i64 {
    if x == -1 { -2 } else { x }
}

/// `hash(int)`: from 3.2 `sign * (|n| mod (2**61 - 1))`; before (2.7,
/// 3.0, 3.1) the old `long_hash` (≡ |n| modulo 2**64 - 1, ones'-complement
/// style, then the sign), which equals the int itself for machine ints.
/// `-1` maps to `-2` everywhere.
#[must_use]
pub fn hash_int(n: &BigInt, v: PythonVersion) -> i64 {
    let negative = n.sign() == Sign::Minus;
    let x: u64 = if v >= PythonVersion::PY32 {
        let m = n.magnitude() % MODULUS;
        let m = m.iter_u64_digits().next().unwrap_or(0);
        if negative { m.wrapping_neg() } else { m }
    } else {
        // Old long_hash over 30-bit digits, most significant first.
        let mag = n.magnitude();
        let mut digits: Vec<u64> = Vec::new();
        let mut rest = mag.clone();
        let mask = num_bigint::BigUint::from((1u32 << 30) - 1);
        while rest.bits() > 0 {
            digits.push((&rest & &mask).iter_u64_digits().next().unwrap_or(0));
            rest >>= 30;
        }
        let mut x: u64 = 0;
        for &d in digits.iter().rev() {
            x = x.rotate_left(30);
            x = x.wrapping_add(d);
            if x < d {
                x = x.wrapping_add(1);
            }
        }
        if negative { x.wrapping_neg() } else { x }
    };
    fix_minus_one(x as i64)
}

/// `hash(float)`: from 3.2 the numeric hash modulo 2**61 - 1 (±inf →
/// ±314159; NaN → 0 up to 3.9, address-based → `None` from 3.10); before,
/// 2.7's `_Py_HashDouble` (integral values hash as the equal int/long, inf →
/// 314159, -inf → -271828, NaN → 0).
#[must_use]
pub fn hash_float(x: f64, v: PythonVersion) -> Option<i64> {
    if v >= PythonVersion::PY32 {
        if x.is_nan() {
            return (v < PythonVersion::PY310).then_some(0);
        }
        if x.is_infinite() {
            return Some(if x > 0.0 { HASH_INF } else { -HASH_INF });
        }
        if x == 0.0 {
            return Some(0);
        }
        let (mant, exp) = integer_decode(x.abs());
        let mut h = mant % MODULUS;
        // 2**61 ≡ 1 (mod P), so 2**exp ≡ 2**(exp mod 61).
        let e = exp.rem_euclid(61) as u32;
        h = ((u128::from(h) << e) % u128::from(MODULUS)) as u64;
        let h = if x < 0.0 { h.wrapping_neg() } else { h };
        return Some(fix_minus_one(h as i64));
    }
    Some(old_hash_double(x, v))
}

/// `(mantissa, exponent)` with `x = mantissa * 2**exponent` for finite `x > 0`.
fn integer_decode(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let exp_bits = ((bits >> 52) & 0x7FF) as i32;
    let frac = bits & ((1 << 52) - 1);
    if exp_bits == 0 { (frac, -1074) } else { (frac | (1 << 52), exp_bits - 1075) }
}

/// C `frexp` for finite non-zero `x`: `(m, e)` with `x = m * 2**e`,
/// `0.5 <= |m| < 1`.
fn frexp(x: f64) -> (f64, i32) {
    let (mant, exp) = integer_decode(x.abs());
    let shift = 64 - mant.leading_zeros() as i32; // bit length of mant
    let m = mant as f64 / 2f64.powi(shift);
    (if x < 0.0 { -m } else { m }, exp + shift)
}

/// 2.7 / 3.0 / 3.1 `_Py_HashDouble`.
fn old_hash_double(x: f64, v: PythonVersion) -> i64 {
    if x.is_nan() {
        // frexp(NaN) → NaN; C's (long)NaN is i64::MIN on x86-64, twice → 0.
        return 0;
    }
    if x.is_infinite() {
        return if x < 0.0 { -271_828 } else { 314_159 };
    }
    let intpart = x.trunc();
    if x == intpart {
        const HALF_LONG_MAX: f64 = (i64::MAX / 2) as f64;
        if intpart > HALF_LONG_MAX || -intpart > HALF_LONG_MAX {
            // Hash of the equal long. x is integral, so the conversion is exact.
            let (mant, exp) = integer_decode(x.abs());
            let mut n = BigInt::from(mant);
            if exp >= 0 {
                n <<= exp as usize;
            } else {
                n >>= (-exp) as usize;
            }
            if x < 0.0 {
                n = -n;
            }
            return hash_int(&n, v);
        }
        return fix_minus_one(intpart as i64);
    }
    let (m, expo) = frexp(x);
    let m = m * 2_147_483_648.0;
    let hipart = m as i64;
    let lo = ((m - hipart as f64) * 2_147_483_648.0) as i64;
    let x = hipart.wrapping_add(lo).wrapping_add(i64::from(expo) << 15);
    fix_minus_one(x)
}

/// `hash(str)` of the code points `chars` (Python 2: `unicode`).
///
/// * 3.4–3.10: SipHash-2-4, 3.11+: SipHash-1-3, key all zero, over the
///   PEP 393 buffer (1, 2 or 4 bytes per character by the largest one,
///   little-endian); empty → 0.
/// * 2.7, 3.0–3.3: the old multiplicative hash (`x = c0 << 7`, then
///   `x = 1000003*x ^ c` per character, `x ^= len`; 3.3 hashes the same
///   character values), empty → 0.
#[must_use]
pub fn hash_str_chars(chars: &[u32], v: PythonVersion) -> i64 {
    if v >= PythonVersion::PY34 {
        let max = chars.iter().copied().max().unwrap_or(0);
        let width = if max < 0x100 {
            1
        } else if max < 0x10000 {
            2
        } else {
            4
        };
        let mut buf = Vec::with_capacity(chars.len() * width);
        for &c in chars {
            buf.extend_from_slice(&c.to_le_bytes()[..width]);
        }
        siphash_bytes(&buf, v)
    } else {
        old_hash(chars.iter().map(|&c| u64::from(c)), chars.len())
    }
}

/// `hash(bytes)` (Python 2: `str`): SipHash (as [`hash_str_chars`]) from
/// 3.4, the old multiplicative hash before; empty → 0.
#[must_use]
pub fn hash_bytes(b: &[u8], v: PythonVersion) -> i64 {
    if v >= PythonVersion::PY34 {
        siphash_bytes(b, v)
    } else {
        old_hash(b.iter().map(|&c| u64::from(c)), b.len())
    }
}

fn siphash_bytes(b: &[u8], v: PythonVersion) -> i64 {
    if b.is_empty() {
        return 0;
    }
    let h = if v >= PythonVersion::PY311 {
        let mut s = SipHasher13::new_with_keys(0, 0);
        s.write(b);
        s.finish()
    } else {
        let mut s = SipHasher24::new_with_keys(0, 0);
        s.write(b);
        s.finish()
    };
    fix_minus_one(h as i64)
}

fn old_hash(units: impl Iterator<Item = u64>, len: usize) -> i64 {
    let mut units = units.peekable();
    let Some(&first) = units.peek() else { return 0 };
    let mut x: u64 = first << 7;
    for c in units {
        x = x.wrapping_mul(1_000_003) ^ c;
    }
    x ^= len as u64;
    fix_minus_one(x as i64)
}

/// `hash(tuple)` from its items' hashes: xxHash-based from 3.8, the older
/// multiply/xor scheme (`0x345678`, multiplier 1000003 + 82520 + 2*len…,
/// `+ 97531`) before.
#[must_use]
pub fn hash_tuple(item_hashes: &[i64], v: PythonVersion) -> i64 {
    let len = item_hashes.len() as u64;
    if v >= PythonVersion::PY38 {
        const P1: u64 = 11_400_714_785_074_694_791;
        const P2: u64 = 14_029_467_366_897_019_727;
        const P5: u64 = 2_870_177_450_012_600_261;
        let mut acc = P5;
        for &h in item_hashes {
            acc = acc.wrapping_add((h as u64).wrapping_mul(P2));
            acc = acc.rotate_left(31);
            acc = acc.wrapping_mul(P1);
        }
        acc = acc.wrapping_add(len ^ (P5 ^ 3_527_539));
        if acc == u64::MAX {
            return 1_546_275_796;
        }
        acc as i64
    } else {
        let mut x: u64 = 0x345678;
        let mut mult: u64 = 1_000_003;
        let mut remaining = len;
        for &h in item_hashes {
            remaining -= 1;
            x = (x ^ h as u64).wrapping_mul(mult);
            mult = mult.wrapping_add(82_520 + remaining + remaining);
        }
        x = x.wrapping_add(97_531);
        fix_minus_one(x as i64)
    }
}

/// `hash(frozenset)` from the hashes of its (distinct) elements.
///
/// Every version xors `(h ^ (h << 16) ^ 89869747) * 3644798167` over the
/// elements into `1927868237 * (len + 1)`, then `* 69069 + 907133923`
/// (`-1` → `590923713`). From 3.6 (bpo-26163; verified on 3.6, absent in
/// 2.7 and in 3.4's source) a dispersion step `h ^= (h >> 11) ^ (h >> 25)`
/// precedes the last multiply.
#[must_use]
pub fn hash_frozenset(element_hashes: &[i64], v: PythonVersion) -> i64 {
    let mut h: u64 = (element_hashes.len() as u64 + 1).wrapping_mul(1_927_868_237);
    for &e in element_hashes {
        let e = e as u64;
        h ^= (e ^ (e << 16) ^ 89_869_747).wrapping_mul(3_644_798_167);
    }
    if v >= PythonVersion::PY36 {
        h ^= (h >> 11) ^ (h >> 25);
    }
    h = h.wrapping_mul(69_069).wrapping_add(907_133_923);
    if h == u64::MAX {
        return 590_923_713;
    }
    h as i64
}

/// Python's `==` between two constants, as used by set insertion to
/// collapse equal elements (`1 == 1.0 == True == (1+0j)`; NaN is unequal to
/// itself; in Python 2 a `str` equals a `unicode` when it is ASCII with the
/// same characters).
#[must_use]
pub fn py_eq(a: &Hashable<'_>, b: &Hashable<'_>, v: PythonVersion) -> bool {
    use Hashable as H;
    match (a, b) {
        (H::Str(x), H::Str(y)) => x == y || decode_lenient(x) == decode_lenient(y),
        (H::Bytes(x), H::Bytes(y)) => x == y,
        (H::Str(s), H::Bytes(b)) | (H::Bytes(b), H::Str(s)) => {
            v.major < 3
                && b.is_ascii()
                && decode_lenient(s).iter().copied().eq(b.iter().map(|&c| u32::from(c)))
        }
        (H::Tuple(x), H::Tuple(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q, v)),
        (H::FrozenSet(x), H::FrozenSet(y)) => {
            let dx = distinct(x, v);
            let dy = distinct(y, v);
            dx.len() == dy.len() && dx.iter().all(|p| dy.iter().any(|q| py_eq(p, q, v)))
        }
        (H::None, H::None) | (H::Ellipsis, H::Ellipsis) => true,
        _ => match (numeric(a), numeric(b)) {
            (Some(p), Some(q)) => p == q,
            _ => false,
        },
    }
}

fn distinct<'x, 'a>(items: &'x [Hashable<'a>], v: PythonVersion) -> Vec<&'x Hashable<'a>> {
    let mut out: Vec<&Hashable<'a>> = Vec::new();
    for item in items {
        if !out.iter().any(|o| py_eq(o, item, v)) {
            out.push(item);
        }
    }
    out
}

/// A number as (real, imaginary) exact values for equality.
#[derive(PartialEq)]
enum Exact {
    Int(BigInt),
    Float(f64),
}

fn exact_real(x: f64) -> Exact {
    if x.is_finite() && x.trunc() == x {
        let (mant, exp) = if x == 0.0 { (0, 0) } else { integer_decode(x.abs()) };
        let mut n = BigInt::from(mant);
        if exp >= 0 {
            n <<= exp as usize;
        } else {
            n >>= (-exp) as usize;
        }
        Exact::Int(if x < 0.0 { -n } else { n })
    } else {
        Exact::Float(x)
    }
}

fn numeric(a: &Hashable<'_>) -> Option<(Exact, Exact)> {
    let zero = || Exact::Int(BigInt::from(0));
    Some(match a {
        Hashable::Int(i) => (Exact::Int(BigInt::from(*i)), zero()),
        Hashable::Long(n) => (Exact::Int(n.clone()), zero()),
        Hashable::Bool(b) => (Exact::Int(BigInt::from(u8::from(*b))), zero()),
        Hashable::Float(x) => (exact_real(*x), zero()),
        Hashable::Complex(re, im) => (exact_real(*re), exact_real(*im)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let v = PythonVersion::PY312;
        assert_eq!(hash(&Hashable::Int(-1), v), Some(-2));
        assert_eq!(hash(&Hashable::Long(BigInt::from(1u64 << 61)), v), Some(1));
        assert_eq!(hash(&Hashable::Float(1.5), v), Some(1_152_921_504_606_846_977));
        assert_eq!(hash(&Hashable::Float(f64::NAN), v), None);
        assert_eq!(hash(&Hashable::Float(f64::NAN), PythonVersion::PY39), Some(0));
        assert_eq!(hash(&Hashable::None, v), Some(4_238_894_112));
        assert_eq!(hash(&Hashable::None, PythonVersion::PY311), Some(0xbe0_u64.rotate_right(4) as i64));
        assert_eq!(hash(&Hashable::Tuple(vec![]), v), Some(5_740_354_900_026_072_187));
        assert_eq!(hash(&Hashable::Str(b""), v), Some(0));
        // 2.7
        let v = PythonVersion::PY27;
        assert_eq!(hash(&Hashable::Str(b"abc"), v), Some(1_453_079_729_188_098_211));
        assert_eq!(hash(&Hashable::Str("\u{e9}".as_bytes()), v), Some(29_824_089_448));
        assert_eq!(hash(&Hashable::Float(1.5), v), Some(1_610_645_504));
        assert_eq!(
            hash(&Hashable::Tuple(vec![Hashable::Int(1), Hashable::Int(2)]), v),
            Some(3_713_081_631_934_410_656)
        );
        assert_eq!(
            hash(&Hashable::FrozenSet(vec![Hashable::Int(1), Hashable::Int(2)]), v),
            Some(-1_834_016_341_293_975_159)
        );
    }

    #[test]
    fn equality() {
        let v = PythonVersion::PY312;
        assert!(py_eq(&Hashable::Int(1), &Hashable::Float(1.0), v));
        assert!(py_eq(&Hashable::Bool(true), &Hashable::Complex(1.0, 0.0), v));
        assert!(!py_eq(&Hashable::Float(f64::NAN), &Hashable::Float(f64::NAN), v));
        assert!(py_eq(&Hashable::Float(0.0), &Hashable::Float(-0.0), v));
        assert!(!py_eq(&Hashable::Str(b"a"), &Hashable::Bytes(b"a"), v));
        assert!(py_eq(&Hashable::Str(b"a"), &Hashable::Bytes(b"a"), PythonVersion::PY27));
    }
}

/// Where the reference build of a version keeps `None` and `Ellipsis`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferenceAddresses {
    /// `id(None)` (its page offset for PIE builds).
    pub none: u64,
    /// `id(Ellipsis)` (its page offset for PIE builds).
    pub ellipsis: u64,
}

/// The addresses used for `None`/`Ellipsis` hashes, measured on the reference
/// interpreters (pyenv builds of 2.7 and 3.6–3.13: PIE, so only the page
/// offset is fixed and kept; Debian's 3.14 and 3.15: non-PIE, fully fixed).
/// Other builds of the same version may differ, and so may CPython's own
/// output for sets holding these objects.
#[must_use]
pub fn reference_address(v: PythonVersion) -> Option<ReferenceAddresses> {
    let (none, ellipsis) = match (v.major, v.minor) {
        (2, _) => (0xde0, 0xd10),
        (3, 6) => (0x110, 0x0d0),
        (3, 7) => (0x6f0, 0x6b0),
        (3, 8) => (0x220, 0x420),
        (3, 9) => (0x420, 0x460),
        (3, 10) => (0xc80, 0xca0),
        (3, 11) => (0xbe0, 0xe60),
        (3, 12) => (0, 0x320),
        (3, 13) => (0, 0xc80),
        (3, 14) => (0, 0xb5_2b90),
        (3, 15) => (0, 0xbe_8e10),
        _ => return None,
    };
    Some(ReferenceAddresses { none, ellipsis })
}

/// `_Py_HashPointer`: the address rotated right by 4 bits, -1 → -2.
fn pointer_hash(addr: u64) -> i64 {
    let h = addr.rotate_right(4) as i64;
    if h == -1 { -2 } else { h }
}
