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
    /// directories (every .pyc/.pyo below, in path order) and zip archives
    /// (.zip, .whl, .egg, zipapps, executables with an appended zip;
    /// recognised by content), whose .pyc/.pyo members are read in archive
    /// order.
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
}

impl InputArgs {
    /// The batch options these arguments ask for.
    pub fn batch_options(&self) -> Options {
        Options { jobs: self.jobs.map_or(0, usize::from), ..Options::default() }
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
/// to have `out`'s bytes written (and `out` emptied) before it is done.
/// With `-j 1` they are written at once, in order, so a huge listing never
/// sits in memory; in parallel runs `drain` leaves them in `out`, to be
/// written when the item's turn comes.
pub fn for_each_file_draining(
    args: &InputArgs,
    render: impl Fn(&[u8], &mut Vec<u8>, &mut dyn FnMut(&mut Vec<u8>)) -> Result<(), String> + Sync,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(!args.files.is_empty(), "no input files (see --help)");
    let opts = args.batch_options();
    // One job delivers each item right after rendering it, on the same
    // thread: only then may a render write ahead of its delivery.
    let streaming = opts.jobs == 1;
    // Headers and listings go out in large writes, not a write per line
    // (from whichever thread delivers results).
    let shared = Mutex::new(Shared {
        out: io::BufWriter::with_capacity(1 << 16, io::stdout()),
        framed_current: false,
        error: None,
    });
    let mut failed = false;
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
            let mut drain = |part: &mut Vec<u8>| {
                if streaming && let Ok(mut sh) = shared.lock() {
                    sh.write(args, source, part);
                    part.clear();
                }
            };
            let result = render(data, &mut buf, &mut drain);
            (buf, result)
        },
        |source, result| {
            let (buf, result) = match result {
                Ok(done) => done,
                Err(e) => (Vec::new(), Err(e.to_string())),
            };
            let Ok(mut sh) = shared.lock() else { return ControlFlow::Break(()) };
            sh.write(args, &source, &buf);
            if let Err(msg) = &result
                && sh.error.is_none()
            {
                if let Err(e) = sh.out.flush() {
                    sh.error = Some(e);
                }
                report_error(&source, msg);
            }
            sh.framed_current = false;
            give(buf);
            if sh.error.is_some() {
                return ControlFlow::Break(());
            }
            if result.is_err() {
                failed = true;
                if args.fail_fast {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        },
    )?;
    let sh = shared.into_inner().map_err(|_| anyhow::anyhow!("output lock poisoned"))?;
    let Shared { mut out, error, .. } = sh;
    finish(&mut out, error, failed)
}

/// The output of a run, shared by the renders that drain into it and the
/// delivery of results.
struct Shared<W> {
    out: W,
    /// Whether the current item's `==> PATH <==` line has been written.
    framed_current: bool,
    /// The first write error; nothing more is written after it.
    error: Option<io::Error>,
}

impl<W: Write> Shared<W> {
    /// Writes part of `source`'s output, after its frame line if this is
    /// its first part.
    fn write(&mut self, args: &InputArgs, source: &Source, part: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let written = (|| {
            if !self.framed_current {
                self.framed_current = true;
                if args.framed(source) {
                    writeln!(self.out, "==> {source} <==")?;
                }
            }
            self.out.write_all(part)
        })();
        if let Err(e) = written {
            self.error = Some(e);
        }
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
