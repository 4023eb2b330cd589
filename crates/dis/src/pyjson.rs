//! A tiny JSON writer that produces what Python's
//! `json.dumps(x, ensure_ascii=True, separators=(",", ":"))` produces: every
//! character outside `' '..='~'` escaped as `\uXXXX` (UTF-16 units), floats
//! in Python's `repr` form. Tools get plain JSON; tests get byte equality
//! with CPython-generated fixtures.

use std::fmt::Write;

use bytescope_pyc::PythonVersion;

/// Appends a JSON string literal.
pub fn string(out: &mut String, s: &str) {
    // Escaped into bytes with plain loops (this runs over every constant
    // and name, some of them megabytes long), then appended as text.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut buf: Vec<u8> = Vec::with_capacity(bytes.len() + 2);
    buf.push(b'"');
    let mut i = 0;
    while i < bytes.len() {
        // A run that needs no escape goes in whole.
        let start = i;
        while i < bytes.len() && matches!(bytes[i], b' '..=b'~') && !matches!(bytes[i], b'"' | b'\\') {
            i += 1;
        }
        buf.extend_from_slice(&bytes[start..i]);
        let Some(&b) = bytes.get(i) else { break };
        let (c, width) = match b {
            b'"' | b'\\' => {
                buf.extend_from_slice(&[b'\\', b]);
                i += 1;
                continue;
            }
            b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => {
                let e = match b {
                    b'\n' => b'n',
                    b'\r' => b'r',
                    b'\t' => b't',
                    0x08 => b'b',
                    _ => b'f',
                };
                buf.extend_from_slice(&[b'\\', e]);
                i += 1;
                continue;
            }
            // UTF-8 (the input is a `str`): the code point and its length.
            0..0x80 => (u32::from(b), 1),
            0xc0..0xe0 => ((u32::from(b) & 0x1f) << 6 | cont(bytes, i + 1), 2),
            0xe0..0xf0 => ((u32::from(b) & 0x0f) << 12 | cont(bytes, i + 1) << 6 | cont(bytes, i + 2), 3),
            _ => (
                (u32::from(b) & 0x07) << 18
                    | cont(bytes, i + 1) << 12
                    | cont(bytes, i + 2) << 6
                    | cont(bytes, i + 3),
                4,
            ),
        };
        i += width;
        // `\uXXXX`, a surrogate pair past the BMP.
        let units = if c >= 0x1_0000 {
            let v = c - 0x1_0000;
            [0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff)]
        } else {
            [c, u32::MAX]
        };
        for unit in units {
            if unit == u32::MAX {
                break;
            }
            buf.extend_from_slice(&[
                b'\\',
                b'u',
                HEX[(unit >> 12) as usize & 15],
                HEX[(unit >> 8) as usize & 15],
                HEX[(unit >> 4) as usize & 15],
                HEX[unit as usize & 15],
            ]);
        }
    }
    buf.push(b'"');
    // ASCII only: always valid.
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

/// The payload of the UTF-8 continuation byte at `i`.
fn cont(bytes: &[u8], i: usize) -> u32 {
    bytes.get(i).map_or(0, |&b| u32::from(b & 0x3f))
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2 + 2);
    out.push('"');
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
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

    /// The byte loop against the plain per-character rule, over every code
    /// point (surrogates are not `char`s).
    #[test]
    fn byte_loop_matches_the_character_rule() {
        let reference = |c: char| -> String {
            match c {
                '"' => "\\\"".to_owned(),
                '\\' => "\\\\".to_owned(),
                '\n' => "\\n".to_owned(),
                '\r' => "\\r".to_owned(),
                '\t' => "\\t".to_owned(),
                '\u{8}' => "\\b".to_owned(),
                '\u{c}' => "\\f".to_owned(),
                ' '..='~' => c.to_string(),
                _ => c.encode_utf16(&mut [0; 2]).iter().map(|u| format!("\\u{u:04x}")).collect(),
            }
        };
        let all: String = (0..=0x10_ffffu32).filter_map(char::from_u32).collect();
        let mut got = String::new();
        string(&mut got, &all);
        let want: String = std::iter::once("\"".to_owned())
            .chain(all.chars().map(reference))
            .chain(std::iter::once("\"".to_owned()))
            .collect();
        assert!(got == want);
    }

    #[test]
    fn escapes_like_python_ensure_ascii() {
        let mut s = String::new();
        string(&mut s, "a\"\\\n\u{7f}é😀\u{1}\u{8}\u{c}\r\t\u{800}\u{ffff}\u{10ffff}~ ");
        assert_eq!(s, r#""a\"\\\n\u007f\u00e9\ud83d\ude00\u0001\b\f\r\t\u0800\uffff\udbff\udfff~ ""#);
    }
}
