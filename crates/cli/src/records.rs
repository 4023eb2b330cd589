//! JSON Lines records: every `--json` output (and `table`) is one JSON
//! object per line, each naming its file (`path`, and `member` inside an
//! archive) and, per code object, its position (`index`, pre-order),
//! `qualname` and `firstlineno`, so records of several files and several
//! commands compose (`jq`, joins on path + index). The schemas are in
//! `docs/schemas/`; `docs/cli.md` states the rule.
//!
//! The per-code-object views come from `bytescope-dis` as one row per line
//! of a JSON array, rows in the order of
//! `code_objects(m, visit_limit(m))`; this module puts each row into its
//! record.

use std::fmt::Write as _;

use bytescope_batch::Source;
use bytescope_code::code_objects;
use bytescope_dis::{Disassembler, visit_limit};
use bytescope_inspect::Inspector;
use bytescope_marshal::Marshal;
use bytescope_pyc::PythonVersion;

/// Writes `s` as a JSON string.
fn string(out: &mut Vec<u8>, s: &str) {
    // Serializing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes a file name as a JSON string: its bytes as UTF-8 where they are,
/// each byte that is not as a lone surrogate `\udc80`–`\udcff` (Python's
/// `surrogateescape`, so `os.fsencode(record["path"])` gives the bytes
/// back). Two different names never give the same string.
pub fn path_json(out: &mut Vec<u8>, bytes: &[u8]) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return string(out, s);
    }
    let mut s = Vec::with_capacity(bytes.len() + 16);
    s.push(b'"');
    for chunk in bytes.utf8_chunks() {
        let mut valid = Vec::new();
        string(&mut valid, chunk.valid());
        // Without the quotes.
        s.extend_from_slice(&valid[1..valid.len() - 1]);
        for b in chunk.invalid() {
            let _ = write!(Utf8(&mut s), "\\udc{b:02x}");
        }
    }
    s.push(b'"');
    out.extend_from_slice(&s);
}

/// `fmt::Write` into a byte vector.
struct Utf8<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Utf8<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Starts a record: `{"path":…,"member":…`.
pub fn start(out: &mut Vec<u8>, source: &Source) {
    out.extend_from_slice(b"{\"path\":");
    if crate::output::from_stdin(source) {
        out.extend_from_slice(b"\"-\"");
    } else {
        path_json(out, &crate::text::os_bytes(source.path.as_os_str()));
    }
    out.extend_from_slice(b",\"member\":");
    match &source.member {
        Some(m) => string(out, m),
        None => out.extend_from_slice(b"null"),
    }
}

/// What names a code object in its records.
pub struct Head {
    name: String,
    qualname: Option<String>,
    filename: String,
    firstlineno: i32,
    offset: usize,
}

/// The code objects of `m` in the JSON views' order, with their names.
/// `qualname` is `co_qualname` from 3.11; before, the name CPython gives
/// the function, derived as `bytescope inspect` does (`None` if that
/// fails).
pub fn heads(m: &Marshal<'_>, version: PythonVersion) -> Result<Vec<Head>, String> {
    let codes = code_objects(m, visit_limit(m)).map_err(|e| e.to_string())?;
    let mut heads: Vec<Head> = codes
        .iter()
        .map(|c| Head {
            name: c.name.to_string(),
            qualname: c.qualname.as_ref().map(ToString::to_string),
            filename: c.filename.to_string(),
            firstlineno: c.firstlineno(),
            offset: c.offset(),
        })
        .collect();
    if heads.iter().any(|h| h.qualname.is_none())
        && let Ok(report) = Inspector::new(version).and_then(|i| i.inspect(m))
    {
        let mut by_offset = std::collections::HashMap::new();
        for c in &report.code_objects {
            by_offset.entry(c.offset).or_insert(&c.qualname);
        }
        for h in heads.iter_mut().filter(|h| h.qualname.is_none()) {
            h.qualname = by_offset.get(&h.offset).map(|q| (*q).clone());
        }
    }
    Ok(heads)
}

impl Head {
    /// `,"index":…,"name":…,"qualname":…,"filename":…,"firstlineno":…,"offset":…`
    fn write(&self, out: &mut Vec<u8>, index: usize, with_names: bool) {
        let _ = write!(Utf8(out), ",\"index\":{index}");
        if with_names {
            out.extend_from_slice(b",\"name\":");
            string(out, &self.name);
        }
        out.extend_from_slice(b",\"qualname\":");
        match &self.qualname {
            Some(q) => string(out, q),
            None => out.extend_from_slice(b"null"),
        }
        if with_names {
            out.extend_from_slice(b",\"filename\":");
            string(out, &self.filename);
        }
        let _ = write!(Utf8(out), ",\"firstlineno\":{},\"offset\":{}", self.firstlineno, self.offset);
    }
}

/// The rows of a per-code-object view (`[`, one row per line, `]`).
fn rows(array: &str) -> impl Iterator<Item = &str> {
    array.lines().filter(|l| *l != "[" && *l != "]").map(|l| l.strip_suffix(',').unwrap_or(l))
}

/// Which per-code-object view a record wraps.
#[derive(Clone, Copy)]
pub enum View<'k> {
    /// `dis --json`: the row is `{"name",…,"instructions":[…]}`.
    Instructions,
    /// `info --json`: the row is `{"co_argcount":…}`.
    Attributes,
    /// `table KIND`: the row is the table, `[[…],…]`.
    Table(&'k str),
}

/// Writes one record per row of `array` (a view of `m`) for `source`.
///
/// # Errors
/// When the rows and the code objects do not line up (a bug).
pub fn per_code(
    out: &mut Vec<u8>,
    source: &Source,
    m: &Marshal<'_>,
    version: PythonVersion,
    view: View<'_>,
    array: &str,
) -> Result<(), String> {
    let heads = heads(m, version)?;
    let mut n = 0;
    for (i, row) in rows(array).enumerate() {
        let head = heads.get(i).ok_or("internal error: more rows than code objects")?;
        start(out, source);
        match view {
            View::Instructions => {
                head.write(out, i, true);
                // The row's own head is replaced; its first raw
                // `,"instructions":[` is the key (inside a JSON string
                // every quote is escaped).
                let at = row.find(",\"instructions\":[").ok_or("internal error: no instructions")?;
                out.extend_from_slice(&row.as_bytes()[at..]);
            }
            View::Attributes => {
                head.write(out, i, false);
                out.push(b',');
                out.extend_from_slice(
                    row.strip_prefix('{').ok_or("internal error: not an object")?.as_bytes(),
                );
            }
            View::Table(kind) => {
                head.write(out, i, true);
                out.extend_from_slice(b",\"table\":");
                string(out, kind);
                out.extend_from_slice(b",\"rows\":");
                out.extend_from_slice(row.as_bytes());
                out.push(b'}');
            }
        }
        out.push(b'\n');
        n += 1;
    }
    if n != heads.len() && n != 0 {
        return Err(format!("internal error: {n} rows for {} code objects", heads.len()));
    }
    Ok(())
}

/// Writes `object` (one JSON object, as text) as a record of `source`:
/// `{"path":…,"member":…,` then its members.
pub fn per_file(out: &mut Vec<u8>, source: &Source, object: &str) {
    start(out, source);
    let body = object.trim_end().strip_prefix('{').unwrap_or(object);
    if body != "}" {
        out.push(b',');
    }
    out.extend_from_slice(body.as_bytes());
    out.push(b'\n');
}

/// The disassembler's view of `m` as records.
pub fn dis_view(
    out: &mut Vec<u8>,
    source: &Source,
    dis: &Disassembler,
    m: &Marshal<'_>,
    view: View<'_>,
    render: impl FnOnce(&mut String) -> Result<(), bytescope_dis::DisError>,
) -> Result<(), String> {
    let mut array = String::new();
    let result = render(&mut array);
    per_code(out, source, m, dis.rules().version, view, &array)?;
    result.map_err(|e| e.to_string())
}
