//! `repr()` of `int` (and Python 2 `long`), with the int→str digit limit.

use std::fmt;

use bytescope_pyc::PythonVersion;
use num_bigint::{BigInt, BigUint, Sign};

/// The default `sys.int_info.default_max_str_digits`.
pub const INT_MAX_STR_DIGITS: usize = 4300;

/// `repr(int)` refused by CPython's int→str digit limit (CVE-2020-10735).
///
/// The limit (4300 decimal digits, sign not counted) exists from 3.11 and in
/// the 3.7–3.10 security backports our interpreters carry (3.7.16, 3.8.18,
/// 3.9.18, 3.10.13); 3.6 and Python 2 have none. An int needing more than
/// 480 internal 30-bit digits (at least 2**14400, so always over the limit)
/// is refused by a size pre-check before any conversion; the message is the
/// same either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntReprError {
    /// The version whose wording [`IntReprError::message`] uses.
    pub version: PythonVersion,
    /// The limit that was exceeded (always [`INT_MAX_STR_DIGITS`]).
    pub limit: usize,
}

impl IntReprError {
    /// The exception type CPython raises: `ValueError`.
    #[must_use]
    pub fn exception_name(&self) -> &'static str {
        "ValueError"
    }

    /// The exception message, exactly as that version words it: 3.7–3.10 say
    /// `Exceeds the limit (4300) for …`, 3.11+ `Exceeds the limit (4300
    /// digits) for …`.
    #[must_use]
    pub fn message(&self) -> String {
        let unit = if self.version >= PythonVersion::PY311 { " digits" } else { "" };
        format!(
            "Exceeds the limit ({}{unit}) for integer string conversion; \
             use sys.set_int_max_str_digits() to increase the limit",
            self.limit
        )
    }
}

impl fmt::Display for IntReprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception_name(), self.message())
    }
}

impl std::error::Error for IntReprError {}

/// Whether CPython `v` enforces the int→str digit limit.
#[must_use]
pub fn has_int_digit_limit(v: PythonVersion) -> bool {
    v >= PythonVersion::PY37
}

/// Writes `repr()` of a small int (marshal `i`, or `I` in Python 2): plain
/// decimal in every version (never over the digit limit).
pub fn repr_int(out: &mut String, value: i64) {
    out.push_str(itoa::Buffer::new().format(value));
}

/// Builds the value of a marshal `l` object: `digits` are 15-bit digits,
/// least significant first. Digits are taken as given (a crafted digit of
/// 2**15 or more simply adds its full value; CPython's reader would reject
/// it).
#[must_use]
pub fn long_from_digits(negative: bool, digits: &[u16]) -> BigInt {
    let mut words: Vec<u32> = Vec::with_capacity(digits.len() / 2 + 2);
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    let mut extra = BigUint::default();
    for (i, &d) in digits.iter().enumerate() {
        if d >= 0x8000 {
            // Out-of-range digit: add its excess separately.
            extra += BigUint::from(u32::from(d) >> 15) << (15 * i + 15);
        }
        acc |= u64::from(d & 0x7FFF) << bits;
        bits += 15;
        if bits >= 32 {
            words.push(acc as u32);
            acc >>= 32;
            bits -= 32;
        }
    }
    if bits > 0 {
        words.push(acc as u32);
    }
    let magnitude = BigUint::new(words) + extra;
    let sign = if magnitude.bits() == 0 {
        Sign::NoSign
    } else if negative {
        Sign::Minus
    } else {
        Sign::Plus
    };
    BigInt::from_biguint(sign, magnitude)
}

/// Writes CPython `v`'s `repr()` of a marshal `l` object (sign and 15-bit
/// digits, least significant first; see [`long_from_digits`]).
///
/// Python 2 `long`s get the `L` suffix (`10L`, `-10L`, `0L`). From 3.7 the
/// digit limit applies (see [`IntReprError`]); on error nothing is written.
pub fn repr_long(
    out: &mut String,
    negative: bool,
    digits: &[u16],
    v: PythonVersion,
) -> Result<(), IntReprError> {
    repr_bigint(out, &long_from_digits(negative, digits), v, v.major < 3)
}

/// Writes CPython `v`'s `repr()` of the integer `value`; `py2_long` adds the
/// Python 2 `L` suffix (ignored for Python 3). Applies the digit limit from
/// 3.7 on; on error nothing is written.
pub fn repr_bigint(
    out: &mut String,
    value: &BigInt,
    v: PythonVersion,
    py2_long: bool,
) -> Result<(), IntReprError> {
    let err = IntReprError { version: v, limit: INT_MAX_STR_DIGITS };
    let limited = has_int_digit_limit(v);
    if limited && value.bits() > 480 * 30 {
        // CPython's size pre-check (more than 480 30-bit digits).
        return Err(err);
    }
    let text = value.magnitude().to_str_radix(10);
    if limited && text.len() > INT_MAX_STR_DIGITS {
        return Err(err);
    }
    if value.sign() == Sign::Minus {
        out.push('-');
    }
    out.push_str(&text);
    if py2_long && v.major < 3 {
        out.push('L');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits() {
        assert_eq!(long_from_digits(false, &[]), BigInt::from(0));
        assert_eq!(long_from_digits(true, &[1, 1]), BigInt::from(-(1 + (1 << 15))));
        assert_eq!(long_from_digits(false, &[0x7FFF; 5]), (BigInt::from(1) << 75) - 1);
        assert_eq!(long_from_digits(false, &[0x8000]), BigInt::from(0x8000));
        let mut s = String::new();
        repr_long(&mut s, true, &[10], PythonVersion::PY27).unwrap();
        assert_eq!(s, "-10L");
    }

    #[test]
    fn limit() {
        let big = BigInt::from(10).pow(4300);
        let mut s = String::new();
        assert!(repr_bigint(&mut s, &(&big - 1), PythonVersion::PY37, false).is_ok());
        assert_eq!(s.len(), 4300);
        let e = repr_bigint(&mut s, &big, PythonVersion::PY310, false).unwrap_err();
        assert!(e.message().starts_with("Exceeds the limit (4300) for"));
        let e = repr_bigint(&mut s, &-big.clone(), PythonVersion::PY311, false).unwrap_err();
        assert!(e.message().starts_with("Exceeds the limit (4300 digits) for"));
        s.clear();
        assert!(repr_bigint(&mut s, &big, PythonVersion::PY36, false).is_ok());
    }
}
