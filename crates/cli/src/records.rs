//! JSON Lines records: every `--json` output (and `table`) is one JSON
//! object per line, each naming its file (`path`, and `member` inside an
//! archive) and, per code object, its position (`index`, pre-order),
//! `qualname` and `firstlineno`, so records of several files and several
//! commands compose (`jq`, joins on path + index). The schemas are in
//! `docs/schemas/`; `docs/cli.md` states the rule.
//!
//! The per-code-object views come from `bytescope-dis` as one row per line
//! of a JSON array, rows in the order of the code-object walk
//! (`Marshal::code_walk`, which [`heads`] follows too); this module puts each
//! row into its record, as the view is written.

use std::fmt::Write as _;

use bytescope_batch::Source;
use bytescope_code::{Code, CodeVecs, Selection, code_tree, subtree_end};
use bytescope_marshal::Marshal;

/// Writes `s` as a JSON string.
fn string(out: &mut Vec<u8>, s: &str) {
    // Serializing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes a file name as a JSON string (the scan records' rule, shared by
/// every record).
pub use bytescope_inspect::records::path_json;

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
    /// Position in the file's pre-order walk.
    index: usize,
    name: String,
    qualname: Option<String>,
    filename: String,
    firstlineno: i32,
    offset: usize,
}

/// The code objects of `m` a view goes through, in its order, with their
/// names: every one (the views' walk), or those `selection` picks (with
/// those nested in them when `nested`). `qualname` is `co_qualname` from
/// 3.11; before, the name CPython gives the function, derived from the
/// nesting (`bytescope_code::code_tree`).
pub fn heads(m: &Marshal<'_>, selection: Option<&Selection>, nested: bool) -> Result<Vec<Head>, String> {
    let tree = code_tree(m);
    let order: Vec<usize> = match selection {
        None => (0..tree.len()).collect(),
        // A name that picks nothing: the view says so before any row.
        Some(sel) => {
            let mut order = Vec::new();
            for i in sel.pick(&tree).unwrap_or_default() {
                let end = if nested { subtree_end(&tree, i) } else { i + 1 };
                order.extend((i.max(order.last().map_or(0, |&l: &usize| l + 1)))..end);
            }
            order
        }
    };
    // One code object at a time, with its name lists' memory reused.
    let mut heads: Vec<Head> = Vec::with_capacity(order.len());
    let mut vecs = CodeVecs::default();
    for i in order {
        let entry = &tree[i];
        let c = Code::new_in(m, entry.node, vecs).map_err(|e| e.to_string())?;
        heads.push(Head {
            index: i,
            name: c.name.to_string(),
            qualname: Some(entry.qualname.clone()),
            filename: c.filename.to_string(),
            firstlineno: c.firstlineno(),
            offset: c.offset(),
        });
        vecs = c.into_vecs();
    }
    Ok(heads)
}

impl Head {
    /// `,"index":…,"name":…,"qualname":…,"filename":…,"firstlineno":…,"offset":…`
    fn write(&self, out: &mut Vec<u8>, with_names: bool) {
        let _ = write!(Utf8(out), ",\"index\":{}", self.index);
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
///
/// A row's record starts as soon as the row's head is known (for `dis`, up
/// to its `"instructions":[`); the rest of the row passes through as it
/// comes, so a row of any length is never held whole.
pub struct Records<'a> {
    source: &'a Source,
    view: View<'a>,
    heads: Vec<Head>,
    next: usize,
    /// The start of a row whose record has not started yet.
    partial: Vec<u8>,
    /// A row's record has started: its text passes through.
    open: bool,
    /// A comma held back at the end of a piece: inside the row, or the
    /// separator after it (which the record leaves out).
    comma: bool,
}

/// What starts a `dis` row's instruction list (inside a JSON string every
/// quote is escaped, so the first raw one is the key).
const INSTRUCTIONS: &[u8] = b",\"instructions\":[";

impl<'a> Records<'a> {
    /// Records of `source`'s code objects `heads` (see [`heads`]).
    pub fn new(source: &'a Source, view: View<'a>, heads: Vec<Head>) -> Self {
        Records { source, view, heads, next: 0, partial: Vec::new(), open: false, comma: false }
    }

    /// Takes the next piece of the view; writes the records (and the parts
    /// of records) it completes to `out`.
    ///
    /// # Errors
    /// A row that does not line up with a code object (a bug).
    pub fn feed(&mut self, piece: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let mut rest = piece;
        loop {
            let nl = rest.iter().position(|&b| b == b'\n');
            let chunk = &rest[..nl.unwrap_or(rest.len())];
            if self.open {
                self.pass(chunk, out);
            } else {
                self.partial.extend_from_slice(chunk);
                self.try_start(out)?;
            }
            let Some(nl) = nl else { return Ok(()) };
            self.end_row(out)?;
            rest = &rest[nl + 1..];
        }
    }

    /// Ends the view (a last row without a newline is taken too).
    ///
    /// # Errors
    /// As [`Records::feed`].
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.end_row(out)
    }

    /// Writes row text that passes through, holding back a final comma.
    fn pass(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if chunk.is_empty() {
            return;
        }
        if std::mem::take(&mut self.comma) {
            out.push(b',');
        }
        match chunk.split_last() {
            Some((b',', body)) => {
                out.extend_from_slice(body);
                self.comma = true;
            }
            _ => out.extend_from_slice(chunk),
        }
    }

    /// Starts the record of the row in `partial` if its head is there.
    fn try_start(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let p = &self.partial;
        let ready = match self.view {
            View::Instructions => p.windows(INSTRUCTIONS.len()).any(|w| w == INSTRUCTIONS),
            View::Attributes => p.first() == Some(&b'{'),
            // The array's own `[` is a line of its own.
            View::Table(_) => p.len() >= 2 && p[0] == b'[',
        };
        if !ready {
            return Ok(());
        }
        let row = std::mem::take(&mut self.partial);
        let rest = self.start_record(&row, out)?;
        self.open = true;
        self.pass(rest, out);
        Ok(())
    }

    /// Writes the start of the record of the row that begins with `row`;
    /// returns what of `row` comes after the part the record replaces.
    fn start_record<'r>(&mut self, row: &'r [u8], out: &mut Vec<u8>) -> Result<&'r [u8], String> {
        let index = match self.view {
            View::Instructions => {
                let head = std::str::from_utf8(row).map_err(|_| "internal error: a view row is not UTF-8")?;
                let offset = row_offset(head).ok_or("internal error: a dis row without its offset")?;
                (self.next..self.heads.len())
                    .find(|&i| self.heads[i].offset == offset)
                    .ok_or("internal error: a dis row for no code object")?
            }
            _ => self.next,
        };
        let head = self.heads.get(index).ok_or("internal error: more rows than code objects")?;
        self.next = index + 1;
        start(out, self.source);
        Ok(match self.view {
            View::Instructions => {
                head.write(out, true);
                // The row's own head is replaced.
                let at = row.windows(INSTRUCTIONS.len()).position(|w| w == INSTRUCTIONS).unwrap_or(0);
                &row[at..]
            }
            View::Attributes => {
                head.write(out, false);
                out.push(b',');
                &row[1..]
            }
            View::Table(kind) => {
                head.write(out, true);
                out.extend_from_slice(b",\"table\":");
                string(out, kind);
                out.extend_from_slice(b",\"rows\":");
                row
            }
        })
    }

    /// A row ends (a newline, or the end of the view).
    fn end_row(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        // The separator after the row is not the record's.
        self.comma = false;
        if !self.open {
            let line = std::mem::take(&mut self.partial);
            let row = line.strip_suffix(b",").unwrap_or(&line);
            // The array's brackets (and what a stopped view closes with).
            if row.is_empty() || row == b"[" || row == b"]" {
                return Ok(());
            }
            // A short table row, or a row without the head a record needs.
            let rest = self.start_record(row, out)?;
            if matches!(self.view, View::Instructions) && !rest.starts_with(INSTRUCTIONS) {
                return Err("internal error: no instructions".to_owned());
            }
            out.extend_from_slice(rest);
        }
        self.open = false;
        if matches!(self.view, View::Table(_)) {
            out.push(b'}');
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

/// The disassembler's view of `m` as records, made as the view is written:
/// `render(buf, piece)` writes the view into `buf` and hands each finished
/// piece to `piece`; each piece's rows become records in `out`, which is
/// then offered to `drain` (the item's [`crate::output::Ctx::drain`]). So a
/// view never sits in memory whole, with one job.
///
/// # Errors
/// The view's error (after the records of what it wrote), or rows that do
/// not line up with the code objects (a bug).
pub fn dis_view(
    out: &mut Vec<u8>,
    source: &Source,
    m: &Marshal<'_>,
    view: View<'_>,
    selection: Option<&Selection>,
    drain: &mut dyn FnMut(&mut Vec<u8>),
    render: impl FnOnce(&mut Vec<u8>, &mut dyn FnMut(&mut Vec<u8>)) -> Result<(), bytescope_dis::DisError>,
) -> Result<(), String> {
    let nested = matches!(view, View::Instructions);
    let mut records = Records::new(source, view, heads(m, selection, nested)?);
    let mut buf = Vec::new();
    let mut lined_up: Result<(), String> = Ok(());
    let result = render(&mut buf, &mut |piece: &mut Vec<u8>| {
        if lined_up.is_ok() {
            lined_up = records.feed(piece, out);
        }
        piece.clear();
        drain(out);
    });
    lined_up?;
    records.feed(&buf, out)?;
    records.finish(out)?;
    result.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{Head, Records, View, row_offset};
    use bytescope_batch::Source;

    fn heads(offsets: &[usize]) -> Vec<Head> {
        offsets
            .iter()
            .enumerate()
            .map(|(index, &offset)| Head {
                index,
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

    /// Every view, cut anywhere, gives the same records; a long row's
    /// record is written as the row comes, not held.
    #[test]
    fn rows_stream_through() {
        let source = Source { path: "a.pyc".into(), member: None, expanded: false };
        let mut long = String::from("[\n{\"name\":\"f\",\"offset\":16,\"instructions\":[");
        for i in 0..500 {
            long.push_str(if i > 0 { ",{\"x\":\",\"}" } else { "{\"x\":\",\"}" });
        }
        long.push_str("]},\n{\"name\":\"g\",\"offset\":99,\"instructions\":[]}\n]\n");
        let views = [
            (View::Instructions, long.as_str()),
            (
                View::Attributes,
                "[\n{\"co_argcount\":0,\"co_consts\":[{\"a\":1},{\"b\":2}]},\n{\"co_argcount\":1}\n]\n",
            ),
            (View::Table("lines"), "[\n[[0,2,1],[2,4,null]],\n[],\n[[0,2,3]]\n]\n"),
        ];
        for (view, text) in views {
            let mut whole = Vec::new();
            let mut r = Records::new(&source, view, heads(&[16, 50, 99]));
            r.feed(text.as_bytes(), &mut whole).unwrap();
            r.finish(&mut whole).unwrap();
            let records = String::from_utf8(whole.clone()).unwrap();
            for line in records.lines() {
                assert!(line.starts_with("{\"path\":\"a.pyc\"") && line.ends_with('}'), "{line}");
            }
            for cut in 1..text.len() {
                let mut out = Vec::new();
                let mut r = Records::new(&source, view, heads(&[16, 50, 99]));
                r.feed(&text.as_bytes()[..cut], &mut out).unwrap();
                r.feed(&text.as_bytes()[cut..], &mut out).unwrap();
                r.finish(&mut out).unwrap();
                assert_eq!(out, whole, "cut at {cut}");
            }
        }
        // Half of the long row in: most of its record is out already.
        let mut out = Vec::new();
        let mut r = Records::new(&source, View::Instructions, heads(&[16, 99]));
        r.feed(&long.as_bytes()[..long.len() / 2], &mut out).unwrap();
        assert!(out.len() > long.len() / 3, "{} bytes out", out.len());
    }
}
