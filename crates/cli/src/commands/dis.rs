//! `bytescope dis`: what `dis.dis()` of the file's CPython prints.

use std::cell::Cell;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use bytescope_batch::Source;
use bytescope_code::Selection;
use bytescope_dis::{DisOptions, Disassembler, Scratch};
use bytescope_marshal::reuse::room_for;
use bytescope_marshal::{Marshal, Storage, load_marshal};

use crate::interpreters::{self, CompileError, Interpreter, Wanted};
use crate::output::{Ctx, DRAIN_AT, Format, InputArgs, Printer, Skips, for_each_file_draining, from_stdin};
use crate::records::{self, View};
use crate::select::SelectArgs;
use crate::text;

/// Disassemble exactly as dis.dis() of the file's own CPython version does
///
/// Works for .pyc files of CPython 1.5, 2.0-2.7 and 3.0-3.15, without that Python
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
    pub input: InputArgs,

    #[command(flatten)]
    pub select: SelectArgs,

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

    /// Print JSON Lines instead: one record per code object (pre-order)
    /// `{"path", "member", "index", "name", "qualname", "filename",
    /// "firstlineno", "offset", "instructions"}` (schema:
    /// docs/schemas/dis.schema.json), each instruction with exactly the fields of that
    /// version's dis.Instruction (`opname, opcode, arg, argval, argrepr,
    /// offset, starts_line, is_jump_target`, plus `positions` from 3.11; 3.13+:
    /// `start_offset, line_number, label, cache_info`). argval is JSON when
    /// JSON can hold it (None, bool, 64-bit int, finite float, str), else
    /// `{"repr": "..."}`; operands out of range are `{"invalid": "..."}`.
    #[arg(long, conflicts_with_all = ["show_caches", "show_offsets", "show_positions"])]
    json: bool,

    /// Print bytescope assembly instead: the text `bytescope asm` builds the
    /// .pyc back from, with labels, constants as Python literals, locations
    /// and exception handlers, and every attribute of every code object.
    /// Edit it and assemble to change a .pyc (files only, not directories).
    #[arg(long, conflicts_with_all = ["show_caches", "show_offsets", "show_positions", "json"])]
    asm: bool,

    /// Disassemble this source string instead of files, compiled as
    /// dis.dis("...") does (as an expression if it is one, else as
    /// statements; file name "<dis>"), by an installed CPython (see --python).
    #[arg(short = 'c', long = "code", value_name = "CODE")]
    pub code: Option<String>,

    /// For source input (FILE.py, -c, piped source): the CPython that
    /// compiles it, as X.Y (pythonX.Y in PATH's absolute directories, or in
    /// pyenv) or a path containing '/' (./python3.12). Default: the newest
    /// found. It runs isolated: only its compiler runs, nothing from the
    /// current directory or the environment.
    #[arg(long, value_name = "X.Y|PATH")]
    python: Option<Wanted>,

    /// As 3.14's `dis -S`/`--specialized` (dis(adaptive=True)): the code as
    /// the interpreter holds it once loaded, before it runs
    /// (`_co_code_adaptive`: 3.12's superinstructions, cache counters with
    /// -C). A .pyc holds no specialised instructions: only a running
    /// interpreter makes them. Text listings only (not --json).
    #[arg(short = 'S', long)]
    specialized: bool,

    /// As --specialized (dis(adaptive=True)).
    #[arg(long)]
    adaptive: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.asm {
        return crate::commands::asm::print_files(
            &args.input.files,
            args.input.python_version,
            args.input.force,
        );
    }
    if args.specialized || args.adaptive {
        text::stderr_line(
            "bytescope: note: a .pyc holds no specialised (adaptive) instructions: CPython \
             specialises code in memory while it runs, so only a running interpreter has them \
             (dis.dis(f, adaptive=True) on a live function). The listing below is the code as \
             the interpreter holds it once loaded, before it runs (_co_code_adaptive: 3.12's \
             superinstructions; with -C, the cache counters).",
        );
    }
    let asked = DisOptions {
        show_caches: args.show_caches,
        show_offsets: args.show_offsets,
        show_positions: args.show_positions,
        adaptive: args.specialized || args.adaptive,
        ..DisOptions::default()
    };
    let sources = args.input.files.iter().filter(|f| is_source(f)).count();
    let compiles = args.code.is_some() || sources > 0;
    let stdin_input = args.input.files.iter().any(|f| crate::output::is_stdin(f));
    if args.python.is_some() && !compiles && !stdin_input {
        anyhow::bail!(
            "--python chooses the interpreter that compiles source (FILE.py or -c); a .pyc is read \
             as the version its header names, and headerless input needs --python-version X.Y"
        );
    }
    if args.input.python_version.is_some() && compiles && sources == args.input.files.len() {
        anyhow::bail!(
            "--python-version X.Y is for .pyc or marshal input without a header; to choose the \
             CPython that compiles source, use --python X.Y"
        );
    }
    let choose = || {
        let i = interpreters::choose(args.python.as_ref())?;
        text::stderr_line(&format!(
            "bytescope: compiling with Python {} ({})",
            i.version,
            text::path(&i.path)
        ));
        anyhow::Ok(i)
    };
    let interp = if compiles { Some(choose()?) } else { None };
    // Source piped in (as `python -m dis` reads it) finds its interpreter
    // when it comes.
    let piped: OnceLock<Result<Interpreter, String>> = OnceLock::new();
    let format = if args.json { Format::Json } else { Format::Text };
    let skips = Skips::default();
    let mut failed = false;
    if let (Some(code), Some(interp)) = (&args.code, &interp) {
        failed = run_code(args, interp, code, asked, &skips)?;
        if args.input.files.is_empty() {
            skips.report("listed");
            return Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS });
        }
    }
    let (mut input, selections) = args.select.split(&args.input);
    input.frame_all |= args.code.is_some();
    thread_local! {
        /// Each worker reads every file into the node arena of its last one
        /// and lists it with the same working memory.
        static REUSE: Cell<(Storage, Scratch)> = Cell::default();
    }
    let status = for_each_file_draining(
        &input,
        format,
        |source: &Source, data: &[u8], out: &mut Vec<u8>, ctx: &mut Ctx<'_>| {
            let alone = !input.framed(source);
            let piped_source = from_stdin(source) && args.input.python_version.is_none() && is_text(data);
            let interp = if piped_source {
                Some(
                    piped
                        .get_or_init(|| choose().map_err(|e| format!("{e:#}")))
                        .as_ref()
                        .map_err(Clone::clone)?,
                )
            } else {
                interp.as_ref().filter(|_| !source.expanded && is_source(&source.path))
            };
            if let Some(interp) = interp {
                let name = if piped_source {
                    b"<stdin>".to_vec()
                } else {
                    text::os_bytes(source.path.as_os_str()).into_owned()
                };
                let compiled = compile(interp, data, &name, false, ctx)?;
                let pyc = load_marshal(&compiled, interp.version).map_err(|e| e.to_string())?;
                let dis = Disassembler::new(interp.version).map_err(|e| e.to_string())?;
                let opts = applicable(&skips, &dis, asked, source, alone)?;
                return render(
                    &dis,
                    &pyc.marshal,
                    opts,
                    args.json,
                    selections.for_source(source).as_ref(),
                    source,
                    &mut Scratch::default(),
                    out,
                    ctx,
                );
            }
            let (storage, mut scratch) = REUSE.take();
            let pyc = args.input.load(source, data, storage, ctx)?;
            let result = Disassembler::for_pyc(&pyc).map_err(|e| e.to_string()).and_then(|dis| {
                let opts = applicable(&skips, &dis, asked, source, alone)?;
                let selection = selections.for_source(source);
                render(
                    &dis,
                    &pyc.marshal,
                    opts,
                    args.json,
                    selection.as_ref(),
                    source,
                    &mut scratch,
                    out,
                    ctx,
                )
            });
            REUSE.set((pyc.marshal.into_storage(), scratch));
            result
        },
    )?;
    let none_applied = skips.report("listed");
    Ok(if failed || none_applied || status != ExitCode::SUCCESS {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether piped-in data is Python source rather than a pyc or marshal
/// data: UTF-8 text without NUL bytes (every pyc header and every marshal
/// code object holds NUL bytes).
fn is_text(data: &[u8]) -> bool {
    !data.contains(&0) && std::str::from_utf8(data).is_ok()
}

fn is_source(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "py" || e == "pyw")
}

/// Lists the code in `m`, or writes its records (`--json`).
#[allow(clippy::too_many_arguments)]
fn render(
    dis: &Disassembler,
    m: &Marshal<'_>,
    opts: DisOptions,
    json: bool,
    selection: Option<&Selection>,
    source: &Source,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
    ctx: &mut Ctx<'_>,
) -> Result<(), String> {
    if json {
        return records::dis_view(
            out,
            source,
            m,
            View::Instructions,
            selection,
            &mut |o| ctx.drain(o),
            |buf, piece| match selection {
                Some(sel) => dis.instructions_json_selected_draining(m, sel, buf, DRAIN_AT, piece),
                None => dis.instructions_json_draining(m, buf, DRAIN_AT, piece),
            },
        );
    }
    // Listings run about 4-5 times the pyc size (up to 8 for small
    // files); reserving once avoids copying while the listing grows. An
    // empty (pooled) buffer too small is replaced, not grown, by one of
    // at least 4 MiB (see `room_for`).
    let want = m.end_offset().saturating_mul(8);
    if out.is_empty() {
        room_for(out, want, 4 << 20);
    } else {
        out.reserve(want);
    }
    // With -j 1 the listing goes out in pieces of 16 KiB or more, which
    // stay in the CPU caches, however long one code object's listing is.
    match selection {
        Some(sel) => dis.dis_selected_draining(m, sel, opts, scratch, out, DRAIN_AT, |part| ctx.drain(part)),
        None => dis.dis_draining(m, opts, scratch, out, DRAIN_AT, |part| ctx.drain(part)),
    }
    .map_err(|e| e.to_string())
}

/// Compiles `src` (named `name`) and returns its marshal data; the
/// interpreter's warnings become notes, a compile error its message.
fn compile(
    interp: &Interpreter,
    src: &[u8],
    name: &[u8],
    dis_string: bool,
    ctx: &mut Ctx<'_>,
) -> Result<Vec<u8>, String> {
    match interpreters::compile(interp, src, name, dis_string) {
        Ok(c) => {
            ctx.notes.extend(String::from_utf8_lossy(&c.warnings).lines().map(str::to_owned));
            Ok(c.marshal)
        }
        Err(CompileError::Source { version, message }) => {
            ctx.notes.extend(String::from_utf8_lossy(&message).lines().map(str::to_owned));
            Err(format!("Python {version} could not compile it:"))
        }
        Err(CompileError::Run(e)) => Err(format!("{e:#}")),
    }
}

/// `dis -c CODE`: compiled as `dis.dis("CODE")` does, named `<dis>`.
/// Returns whether it failed.
fn run_code(
    args: &Args,
    interp: &Interpreter,
    code: &str,
    asked: DisOptions,
    skips: &Skips,
) -> anyhow::Result<bool> {
    let source = Source { path: PathBuf::from("<dis>"), member: None, expanded: false };
    let printer = Printer::stdout(if args.json { Format::Json } else { Format::Text });
    let mut out = Vec::new();
    if !args.input.files.is_empty() && !args.json {
        out.extend_from_slice(b"==> <dis> <==\n");
    }
    let mut notes = Vec::new();
    let mut drain = |_: &mut Vec<u8>| {};
    let mut ctx = Ctx::new(&mut drain);
    let result = compile(interp, code.as_bytes(), b"<dis>", true, &mut ctx).and_then(|marshal| {
        let pyc = load_marshal(&marshal, interp.version).map_err(|e| e.to_string())?;
        let dis = Disassembler::new(interp.version).map_err(|e| e.to_string())?;
        let opts = applicable(skips, &dis, asked, &source, args.input.files.is_empty())?;
        let selection = args.select.split(&args.input).1.global();
        render(
            &dis,
            &pyc.marshal,
            opts,
            args.json,
            selection.as_ref(),
            &source,
            &mut Scratch::default(),
            &mut out,
            &mut ctx,
        )
    });
    notes.append(&mut ctx.notes);
    let mut stdout = std::io::stdout().lock();
    let written = printer.write(&mut stdout, &out).and_then(|()| stdout.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(anyhow::Error::new(e).context("cannot write output")),
        Ok(()) => {}
    }
    if let Err(e) = &result {
        text::report("<dis>", e);
    }
    for n in &notes {
        text::stderr_line(&text::message(n));
    }
    Ok(result.is_err())
}

/// The options of `asked` that `dis`'s version has. A single input that
/// lacks one fails; one of several is listed without it (see [`Skips`]).
fn applicable(
    skips: &Skips,
    dis: &Disassembler,
    asked: DisOptions,
    source: &Source,
    alone: bool,
) -> Result<DisOptions, String> {
    if alone {
        return dis.check_options(asked).map(|()| asked).map_err(|e| e.to_string());
    }
    let mut opts = asked;
    for (flag, name) in [
        (&mut opts.show_caches, "--show-caches"),
        (&mut opts.show_offsets, "--show-offsets"),
        (&mut opts.show_positions, "--show-positions"),
    ] {
        if !*flag {
            continue;
        }
        let one = DisOptions {
            show_caches: name == "--show-caches",
            show_offsets: name == "--show-offsets",
            show_positions: name == "--show-positions",
            ..DisOptions::default()
        };
        match dis.check_options(one) {
            Ok(()) => skips.applied(name),
            Err(bytescope_dis::DisError::Option { since, .. }) => {
                *flag = false;
                skips.skipped(name, since, source);
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(opts)
}
