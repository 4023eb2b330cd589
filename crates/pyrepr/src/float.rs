//! `repr()` of `float` and `complex`.
//!
//! CPython formats both with `PyOS_double_to_string(x, 'r', 0, flags)`: the
//! shortest digit string that round-trips (David Gay's dtoa mode 0; we take
//! the same digits from ryu) laid out by `format_float_short`.

use bytescope_pyc::PythonVersion;

/// Shortest round-trip decimal digits of a finite, non-zero `|x|`: returns
/// `(digits, decpt)` with `|x| = 0.DIGITS × 10**decpt` and no trailing zeros.
fn shortest_digits(x: f64) -> (Vec<u8>, i32) {
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(x.abs());
    let (mantissa, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
    let int_len = int_part.len() as i32;
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..leading);
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    (digits, int_len - leading as i32 + exp)
}

/// Formats like `PyOS_double_to_string(x, 'r', 0, flags, NULL)`.
fn format_r(out: &mut String, x: f64, add_dot_0: bool, always_sign: bool) {
    if x.is_nan() {
        // CPython ignores the sign of a NaN.
        out.push_str(if always_sign { "+nan" } else { "nan" });
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    } else if always_sign {
        out.push('+');
    }
    if x.is_infinite() {
        out.push_str("inf");
        return;
    }
    let (digits, decpt) = if x == 0.0 { (vec![b'0'], 1) } else { shortest_digits(x) };
    let n = digits.len() as i32;
    let digit_str = |d: &[u8]| d.iter().map(|&b| char::from(b)).collect::<String>();
    if decpt <= -4 || decpt > 16 {
        out.push(char::from(digits[0]));
        if n > 1 {
            out.push('.');
            out.push_str(&digit_str(&digits[1..]));
        }
        let e = decpt - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        let a = e.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..-decpt {
            out.push('0');
        }
        out.push_str(&digit_str(&digits));
    } else if decpt >= n {
        out.push_str(&digit_str(&digits));
        for _ in 0..decpt - n {
            out.push('0');
        }
        if add_dot_0 {
            out.push_str(".0");
        }
    } else {
        let split = decpt as usize;
        out.push_str(&digit_str(&digits[..split]));
        out.push('.');
        out.push_str(&digit_str(&digits[split..]));
    }
}

/// Writes `repr()` of a float: `0.1`, `1.0`, `-0.0`, `1e+16`, `1e-05`,
/// `1.5e+300`, `inf`, `-inf`, `nan` (NaN's sign is never shown). Exponent
/// form when the decimal exponent is below -4 or at least 16. The same in
/// 2.7 and every 3.x (all use the short repr).
pub fn repr_float(out: &mut String, x: f64, _v: PythonVersion) {
    format_r(out, x, true, false);
}

/// Writes `repr()` of a complex number: `1j`, `-0j`, `(1+2j)`, `(-0+0j)`,
/// `(1+nanj)`, `infj`, `(1e+16-1e-05j)`.
///
/// The real part is omitted (and there are no parentheses) only when it is
/// +0.0; parts are formatted like floats without the `.0`; the imaginary part
/// always carries a sign when the real part is shown (`+nan` for any NaN).
/// Identical in 2.7 and 3.x.
pub fn repr_complex(out: &mut String, re: f64, im: f64, _v: PythonVersion) {
    if re == 0.0 && re.is_sign_positive() {
        format_r(out, im, false, false);
        out.push('j');
    } else {
        out.push('(');
        format_r(out, re, false, false);
        format_r(out, im, false, true);
        out.push_str("j)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut s = String::new();
        repr_float(&mut s, x, PythonVersion::PY312);
        s
    }

    fn c(re: f64, im: f64) -> String {
        let mut s = String::new();
        repr_complex(&mut s, re, im, PythonVersion::PY312);
        s
    }

    #[test]
    fn floats() {
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(1.0), "1.0");
        assert_eq!(f(-0.0), "-0.0");
        assert_eq!(f(0.0), "0.0");
        assert_eq!(f(1e16), "1e+16");
        assert_eq!(f(1e15), "1000000000000000.0");
        assert_eq!(f(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(f(1e-5), "1e-05");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(5e-324), "5e-324");
        assert_eq!(f(1.5e300), "1.5e+300");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        assert_eq!(f(-f64::NAN), "nan");
        assert_eq!(f(1e22), "1e+22");
    }

    #[test]
    fn complexes() {
        assert_eq!(c(0.0, 1.0), "1j");
        assert_eq!(c(0.0, -0.0), "-0j");
        assert_eq!(c(-0.0, -0.0), "(-0-0j)");
        assert_eq!(c(-0.0, 0.0), "(-0+0j)");
        assert_eq!(c(1.0, 2.0), "(1+2j)");
        assert_eq!(c(1.0, -f64::NAN), "(1+nanj)");
        assert_eq!(c(f64::NAN, -1.0), "(nan-1j)");
        assert_eq!(c(0.0, f64::INFINITY), "infj");
        assert_eq!(c(1e16, 1e-5), "(1e+16+1e-05j)");
    }
}
