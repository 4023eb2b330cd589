//! `bytescope scan`: JSON Lines over many pycs, for triage and statistics.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal as _, Write as _};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytescope_batch::Source;
use bytescope_inspect::grep::{Grep, Mode};
use bytescope_inspect::records::{self, Scanned, Scanner, Select};
use bytescope_pyc::PythonVersion;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::{Format, InputArgs, Printer, finish, report_error};
use crate::text;

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

/// One file's records, as the batch layer holds them until their turn.
struct Item(Scanned);

impl bytescope_batch::Footprint for Item {
    fn footprint(&self) -> usize {
        self.0.lines.capacity() + self.0.error.as_ref().map_or(0, String::capacity)
    }
}

/// The path of `source` as the records write it: `-` for standard input.
fn path_json(source: &Source) -> Vec<u8> {
    let mut out = Vec::new();
    if source.is_stdin() {
        out.extend_from_slice(b"\"-\"");
    } else {
        records::path_json(&mut out, &crate::text::os_bytes(source.path.as_os_str()));
    }
    out
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
    let select =
        Select::new(&args.select, !args.find.is_empty(), grepping).map_err(|e| anyhow::anyhow!(e))?;
    let mut grep = Grep::new();
    for (patterns, mode) in [(&args.grep, Mode::Text), (&args.grep_bytes, Mode::Bytes)] {
        for p in patterns {
            grep.add(p, mode).map_err(|e| anyhow::anyhow!("--grep {p:?}: {e}"))?;
        }
    }
    let finding = !args.find.is_empty() || grepping;
    let scanner = Scanner::new(select, &args.find, grep, args.input.python_version, args.input.force);
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
        |source, data| Item(scanner.scan(&path_json(source), source.member.as_deref(), data)),
        |source, result| {
            let scanned = match result {
                Ok(Item(s)) => s,
                // Not even read: still one file record.
                Err(e) => scanner.unreadable(&path_json(&source), source.member.as_deref(), &e.to_string()),
            };
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
    print_summary(&summary, finding, started.elapsed());
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
