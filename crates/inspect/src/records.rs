//! The records of `bytescope scan` (and of the Python package's `scan`):
//! JSON Lines, one record per file and one per code object, each written
//! field by field in the schema's order.
//!
//! The schema is documented on the CLI's `scan --help`; [`FILE_FIELDS`] and
//! [`CODE_FIELDS`] list the fields in output order. Nothing here touches
//! files or threads: [`Scanner::scan`] takes one file's bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytescope_marshal::Storage;
use bytescope_pyc::{Invalidation, PycHeader, PythonVersion, hex, parse_header};
use serde::Serialize;
use serde_json::{Value, json};

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

/// Fields printed without --select.
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
];

/// Which fields to print.
pub struct Select {
    fields: Vec<&'static str>,
    /// Whether file records are printed.
    pub files: bool,
    /// Whether code records are printed.
    pub codes: bool,
}

impl Select {
    /// The fields `asked` (empty: the default fields; `"all"`: every
    /// field); `finding` adds `matches` to the defaults.
    ///
    /// # Errors
    /// The message for a field that does not exist.
    pub fn new(asked: &[String], finding: bool) -> Result<Self, String> {
        let all: Vec<&'static str> = FILE_FIELDS.iter().chain(CODE_FIELDS).copied().collect();
        let mut fields: Vec<&'static str> = if asked.is_empty() {
            DEFAULT_FIELDS.iter().copied().filter(|f| finding || *f != "matches").collect()
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
                            "unknown field {a:?} for --select (file fields: {}; code fields: {})",
                            FILE_FIELDS.join(", "),
                            CODE_FIELDS.join(", ")
                        ));
                    }
                }
            }
            v
        };
        fields.dedup();
        let common = ["type", "path", "member"];
        let own = |list: &[&str]| fields.iter().any(|f| list.contains(f) && !common.contains(f));
        let (mut files, mut codes) = (own(FILE_FIELDS), own(CODE_FIELDS));
        if !files && !codes {
            (files, codes) = (true, true);
        }
        Ok(Select { fields, files, codes })
    }

    /// Whether field `f` is printed.
    #[must_use]
    pub fn has(&self, f: &str) -> bool {
        self.fields.contains(&f)
    }
}

/// One record, written field by field in the schema's order straight into
/// the output (no intermediate JSON values).
struct Record<'s, 'o> {
    select: &'s Select,
    out: &'o mut Vec<u8>,
}

impl<'s, 'o> Record<'s, 'o> {
    fn new(select: &'s Select, kind: &str, path: &str, member: Option<&str>, out: &'o mut Vec<u8>) -> Self {
        out.extend_from_slice(b"{\"type\":");
        let _ = serde_json::to_writer(&mut *out, kind);
        let mut r = Record { select, out };
        r.put("path", path);
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

/// Scans files into records: the fields to print, the `--find` queries and
/// one [`Inspector`] per version, shared by the threads that use it.
pub struct Scanner {
    select: Select,
    queries: Vec<(String, Query)>,
    python_version: Option<PythonVersion>,
    inspectors: Mutex<HashMap<(bytescope_pyc::Implementation, PythonVersion), Arc<Inspector>>>,
}

impl Scanner {
    /// A scanner printing `select`, keeping the code objects that match one
    /// of `find` (all without), reading headerless data as `python_version`.
    #[must_use]
    pub fn new(select: Select, find: &[String], python_version: Option<PythonVersion>) -> Self {
        let queries = find.iter().map(|f| (f.clone(), Query::parse(f))).collect();
        Scanner { select, queries, python_version, inspectors: Mutex::default() }
    }

    /// The fields printed.
    #[must_use]
    pub fn select(&self) -> &Select {
        &self.select
    }

    /// Whether there are queries.
    #[must_use]
    pub fn finding(&self) -> bool {
        !self.queries.is_empty()
    }

    fn inspector(&self, m: &bytescope_marshal::Marshal<'_>) -> Result<Arc<Inspector>, String> {
        let key = (m.format().implementation, m.version());
        let mut map = self.inspectors.lock().map_err(|_| "internal error: poisoned lock".to_owned())?;
        if let Some(i) = map.get(&key) {
            return Ok(Arc::clone(i));
        }
        let i = Arc::new(Inspector::for_marshal(m).map_err(|e| e.to_string())?);
        map.insert(key, Arc::clone(&i));
        Ok(i)
    }

    /// The records of one file (`path`, and `member` inside an archive).
    #[must_use]
    pub fn scan(&self, path: &str, member: Option<&str>, data: &[u8]) -> Scanned {
        let select = &self.select;
        let header = parse_header(data).ok();
        let mut version = header.as_ref().map(PycHeader::version);
        let mut detected = false;
        // As the CLI's scan loads: the header's version, a given version
        // checked against the data, or the version detected from it.
        let limits = bytescope_detect::Limits::default();
        let resolved =
            bytescope_detect::resolve(data, self.python_version, false, &limits, Storage::default());
        let result: Result<Report, String> = match resolved {
            Err(e) => Err(e.to_string()),
            Ok(r) => {
                detected = matches!(r.origin, bytescope_detect::Origin::Detected(_));
                let pyc = r.pyc;
                version = Some(pyc.version());
                self.inspector(&pyc.marshal).and_then(|i| i.inspect(&pyc.marshal).map_err(|e| e.to_string()))
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
            for c in &report.code_objects {
                let matches: Vec<&str> = self
                    .queries
                    .iter()
                    .filter(|(_, q)| c.matches(q))
                    .map(|(text, _)| text.as_str())
                    .collect();
                if !self.queries.is_empty() && matches.is_empty() {
                    continue;
                }
                matched += 1;
                code_record(select, path, member, c, &matches, &mut codes);
            }
        }
        let code_objects = report.as_ref().map_or(0, |r| r.code_objects.len());
        let mut lines = Vec::new();
        let show_file = select.files && (self.queries.is_empty() || matched > 0 || error.is_some());
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
    pub fn unreadable(&self, path: &str, member: Option<&str>, error: &str) -> Scanned {
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
    path: &str,
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
