//! `bytescope dis`: what `dis.dis()` of the file's CPython prints.

use std::cell::Cell;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use bytescope_dis::{DisOptions, Disassembler, Scratch};
use bytescope_marshal::reuse::room_for;
use bytescope_marshal::{Storage, load_marshal, load_pyc_in};

use crate::interpreters;
use crate::output::{InputArgs, for_each_file_draining};

/// Disassemble exactly as dis.dis() of the file's own CPython version does
///
/// Works for .pyc files of CPython 2.7 and 3.0-3.15, without that Python
/// installed, and for source (FILE.py or -c CODE) compiled by an installed
/// CPython.
///
/// The text is byte-identical to CPython's output for the module code object,
/// including whether nested code objects are listed (from 3.7), line numbers,
/// `>>` markers or `L1:` labels, column widths and the ExceptionTable. The one
/// difference: where CPython prints a code object's memory address
/// (`<code object f at 0x7f…>`), bytescope prints its offset in the file.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// One CACHE line per inline cache entry (3.11+), as dis(show_caches=True).
    #[arg(long, short = 'C')]
    show_caches: bool,

    /// Show instruction offsets (3.13+), as dis(show_offsets=True).
    #[arg(long, short = 'O')]
    show_offsets: bool,

    /// Show source positions instead of line numbers (3.14+), as
    /// dis(show_positions=True).
    #[arg(long, short = 'P')]
    show_positions: bool,

    /// Print JSON instead: an array with one line per code object (pre-order)
    /// `{"name", "qualname", "filename", "firstlineno", "offset",
    /// "instructions"}`, each instruction with exactly the fields of that
    /// version's dis.Instruction (`opname, opcode, arg, argval, argrepr,
    /// offset, starts_line, is_jump_target`, plus `positions` from 3.11; 3.13+:
    /// `start_offset, line_number, label, cache_info`). argval is JSON when
    /// JSON can hold it (None, bool, 64-bit int, finite float, str), else
    /// `{"repr": "..."}`; operands out of range are `{"invalid": "..."}`.
    #[arg(long, conflicts_with_all = ["show_caches", "show_offsets", "show_positions"])]
    json: bool,

    /// Disassemble this source string instead of files, compiled as
    /// dis.dis("...") does (as an expression if it is one, else as
    /// statements; file name "<dis>"), by an installed CPython (see --python).
    #[arg(short = 'c', long = "code", value_name = "CODE")]
    code: Option<String>,

    /// For source input (FILE.py or -c): the CPython that compiles it, as X.Y
    /// (found on PATH as pythonX.Y or in pyenv) or a path to an interpreter.
    /// Default: the newest one found.
    #[arg(long, value_name = "X.Y|PATH")]
    python: Option<String>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let opts = DisOptions {
        show_caches: args.show_caches,
        show_offsets: args.show_offsets,
        show_positions: args.show_positions,
    };
    let is_source = |p: &std::path::Path| p.extension().is_some_and(|e| e == "py" || e == "pyw");
    if args.code.is_some() || (!args.input.files.is_empty() && args.input.files.iter().all(|f| is_source(f)))
    {
        return run_source(args, opts);
    }
    thread_local! {
        /// Each worker reads every file into the node arena of its last one
        /// and lists it with the same working memory.
        static REUSE: Cell<(Storage, Scratch)> = Cell::default();
    }
    for_each_file_draining(&args.input, |data, out, drain| {
        let (storage, mut scratch) = REUSE.take();
        let pyc = load_pyc_in(data, args.input.python_version, storage).map_err(|e| e.to_string())?;
        let dis = Disassembler::new(pyc.version()).map_err(|e| e.to_string())?;
        if args.json {
            let mut text = String::with_capacity(data.len().saturating_mul(16));
            let result = dis.instructions_json(&pyc.marshal, &mut text);
            REUSE.set((pyc.marshal.into_storage(), scratch));
            out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
            return result.map_err(|e| e.to_string());
        }
        // Listings run about 4-5 times the pyc size (up to 8 for small
        // files); reserving once avoids copying while the listing grows. An
        // empty (pooled) buffer too small is replaced, not grown, by one of
        // at least 4 MiB (see `room_for`).
        let want = data.len().saturating_mul(8);
        if out.is_empty() {
            room_for(out, want, 4 << 20);
        } else {
            out.reserve(want);
        }
        // With -j 1 the listing goes out in pieces of 16 KiB or more, which
        // stay in the CPU caches.
        let result = dis.dis_draining(&pyc.marshal, opts, &mut scratch, out, 16 << 10, |part| drain(part));
        REUSE.set((pyc.marshal.into_storage(), scratch));
        result.map_err(|e| e.to_string())
    })
}

/// `dis FILE.py` / `dis -c CODE`: compile with a real CPython, then
/// disassemble the result in-process.
fn run_source(args: &Args, opts: DisOptions) -> anyhow::Result<ExitCode> {
    let interp = interpreters::choose(args.python.as_deref())?;
    let mut sources: Vec<(String, Vec<u8>, bool)> = Vec::new();
    if let Some(code) = &args.code {
        sources.push(("<dis>".to_owned(), code.clone().into_bytes(), true));
    }
    for f in &args.input.files {
        let data = bytescope_batch::read_file(f, &args.input.limits())
            .with_context(|| format!("cannot read {}", f.display()))?;
        sources.push((f.display().to_string(), data, false));
    }
    let many = sources.len() > 1;
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (name, src, dis_string) in &sources {
        if many {
            writeln!(out, "==> {name} <==")?;
        }
        let result = interpreters::compile(&interp, src, name, *dis_string).and_then(|marshal| {
            let pyc = load_marshal(&marshal, interp.version)?;
            let dis = Disassembler::new(interp.version)?;
            let mut text = Vec::new();
            let r = if args.json {
                let mut json = String::new();
                let r = dis.instructions_json(&pyc.marshal, &mut json);
                text = json.into_bytes();
                r
            } else {
                dis.dis(&pyc.marshal, opts, &mut text)
            };
            out.write_all(&text)?;
            r.map_err(anyhow::Error::from)
        });
        if let Err(e) = result {
            out.flush()?;
            eprintln!("bytescope: {name}: {e:#}");
            failed = true;
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
