//! How members are named in output and in `ARCHIVE:MEMBER` inputs.
//!
//! A member's name is its raw name from the central directory, shown as
//! text: valid UTF-8 as it is, each byte of an invalid sequence as `\xNN`
//! (zip names carry no reliable encoding; escaping keeps two different
//! byte strings apart). Names are unique within an archive: the second
//! member whose name is already taken gets `#2` appended, the third `#3`,
//! and so on (the smallest number giving a name not yet taken), in
//! central-directory order. Terminal-unsafe characters are the printer's
//! business, not escaped here.

use std::collections::{HashMap, HashSet};

/// `raw` as text, invalid UTF-8 bytes escaped as `\xNN`.
pub(crate) fn escape(raw: &[u8]) -> String {
    let mut s = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        s.push_str(chunk.valid());
        for b in chunk.invalid() {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

/// Hands out unique member names, in order.
#[derive(Default)]
pub(crate) struct Unique {
    taken: HashSet<String>,
    /// The next suffix to try for a name already taken.
    next: HashMap<String, u32>,
}

impl Unique {
    /// The unique name of the next member, whose raw name is `raw`.
    pub(crate) fn name(&mut self, raw: &[u8]) -> String {
        let base = escape(raw);
        if self.taken.insert(base.clone()) {
            return base;
        }
        let mut k = self.next.get(&base).copied().unwrap_or(2);
        loop {
            let candidate = format!("{base}#{k}");
            k += 1;
            if self.taken.insert(candidate.clone()) {
                self.next.insert(base, k);
                return candidate;
            }
        }
    }
}

/// Whether a file or member name is a compiled Python file (`.pyc`, `.pyo`).
#[must_use]
pub fn is_pyc_name(name: &str) -> bool {
    has_suffix(name, &[".pyc", ".pyo"])
}

/// Whether a file or member name is a zip-family archive bytescope opens
/// when it finds one in a directory or an archive: `.zip`, `.whl`, `.egg`,
/// `.pyz`, `.pyzw` (inputs named on the command line are recognised by
/// content, whatever their name).
#[must_use]
pub fn is_archive_name(name: &str) -> bool {
    has_suffix(name, &[".zip", ".whl", ".egg", ".pyz", ".pyzw"])
}

fn has_suffix(name: &str, suffixes: &[&str]) -> bool {
    let b = name.as_bytes();
    suffixes.iter().any(|s| b.len() >= s.len() && b[b.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_distinct_names_distinct() {
        assert_eq!(escape(b"pkg/a.pyc"), "pkg/a.pyc");
        assert_eq!(escape("caf\u{e9}.pyc".as_bytes()), "caf\u{e9}.pyc");
        assert_eq!(escape(b"a\xff.pyc"), "a\\xff.pyc");
        assert_eq!(escape(b"a\xfe.pyc"), "a\\xfe.pyc");
        assert_eq!(escape(b"\xe9t\xe9.pyc"), "\\xe9t\\xe9.pyc");
    }

    #[test]
    fn duplicates_get_numbers() {
        let mut u = Unique::default();
        let names: Vec<String> = [&b"a.pyc"[..], b"a.pyc", b"b.pyc", b"a.pyc#2", b"a.pyc", b"a.pyc#2"]
            .iter()
            .map(|n| u.name(n))
            .collect();
        assert_eq!(names, ["a.pyc", "a.pyc#2", "b.pyc", "a.pyc#2#2", "a.pyc#3", "a.pyc#2#3"]);
    }

    #[test]
    fn suffixes() {
        assert!(is_pyc_name("X.PYC") && is_pyc_name("a.pyo") && !is_pyc_name("a.py") && !is_pyc_name("pyc"));
        assert!(
            is_archive_name("m-1.0-py3-none-any.whl")
                && is_archive_name("A.ZIP")
                && !is_archive_name("a.pyc")
        );
    }
}
