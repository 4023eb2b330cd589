//! `bytescope scan`: JSON Lines over many pycs, for triage and statistics.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal as _, Write as _};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytescope_inspect::records::{Scanner, Select};
use bytescope_pyc::PythonVersion;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::{InputArgs, finish, report_error};

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
/// File fields: type, path, member, version ("3.12"; null if unknown), magic
/// (the header's magic number; null without header), header ({"size",
/// "flags", "invalidation" (timestamp, checked-hash, unchecked-hash),
/// "mtime", "source_size", "source_hash"} or null), code_objects (count),
/// error (the message, or null).
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
    input: InputArgs,

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

fn progress() -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} files {elapsed} {wide_msg}") {
        pb.set_style(style);
    }
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(!args.input.files.is_empty(), "no input files (see --help)");
    let select = Select::new(&args.select, !args.find.is_empty()).map_err(anyhow::Error::msg)?;
    let scanner = Scanner::new(select, &args.find, args.input.python_version);
    let started = Instant::now();
    let pb = progress();
    // Written from whichever thread delivers results.
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout());
    let mut summary = Summary::default();
    let mut write_error = None;
    bytescope_batch::run(
        &args.input.files,
        &args.input.batch_options(),
        |source, data| scanner.scan(&source.path.to_string_lossy(), source.member.as_deref(), data),
        |source, result| {
            let scanned = result.unwrap_or_else(|e| {
                // Not even read: still one file record.
                scanner.unreadable(&source.path.to_string_lossy(), source.member.as_deref(), &e.to_string())
            });
            summary.files += 1;
            summary.code_objects += scanned.code_objects;
            summary.matched += scanned.matched;
            summary.matched_files += usize::from(scanned.matched > 0);
            if let Some(v) = scanned.version {
                *summary.versions.entry(v).or_insert(0) += 1;
            }
            pb.inc(1);
            pb.set_message(source.to_string());
            if let Err(e) = out.write_all(&scanned.lines) {
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
    print_summary(&summary, scanner.finding(), started.elapsed());
    Ok(status)
}

fn print_summary(s: &Summary, finding: bool, elapsed: Duration) {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    eprintln!(
        "bytescope scan: {}, {}, {} in {:.1} s",
        plural(s.files, "file"),
        plural(s.code_objects, "code object"),
        plural(s.failed, "error"),
        elapsed.as_secs_f64()
    );
    if !s.versions.is_empty() {
        let v: Vec<String> = s.versions.iter().map(|(v, n)| format!("{v} ({n})")).collect();
        eprintln!("  versions: {}", v.join(", "));
    }
    if finding {
        eprintln!("  found: {} in {}", plural(s.matched, "code object"), plural(s.matched_files, "file"));
    }
}
