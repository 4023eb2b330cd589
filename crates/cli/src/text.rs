//! bytescope's own text on stdout and stderr: names it did not write
//! (paths, archive members, messages quoting them) escaped so they cannot
//! act on a terminal or forge lines, and diagnostics written without ever
//! panicking on a closed stream.
//!
//! The rule (`docs/cli.md`): control characters, bidi and other format
//! characters are shown as `\x1b`, `\u202e`…; bytes of a file name that are
//! not UTF-8 as `\xff` (see [`bytescope_inspect::escape_into`]).

use std::borrow::Cow;
use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;

use bytescope_batch::Source;
use bytescope_inspect::{escape, escape_bytes};

/// The raw bytes of an OS string (on Unix exactly the file name's bytes).
pub fn os_bytes(s: &OsStr) -> Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        Cow::Borrowed(s.as_bytes())
    }
    #[cfg(not(unix))]
    {
        match s.to_string_lossy() {
            Cow::Borrowed(t) => Cow::Borrowed(t.as_bytes()),
            Cow::Owned(t) => Cow::Owned(t.into_bytes()),
        }
    }
}

/// A path for display: escaped, non-UTF-8 bytes as `\xff`.
pub fn path(p: &Path) -> String {
    escape_bytes(&os_bytes(p.as_os_str())).into_owned()
}

/// `PATH` or `ARCHIVE:MEMBER` for display, escaped; standard input as
/// `<stdin>`.
pub fn source(s: &Source) -> String {
    let mut out = if s.is_stdin() { "<stdin>".to_owned() } else { path(&s.path) };
    if let Some(m) = &s.member {
        out.push(':');
        out.push_str(&escape(m));
    }
    out
}

/// Text from elsewhere (error messages that may quote names), escaped.
pub fn message(s: &str) -> Cow<'_, str> {
    escape(s)
}

/// Writes `line` and a newline to stderr. A closed or failing stderr is
/// ignored: diagnostics must never end the run (nor panic, as `eprintln!`
/// does).
pub fn stderr_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(line.as_bytes()).and_then(|()| err.write_all(b"\n"));
}

/// `bytescope: WHAT: message` on stderr, both parts escaped.
pub fn report(what: &str, msg: &str) {
    stderr_line(&format!("bytescope: {what}: {}", message(msg)));
}

/// Listing text for a terminal: every line escaped (newlines kept), bytes
/// that are not UTF-8 as `\xff`.
pub fn terminal_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes)
        && s.chars().all(|c| c == '\n' || bytescope_inspect::is_shown(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + 64);
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape_bytes(line));
    }
    Cow::Owned(out)
}

/// JSON for a terminal: characters [`terminal_text`] would escape, written
/// as `\uXXXX` escapes instead (newlines between records kept), so the JSON
/// values stay the same. (Our JSON is UTF-8 and holds control characters
/// only as escapes, so they appear only inside strings.)
pub fn terminal_json(bytes: &[u8]) -> Cow<'_, str> {
    let text = String::from_utf8_lossy(bytes);
    if text.chars().all(|c| c == '\n' || bytescope_inspect::is_shown(c)) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        if c == '\n' || bytescope_inspect::is_shown(c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{u:04x}"));
            }
        }
    }
    Cow::Owned(out)
}
