//! The report as text for people, and the escaping every piece of
//! bytescope's own text uses for names it did not write.

use std::borrow::Cow;
use std::fmt::Write;

use bytescope_pyc::PythonVersion;
use bytescope_pyrepr::is_printable;

use crate::{CodeReport, Kind, Report};

/// Whether [`escape_into`] shows `c` as itself: printable by Python's
/// `str.isprintable()` (in the newest Unicode database bytescope knows), or
/// a plain space.
#[must_use]
pub fn is_shown(c: char) -> bool {
    if c.is_ascii() {
        return c == ' ' || c.is_ascii_graphic();
    }
    is_printable(u32::from(c), PythonVersion::PY315)
}

/// Writes `s` with every character that could act on a terminal or hide
/// text escaped, as Python's `repr()` escapes it but without quotes and
/// without doubling backslashes:
///
/// - `\t`, `\n`, `\r`; other C0 controls and DEL as `\x1b`, `\x7f`;
/// - every other non-printable character (C1 controls such as U+009B, bidi
///   overrides and isolates, zero-width and other format characters, line
///   and paragraph separators, non-ASCII spaces, unassigned code points) as
///   `\u009b`, `\u202e` or `\U000e0001`.
///
/// Everything else, including non-ASCII letters, is kept.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        if is_shown(c) {
            out.push(c);
            continue;
        }
        let _ = match c {
            '\t' => write!(out, "\\t"),
            '\n' => write!(out, "\\n"),
            '\r' => write!(out, "\\r"),
            c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
            c if (c as u32) <= 0xffff => write!(out, "\\u{:04x}", c as u32),
            c => write!(out, "\\U{:08x}", c as u32),
        };
    }
}

/// `s` escaped by [`escape_into`] (borrowed when nothing needs escaping).
#[must_use]
pub fn escape(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) || s.chars().all(is_shown) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    Cow::Owned(out)
}

/// Bytes that should be UTF-8 text (file names, interpreter messages),
/// escaped by [`escape_into`]; a byte that is not part of valid UTF-8 is
/// shown as `\x80`–`\xff`, so it cannot be mistaken for a character (those
/// are `\u0080`–`\u00ff`).
#[must_use]
pub fn escape_bytes(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return escape(s);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        escape_into(&mut out, chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// Lines are wrapped to this many columns (long names may exceed it).
const WIDTH: usize = 100;
/// Where values start: two spaces, then the label padded to 12.
const INDENT: usize = 14;

/// Writes `report` as text:
///
/// ```text
/// closures.py: Python 3.12, 14 code objects, 60 constants
///
/// <module> (module, closures.py:1)
///   stores      counter_total, make_counter, bump_global, three_levels, make_adders,
///               identity, varargs, conditional, no_args, default_lambda
///   nested      make_counter (function), bump_global (function), …
///   size        stack 3, 13 constants (60 with nested), 45 instructions in 90 bytes
///
/// make_counter.<locals>.increment (function, closures.py:8)
///   arguments   (step)
///   free        count
///   …
/// ```
///
/// One block per code object in pre-order, separated by blank lines. The
/// heading is the qualified name, the kind and `file:line`; then one row per
/// non-empty item: `arguments` (as a parameter list without defaults),
/// `locals`, `hidden` (inlined comprehension locals, 3.12+), `cells`, `free`,
/// `globals`, `attributes`, `imports`, `references`, `stores`, `nested`
/// (name and kind of each nested code object), `size` and `flags`.
pub fn write_text(report: &Report, out: &mut String) {
    let n = report.code_objects.len();
    let _ = writeln!(
        out,
        "{}: Python {}, {n} code object{}, {} constant{}",
        escape(&report.filename),
        report.version,
        plural(n),
        report.constants_total(),
        plural(report.constants_total()),
    );
    for c in &report.code_objects {
        out.push('\n');
        write_code(report, c, out);
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn write_code(report: &Report, c: &CodeReport, out: &mut String) {
    let _ = writeln!(
        out,
        "{} ({}, {}:{})",
        escape(&c.qualname),
        c.kind_label(),
        escape(&c.filename),
        c.firstlineno
    );
    if !matches!(c.kind, Kind::Module | Kind::Class) {
        row(out, "arguments", &[c.arguments.signature()]);
    }
    row(out, "locals", &c.locals);
    row(out, "hidden", &c.hidden_locals);
    row(out, "cells", &c.cellvars);
    row(out, "free", &c.freevars);
    row(out, "globals", &c.globals);
    row(out, "attributes", &c.attributes);
    row(out, "imports", &c.imports);
    row(out, "references", &c.references);
    row(out, "stores", &c.stores);
    let nested: Vec<String> = c
        .nested
        .iter()
        .filter_map(|&i| report.code_objects.get(i))
        .map(|k| format!("{} ({})", escape(&k.name), k.kind_label()))
        .collect();
    row(out, "nested", &nested);
    let mut size = format!("stack {}, {} constant{}", c.stacksize, c.constants, plural(c.constants));
    if c.constants_total != c.constants {
        let _ = write!(size, " ({} with nested)", c.constants_total);
    }
    let _ =
        write!(size, ", {} instruction{} in {} bytes", c.instructions, plural(c.instructions), c.code_size);
    row(out, "size", &[size]);
    row(out, "flags", &c.flag_names);
}

/// `  label       a, b, c` wrapped at [`WIDTH`]; nothing for an empty list.
fn row(out: &mut String, label: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(out, "  {label:<width$}", width = INDENT - 2);
    let mut col = INDENT;
    for (i, item) in items.iter().enumerate() {
        let item = escape(item);
        let last = i + 1 == items.len();
        let piece_len = item.chars().count() + usize::from(!last);
        if i > 0 {
            if col + 1 + piece_len > WIDTH {
                out.push('\n');
                out.push_str(&" ".repeat(INDENT));
                col = INDENT;
            } else {
                out.push(' ');
                col += 1;
            }
        }
        out.push_str(&item);
        if !last {
            out.push(',');
        }
        col += piece_len;
    }
    out.push('\n');
}

#[cfg(test)]
mod escape_tests {
    use super::{escape, escape_bytes, is_shown};

    #[test]
    fn escapes_what_acts_on_a_terminal() {
        assert_eq!(escape("plain name_1 é π"), "plain name_1 é π");
        assert_eq!(escape("a\nb\rc\td\x1b[31m\x07\x7f"), "a\\nb\\rc\\td\\x1b[31m\\x07\\x7f");
        assert_eq!(
            escape("\u{9b}31m \u{202e}x\u{2066}\u{200b}\u{2028}\u{a0}"),
            "\\u009b31m \\u202ex\\u2066\\u200b\\u2028\\u00a0"
        );
        assert_eq!(escape("\u{e0001}"), "\\U000e0001");
        // Idempotent: escaped text is all shown.
        let once = escape("x\u{1b}\u{202e}\n").into_owned();
        assert_eq!(escape(&once), once);
    }

    #[test]
    fn no_code_point_survives_unshown() {
        // Every code point in the first planes and some beyond, one at a
        // time between letters: the result never holds a character that is
        // not shown (the newline included).
        for cp in (0u32..0x3_0000).step_by(7).chain(0xe_0000..0xe_0100).chain([0x10_fffd, 0x10_ffff]) {
            let Some(c) = char::from_u32(cp) else { continue };
            let s = format!("a{c}b");
            let e = escape(&s);
            assert!(e.chars().all(is_shown), "{cp:#x}: {e:?}");
        }
    }

    #[test]
    fn invalid_bytes_are_distinct_from_characters() {
        assert_eq!(escape_bytes(b"a\xffb\xc3"), "a\\xffb\\xc3");
        assert_eq!(escape_bytes("a\u{ff}b".as_bytes()), "a\u{ff}b");
        assert_eq!(escape_bytes("\u{9b}".as_bytes()), "\\u009b");
        assert_eq!(escape_bytes(b"\x9b"), "\\x9b");
        assert_ne!(escape_bytes(b"a\xff.pyc"), escape_bytes(b"a\xfe.pyc"));
    }
}
