//! Running a command over several inputs: expansion of directories and
//! archives, parallel work, framing, errors, exit status.

use std::io::{self, Write};
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
    /// copies are NAME#2, NAME#3, ...). `-` reads standard input. Only
    /// regular files are read: FIFOs, sockets and devices are reported,
    /// never opened. Frozen applications (PyInstaller and py2exe
    /// executables) give their scripts and modules in table-of-contents
    /// order; APP:MEMBER reads one of them (e.g. app.exe:mypkg.inner).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read input that has no valid .pyc header (stripped or zeroed, as
    /// PyInstaller extractions leave them, or raw marshal data) as this
    /// CPython version, e.g. 3.12. Files with a valid header keep their own.
    #[arg(long, value_name = "X.Y")]
    pub python_version: Option<PythonVersion>,

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
            eprintln!(
                "bytescope: note: -j {jobs} is more than {} per core; using {max}",
                bytescope_batch::MAX_JOBS_PER_CORE
            );
        }
        Options {
            jobs: jobs.min(max),
            on_caller: main_stack_suffices(),
            limits: self.limits(),
            ..Options::default()
        }
    }

    /// The size limits these arguments ask for.
    pub fn limits(&self) -> bytescope_batch::Limits {
        bytescope_batch::Limits { max_file_size: self.max_file_size, ..Default::default() }
    }

    /// Whether each item's output gets a `==> PATH <==` line: with several
    /// inputs, or when an input is a directory or archive.
    pub fn framed(&self, source: &Source) -> bool {
        self.files.len() > 1 || source.expanded
    }
}

/// Runs `render` over every item of the inputs (in parallel), printing each
/// result in input order (framed by `==> PATH <==`, or `==> ARCHIVE:MEMBER
/// <==`, when there are several) and one line `bytescope: PATH: error` on
/// stderr per failure. Exit status 1 if any item failed.
pub fn for_each_file(
    args: &InputArgs,
    render: impl Fn(&[u8], &mut Vec<u8>) -> Result<(), String> + Sync,
) -> anyhow::Result<ExitCode> {
    for_each_file_draining(args, |data, out, _| render(data, out))
}

/// [`for_each_file`] for renders that can hand over finished parts of an
/// item's output early: `render(data, out, drain)` may call `drain(out)`
/// when `out` holds a finished part. With `-j 1` items are rendered one
/// after another straight into the output buffer, which `drain` writes out
/// once it holds 64 KiB or more, so a huge listing never sits in memory and
/// no output is copied; in parallel runs `drain` does nothing and each
/// item's output is written when its turn comes.
pub fn for_each_file_draining(
    args: &InputArgs,
    render: impl Fn(&[u8], &mut Vec<u8>, &mut dyn FnMut(&mut Vec<u8>)) -> Result<(), String> + Sync,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(!args.files.is_empty(), "no input files (see --help)");
    let opts = args.batch_options();
    if opts.jobs == 1 {
        // One job renders and delivers each item in turn, on one thread:
        // renders may then write ahead of delivery.
        return stream_each_file(args, &opts, render);
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
        |_, data| {
            let mut buf = take();
            let result = render(data, &mut buf, &mut |_| {});
            (buf, result)
        },
        |source, result| {
            let (buf, result) = match result {
                Ok(done) => done,
                Err(e) => (Vec::new(), Err(e.to_string())),
            };
            let written = (|| {
                if args.framed(&source) {
                    writeln!(out, "==> {source} <==")?;
                }
                out.write_all(&buf)?;
                if let Err(msg) = &result {
                    out.flush()?;
                    report_error(&source, msg);
                }
                Ok(())
            })();
            give(buf);
            if let Err(e) = written {
                write_error = Some(e);
                return ControlFlow::Break(());
            }
            after_item(args, result.is_err(), &mut failed)
        },
    )?;
    finish(&mut out, write_error, failed)
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

/// [`for_each_file_draining`] with one job: every item is rendered into
/// one output buffer, written whenever a render drains it.
fn stream_each_file(
    args: &InputArgs,
    opts: &Options,
    render: impl Fn(&[u8], &mut Vec<u8>, &mut dyn FnMut(&mut Vec<u8>)) -> Result<(), String> + Sync,
) -> anyhow::Result<ExitCode> {
    let stream = Mutex::new(Stream { buf: Vec::new(), framed: false, error: None });
    let mut failed = false;
    bytescope_batch::run(
        &args.files,
        opts,
        |source, data| {
            // Items come one at a time: the lock is never contended.
            let Ok(mut st) = stream.lock() else { return Err("output lock poisoned".to_owned()) };
            st.frame(args, source);
            let Stream { buf, error, .. } = &mut *st;
            render(data, buf, &mut |b| Stream::drain(b, error))
        },
        |source, result| {
            let Ok(mut st) = stream.lock() else { return ControlFlow::Break(()) };
            let result = result.unwrap_or_else(|e| {
                // Not rendered: its frame line is still due.
                st.frame(args, &source);
                Err(e.to_string())
            });
            st.framed = false;
            if let Err(msg) = &result {
                st.write_all();
                if st.error.is_none() {
                    report_error(&source, msg);
                }
            }
            if st.error.is_some() {
                return ControlFlow::Break(());
            }
            after_item(args, result.is_err(), &mut failed)
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
}

impl Stream {
    /// Starts `source`'s output with its frame line, once.
    fn frame(&mut self, args: &InputArgs, source: &Source) {
        if !self.framed {
            self.framed = true;
            if args.framed(source) {
                let _ = writeln!(self.buf, "==> {source} <==");
            }
        }
    }

    /// Writes `buf` out (and empties it) once it holds [`STREAM_CHUNK`]
    /// bytes or more.
    fn drain(buf: &mut Vec<u8>, error: &mut Option<io::Error>) {
        if buf.len() >= STREAM_CHUNK {
            Stream::write(buf, error);
        }
    }

    /// Writes everything rendered so far and flushes stdout.
    fn write_all(&mut self) {
        Stream::write(&mut self.buf, &mut self.error);
        if self.error.is_none()
            && let Err(e) = io::stdout().flush()
        {
            self.error = Some(e);
        }
    }

    fn write(buf: &mut Vec<u8>, error: &mut Option<io::Error>) {
        if error.is_none()
            && let Err(e) = io::stdout().write_all(buf)
        {
            *error = Some(e);
        }
        buf.clear();
    }
}

/// `bytescope: PATH[:MEMBER]: message` on stderr.
pub fn report_error(source: &Source, msg: &str) {
    eprintln!("bytescope: {source}: {msg}");
}

/// Flushes stdout and turns the run's outcome into an exit status. A closed
/// pipe (`| head`) ends the output quietly.
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
