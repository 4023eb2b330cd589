//! The records of `bytescope scan` (and of the Python package's `scan`):
//! JSON Lines, one record per file and one per code object, each written
//! field by field in the schema's order.
//!
//! The schema is documented on the CLI's `scan --help`; [`FILE_FIELDS`],
//! [`CODE_FIELDS`] and [`CONST_FIELDS`] list the fields in output order.
//! Nothing here touches files or threads: [`Scanner::scan`] takes one file's
//! bytes and its path already written as JSON ([`path_json`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytescope_marshal::Storage;
use bytescope_pyc::{Invalidation, PycHeader, PythonVersion, hex, parse_header};
use serde::Serialize;
use serde_json::{Value, json};

use bytescope_dis::Disassembler;
use bytescope_marshal::Marshal;

use crate::grep::{Grep, Hit};
use crate::{CodeReport, Inspector, Query, Report};

/// Fields of `file` records, in output order.
pub const FILE_FIELDS: &[&str] =
    &["type", "path", "member", "version", "version_detected", "magic", "header", "code_objects", "error"];

/// Fields of `code` records, in output order.
pub const CODE_FIELDS: &[&str] = &[
    "type",
    "path",
    "member",
    "index",
    "parent",
    "name",
    "qualname",
    "firstlineno",
    "kind",
    "method",
    "flags",
    "argcount",
    "posonlyargcount",
    "kwonlyargcount",
    "arguments",
    "locals",
    "cellvars",
    "freevars",
    "globals",
    "attributes",
    "imports",
    "references",
    "stores",
    "opcodes",
    "nested",
    "constants",
    "stacksize",
    "code_size",
    "instructions",
    "matches",
];

/// Fields of `constant` records (`--grep`, `--grep-bytes`), in output order.
pub const CONST_FIELDS: &[&str] = &[
    "type",
    "path",
    "member",
    "index",
    "qualname",
    "pattern",
    "const_index",
    "const_path",
    "const_kind",
    "value",
    "length",
    "match",
    "match_start",
    "match_end",
    "loads",
];

/// Fields printed without --select (the constant fields only when
/// grepping, `matches` only when finding or grepping).
pub const DEFAULT_FIELDS: &[&str] = &[
    "type",
    "path",
    "member",
    "version",
    "version_detected",
    "magic",
    "header",
    "code_objects",
    "error",
    "qualname",
    "firstlineno",
    "kind",
    "flags",
    "argcount",
    "posonlyargcount",
    "kwonlyargcount",
    "globals",
    "attributes",
    "imports",
    "references",
    "opcodes",
    "nested",
    "code_size",
    "matches",
    "pattern",
    "const_index",
    "const_path",
    "const_kind",
    "value",
    "length",
    "match",
    "match_start",
    "match_end",
    "loads",
];

/// Which fields to print.
pub struct Select {
    fields: Vec<&'static str>,
    /// Whether file records are printed.
    pub files: bool,
    /// Whether code records are printed.
    pub codes: bool,
    /// Whether constant records (`--grep`) are printed.
    pub consts: bool,
}

impl Select {
    /// The fields `asked` (empty: the default fields; `"all"`: every
    /// field); `finding` (queries) or `grepping` (patterns) add `matches` to
    /// the defaults, and `grepping` the constant fields.
    ///
    /// # Errors
    /// The message for a field that does not exist.
    pub fn new(asked: &[String], finding: bool, grepping: bool) -> Result<Self, String> {
        let mut all: Vec<&'static str> = FILE_FIELDS.iter().chain(CODE_FIELDS).copied().collect();
        let extra: Vec<&'static str> = CONST_FIELDS.iter().copied().filter(|f| !all.contains(f)).collect();
        all.extend(extra);
        let mut fields: Vec<&'static str> = if asked.is_empty() {
            let const_only = |f: &&str| !CODE_FIELDS.contains(f) && !FILE_FIELDS.contains(f);
            DEFAULT_FIELDS
                .iter()
                .copied()
                .filter(|f| (finding || grepping || *f != "matches") && (grepping || !const_only(f)))
                .collect()
        } else if asked.iter().any(|a| a == "all") {
            all.clone()
        } else {
            let mut v = vec!["type"];
            for a in asked {
                let a = a.trim();
                match all.iter().find(|f| **f == a) {
                    Some(f) => v.push(f),
                    None => {
                        return Err(format!(
                            "unknown field {a:?} for --select (file fields: {}; code fields: {}; constant fields: {})",
                            FILE_FIELDS.join(", "),
                            CODE_FIELDS.join(", "),
                            CONST_FIELDS.join(", ")
                        ));
                    }
                }
            }
            v
        };
        fields.dedup();
        let common = ["type", "path", "member"];
        let own = |list: &[&str]| fields.iter().any(|f| list.contains(f) && !common.contains(f));
        let (mut files, mut codes, mut consts) = (own(FILE_FIELDS), own(CODE_FIELDS), own(CONST_FIELDS));
        if !files && !codes && !consts {
            (files, codes, consts) = (true, true, true);
        }
        Ok(Select { fields, files, codes, consts })
    }

    /// Whether field `f` is printed.
    #[must_use]
    pub fn has(&self, f: &str) -> bool {
        self.fields.contains(&f)
    }
}

/// Writes a file name as a JSON string: its bytes as UTF-8 where they are,
/// each byte that is not as a lone surrogate `\udc80`–`\udcff` (Python's
/// `surrogateescape`, so `os.fsencode(record["path"])` gives the bytes
/// back). Two different names never give the same string.
pub fn path_json(out: &mut Vec<u8>, bytes: &[u8]) {
    let string = |out: &mut Vec<u8>, s: &str| {
        // Serializing a str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    };
    if let Ok(s) = std::str::from_utf8(bytes) {
        return string(out, s);
    }
    out.push(b'"');
    for chunk in bytes.utf8_chunks() {
        let mut valid = Vec::new();
        string(&mut valid, chunk.valid());
        // Without the quotes.
        out.extend_from_slice(&valid[1..valid.len() - 1]);
        for b in chunk.invalid() {
            out.extend_from_slice(format!("\\udc{b:02x}").as_bytes());
        }
    }
    out.push(b'"');
}

/// One record, written field by field in the schema's order straight into
/// the output (no intermediate JSON values).
struct Record<'s, 'o> {
    select: &'s Select,
    out: &'o mut Vec<u8>,
}

impl<'s, 'o> Record<'s, 'o> {
    /// `path` is already JSON ([`path_json`]).
    fn new(select: &'s Select, kind: &str, path: &[u8], member: Option<&str>, out: &'o mut Vec<u8>) -> Self {
        out.extend_from_slice(b"{\"type\":");
        let _ = serde_json::to_writer(&mut *out, kind);
        if select.has("path") {
            out.extend_from_slice(b",\"path\":");
            out.extend_from_slice(path);
        }
        let mut r = Record { select, out };
        r.put("member", &member);
        r
    }

    /// Adds `field` if selected.
    fn put<T: Serialize + ?Sized>(&mut self, field: &str, value: &T) {
        if self.select.has(field) {
            self.out.extend_from_slice(b",\"");
            self.out.extend_from_slice(field.as_bytes());
            self.out.extend_from_slice(b"\":");
            // Serializing strings, numbers, lists and maps of them into a
            // Vec cannot fail.
            let _ = serde_json::to_writer(&mut *self.out, value);
        }
    }

    fn finish(self) {
        self.out.extend_from_slice(b"}\n");
    }
}

/// What one file gives: its records and what a summary needs.
#[derive(Debug)]
pub struct Scanned {
    /// The JSON Lines (each ending in a newline).
    pub lines: Vec<u8>,
    /// The version the file was read as, if known.
    pub version: Option<PythonVersion>,
    /// Its code objects.
    pub code_objects: usize,
    /// Code objects that matched the queries (all, without queries).
    pub matched: usize,
    /// Why the file could not be read, if it could not.
    pub error: Option<String>,
}

/// Scans files into records: the fields to print, the `--find` queries,
/// the `--grep` patterns and one [`Inspector`] per version, shared by the
/// threads that use it.
pub struct Scanner {
    select: Select,
    queries: Vec<(String, Query)>,
    grep: Grep,
    python_version: Option<PythonVersion>,
    force: bool,
    inspectors: Mutex<HashMap<(bytescope_pyc::Implementation, PythonVersion), Arc<Inspector>>>,
}

impl Scanner {
    /// A scanner printing `select`, keeping the code objects that match one
    /// of `find` or one of `grep`'s patterns (all without either), reading
    /// headerless data as `python_version` once it passes that version's
    /// checks (or regardless, with `force`), else as the detected version.
    #[must_use]
    pub fn new(
        select: Select,
        find: &[String],
        grep: Grep,
        python_version: Option<PythonVersion>,
        force: bool,
    ) -> Self {
        let queries = find.iter().map(|f| (f.clone(), Query::parse(f))).collect();
        Scanner { select, queries, grep, python_version, force, inspectors: Mutex::default() }
    }

    /// The fields printed.
    #[must_use]
    pub fn select(&self) -> &Select {
        &self.select
    }

    /// Whether records are filtered (by queries or patterns).
    #[must_use]
    pub fn finding(&self) -> bool {
        !self.queries.is_empty() || !self.grep.is_empty()
    }

    fn inspector(&self, m: &Marshal<'_>) -> Result<Arc<Inspector>, String> {
        let key = (m.format().implementation, m.version());
        let mut map = self.inspectors.lock().map_err(|_| "internal error: poisoned lock".to_owned())?;
        if let Some(i) = map.get(&key) {
            return Ok(Arc::clone(i));
        }
        let i = Arc::new(Inspector::for_marshal(m).map_err(|e| e.to_string())?);
        map.insert(key, Arc::clone(&i));
        Ok(i)
    }

    /// The records of one file (`path`, written as JSON by [`path_json`],
    /// and `member` inside an archive).
    #[must_use]
    pub fn scan(&self, path: &[u8], member: Option<&str>, data: &[u8]) -> Scanned {
        let select = &self.select;
        let header = parse_header(data).ok();
        let mut version = header.as_ref().map(PycHeader::version);
        let mut detected = false;
        let mut hits: HashMap<usize, Vec<Hit>> = HashMap::new();
        // The header's version, a given version checked against the data,
        // or the version detected from it.
        let limits = bytescope_detect::Limits::default();
        let resolved =
            bytescope_detect::resolve(data, self.python_version, self.force, &limits, Storage::default());
        let result: Result<Report, String> = match resolved {
            Err(e) => Err(e.to_string()),
            Ok(r) => {
                detected = matches!(r.origin, bytescope_detect::Origin::Detected(_));
                let pyc = r.pyc;
                version = Some(pyc.version());
                let report = self
                    .inspector(&pyc.marshal)
                    .and_then(|i| i.inspect(&pyc.marshal).map_err(|e| e.to_string()));
                if report.is_ok() && !self.grep.is_empty() {
                    hits = grep_file(&self.grep, &pyc.marshal);
                }
                report
            }
        };
        let (report, error) = match result {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e)),
        };
        let mut codes = Vec::new();
        let mut matched = 0;
        if let Some(report) = &report
            && select.codes
        {
            let patterns: Vec<&str> = self.grep.patterns().collect();
            for c in &report.code_objects {
                let mut matches: Vec<&str> = self
                    .queries
                    .iter()
                    .filter(|(_, q)| c.matches(q))
                    .map(|(text, _)| text.as_str())
                    .collect();
                let found = hits.get(&c.index).map_or(&[][..], Vec::as_slice);
                for h in found {
                    if let Some(&p) = patterns.get(h.pattern)
                        && !matches.contains(&p)
                    {
                        matches.push(p);
                    }
                }
                if self.finding() && matches.is_empty() {
                    continue;
                }
                matched += 1;
                code_record(select, path, member, c, &matches, &mut codes);
                if select.consts {
                    for h in found {
                        let pattern = patterns.get(h.pattern).copied().unwrap_or_default();
                        const_record(select, path, member, c, pattern, h, &mut codes);
                    }
                }
            }
        }
        let code_objects = report.as_ref().map_or(0, |r| r.code_objects.len());
        let mut lines = Vec::new();
        let show_file = select.files && (!self.finding() || matched > 0 || error.is_some());
        if show_file {
            let mut r = Record::new(select, "file", path, member, &mut lines);
            r.put("version", &version.map(|v| v.to_string()));
            r.put("version_detected", &detected);
            r.put("magic", &header.as_ref().map(|h| h.magic.magic));
            r.put("header", &header.as_ref().map(header_json));
            r.put("code_objects", &code_objects);
            r.put("error", &error);
            r.finish();
        }
        lines.extend(codes);
        Scanned { lines, version, code_objects, matched, error }
    }

    /// The file record of an input that could not even be read.
    #[must_use]
    pub fn unreadable(&self, path: &[u8], member: Option<&str>, error: &str) -> Scanned {
        let mut lines = Vec::new();
        if self.select.files {
            let mut r = Record::new(&self.select, "file", path, member, &mut lines);
            for f in ["version", "version_detected", "magic", "header"] {
                r.put(f, &Value::Null);
            }
            r.put("code_objects", &0);
            r.put("error", error);
            r.finish();
        }
        Scanned { lines, version: None, code_objects: 0, matched: 0, error: Some(error.to_owned()) }
    }
}

/// The `--grep` hits of every code object of `m`, by pre-order index (the
/// inspector's numbering).
fn grep_file(template: &Grep, m: &Marshal<'_>) -> HashMap<usize, Vec<Hit>> {
    let mut out = HashMap::new();
    let Ok(dis) = Disassembler::new(m.version()) else { return out };
    let mut grep = template.clone();
    grep.start_file();
    // The inspector's walk: each code object once.
    for (i, visit) in m.code_walk().with_repeat_budget(0).enumerate() {
        let Ok(code) = bytescope_code::Code::new(m, visit.code) else { return out };
        let hits = grep.search(&code, &dis);
        if !hits.is_empty() {
            out.insert(i, hits);
        }
    }
    out
}

fn header_json(h: &PycHeader) -> Value {
    let (invalidation, mtime, size, hash) = match h.invalidation {
        Invalidation::Timestamp { mtime, source_size } => ("timestamp", Some(mtime), source_size, None),
        Invalidation::CheckedHash { hash } => ("checked-hash", None, None, Some(hex(&hash))),
        Invalidation::UncheckedHash { hash } => ("unchecked-hash", None, None, Some(hex(&hash))),
    };
    json!({
        "size": h.len,
        "flags": h.flags,
        "invalidation": invalidation,
        "mtime": mtime,
        "source_size": size,
        "source_hash": hash,
    })
}

fn code_record(
    select: &Select,
    path: &[u8],
    member: Option<&str>,
    c: &CodeReport,
    matches: &[&str],
    out: &mut Vec<u8>,
) {
    let mut r = Record::new(select, "code", path, member, out);
    r.put("index", &c.index);
    r.put("parent", &c.parent);
    r.put("name", &c.name);
    r.put("qualname", &c.qualname);
    r.put("firstlineno", &c.firstlineno);
    r.put("kind", c.kind.name());
    r.put("method", &c.method);
    r.put("flags", &c.flag_names);
    r.put("argcount", &c.argcount);
    r.put("posonlyargcount", &c.posonlyargcount);
    r.put("kwonlyargcount", &c.kwonlyargcount);
    r.put("arguments", &c.arguments);
    r.put("locals", &c.locals);
    r.put("cellvars", &c.cellvars);
    r.put("freevars", &c.freevars);
    r.put("globals", &c.globals);
    r.put("attributes", &c.attributes);
    r.put("imports", &c.imports);
    r.put("references", &c.references);
    r.put("stores", &c.stores);
    r.put("opcodes", &c.opcodes);
    r.put("nested", &c.nested.len());
    r.put("constants", &c.constants);
    r.put("stacksize", &c.stacksize);
    r.put("code_size", &c.code_size);
    r.put("instructions", &c.instructions);
    r.put("matches", matches);
    r.finish();
}

/// A constant's bytes as text: UTF-8 where it is, `\xNN` for other bytes.
fn bytes_text(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        s.push_str(chunk.valid());
        for x in chunk.invalid() {
            s.push_str(&format!("\\x{x:02x}"));
        }
    }
    s
}

fn const_record(
    select: &Select,
    path: &[u8],
    member: Option<&str>,
    c: &CodeReport,
    pattern: &str,
    h: &Hit,
    out: &mut Vec<u8>,
) {
    let mut r = Record::new(select, "constant", path, member, out);
    r.put("index", &c.index);
    r.put("qualname", &c.qualname);
    r.put("pattern", pattern);
    r.put("const_index", &h.index);
    r.put("const_path", &h.path);
    r.put("const_kind", &h.kind);
    r.put("value", &bytes_text(&h.value));
    r.put("length", &h.len);
    let matched = h.value.get(h.start..h.end.min(h.value.len())).unwrap_or_default();
    r.put("match", &bytes_text(matched));
    r.put("match_start", &h.start);
    r.put("match_end", &h.end);
    r.put("loads", &h.loads);
    r.finish();
}
