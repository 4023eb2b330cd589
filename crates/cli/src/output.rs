//! Running a command over several inputs: expansion of directories and
//! archives, parallel work, framing, errors, exit status, and how stdout is
//! written (as is to pipes and files; escaped on a terminal).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, IsTerminal as _, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use bytescope_batch::{Options, Source};
use bytescope_pyc::PythonVersion;

/// Options every file-reading command shares.
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Inputs: .pyc files (or raw marshal data with --python-version),
    /// directories (every .pyc/.pyo below, in path order, and the archives
    /// and frozen applications among them, e.g. a PyInstaller onedir
    /// build's executable) and zip archives (.zip, .whl, .egg, zipapps, executables
    /// with an appended zip; recognised by content), whose .pyc/.pyo members
    /// are read in archive order, archives inside them to 3 levels.
    /// ARCHIVE:MEMBER reads one member, named as the output names it
    /// (OUTER:INNER:MEMBER inside nested archives; a repeated name's later
    /// copies are NAME#2, NAME#3, ...). `-`, or no FILE, reads standard input. Only
    /// regular files are read: FIFOs, sockets and devices are reported,
    /// never opened. Frozen applications (PyInstaller and py2exe
    /// executables) give their scripts and modules in table-of-contents
    /// order; APP:MEMBER reads one of them (e.g. app.exe:mypkg.inner).
    /// An argument that names an existing file is always a file, even if it
    /// starts with '-'; `--` ends the options.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read input that has no valid .pyc header (stripped or zeroed, as
    /// PyInstaller extractions leave them, or raw marshal data) as this
    /// CPython version, e.g. 3.12, once the data passes that version's
    /// checks (known opcodes, operands in range, consistent tables; a
    /// failure says which and the file fails, unless --force). Without it,
    /// the version is detected from the data and named on stderr (with the
    /// versions it ties with when several read it the same). Files with a
    /// valid header keep their own.
    #[arg(long, value_name = "X.Y")]
    pub python_version: Option<PythonVersion>,

    /// Read headerless input as --python-version even when the data fails
    /// that version's checks, or as the closest detected version when none
    /// passes them all (a note on stderr says what failed).
    #[arg(long)]
    pub force: bool,

    /// Stop at the first file that fails (in output order).
    #[arg(long)]
    pub fail_fast: bool,

    /// Worker threads [default: one per core]. Output order does not
    /// depend on it.
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Largest file, standard input or archive member read, e.g. 512M or
    /// 2G (larger ones are one error each; archives themselves may be
    /// larger). See docs/safety.md for every bound.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = bytescope_batch::parse_size)]
    pub max_file_size: u64,

    /// Frame every item, even a single one (another input, such as `dis
    /// -c`, is printed too).
    #[arg(skip)]
    pub frame_all: bool,
}

/// Whether this is the main thread and its stack may grow to the batch
/// layer's worker stack (`ulimit -s`), so that one-job runs can skip
/// starting a worker thread.
fn main_stack_suffices() -> bool {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit};
        // The main thread's stack grows up to RLIMIT_STACK (None: unlimited).
        std::thread::current().name() == Some("main")
            && getrlimit(Resource::Stack)
                .current
                .is_none_or(|limit| limit >= bytescope_batch::WORKER_STACK as u64)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

impl InputArgs {
    /// The batch options these arguments ask for.
    pub fn batch_options(&self) -> Options {
        let max = bytescope_batch::max_jobs();
        let jobs = self.jobs.map_or(0, usize::from);
        if jobs > max {
            crate::text::stderr_line(&format!(
                "bytescope: note: -j {jobs} is more than {} per core; using {max}",
                bytescope_batch::MAX_JOBS_PER_CORE
            ));
        }
        Options {
            jobs: jobs.min(max),
            on_caller: main_stack_suffices(),
            limits: self.limits(),
            ..Options::default()
        }
    }

    /// With no FILE, standard input (as `python -m dis` reads it), unless it
    /// is a terminal.
    ///
    /// # Errors
    /// No FILE and standard input is a terminal.
    pub fn or_stdin(&mut self) -> anyhow::Result<()> {
        if self.files.is_empty() {
            anyhow::ensure!(
                !io::stdin().is_terminal(),
                "no input files: name FILEs, or pipe data in (standard input is a terminal); see --help"
            );
            self.files.push(PathBuf::from("-"));
        }
        Ok(())
    }

    /// The size limits these arguments ask for.
    pub fn limits(&self) -> bytescope_batch::Limits {
        bytescope_batch::Limits { max_file_size: self.max_file_size, ..Default::default() }
    }

    /// Whether each item's output gets a `==> PATH <==` line: with several
    /// inputs, or when an input is a directory or archive.
    pub fn framed(&self, source: &Source) -> bool {
        self.frame_all || self.files.len() > 1 || source.expanded
    }
}

impl InputArgs {
    /// Loads one item (see [`bytescope_detect::resolve`]): as its header's
    /// version; without a header, as --python-version when the data passes
    /// its checks, or as the version detected from the data. How the
    /// version was chosen, when not by the header, goes to stderr as a note.
    ///
    /// # Errors
    /// The message: a bad header, malformed data, checks failed, nothing
    /// detected.
    pub fn load<'a>(
        &self,
        source: &Source,
        data: &'a [u8],
        storage: bytescope_marshal::Storage,
        ctx: &mut Ctx<'_>,
    ) -> Result<bytescope_marshal::Pyc<'a>, String> {
        let limits = bytescope_detect::Limits::default();
        let resolved = bytescope_detect::resolve(data, self.python_version, self.force, &limits, storage)
            .map_err(|e| e.to_string())?;
        if let Some(note) = resolved.origin.note() {
            ctx.notes.push(format!("bytescope: {}: {note}", crate::text::source(source)));
        }
        Ok(resolved.pyc)
    }
}

/// Whether `path` names standard input: `-` as given.
pub fn is_stdin(path: &std::path::Path) -> bool {
    bytescope_batch::is_stdin(path)
}

/// Whether the item came from standard input (itself, not a member of an
/// archive read from it).
pub fn from_stdin(source: &Source) -> bool {
    source.member.is_none() && source.is_stdin()
}

/// What a command prints on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Text for people, each item framed by `==> PATH <==` when there are
    /// several.
    Text,
    /// JSON Lines: records that name their file themselves, never framed.
    Json,
}

/// `--color`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (to anything but "").
    #[default]
    Auto,
    /// Always, even into pipes and files.
    Always,
    /// Never.
    Never,
}

static COLOR: std::sync::OnceLock<ColorChoice> = std::sync::OnceLock::new();

/// Sets `--color` for the run (once, at start-up).
pub fn set_color(choice: ColorChoice) {
    let _ = COLOR.set(choice);
}

/// How stdout is written. To pipes and files exactly as rendered (the
/// listing keeps CPython's bytes); to a terminal, characters that would act
/// on it are escaped: text by [`bytescope_inspect::escape_into`]'s rule, JSON
/// with `\uXXXX` escapes (the same JSON values).
#[derive(Clone, Copy, Debug)]
pub struct Printer {
    format: Format,
    terminal: bool,
    color: bool,
}

impl Printer {
    /// The printer for `format` on this process's stdout.
    pub fn stdout(format: Format) -> Self {
        let terminal = io::stdout().is_terminal();
        let color = format == Format::Text
            && match COLOR.get().copied().unwrap_or_default() {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            };
        Printer { format, terminal, color }
    }

    /// Writes `bytes` to `w`. Pipes and files get them as they are (the
    /// one fast path); a terminal gets them escaped, and coloured if asked.
    pub fn write(&self, w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
        if !(self.terminal || self.color) || bytes.is_empty() {
            return w.write_all(bytes);
        }
        let text = match (self.terminal, self.format) {
            (false, _) => match std::str::from_utf8(bytes) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                // Not text: left as it is.
                Err(_) => return w.write_all(bytes),
            },
            (true, Format::Text) => crate::text::terminal_text(bytes),
            (true, Format::Json) => crate::text::terminal_json(bytes),
        };
        if self.color {
            return w.write_all(crate::color::listing(&text).as_bytes());
        }
        w.write_all(text.as_bytes())
    }
}

/// What a render may do besides writing its item's output.
pub struct Ctx<'a> {
    drain: &'a mut dyn FnMut(&mut Vec<u8>),
    /// Lines for stderr, printed (escaped) once the item's output is out.
    pub notes: Vec<String>,
    /// The item did not fail, but the run's status must be 1 (e.g. a stale
    /// pyc for `header --source`).
    pub unhappy: bool,
}

impl<'a> Ctx<'a> {
    /// A context whose drain is `drain`.
    pub fn new(drain: &'a mut dyn FnMut(&mut Vec<u8>)) -> Self {
        Ctx { drain, notes: Vec::new(), unhappy: false }
    }

    /// Hands over `out` when it holds a finished part of the item's output
    /// (see [`for_each_file_draining`]).
    pub fn drain(&mut self, out: &mut Vec<u8>) {
        (self.drain)(out);
    }
}

/// What became of one item.
struct Done {
    result: Result<(), String>,
    notes: Vec<String>,
    unhappy: bool,
}

impl bytescope_batch::Footprint for Done {
    fn footprint(&self) -> usize {
        self.result.as_ref().err().map_or(0, String::capacity)
            + self.notes.iter().map(String::capacity).sum::<usize>()
    }
}

/// A render: `render(source, data, out, ctx)` appends the output for one
/// item to `out`; see [`Ctx`].
pub trait Render: Fn(&Source, &[u8], &mut Vec<u8>, &mut Ctx<'_>) -> Result<(), String> + Sync {}

impl<F> Render for F where F: Fn(&Source, &[u8], &mut Vec<u8>, &mut Ctx<'_>) -> Result<(), String> + Sync {}

/// Runs `render` on one item.
fn render_one(
    render: &impl Render,
    source: &Source,
    data: &[u8],
    out: &mut Vec<u8>,
    drain: &mut dyn FnMut(&mut Vec<u8>),
) -> Done {
    let mut ctx = Ctx { drain, notes: Vec::new(), unhappy: false };
    let result = render(source, data, out, &mut ctx);
    Done { result, notes: ctx.notes, unhappy: ctx.unhappy }
}

/// Runs `render` over every item of the inputs (in parallel), printing each
/// result in input order (framed by `==> PATH <==`, or `==> ARCHIVE:MEMBER
/// <==`, when there are several and the format is text) and one line
/// `bytescope: PATH: error` on stderr per failure. Exit status 1 if any
/// item failed.
pub fn for_each_file(
    args: &InputArgs,
    format: Format,
    render: impl Fn(&Source, &[u8], &mut Vec<u8>, &mut Ctx<'_>) -> Result<(), String> + Sync,
) -> anyhow::Result<ExitCode> {
    for_each_file_draining(args, format, render)
}

/// [`for_each_file`] for renders that can hand over finished parts of an
/// item's output early: `render` may call `ctx.drain(out)` when `out` holds
/// a finished part. With `-j 1` items are rendered one after another
/// straight into the output buffer, which `drain` writes out once it holds
/// 64 KiB or more, so a huge listing never sits in memory and no output is
/// copied; in parallel runs `drain` does nothing and each item's output is
/// written when its turn comes.
///
/// A closed stdout (`| head`) ends the run quietly; the status still says
/// whether an input had failed.
pub fn for_each_file_draining(
    args: &InputArgs,
    format: Format,
    render: impl Render,
) -> anyhow::Result<ExitCode> {
    let printer = Printer::stdout(format);
    let opts = args.batch_options();
    if opts.jobs == 1 {
        // One job renders and delivers each item in turn, on one thread:
        // renders may then write ahead of delivery.
        return stream_each_file(args, &args.files, printer, &opts, render);
    }
    // Headers and listings go out in large writes, not a write per line
    // (from whichever thread delivers results).
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout());
    let mut failed = false;
    let mut write_error: Option<io::Error> = None;
    // Output buffers go back to a pool once written: a fresh multi-100 KB
    // buffer per file would be returned to the OS and page-faulted in again
    // for the next one. The pool keeps at most 8 buffers of at most 4 MiB
    // each, so a few huge listings do not stay in memory.
    const POOL_BUFFERS: usize = 8;
    const POOL_BUFFER_BYTES: usize = 4 << 20;
    let pool: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let take = || pool.lock().ok().and_then(|mut p| p.pop()).unwrap_or_default();
    let give = |mut buf: Vec<u8>| {
        buf.clear();
        if buf.capacity() <= POOL_BUFFER_BYTES
            && let Ok(mut p) = pool.lock()
            && p.len() < POOL_BUFFERS
        {
            p.push(buf);
        }
    };
    bytescope_batch::run(
        &args.files,
        &opts,
        |source, data| {
            let mut buf = take();
            let done = render_one(&render, source, data, &mut buf, &mut |_| {});
            (buf, done)
        },
        |source, result| {
            let (buf, done) = match result {
                Ok(done) => done,
                Err(e) => {
                    (Vec::new(), Done { result: Err(e.to_string()), notes: Vec::new(), unhappy: false })
                }
            };
            let written = (|| {
                if format == Format::Text && args.framed(&source) {
                    let frame = format!("==> {} <==\n", crate::text::source(&source));
                    printer.write(&mut out, frame.as_bytes())?;
                }
                printer.write(&mut out, &buf)?;
                if done.result.is_err() || !done.notes.is_empty() {
                    out.flush()?;
                }
                Ok(())
            })();
            give(buf);
            failed |= done.unhappy;
            if let Err(e) = written {
                failed |= done.result.is_err();
                write_error = Some(e);
                return ControlFlow::Break(());
            }
            report(&source, &done);
            after_item(args, done.result.is_err(), &mut failed)
        },
    )?;
    finish(&mut out, write_error, failed)
}

/// The item's error line and notes on stderr.
fn report(source: &Source, done: &Done) {
    if let Err(msg) = &done.result {
        report_error(source, msg);
    }
    for n in &done.notes {
        crate::text::stderr_line(&crate::text::message(n));
    }
}

/// After an item is written: notes a failure, and stops the run at one
/// with `--fail-fast`.
fn after_item(args: &InputArgs, item_failed: bool, failed: &mut bool) -> ControlFlow<()> {
    if item_failed {
        *failed = true;
        if args.fail_fast {
            return ControlFlow::Break(());
        }
    }
    ControlFlow::Continue(())
}

/// Output written at 64 KiB or more at a time (see [`Stream::drain`]).
const STREAM_CHUNK: usize = 64 << 10;

/// How much finished output a render lets wait before it offers it to the
/// drain of [`for_each_file_draining`] (which writes once [`STREAM_CHUNK`]
/// waits): the memory a one-job run holds stays this small, whatever the
/// size of an item's output.
pub const DRAIN_AT: usize = 16 << 10;

/// [`for_each_file_draining`] with one job: every item is rendered into
/// one output buffer, written whenever a render drains it.
fn stream_each_file(
    args: &InputArgs,
    inputs: &[PathBuf],
    printer: Printer,
    opts: &Options,
    render: impl Render,
) -> anyhow::Result<ExitCode> {
    let stream = Mutex::new(Stream { buf: Vec::new(), framed: false, error: None, printer });
    let mut failed = false;
    bytescope_batch::run(
        inputs,
        opts,
        |source, data| {
            // Items come one at a time: the lock is never contended.
            let Ok(mut st) = stream.lock() else {
                return Done {
                    result: Err("output lock poisoned".to_owned()),
                    notes: Vec::new(),
                    unhappy: false,
                };
            };
            st.frame(args, source);
            let Stream { buf, error, printer, .. } = &mut *st;
            render_one(&render, source, data, buf, &mut |b| Stream::drain(*printer, b, error))
        },
        |source, result| {
            let Ok(mut st) = stream.lock() else { return ControlFlow::Break(()) };
            let done = result.unwrap_or_else(|e| {
                // Not rendered: its frame line is still due.
                st.frame(args, &source);
                Done { result: Err(e.to_string()), notes: Vec::new(), unhappy: false }
            });
            st.framed = false;
            failed |= done.unhappy;
            if done.result.is_err() || !done.notes.is_empty() {
                st.write_all();
                if st.error.is_none() {
                    report(&source, &done);
                }
            }
            if st.error.is_some() {
                failed |= done.result.is_err();
                return ControlFlow::Break(());
            }
            after_item(args, done.result.is_err(), &mut failed)
        },
    )?;
    let mut st = stream.into_inner().map_err(|_| anyhow::anyhow!("output lock poisoned"))?;
    st.write_all();
    finish(&mut io::stdout(), st.error, failed)
}

/// The output of a one-job run: rendered text not written yet.
struct Stream {
    buf: Vec<u8>,
    /// Whether the current item's `==> PATH <==` line is in `buf`.
    framed: bool,
    /// The first write error; output is dropped after it.
    error: Option<io::Error>,
    printer: Printer,
}

impl Stream {
    /// Starts `source`'s output with its frame line, once.
    fn frame(&mut self, args: &InputArgs, source: &Source) {
        if !self.framed {
            self.framed = true;
            if self.printer.format == Format::Text && args.framed(source) {
                let _ = writeln!(self.buf, "==> {} <==", crate::text::source(source));
            }
        }
    }

    /// Writes `buf` out (and empties it) once it holds [`STREAM_CHUNK`]
    /// bytes or more.
    fn drain(printer: Printer, buf: &mut Vec<u8>, error: &mut Option<io::Error>) {
        if buf.len() >= STREAM_CHUNK {
            Stream::write(printer, buf, error);
        }
    }

    /// Writes everything rendered so far and flushes stdout.
    fn write_all(&mut self) {
        Stream::write(self.printer, &mut self.buf, &mut self.error);
        if self.error.is_none()
            && let Err(e) = io::stdout().flush()
        {
            self.error = Some(e);
        }
    }

    fn write(printer: Printer, buf: &mut Vec<u8>, error: &mut Option<io::Error>) {
        if error.is_none()
            && let Err(e) = printer.write(&mut io::stdout(), buf)
        {
            *error = Some(e);
        }
        buf.clear();
    }
}

/// `bytescope: PATH[:MEMBER]: message` on stderr (escaped).
pub fn report_error(source: &Source, msg: &str) {
    crate::text::report(&crate::text::source(source), msg);
}

/// Flushes stdout and turns the run's outcome into an exit status: 1 if an
/// input failed, else 0. A closed stdout (`| head`) ends the output quietly
/// with that same status (the inputs not reached are not counted); any
/// other write error is an error.
pub fn finish(
    out: &mut impl Write,
    write_error: Option<io::Error>,
    failed: bool,
) -> anyhow::Result<ExitCode> {
    let flushed = match write_error {
        Some(e) => Err(e),
        None => out.flush(),
    };
    match flushed {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(anyhow::Error::new(e).context("cannot write output")),
        Ok(()) => {}
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Options (or views) some inputs' versions lack. With several inputs such
/// an input goes on without the option, and one note at the end names the
/// files; an option that applied to no input at all is an error.
#[derive(Default)]
pub struct Skips(Mutex<SkipsInner>);

#[derive(Default)]
struct SkipsInner {
    /// Per option: (the first version that has it, the inputs without it).
    skipped: BTreeMap<&'static str, (String, Vec<String>)>,
    /// Options applied to at least one input.
    applied: BTreeSet<&'static str>,
}

impl Skips {
    /// `option` applied to an input.
    pub fn applied(&self, option: &'static str) {
        if let Ok(mut inner) = self.0.lock() {
            inner.applied.insert(option);
        }
    }

    /// `source`'s version lacks `option`, which exists from `since`.
    pub fn skipped(&self, option: &'static str, since: impl std::fmt::Display, source: &Source) {
        if let Ok(mut inner) = self.0.lock() {
            inner
                .skipped
                .entry(option)
                .or_insert_with(|| (since.to_string(), Vec::new()))
                .1
                .push(crate::text::source(source));
        }
    }

    /// One line per skipped option on stderr: a note if the option applied
    /// to some input, else an error. `done` says what happened to the
    /// skipped files ("listed", "left out"). Returns whether there was an
    /// error.
    pub fn report(&self, done: &str) -> bool {
        let Ok(inner) = self.0.lock() else { return false };
        let mut error = false;
        for (option, (since, files)) in &inner.skipped {
            let mut files = files.clone();
            files.sort();
            let n = files.len();
            let shown: Vec<&str> = files.iter().take(3).map(String::as_str).collect();
            let more = n - shown.len();
            let list =
                if more > 0 { format!("{}, and {more} more", shown.join(", ")) } else { shown.join(", ") };
            let s = if n == 1 { "" } else { "s" };
            if inner.applied.contains(option) {
                crate::text::stderr_line(&format!(
                    "bytescope: note: {option} exists from Python {since}; {n} older file{s} {done} without it: {list}"
                ));
            } else {
                error = true;
                crate::text::stderr_line(&format!(
                    "bytescope: {option} needs Python {since} or later, and no input is ({n} file{s} {done} without it: {list})"
                ));
            }
        }
        error
    }
}
