//! `repr()` of `str`/`unicode` and `bytes`/py2 `str`, per version.

use bytescope_pyc::PythonVersion;

use crate::generated::printable;

/// Decodes marshal's string bytes leniently into code points.
///
/// Marshal stores `str` as UTF-8 with CPython's `surrogatepass` error
/// handler, so lone surrogates U+D800–U+DFFF appear as their 3-byte
/// encodings (`ED A0..BF xx`). Those decode to the surrogate itself (a pair of
/// encoded surrogates stays two code points, as in CPython 3).
///
/// Any byte that does not begin a well-formed sequence (stray continuation
/// bytes, truncated or overlong sequences, values above U+10FFFF, `C0`, `C1`,
/// `F5`–`FF`) decodes to U+DC80–U+DCFF (`0xDC00 + byte`, Python's
/// `surrogateescape` convention), one code point per bad byte, and decoding
/// resumes at the next byte. Such strings are not loadable by CPython; this
/// keeps every input printable without loss (their `repr` shows `\udcXX`).
/// Never panics.
#[must_use]
pub fn decode_lenient(s: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let (cp, len) = decode_one(&s[i..]);
        out.push(cp);
        i += len;
    }
    out
}

/// Decodes one code point at the start of `s` (non-empty); returns it and the
/// number of bytes consumed (at least 1).
fn decode_one(s: &[u8]) -> (u32, usize) {
    let b0 = s[0];
    let bad = (0xDC00 + u32::from(b0), 1);
    let cont = |k: usize| s.get(k).copied().filter(|b| b & 0xC0 == 0x80);
    match b0 {
        0x00..=0x7F => (u32::from(b0), 1),
        0xC2..=0xDF => match cont(1) {
            Some(b1) => ((u32::from(b0 & 0x1F) << 6) | u32::from(b1 & 0x3F), 2),
            None => bad,
        },
        0xE0..=0xEF => {
            let Some(b1) = cont(1) else { return bad };
            if b0 == 0xE0 && b1 < 0xA0 {
                return bad; // overlong
            }
            let Some(b2) = cont(2) else { return bad };
            ((u32::from(b0 & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F), 3)
        }
        0xF0..=0xF4 => {
            let Some(b1) = cont(1) else { return bad };
            if (b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F) {
                return bad; // overlong or above U+10FFFF
            }
            let (Some(b2), Some(b3)) = (cont(2), cont(3)) else {
                return bad;
            };
            (
                (u32::from(b0 & 0x07) << 18)
                    | (u32::from(b1 & 0x3F) << 12)
                    | (u32::from(b2 & 0x3F) << 6)
                    | u32::from(b3 & 0x3F),
                4,
            )
        }
        _ => bad,
    }
}

/// Whether `str.isprintable()` is true for `cp` in CPython `v` (3.0 and
/// later; earlier versions answer as 3.0, later ones as 3.15).
///
/// The tables come from each interpreter's Unicode database (see
/// [`unicode_version`]); 3.0–3.5 are derived (documented in
/// `generated/printable.rs`).
#[must_use]
pub fn is_printable(cp: u32, v: PythonVersion) -> bool {
    let table = printable::table_for_minor(if v.major < 3 { 0 } else { v.minor });
    // Number of boundaries <= cp; odd means inside a printable range.
    table.partition_point(|&b| b <= cp) % 2 == 1
}

/// The Unicode database version whose `isprintable` CPython `v` uses for
/// `repr(str)` (3.x; `None` for Python 2, whose `unicode` repr escapes every
/// non-ASCII character).
#[must_use]
pub fn unicode_version(v: PythonVersion) -> Option<&'static str> {
    (v.major >= 3).then(|| printable::unicode_version_for_minor(v.minor))
}

/// Writes CPython `v`'s `repr()` of a `str` (Python 3) or `unicode`
/// (Python 2, `u'...'`) whose marshal bytes are `s`.
///
/// `s` is decoded with [`decode_lenient`] (surrogatepass UTF-8; invalid bytes
/// become U+DC80–U+DCFF). See [`repr_str_chars`] for the rules.
pub fn repr_str(out: &mut String, s: &[u8], v: PythonVersion) {
    match std::str::from_utf8(s) {
        Ok(text) => repr_str_text(out, text, v),
        Err(_) => repr_str_chars(out, &decode_lenient(s), v),
    }
}

/// [`repr_str`] of text already known to be valid UTF-8 (the marshal
/// reader checks each string once).
pub fn repr_str_text(out: &mut String, s: &str, v: PythonVersion) {
    if s.is_ascii() {
        repr_ascii(out, s, v);
    } else {
        repr_utf8(out, s, v);
    }
}

/// [`repr_str_chars`] of non-ASCII text, straight from its UTF-8: runs of
/// characters shown as they are are copied whole, and the printable test
/// remembers the range of the last character (text tends to stay within
/// one script).
fn repr_utf8(out: &mut String, text: &str, v: PythonVersion) {
    let py2 = v.major < 3;
    let (quote, escape) = quote_for(ascii_classes(text.as_bytes()));
    if py2 {
        out.push('u');
    }
    out.reserve(text.len() + 2);
    out.push(quote);
    // The last printable-table range looked up: `lo <= c < hi` is `printable`.
    let (mut lo, mut hi, mut printable) = (0u32, 0u32, false);
    let mut plain = 0;
    for (i, ch) in text.char_indices() {
        let c = u32::from(ch);
        let keep = if c < 0x80 {
            ASCII_CLASS[c as usize] & escape == 0
        } else if py2 {
            false
        } else {
            if !(lo..hi).contains(&c) {
                (lo, hi, printable) = printable_range(c, v);
            }
            printable
        };
        if keep {
            continue;
        }
        out.push_str(&text[plain..i]);
        plain = i + ch.len_utf8();
        push_escaped(out, c, quote);
    }
    out.push_str(&text[plain..]);
    out.push(quote);
}

/// The range of code points around `cp` that share its printability in
/// version `v`'s Unicode database: `(lo, hi, printable)` with `lo <= cp < hi`.
fn printable_range(cp: u32, v: PythonVersion) -> (u32, u32, bool) {
    let table = printable::table_for_minor(v.minor);
    let i = table.partition_point(|&b| b <= cp);
    let lo = if i == 0 { 0 } else { table[i - 1] };
    let hi = table.get(i).copied().unwrap_or(u32::MAX);
    (lo, hi, i % 2 == 1)
}

/// When `repr()` of the str `text` in version `v` is the text itself
/// between quotes (ASCII needing no escape: most constants), the opening
/// and closing quotes; `None` otherwise. Lets a printer copy the text
/// straight from where it is instead of building the repr.
#[must_use]
pub fn plain_str_quotes(text: &str, v: PythonVersion) -> Option<(&'static str, &'static str)> {
    // One pass over the bytes sees the quotes, the escapes and any
    // non-ASCII byte (most constants are short: no separate ASCII check).
    let seen = ascii_classes(text.as_bytes());
    if seen & NON_ASCII != 0 {
        return None;
    }
    let (quote, escape) = quote_for(seen);
    if seen & escape != 0 {
        return None;
    }
    Some(match (v.major < 3, quote) {
        (false, '\'') => ("'", "'"),
        (false, _) => ("\"", "\""),
        (true, '\'') => ("u'", "'"),
        (true, _) => ("u\"", "\""),
    })
}

/// The [`ASCII_CLASS`] bits of the bytes of `s` ORed together.
fn ascii_classes(s: &[u8]) -> u8 {
    s.iter().fold(0, |seen, &b| seen | ASCII_CLASS[usize::from(b)])
}

/// The quote of a str repr whose text has the [`ASCII_CLASS`] bits `seen`
/// (`"` only when the text has `'` and no `"`), and the class bits that
/// need escaping with it: the quote in use, not the other one.
fn quote_for(seen: u8) -> (char, u8) {
    if seen & SINGLE != 0 && seen & DOUBLE == 0 { ('"', ESCAPE | DOUBLE) } else { ('\'', ESCAPE | SINGLE) }
}

/// [`repr_str_chars`] for ASCII text (nearly every constant), without
/// decoding to code points first. ASCII escapes do not depend on the
/// Unicode database.
fn repr_ascii(out: &mut String, text: &str, v: PythonVersion) {
    let s = text.as_bytes();
    // One pass classifies every byte through a table: quotes, and whether
    // anything at all needs escaping (most constants need none and are
    // copied whole).
    let seen = ascii_classes(s);
    let (quote, escape) = quote_for(seen);
    if v.major < 3 {
        out.push('u');
    }
    out.reserve(s.len() + 2);
    out.push(quote);
    if seen & escape == 0 {
        out.push_str(text);
        out.push(quote);
        return;
    }
    let mut plain = 0;
    for (i, &b) in s.iter().enumerate() {
        if ASCII_CLASS[usize::from(b)] & escape == 0 {
            continue;
        }
        // Runs of plain bytes are copied at once (ASCII: any index is a
        // char boundary).
        out.push_str(&text[plain..i]);
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\'' => out.push_str("\\'"),
            b'"' => out.push_str("\\\""),
            _ => {
                out.push_str("\\x");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        plain = i + 1;
    }
    out.push_str(&text[plain..]);
    out.push(quote);
}

/// [`ASCII_CLASS`] bits: escaped whatever the quote (`\\`, controls, DEL).
const ESCAPE: u8 = 1;
/// [`ASCII_CLASS`] bit: `'`.
const SINGLE: u8 = 2;
/// [`ASCII_CLASS`] bit: `"`.
const DOUBLE: u8 = 4;
/// [`ASCII_CLASS`] bit: a byte from 0x80 (not ASCII; no escape or quote
/// bit, so quote choice and escapes ignore it).
const NON_ASCII: u8 = 8;

/// What each byte means to a str repr (see [`ESCAPE`], [`SINGLE`],
/// [`DOUBLE`], [`NON_ASCII`]).
const ASCII_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if b < 0x20 || b == 0x7f || b == b'\\' as usize {
            ESCAPE
        } else if b == b'\'' as usize {
            SINGLE
        } else if b == b'"' as usize {
            DOUBLE
        } else if b >= 0x80 {
            NON_ASCII
        } else {
            0
        };
        b += 1;
    }
    t
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes CPython `v`'s `repr()` of the string made of the code points
/// `chars` (values above U+10FFFF are escaped like unprintable ones).
///
/// Python 3: quote `'` unless the text has `'` and no `"`; escapes `\\`, the
/// quote, `\t \n \r`; `\xHH` below U+0020 and for U+007F; other ASCII
/// literal; non-ASCII literal when [`is_printable`] in that version, else
/// `\xHH` (up to U+00FF), `\uHHHH` (up to U+FFFF) or `\UHHHHHHHH`.
///
/// Python 2 (wide build, as our 2.7): `u` prefix, same quoting, and every
/// character from U+007F up escaped (`\xHH`, `\uHHHH`, `\UHHHHHHHH`;
/// surrogates stay separate `\udXXX`).
pub fn repr_str_chars(out: &mut String, chars: &[u32], v: PythonVersion) {
    let py2 = v.major < 3;
    let quote = choose_quote(chars.iter().copied());
    if py2 {
        out.push('u');
    }
    out.push(quote);
    for &c in chars {
        let literal = match c {
            0x5C | 0x09 | 0x0A | 0x0D | 0x00..=0x1F | 0x7F => false,
            _ if c == quote as u32 => false,
            0x20..=0x7E => true,
            _ => !py2 && is_printable(c, v),
        };
        match char::from_u32(c) {
            Some(ch) if literal => out.push(ch),
            _ => push_escaped(out, c, quote),
        }
    }
    out.push(quote);
}

/// Writes CPython `v`'s `repr()` of a Python 3 `bytes` (`b'...'`) or a
/// Python 2 `str` (`'...'`, no prefix).
///
/// Quote `'` unless the data has `'` and no `"`; escapes `\\`, the quote,
/// `\t \n \r`, and `\xhh` (lowercase) below 0x20 and from 0x7F up.
pub fn repr_bytes(out: &mut String, b: &[u8], v: PythonVersion) {
    let quote = choose_quote(b.iter().map(|&x| u32::from(x)));
    if v.major >= 3 {
        out.push('b');
    }
    out.push(quote);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if u32::from(c) == quote as u32 => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7E => out.push(char::from(c)),
            _ => push_hex(out, 'x', u32::from(c), 2),
        }
    }
    out.push(quote);
}

fn choose_quote(chars: impl Iterator<Item = u32>) -> char {
    let (mut single, mut double) = (false, false);
    for c in chars {
        single |= c == u32::from(b'\'');
        double |= c == u32::from(b'"');
    }
    if single && !double { '"' } else { '\'' }
}

/// The escape of code point `c` in a str repr quoted with `quote`:
/// `\\\\`, `\\t`, `\\n`, `\\r`, the quote, else `\\x`, `\\u` or `\\U` by size.
fn push_escaped(out: &mut String, c: u32, quote: char) {
    match c {
        0x5C => out.push_str("\\\\"),
        0x09 => out.push_str("\\t"),
        0x0A => out.push_str("\\n"),
        0x0D => out.push_str("\\r"),
        _ if c == quote as u32 => {
            out.push('\\');
            out.push(quote);
        }
        0x00..=0xFF => push_hex(out, 'x', c, 2),
        0x100..=0xFFFF => push_hex(out, 'u', c, 4),
        _ => push_hex(out, 'U', c, 8),
    }
}

fn push_hex(out: &mut String, kind: char, value: u32, width: usize) {
    out.push('\\');
    out.push(kind);
    // `{value:0width$x}` without `core::fmt` (width 2, 4 or 8; wider values
    // keep all their digits).
    let digits = (8 - value.leading_zeros() as usize / 4).max(width);
    for k in (0..digits).rev() {
        out.push(char::from(HEX[((value >> (4 * k)) & 15) as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str, v: PythonVersion) -> String {
        let mut out = String::new();
        repr_str(&mut out, s.as_bytes(), v);
        out
    }

    #[test]
    fn plain_quotes_agree_with_repr() {
        let texts =
            ["x", "it's", "say \"hi\"", "both ' and \"", "tab\t", "back\\slash", "del\x7f", "", "caf\u{e9}"];
        for v in [PythonVersion::PY27, PythonVersion::PY312] {
            for t in texts {
                let full = r(t, v);
                match plain_str_quotes(t, v) {
                    Some((open, close)) => assert_eq!(format!("{open}{t}{close}"), full, "{t:?}"),
                    // Escapes, or non-ASCII: not just quotes around the text.
                    None => assert!(!t.is_ascii() || full != format!("'{t}'") && full != format!("\"{t}\"")),
                }
            }
        }
    }

    #[test]
    fn quotes_and_escapes() {
        let v = PythonVersion::PY312;
        assert_eq!(r("a'b", v), "\"a'b\"");
        assert_eq!(r("a'\"b", v), "'a\\'\"b'");
        assert_eq!(r("\t\n\r\\\x00\x7f", v), "'\\t\\n\\r\\\\\\x00\\x7f'");
        assert_eq!(r("\u{e9}\u{a0}\u{ad}", v), "'\u{e9}\\xa0\\xad'");
        assert_eq!(r("\u{1FAE8}", PythonVersion::PY311), "'\\U0001fae8'");
        assert_eq!(r("\u{1FAE8}", PythonVersion::PY312), "'\u{1FAE8}'");
        assert_eq!(r("\u{e9}\u{1234}\u{1F600}", PythonVersion::PY27), "u'\\xe9\\u1234\\U0001f600'");
    }

    #[test]
    fn lenient_decoding() {
        assert_eq!(decode_lenient(b"\xed\xa0\x80\xed\xb0\x80"), vec![0xD800, 0xDC00]);
        assert_eq!(decode_lenient(b"a\xff\xc3"), vec![0x61, 0xDCFF, 0xDCC3]);
        assert_eq!(decode_lenient(b"\xe0\x80\x80"), vec![0xDCE0, 0xDC80, 0xDC80]);
        assert_eq!(decode_lenient(b"\xf4\x90\x80\x80")[0], 0xDCF4);
        assert_eq!(decode_lenient("\u{10FFFF}".as_bytes()), vec![0x10FFFF]);
        let mut out = String::new();
        repr_str(&mut out, b"\xed\xa0\x80\xff", PythonVersion::PY313);
        assert_eq!(out, "'\\ud800\\udcff'");
    }

    #[test]
    fn bytes() {
        let mut out = String::new();
        repr_bytes(&mut out, b"\x00'\x80\xff\"", PythonVersion::PY36);
        assert_eq!(out, "b'\\x00\\'\\x80\\xff\"'");
        out.clear();
        repr_bytes(&mut out, b"it's", PythonVersion::PY27);
        assert_eq!(out, "\"it's\"");
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn tables_are_inversion_lists() {
        for minor in 0..=15u8 {
            let t = printable::table_for_minor(minor);
            assert!(t.len().is_multiple_of(2) && t.windows(2).all(|w| w[0] < w[1]), "3.{minor}");
            let v = PythonVersion::new(3, minor);
            assert!(is_printable(u32::from(b' '), v) && is_printable(u32::from(b'~'), v));
            assert!(!is_printable(0x7F, v) && !is_printable(0xA0, v) && !is_printable(0xD800, v));
            assert!(is_printable(0xE9, v) && !is_printable(0x110000, v));
        }
        assert_eq!(unicode_version(PythonVersion::PY312), Some("15.0.0"));
        assert_eq!(unicode_version(PythonVersion::PY27), None);
    }
}
