//! A tiny JSON writer that produces what Python's
//! `json.dumps(x, ensure_ascii=True, separators=(",", ":"))` produces: every
//! character outside `' '..='~'` escaped as `\uXXXX` (UTF-16 units), floats
//! in Python's `repr` form. Tools get plain JSON; tests get byte equality
//! with CPython-generated fixtures.

use std::fmt::Write;

use bytescope_pyc::PythonVersion;

/// Appends a JSON string literal.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// Appends an integer.
pub fn int(out: &mut String, v: i64) {
    let _ = write!(out, "{v}");
}

/// Appends `null` or the integer.
pub fn opt_int(out: &mut String, v: Option<i64>) {
    match v {
        Some(v) => int(out, v),
        None => out.push_str("null"),
    }
}

/// Appends a boolean.
pub fn boolean(out: &mut String, v: bool) {
    out.push_str(if v { "true" } else { "false" });
}

/// Appends a finite float as Python's `json` does (`float.__repr__`).
pub fn float(out: &mut String, v: f64, version: PythonVersion) {
    bytescope_pyrepr::repr_float(out, v, version);
}

/// Appends lower-case hex of `bytes` as a JSON string.
pub fn hex(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out.push('"');
}

/// Appends `{"repr":"…"}`, the encoding of values JSON cannot hold.
pub fn repr_object(out: &mut String, repr: &str) {
    out.push_str("{\"repr\":");
    string(out, repr);
    out.push('}');
}

/// Appends `"key":`, preceded by a comma unless it is the first key.
pub fn key(out: &mut String, first: &mut bool, k: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    string(out, k);
    out.push(':');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_python_ensure_ascii() {
        let mut s = String::new();
        string(&mut s, "a\"\\\n\u{7f}é😀\u{1}");
        assert_eq!(s, r#""a\"\\\n\u007f\u00e9\ud83d\ude00\u0001""#);
    }
}
