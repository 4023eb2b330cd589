//! Colour for text on a terminal (`--color`): only ever applied to what a
//! [`crate::output::Printer`] writes when colour is on, so plain output
//! never pays for it.
//!
//! Listings: the opname bold, the argument's description (`(…)`) green,
//! jump-target marks (`>>`, `L1:`) and the current-instruction arrow cyan,
//! line numbers, offsets and positions dimmed; `==> PATH <==` frames,
//! `Disassembly of …:` and `ExceptionTable:` headings bold; in `info` and
//! `header` text the `Key:` labels, and in `inspect` the headings, bold.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const MARK: Style = Style::new().bold().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const ARG: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));

fn paint(out: &mut String, style: Style, text: &str) {
    if text.is_empty() {
        return;
    }
    let _ = write!(out, "{style}{text}{style:#}");
}

/// `text` with colour, line by line.
pub fn listing(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        line_colored(&mut out, line);
    }
    out
}

/// Whether `t` is a listing's prefix token: a line number, an offset, a
/// position (`3:4-3:9`), `?`, `>>`, `-->` or a label (`L12:`).
fn prefix_token(t: &str) -> Option<Style> {
    if t == ">>"
        || t == "-->"
        || (t.len() > 2 && t.starts_with('L') && t.ends_with(':') && is_num(&t[1..t.len() - 1]))
    {
        return Some(MARK);
    }
    let position = t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b':' | b'-' | b'?'));
    (position && !t.is_empty()).then_some(DIM)
}

fn is_num(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

fn is_opname(t: &str) -> bool {
    t.len() >= 2
        && t.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && t.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn line_colored(out: &mut String, line: &str) {
    if (line.starts_with("==> ") && line.ends_with(" <=="))
        || (line.starts_with("Disassembly of ") && line.ends_with(':'))
        || line == "ExceptionTable:"
    {
        return paint(out, BOLD, line);
    }
    if let Some(done) = instruction(out, line) {
        return done;
    }
    // `Key:   value` rows of info and header text.
    if let Some((key, _)) = line.split_once(':')
        && !key.is_empty()
        && !key.starts_with(' ')
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-' || b == b'_')
        && key.len() < 32
    {
        paint(out, BOLD, &line[..=key.len()]);
        out.push_str(&line[key.len() + 1..]);
        return;
    }
    // inspect's headings: `qualname (kind, file:line)`.
    if !line.starts_with(' ') && line.ends_with(')') && line.contains(" (") {
        return paint(out, BOLD, line);
    }
    out.push_str(line);
}

/// Colours a listing line if it is one: prefix tokens, then an opname.
fn instruction(out: &mut String, line: &str) -> Option<()> {
    let mut styled: Vec<(usize, usize, Style)> = Vec::new();
    let mut rest_at = None;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let end = line[i..].find(' ').map_or(line.len(), |n| i + n);
        let token = &line[i..end];
        if is_opname(token) {
            styled.push((i, end, BOLD));
            rest_at = Some(end);
            break;
        }
        styled.push((i, end, prefix_token(token)?));
        i = end;
    }
    let rest_at = rest_at?;
    let mut at = 0;
    for (s, e, style) in styled {
        out.push_str(&line[at..s]);
        paint(out, style, &line[s..e]);
        at = e;
    }
    let rest = &line[rest_at..];
    match rest.find(" (") {
        Some(p) if rest.ends_with(')') => {
            out.push_str(&rest[..=p]);
            paint(out, ARG, &rest[p + 1..]);
        }
        _ => out.push_str(rest),
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::listing;

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut it = s.chars().peekable();
        while let Some(c) = it.next() {
            if c == '\x1b' {
                for d in it.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn colour_only_adds_escapes() {
        let text = "==> a.pyc <==\n  2           0 LOAD_CONST               0 (<code object f at 0x4c>)\n    >>   12 JUMP_BACKWARD            2 (to 4)\nL1:     RETURN_VALUE\n2:0-8:12              STORE_NAME               0 (for_else)\nName:              f\nDisassembly of <code object f at 0x4c, file \"x.py\", line 2>:\n  some other line\n";
        let c = listing(text);
        assert_eq!(strip(&c), text);
        assert!(c.contains("\x1b[1mLOAD_CONST\x1b[0m"), "{c:?}");
        assert!(c.contains("\x1b[1mRETURN_VALUE"), "{c:?}");
        assert!(c.contains("(to 4)\x1b[0m"), "{c:?}");
        assert!(c.contains("  some other line\n"));
    }
}
