//! `bytescope scan`: JSON Lines over many pycs, for triage and statistics.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, IsTerminal as _, Write as _};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytescope_batch::Source;
use bytescope_detect::Origin;
use bytescope_dis::Disassembler;
use bytescope_inspect::grep::{Grep, Hit, Mode};
use bytescope_inspect::{CodeReport, Inspector, Query, Report};
use bytescope_marshal::{Marshal, Storage};
use bytescope_pyc::{Implementation, Invalidation, PycHeader, PythonVersion, hex, parse_header};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::{Value, json};

use bytescope_inspect::records::{CODE_FIELDS, FILE_FIELDS};

use crate::output::{Format, InputArgs, Printer, finish, report_error};
use crate::text;

/// Fields of `constant` records (--grep, --grep-bytes), in output order.
const CONST_FIELDS: &[&str] = &[
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

/// Fields printed without --select.
const DEFAULT_FIELDS: &[&str] = &[
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

/// Scan files, directories and archives; print JSON Lines per file and code object
///
/// One JSON object per line on stdout, in input order (directories in path
/// order, archives in member order), whatever -j:
///
///   {"type":"file","path":"a/b.pyc","member":null,"version":"3.12","magic":3531,
///    "header":{...},"code_objects":14,"error":null}
///   {"type":"code","path":"a/b.pyc","member":null,"qualname":"f","firstlineno":3,
///    "kind":"function","flags":["OPTIMIZED","NEWLOCALS"],"argcount":1,...}
///
/// A file record comes first, then one record per code object (pre-order:
/// module, then nested code objects in co_consts order). For archive members
/// "path" is the archive and "member" the name inside it.
///
/// File fields: type, path, member, version ("3.12"; null if unknown),
/// version_detected (true when the file has no header and its version was
/// detected from the data, see --python-version), magic
/// (the header's magic number; null without header), header ({"size",
/// "flags", "invalidation" (timestamp, checked-hash, unchecked-hash),
/// "mtime", "source_size", "source_hash"} or null), code_objects (count),
/// error (the message, or null).
///
/// Constant fields (with --grep, --grep-bytes): type, path, member, index
/// and qualname of the code object, pattern (the REGEX matched), const_index
/// (in co_consts), const_path (positions inside nested constant tuples and
/// frozensets; [] for co_consts itself), const_kind (str or bytes), value
/// (the constant's text, its first 1024 bytes; bytes not UTF-8 as \xNN),
/// length (in bytes), match (the first match), match_start and match_end
/// (byte offsets in the constant), loads (offsets of the instructions that
/// load co_consts[const_index]).
///
/// Code fields: type, path, member, index (pre-order position), parent
/// (index or null), name (co_name), qualname, firstlineno, kind (module,
/// class, function, lambda, generator, coroutine, async_generator, listcomp,
/// setcomp, dictcomp, genexpr, annotate, type_params, type_alias,
/// typevar_bound, typeparam_default), method (a def directly in a class
/// body), flags (names), argcount, posonlyargcount, kwonlyargcount, arguments
/// ({positional_only, positional, varargs, keyword_only, varkeywords}),
/// locals, cellvars, freevars, globals (LOAD_GLOBAL/LOAD_NAME), attributes
/// (LOAD_ATTR/LOAD_METHOD/STORE_ATTR/...), imports, references (dotted names
/// loaded, e.g. os.path.join), stores, opcodes ({"OPNAME": count}), nested
/// (number of nested code objects), constants, stacksize, code_size (bytes),
/// instructions (count), matches (the --find queries it matched). See
/// `bytescope inspect --help` for how each is computed.
///
/// Default fields: type, path, member, version, magic, header, code_objects,
/// error; qualname, firstlineno, kind, flags, argcount, posonlyargcount,
/// kwonlyargcount, globals, attributes, imports, references, opcodes,
/// nested, code_size (and matches with --find).
///
/// A summary goes to stderr at the end (files, code objects, versions, errors),
/// and a progress line while scanning when stderr is a terminal. A file that
/// cannot be read gets a file record with "error" and a line `bytescope:
/// PATH: message` on stderr; the exit status is then 1.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    /// Print only these fields (comma-separated; "all" for every field).
    /// "type" is always printed; a record kind none of whose fields are
    /// selected (besides type, path and member) is left out, so
    /// `--select path,qualname,kind` prints code records only.
    #[arg(long, value_name = "FIELD,...", value_delimiter = ',')]
    select: Vec<String>,

    /// Print only code objects that use NAME or OPNAME (repeatable; any
    /// match counts), and the file records of files with such code objects
    /// or errors. An opcode name (EXEC_STMT, IMPORT_STAR) matches code
    /// objects with that instruction. A dotted name (os.system,
    /// marshal.loads, subprocess.Popen) matches an import (`import os.path`,
    /// `from os import system`) or a dotted reference: a global followed by
    /// attribute loads (`os.system(...)`, also `os.path.join` for os.path),
    /// import aliases resolved (`sp.call` after `import subprocess as sp`
    /// is subprocess.call; `system` after `from os import system` is
    /// os.system). A bare name (exec, eval, compile, __import__, ctypes,
    /// subprocess) matches a global read, an attribute of that name, or the
    /// first component of an import or reference. Not seen: names built at
    /// run time (getattr(os, "sys" + "tem")).
    #[arg(long, value_name = "NAME|OPNAME")]
    find: Vec<String>,

    /// Print the str and bytes constants matching REGEX (repeatable), each
    /// as a constant record after its code object's record: URLs, IP
    /// addresses, base64 blobs, shell commands. Constants inside constant
    /// tuples and frozensets count; bytes constants (Python 2 str included)
    /// are searched as bytes, so ASCII text in them matches. Like --find,
    /// it limits the output to code objects that match (and their files).
    /// Regular expressions of the Rust regex crate (no look-around or
    /// backreferences; linear time), e.g. 'https?://[^\s"]+' or
    /// '(?i)powershell'.
    #[arg(long, value_name = "REGEX")]
    grep: Vec<String>,

    /// Like --grep, for bytes constants only, with a byte pattern: \xNN is
    /// that byte and . any byte, e.g. '\x4d\x5a\x90\x00' (a PE header).
    #[arg(long, value_name = "REGEX")]
    grep_bytes: Vec<String>,
}

/// Which fields to print.
struct Select {
    fields: Vec<&'static str>,
    files: bool,
    codes: bool,
    /// Constant records (--grep).
    consts: bool,
}

impl Select {
    fn new(asked: &[String], finding: bool, grepping: bool) -> anyhow::Result<Self> {
        let mut all: Vec<&'static str> = FILE_FIELDS.iter().chain(CODE_FIELDS).copied().collect();
        let extra: Vec<&'static str> = CONST_FIELDS.iter().copied().filter(|f| !all.contains(f)).collect();
        all.extend(extra);
        let mut fields: Vec<&'static str> = if asked.is_empty() {
            DEFAULT_FIELDS
                .iter()
                .copied()
                .filter(|f| {
                    (finding || grepping || *f != "matches")
                        && (grepping
                            || !CONST_FIELDS.contains(f)
                            || CODE_FIELDS.contains(f)
                            || FILE_FIELDS.contains(f))
                })
                .collect()
        } else if asked.iter().any(|a| a == "all") {
            all.clone()
        } else {
            let mut v = vec!["type"];
            for a in asked {
                let a = a.trim();
                match all.iter().find(|f| **f == a) {
                    Some(f) => v.push(f),
                    None => anyhow::bail!(
                        "unknown field {a:?} for --select (file fields: {}; code fields: {}; constant fields: {})",
                        FILE_FIELDS.join(", "),
                        CODE_FIELDS.join(", "),
                        CONST_FIELDS.join(", ")
                    ),
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

    fn has(&self, f: &str) -> bool {
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
    fn new(select: &'s Select, kind: &str, source: &Source, out: &'o mut Vec<u8>) -> Self {
        out.extend_from_slice(b"{\"type\":");
        let _ = serde_json::to_writer(&mut *out, kind);
        if select.has("path") {
            out.extend_from_slice(b",\"path\":");
            if source.is_stdin() {
                out.extend_from_slice(b"\"-\"");
            } else {
                crate::records::path_json(out, &crate::text::os_bytes(source.path.as_os_str()));
            }
        }
        let mut r = Record { select, out };
        r.put("member", &source.member);
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

/// What one file gives: its lines and what the summary needs.
struct Scanned {
    lines: Vec<u8>,
    version: Option<PythonVersion>,
    code_objects: usize,
    matched: usize,
    error: Option<String>,
}

impl bytescope_batch::Footprint for Scanned {
    fn footprint(&self) -> usize {
        self.lines.capacity() + self.error.as_ref().map_or(0, String::capacity)
    }
}

/// One inspector per implementation and version, shared by the workers.
#[derive(Default)]
struct Inspectors(Mutex<HashMap<(Implementation, PythonVersion), Arc<Inspector>>>);

impl Inspectors {
    fn get(&self, m: &Marshal<'_>) -> Result<Arc<Inspector>, String> {
        let key = (m.format().implementation, m.version());
        let mut map = self.0.lock().map_err(|_| "internal error: poisoned lock".to_owned())?;
        if let Some(i) = map.get(&key) {
            return Ok(Arc::clone(i));
        }
        let i = Arc::new(Inspector::for_marshal(m).map_err(|e| e.to_string())?);
        map.insert(key, Arc::clone(&i));
        Ok(i)
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

fn code_record(select: &Select, source: &Source, c: &CodeReport, matches: &[&str], out: &mut Vec<u8>) {
    let mut r = Record::new(select, "code", source, out);
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

struct Ctx<'a> {
    select: &'a Select,
    queries: &'a [(String, Query)],
    grep: &'a Grep,
    input: &'a InputArgs,
    inspectors: &'a Inspectors,
}

fn scan_one(ctx: &Ctx<'_>, source: &Source, data: &[u8]) -> Scanned {
    let header = parse_header(data).ok();
    let mut version = header.as_ref().map(PycHeader::version);
    let mut detected = false;
    let mut hits: HashMap<usize, Vec<Hit>> = HashMap::new();
    let limits = bytescope_detect::Limits::default();
    let resolved = bytescope_detect::resolve(
        data,
        ctx.input.python_version,
        ctx.input.force,
        &limits,
        Storage::default(),
    );
    let result: Result<Report, String> = match resolved {
        Err(e) => Err(e.to_string()),
        Ok(r) => {
            let pyc = r.pyc;
            version = Some(pyc.version());
            detected = matches!(r.origin, Origin::Detected(_));
            let report = ctx
                .inspectors
                .get(&pyc.marshal)
                .and_then(|i| i.inspect(&pyc.marshal).map_err(|e| e.to_string()));
            if report.is_ok() && !ctx.grep.is_empty() {
                hits = grep_file(ctx.grep, &pyc.marshal);
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
        && ctx.select.codes
    {
        let patterns: Vec<&str> = ctx.grep.patterns().collect();
        for c in &report.code_objects {
            let mut matches: Vec<&str> =
                ctx.queries.iter().filter(|(_, q)| c.matches(q)).map(|(text, _)| text.as_str()).collect();
            let found = hits.get(&c.index).map_or(&[][..], Vec::as_slice);
            for h in found {
                if !matches.contains(&patterns[h.pattern]) {
                    matches.push(patterns[h.pattern]);
                }
            }
            if (!ctx.queries.is_empty() || !ctx.grep.is_empty()) && matches.is_empty() {
                continue;
            }
            matched += 1;
            code_record(ctx.select, source, c, &matches, &mut codes);
            if ctx.select.consts {
                for h in found {
                    const_record(ctx.select, source, c, patterns[h.pattern], h, &mut codes);
                }
            }
        }
    }
    let code_objects = report.as_ref().map_or(0, |r| r.code_objects.len());
    let mut lines = Vec::new();
    let filtering = !ctx.queries.is_empty() || !ctx.grep.is_empty();
    let show_file = ctx.select.files && (!filtering || matched > 0 || error.is_some());
    if show_file {
        let mut r = Record::new(ctx.select, "file", source, &mut lines);
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

/// The --grep hits of every code object of `m`, by pre-order index (the
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

fn const_record(select: &Select, source: &Source, c: &CodeReport, pattern: &str, h: &Hit, out: &mut Vec<u8>) {
    let mut r = Record::new(select, "constant", source, out);
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

#[derive(Default)]
struct Summary {
    files: usize,
    failed: usize,
    code_objects: usize,
    matched: usize,
    matched_files: usize,
    versions: BTreeMap<PythonVersion, usize>,
}

/// The progress line on stderr when it is a terminal: files done, elapsed
/// time and the file being scanned; once a count of the inputs' files is
/// known (counted on the side), also the total and an estimate of the time
/// left.
fn progress(inputs: &[std::path::PathBuf]) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} files {elapsed} {wide_msg}") {
        pb.set_style(style);
    }
    pb.enable_steady_tick(Duration::from_millis(120));
    let counted = pb.clone();
    let inputs = inputs.to_vec();
    std::thread::spawn(move || {
        if let Some(total) = count_pycs(&inputs)
            && let Ok(style) = ProgressStyle::with_template(
                "{spinner} {pos}/{len} files {elapsed} (about {eta} left) {wide_msg}",
            )
        {
            counted.set_length(total);
            counted.set_style(style);
        }
    });
    pb
}

/// How many pycs the inputs hold, if that can be known without reading
/// them: `.pyc`/`.pyo` files below directories (symbolic links to
/// directories not followed, as the batch layer walks) and pyc inputs.
/// `None` when an archive takes part (its members are only known once it
/// is read).
fn count_pycs(inputs: &[std::path::PathBuf]) -> Option<u64> {
    let archive = |name: &str| {
        let lower = name.to_ascii_lowercase();
        [".zip", ".whl", ".egg", ".pyz", ".pyzw"].iter().any(|e| lower.ends_with(e))
    };
    let mut total = 0u64;
    let mut dirs = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).ok()?;
        if meta.is_dir() {
            dirs.push(input.clone());
        } else if input.to_str().is_some_and(bytescope_batch::is_pyc_name) {
            total += 1;
        } else {
            return None;
        }
    }
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if archive(&name) {
                return None;
            } else if bytescope_batch::is_pyc_name(&name) {
                total += 1;
            }
        }
    }
    Some(total)
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let grepping = !args.grep.is_empty() || !args.grep_bytes.is_empty();
    let select = Select::new(&args.select, !args.find.is_empty(), grepping)?;
    let queries: Vec<(String, Query)> = args.find.iter().map(|f| (f.clone(), Query::parse(f))).collect();
    let mut grep = Grep::new();
    for (patterns, mode) in [(&args.grep, Mode::Text), (&args.grep_bytes, Mode::Bytes)] {
        for p in patterns {
            grep.add(p, mode).map_err(|e| anyhow::anyhow!("--grep {p:?}: {e}"))?;
        }
    }
    let inspectors = Inspectors::default();
    let ctx =
        Ctx { select: &select, queries: &queries, grep: &grep, input: &args.input, inspectors: &inspectors };
    let started = Instant::now();
    let pb = progress(&args.input.files);
    // Written from whichever thread delivers results.
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout());
    let printer = Printer::stdout(Format::Json);
    let mut summary = Summary::default();
    let mut write_error = None;
    bytescope_batch::run(
        &args.input.files,
        // A folder without pycs is a scan of 0 files, not an error.
        &bytescope_batch::Options { report_empty: false, ..args.input.batch_options() },
        |source, data| scan_one(&ctx, source, data),
        |source, result| {
            let scanned = result.unwrap_or_else(|e| {
                // Not even read: still one file record.
                let mut lines = Vec::new();
                if select.files {
                    let mut r = Record::new(&select, "file", &source, &mut lines);
                    for f in ["version", "version_detected", "magic", "header"] {
                        r.put(f, &Value::Null);
                    }
                    r.put("code_objects", &0);
                    r.put("error", &e.to_string());
                    r.finish();
                }
                Scanned { lines, version: None, code_objects: 0, matched: 0, error: Some(e.to_string()) }
            });
            summary.files += 1;
            summary.code_objects += scanned.code_objects;
            summary.matched += scanned.matched;
            summary.matched_files += usize::from(scanned.matched > 0);
            if let Some(v) = scanned.version {
                *summary.versions.entry(v).or_insert(0) += 1;
            }
            pb.inc(1);
            pb.set_message(text::source(&source));
            if let Err(e) = printer.write(&mut out, &scanned.lines) {
                summary.failed += usize::from(scanned.error.is_some());
                write_error = Some(e);
                return ControlFlow::Break(());
            }
            if let Some(msg) = &scanned.error {
                summary.failed += 1;
                let _ = out.flush();
                pb.suspend(|| report_error(&source, msg));
                if args.input.fail_fast {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        },
    )?;
    pb.finish_and_clear();
    let status = finish(&mut out, write_error, summary.failed > 0)?;
    print_summary(&summary, !queries.is_empty() || grepping, started.elapsed());
    Ok(status)
}

fn print_summary(s: &Summary, finding: bool, elapsed: Duration) {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    text::stderr_line(&format!(
        "bytescope scan: {}, {}, {} in {:.1} s",
        plural(s.files, "file"),
        plural(s.code_objects, "code object"),
        plural(s.failed, "error"),
        elapsed.as_secs_f64()
    ));
    if !s.versions.is_empty() {
        let v: Vec<String> = s.versions.iter().map(|(v, n)| format!("{v} ({n})")).collect();
        text::stderr_line(&format!("  versions: {}", v.join(", ")));
    }
    if finding {
        text::stderr_line(&format!(
            "  found: {} in {}",
            plural(s.matched, "code object"),
            plural(s.matched_files, "file")
        ));
    }
}
