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

/// `PATH` or `ARCHIVE:MEMBER` for display, escaped.
pub fn source(s: &Source) -> String {
    let mut out = path(&s.path);
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
