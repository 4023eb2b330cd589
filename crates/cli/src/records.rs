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
use bytescope_code::{Code, CodeVecs};
use bytescope_dis::visit_limit;
use bytescope_inspect::Inspector;
use bytescope_marshal::Marshal;

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
    if source.is_stdin() {
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
pub fn heads(m: &Marshal<'_>) -> Result<Vec<Head>, String> {
    // The views' walk (`code_objects(m, visit_limit(m))`), one code object
    // at a time with its name lists' memory reused.
    let mut heads: Vec<Head> = Vec::new();
    let mut vecs = CodeVecs::default();
    for node in m.code_preorder(visit_limit(m)) {
        let c = Code::new_in(m, node, vecs).map_err(|e| e.to_string())?;
        heads.push(Head {
            name: c.name.to_string(),
            qualname: c.qualname.as_ref().map(ToString::to_string),
            filename: c.filename.to_string(),
            firstlineno: c.firstlineno(),
            offset: c.offset(),
        });
        vecs = c.into_vecs();
    }
    if heads.iter().any(|h| h.qualname.is_none())
        && let Ok(report) = Inspector::for_marshal(m).and_then(|i| i.inspect(m))
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

/// Which per-code-object view a record wraps.
#[derive(Clone, Copy)]
pub enum View<'k> {
    /// `dis --json`: the row is `{"name",…,"offset":N,"instructions":[…]}`.
    Instructions,
    /// `info --json`: the row is `{"co_argcount":…}`.
    Attributes,
    /// `table KIND`: the row is the table, `[[…],…]`.
    Table(&'k str),
}

/// Turns a per-code-object view, fed in pieces as it is written (`[`, then
/// one row per line, `]`; rows hold no raw newline), into records. A row
/// is matched with the next code object in pre-order; `dis` rows, which
/// name their code object's offset, with the next code object at that
/// offset (so a view that leaves out repeats of shared code objects still
/// lines up).
pub struct Records<'a> {
    source: &'a Source,
    view: View<'a>,
    heads: Vec<Head>,
    next: usize,
    /// The start of a row not complete yet.
    partial: Vec<u8>,
}

impl<'a> Records<'a> {
    /// Records of `source`'s code objects `heads` (see [`heads`]).
    pub fn new(source: &'a Source, view: View<'a>, heads: Vec<Head>) -> Self {
        Records { source, view, heads, next: 0, partial: Vec::new() }
    }

    /// Takes the next piece of the view; writes the records of the rows it
    /// completes to `out`.
    ///
    /// # Errors
    /// A row that does not line up with a code object (a bug).
    pub fn feed(&mut self, piece: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let mut rest = piece;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let line = if self.partial.is_empty() {
                self.row(&rest[..nl], out)
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&rest[..nl]);
                self.row(&line, out)
            };
            line?;
            rest = &rest[nl + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    /// Ends the view (a last row without a newline is taken too).
    ///
    /// # Errors
    /// As [`Records::feed`].
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let last = std::mem::take(&mut self.partial);
        self.row(&last, out)
    }

    fn row(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let line = std::str::from_utf8(line).map_err(|_| "internal error: a view row is not UTF-8")?;
        let row = line.trim_end_matches(',');
        // The array's brackets (and what a stopped view closes with).
        if row.is_empty() || row == "[" || row == "]" {
            return Ok(());
        }
        let index = match self.view {
            View::Instructions => {
                let offset = row_offset(row).ok_or("internal error: a dis row without its offset")?;
                (self.next..self.heads.len())
                    .find(|&i| self.heads[i].offset == offset)
                    .ok_or("internal error: a dis row for no code object")?
            }
            _ => self.next,
        };
        let head = self.heads.get(index).ok_or("internal error: more rows than code objects")?;
        self.next = index + 1;
        start(out, self.source);
        match self.view {
            View::Instructions => {
                head.write(out, index, true);
                // The row's own head is replaced; its first raw
                // `,"instructions":[` is the key (inside a JSON string
                // every quote is escaped).
                let at = row.find(",\"instructions\":[").ok_or("internal error: no instructions")?;
                out.extend_from_slice(&row.as_bytes()[at..]);
            }
            View::Attributes => {
                head.write(out, index, false);
                out.push(b',');
                out.extend_from_slice(
                    row.strip_prefix('{').ok_or("internal error: not an object")?.as_bytes(),
                );
            }
            View::Table(kind) => {
                head.write(out, index, true);
                out.extend_from_slice(b",\"table\":");
                string(out, kind);
                out.extend_from_slice(b",\"rows\":");
                out.extend_from_slice(row.as_bytes());
                out.push(b'}');
            }
        }
        out.push(b'\n');
        Ok(())
    }
}

/// The code object offset a `dis` row names (`,"offset":N,"instructions":[`).
fn row_offset(row: &str) -> Option<usize> {
    let end = row.find(",\"instructions\":[")?;
    let head = &row[..end];
    let at = head.rfind(",\"offset\":")? + ",\"offset\":".len();
    head[at..].parse().ok()
}

/// Writes one record per row of `array` (a whole view of `m`) for `source`.
///
/// # Errors
/// When the rows and the code objects do not line up (a bug).
pub fn per_code(
    out: &mut Vec<u8>,
    source: &Source,
    m: &Marshal<'_>,
    view: View<'_>,
    array: &str,
) -> Result<(), String> {
    let mut records = Records::new(source, view, heads(m)?);
    records.feed(array.as_bytes(), out)?;
    records.finish(out)
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
    m: &Marshal<'_>,
    view: View<'_>,
    render: impl FnOnce(&mut String) -> Result<(), bytescope_dis::DisError>,
) -> Result<(), String> {
    let mut array = String::new();
    let result = render(&mut array);
    per_code(out, source, m, view, &array)?;
    result.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{Head, Records, View, row_offset};
    use bytescope_batch::Source;

    fn heads(offsets: &[usize]) -> Vec<Head> {
        offsets
            .iter()
            .map(|&offset| Head {
                name: "f".to_owned(),
                qualname: Some("f".to_owned()),
                filename: "x.py".to_owned(),
                firstlineno: 1,
                offset,
            })
            .collect()
    }

    #[test]
    fn rows_in_any_pieces_give_the_same_records() {
        let source = Source { path: "a.pyc".into(), member: None, expanded: false };
        let view = "[\n{\"name\":\"f\",\"qualname\":null,\"filename\":\"x.py\",\"firstlineno\":1,\"offset\":16,\"instructions\":[]},\n{\"name\":\"g\",\"qualname\":null,\"filename\":\"x.py\",\"firstlineno\":1,\"offset\":99,\"instructions\":[{\"x\":\"]\\n\"}]}\n]\n";
        // The view leaves out the repeat at 16 (index 1): the row for 99
        // is index 2.
        let mut whole = Vec::new();
        let mut r = Records::new(&source, View::Instructions, heads(&[16, 16, 99]));
        r.feed(view.as_bytes(), &mut whole).unwrap();
        r.finish(&mut whole).unwrap();
        let text = String::from_utf8(whole.clone()).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.lines().nth(1).unwrap().contains("\"index\":2,"), "{text}");
        for cut in 1..view.len() {
            let mut out = Vec::new();
            let mut r = Records::new(&source, View::Instructions, heads(&[16, 16, 99]));
            r.feed(&view.as_bytes()[..cut], &mut out).unwrap();
            r.feed(&view.as_bytes()[cut..], &mut out).unwrap();
            r.finish(&mut out).unwrap();
            assert_eq!(out, whole, "cut at {cut}");
        }
        assert_eq!(row_offset("{\"name\":\",\\\"offset\\\":3\",\"offset\":7,\"instructions\":[]}"), Some(7));
    }
}
