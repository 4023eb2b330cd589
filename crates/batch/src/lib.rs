//! Batch input for bytescope: files, directories and zip archives, processed
//! in parallel with results delivered in a deterministic order.
//!
//! [`run`] expands each input into *items* — one per .pyc:
//!
//! - a **directory** is walked recursively; its `.pyc` and `.pyo` files are
//!   items, in path order (entries sorted by name at every level; symbolic
//!   links are followed to regular files only, never to directories), and
//!   its `.zip`, `.whl`, `.egg`, `.pyz` and `.pyzw` files are opened as
//!   archives, and its programs (`.exe` files, and files without an
//!   extension marked executable, such as a PyInstaller onedir build's
//!   executable next to its `_internal` folder) are opened as frozen
//!   applications when they are one and skipped quietly when not;
//! - a **zip archive** (`.zip`, `.whl`, `.egg`, zipapps, executables with an
//!   appended zip such as PyInstaller builds: a file named as an archive, or
//!   whatever its name one that does not start with a .pyc magic number and
//!   holds a zip end record or starts with a zip entry) contributes its
//!   `.pyc`/`.pyo` members in central-directory order; members named as
//!   archives are opened in turn, to [`Limits::max_depth`] levels;
//! - a **frozen application** (a PyInstaller executable or package, a
//!   py2exe executable; see `bytescope-frozen`) contributes its entry
//!   scripts and modules, as .pyc files with the application's own version
//!   header, in table-of-contents order (PYZ modules named by their dotted
//!   name); it is read whole, within [`Limits::max_file_size`];
//! - `ARCHIVE:MEMBER` (an input that is not a file, whose part before a
//!   `:` is) is that member, named as the output names it (`APP:MEMBER`
//!   also takes what `App::find` does); nested
//!   `OUTER:INNER:MEMBER` works too, and a member that is an archive is
//!   expanded;
//! - `-` is **standard input**, read once (and opened as an archive if it
//!   is one);
//! - any other **regular file** is one item (read as a .pyc or marshal data
//!   by the caller's work function).
//!
//! Only regular files are read. FIFOs, sockets and devices — found in a
//! directory or named as inputs — are reported (one [`InputError::NotRegular`]
//! each) and never opened for reading, so a FIFO named `x.pyc` cannot block
//! a run; `/dev/stdin` is read when it is a regular file (input redirected
//! from one), else refused in favour of `-`.
//!
//! Every read is bounded (see `docs/safety.md`): a file, standard input or
//! archive member holds at most [`Limits::max_file_size`] bytes (checked
//! against its declared size before anything is allocated and enforced
//! while reading; buffers are reserved fallibly, so a file too large for the
//! memory left is one error and the run goes on); an archive's members must
//! not overlap or lie outside it, and all the members of an archive
//! (nested ones included) inflate to at most [`Limits::inflate_ratio`] times
//! its size plus [`Limits::inflate_slack`].
//!
//! Items are read and handed to the work function on a rayon pool (each
//! worker thread gets an 8 MiB stack); the results come back to the caller's
//! sink on the calling thread strictly in input order. With one job, or a
//! single item, one worker thread (same stack) reads, works and delivers. At
//! most [`Options::window`] items are in flight or waiting to be delivered,
//! and finished results stop new work from starting while they hold more
//! than [`Options::window_bytes`] (as their [`Footprint`] says), so memory
//! stays bounded however many files there are. Jobs are capped at
//! [`MAX_JOBS_PER_CORE`] per core.
//!
//! Errors are per item ([`InputError`]); the run goes on unless the sink
//! says stop. An input that is a directory or archive holding no pyc at all
//! gives one [`InputError::NoPycs`] (unless [`Options::report_empty`] is
//! off).
//!
//! This is the one bytescope library that touches files and threads; it
//! also writes single output files ([`write_atomically`]).
#![deny(missing_docs)]

mod container;
mod items;
mod names;
mod read;
mod write;
mod zipfile;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use items::{Item, Items};
pub use names::{is_archive_name, is_pyc_name};
pub use read::{read_file, read_file_with_metadata};
pub use write::{WriteError, write_atomically};
pub use zipfile::ZipError;

/// Stack size of worker threads: marshal data nests up to CPython's depth
/// limit and decoding recurses.
pub const WORKER_STACK: usize = 8 << 20;

/// The default of [`Limits::max_file_size`]: 256 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;

/// Jobs are capped at this many per core (as
/// `std::thread::available_parallelism` counts them): more threads only
/// cost memory.
pub const MAX_JOBS_PER_CORE: usize = 4;

/// The default of [`Options::window_bytes`]: 64 MiB.
pub const DEFAULT_WINDOW_BYTES: usize = 64 << 20;

/// Size limits for untrusted input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file, standard input or archive member read, in bytes
    /// (declared and actual). Archives themselves may be larger: they are
    /// read member by member, and their central directory must fit this
    /// limit.
    pub max_file_size: u64,
    /// How deep archives nest: 1 opens archives but none inside them; the
    /// default 3 opens a zip in a wheel in a zip. Deeper ones are reported
    /// ([`InputError::TooDeep`]), not opened.
    pub max_depth: u32,
    /// The members of an archive (those of archives nested in it included)
    /// inflate to at most this many times the archive's size ...
    pub inflate_ratio: u64,
    /// ... plus this many bytes.
    pub inflate_slack: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_depth: 3,
            inflate_ratio: 64,
            inflate_slack: 1 << 20,
        }
    }
}

/// How [`run`] works.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Worker threads; 0 means one per core (rayon's default, which honours
    /// `RAYON_NUM_THREADS`). Capped at [`max_jobs`].
    pub jobs: usize,
    /// Items in flight or awaiting delivery at most; 0 means four per worker
    /// (at least 16).
    pub window: usize,
    /// No new item starts while finished results awaiting their turn hold
    /// more than this many bytes ([`Footprint`]); 0 means
    /// [`DEFAULT_WINDOW_BYTES`]. The memory of results is then at most this
    /// plus what the items being worked on produce.
    pub window_bytes: usize,
    /// Size limits.
    pub limits: Limits,
    /// With one job (or one item), work on the calling thread instead of a
    /// thread of its own with a [`WORKER_STACK`]-byte stack. Only for a
    /// caller whose stack may grow that large (the CLI's main thread under
    /// a large enough `ulimit -s`): it saves starting the thread and its
    /// allocator arena, about 0.7 ms a run.
    pub on_caller: bool,
    /// Report an input directory or archive that holds no pyc
    /// ([`InputError::NoPycs`]); on by default.
    pub report_empty: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 0,
            window: 0,
            window_bytes: 0,
            limits: Limits::default(),
            on_caller: false,
            report_empty: true,
        }
    }
}

/// The most worker threads [`run`] starts: [`MAX_JOBS_PER_CORE`] per core.
#[must_use]
pub fn max_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get) * MAX_JOBS_PER_CORE
}

/// Parses a size such as `300000000`, `512K`, `256M`, `256MiB`, `4G` (binary
/// units: K = 1024; `B`, `KB`, `KiB` and lower case are accepted alike).
///
/// # Errors
/// A message when `s` is not a positive size that fits in 64 bits.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("not a size: {s:?} (e.g. 512M, 2G)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("not a size: {s:?} (units: K, M, G, T)")),
    };
    let size = n.checked_mul(1 << shift).ok_or_else(|| format!("size too large: {s:?}"))?;
    if size == 0 {
        return Err("the size must be at least 1 byte".to_owned());
    }
    Ok(size)
}

/// The heap bytes a finished result holds while it waits for its turn to
/// be delivered (shallow: what a caller's buffers hold, not every
/// allocation behind them). [`run`] stops starting work while waiting
/// results hold more than [`Options::window_bytes`].
pub trait Footprint {
    /// Heap bytes held.
    fn footprint(&self) -> usize;
}

impl<T> Footprint for Vec<T> {
    fn footprint(&self) -> usize {
        self.capacity().saturating_mul(size_of::<T>())
    }
}

impl Footprint for String {
    fn footprint(&self) -> usize {
        self.capacity()
    }
}

impl<T: ?Sized> Footprint for Box<T> {
    fn footprint(&self) -> usize {
        size_of_val(&**self)
    }
}

impl<T: Footprint> Footprint for Option<T> {
    fn footprint(&self) -> usize {
        self.as_ref().map_or(0, Footprint::footprint)
    }
}

impl<T: Footprint, E: Footprint> Footprint for Result<T, E> {
    fn footprint(&self) -> usize {
        match self {
            Ok(t) => t.footprint(),
            Err(e) => e.footprint(),
        }
    }
}

impl<A: Footprint, B: Footprint> Footprint for (A, B) {
    fn footprint(&self) -> usize {
        self.0.footprint().saturating_add(self.1.footprint())
    }
}

impl<A: Footprint, B: Footprint, C: Footprint> Footprint for (A, B, C) {
    fn footprint(&self) -> usize {
        self.0.footprint().saturating_add(self.1.footprint()).saturating_add(self.2.footprint())
    }
}

macro_rules! no_heap {
    ($($t:ty),*) => {$(
        impl Footprint for $t {
            fn footprint(&self) -> usize {
                0
            }
        }
    )*};
}
no_heap!((), bool, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, f32, f64);

/// Where one item comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file: the input itself, a file found in an input directory, or
    /// the outermost archive holding the member; `-` for standard input.
    pub path: PathBuf,
    /// The member inside the archive, as the input syntax names it: its
    /// name (see below), preceded by `INNER:` for each nested archive it
    /// is in (`inner.zip:pkg/mod.pyc`).
    ///
    /// Member names are unique within an archive: a name already taken by
    /// an earlier member (in central-directory order) gets `#2`, `#3`, …
    /// appended; bytes that are not UTF-8 show as `\xNN`.
    pub member: Option<String>,
    /// Found by expanding a directory or an archive (callers frame output
    /// per item when this is set or when there are several inputs).
    pub expanded: bool,
}

impl Source {
    /// Whether this is standard input.
    #[must_use]
    pub fn is_stdin(&self) -> bool {
        is_stdin(&self.path)
    }
}

impl fmt::Display for Source {
    /// `PATH` or `ARCHIVE:MEMBER`; standard input shows as `<stdin>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_stdin() {
            f.write_str("<stdin>")?;
        } else {
            write!(f, "{}", self.path.display())?;
        }
        match &self.member {
            Some(m) => write!(f, ":{m}"),
            None => Ok(()),
        }
    }
}

/// Whether `path` names standard input (`-`).
#[must_use]
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Why an item could not be read (the work function's own failures are
/// part of its result).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be read.
    #[error("cannot read file: {0}")]
    Read(#[source] io::Error),
    /// A directory could not be walked.
    #[error("cannot read directory: {0}")]
    Walk(String),
    /// A FIFO, socket or device: never opened for reading.
    #[error("{}", if *.explicit {
        format!("not a regular file ({kind}); only regular files are read (`-` reads standard input)")
    } else {
        format!("skipped: {kind}, not a regular file")
    })]
    NotRegular {
        /// What it is (`a FIFO`, `a socket`, `a character device`, …).
        kind: &'static str,
        /// Named as an input rather than found in a directory.
        explicit: bool,
    },
    /// A file, standard input or member larger than
    /// [`Limits::max_file_size`] (its declared size, or what was read).
    #[error("too large: {size} bytes, over the limit of {limit}")]
    FileTooLarge {
        /// Its size (or the bytes read when the read was stopped).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// No memory for the input's bytes.
    #[error("cannot allocate {size} bytes to read it")]
    OutOfMemory {
        /// The bytes asked for.
        size: u64,
    },
    /// The archive (or a member of it) is malformed or uses a feature that
    /// is not supported (encryption, compression other than deflate).
    #[error("bad zip archive: {0}")]
    Zip(ZipError),
    /// A member that inflates to more or fewer bytes than it declares.
    #[error(
        "bad zip archive: member declares {declared} bytes but holds {actual}{} (at offset {offset:#x})",
        if *.actual_is_lower_bound { " or more" } else { "" }
    )]
    MemberSizeMismatch {
        /// The declared uncompressed size.
        declared: u64,
        /// Bytes found (a lower bound when inflation was cut off).
        actual: u64,
        /// Inflation stopped one byte past the declared size.
        actual_is_lower_bound: bool,
        /// The member's local entry.
        offset: u64,
    },
    /// The archive's members inflate to more than its budget
    /// ([`Limits::inflate_ratio`] times its size plus
    /// [`Limits::inflate_slack`]).
    #[error(
        "archive inflates to too much: this member's {wanted} bytes exceed what is left ({left}) of the archive's budget of {total} bytes"
    )]
    InflateBudget {
        /// The member's size.
        wanted: u64,
        /// What was left.
        left: u64,
        /// The archive's budget.
        total: u64,
    },
    /// An archive nested deeper than [`Limits::max_depth`]: not opened.
    #[error("nested archive not opened: archives nest more than {max} deep here")]
    TooDeep {
        /// The limit.
        max: u32,
    },
    /// An input directory or archive that holds no pyc.
    #[error("no .pyc or .pyo files in this {what}")]
    NoPycs {
        /// `directory` or `archive`.
        what: &'static str,
    },
    /// A frozen application (or one of its entries) that cannot be read.
    #[error("{0}")]
    Frozen(String),
    /// `ARCHIVE:MEMBER` names no member of the archive.
    #[error("no such member in the archive")]
    NoSuchMember,
    /// `-` given twice.
    #[error("standard input can only be read once")]
    StdinTwice,
    /// The work function panicked (a bug); the run goes on.
    #[error("internal error: {0}")]
    Panic(String),
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The thread pool could not be created.
    #[error("cannot start worker threads: {0}")]
    ThreadPool(#[from] rayon::ThreadPoolBuildError),
    /// The worker thread for a single item could not be started.
    #[error("cannot start a worker thread: {0}")]
    Thread(#[source] io::Error),
}

/// Reads every pyc member of the archive held in `data`, in order (nested
/// archives included), as [`run`] would with that archive as its one input
/// but on the calling thread, handing each member's bytes or error to `f`.
/// The members' sources have the path `name`. For callers that hold an
/// archive in memory, and for fuzzing the archive readers.
///
/// # Errors
/// The archive's own error when it cannot be opened (its members' errors go
/// to `f`).
pub fn read_archive(
    name: &Path,
    data: &[u8],
    limits: &Limits,
    mut f: impl FnMut(&Source, Result<&[u8], InputError>),
) -> Result<(), InputError> {
    let mut items = Items::new(&[], *limits, false);
    let source = Source { path: name.to_owned(), member: None, expanded: false };
    items.push_container(&source, container::Kind::Zip, zipfile::Backing::Mem(Arc::from(data)))?;
    let mut buf = Vec::new();
    for item in items {
        match item {
            Item::Failed(source, e) => f(&source, Err(e)),
            Item::Read(source, reader) => match reader.read_into(limits, &mut buf) {
                Ok(n) => f(&source, Ok(&buf[..n])),
                Err(e) => f(&source, Err(e)),
            },
        }
    }
    Ok(())
}

/// The worker threads a run uses for `jobs` (0: one per core).
fn effective_jobs(jobs: usize) -> usize {
    let jobs = if jobs == 0 { rayon::current_num_threads() } else { jobs };
    jobs.clamp(1, max_jobs())
}

/// Runs `work` over every item of `inputs` in parallel and hands each
/// result to `sink` in input order (on the calling thread; with one job or
/// a single item, on the one worker thread, which does everything, or with
/// [`Options::on_caller`] on the calling thread itself).
///
/// `sink` returns [`ControlFlow::Break`] to stop: no further items are
/// delivered, queued work is skipped and `run` returns once running work has
/// finished.
///
/// # Errors
/// [`BatchError::ThreadPool`] if the worker threads cannot be started.
pub fn run<T, W, S>(inputs: &[PathBuf], opts: &Options, work: W, mut sink: S) -> Result<(), BatchError>
where
    T: Send + Footprint,
    W: Fn(&Source, &[u8]) -> T + Sync,
    S: FnMut(Source, Result<T, InputError>) -> ControlFlow<()> + Send,
{
    let mut items = Items::new(inputs, opts.limits, opts.report_empty);
    let first = items.next();
    let second = items.next();
    let single = second.is_none();
    let jobs = effective_jobs(opts.jobs);
    if jobs == 1 || single {
        // One job (or one item): no pool and no hand-over between threads.
        // One thread with a worker's stack reads, works and delivers, in
        // order (a hand-over per item cost more than the work of small
        // files).
        let limits = opts.limits;
        let work = &work;
        let one_by_one = move || {
            // Input buffers go back to `items` for the next file: a fresh
            // one per file would be page-faulted in each time.
            let mut buf = Vec::new();
            let mut pending = first.into_iter().chain(second);
            while let Some(item) = pending.next().or_else(|| items.next()) {
                let (source, result) = process(item, &limits, work, &mut buf);
                items.recycle(std::mem::take(&mut buf));
                if sink(source, result).is_break() {
                    break;
                }
            }
        };
        if opts.on_caller {
            one_by_one();
            return Ok(());
        }
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(WORKER_STACK)
                .name("bytescope-worker".to_owned())
                .spawn_scoped(s, one_by_one)
                .map(|h| h.join())
        })
        .map_err(BatchError::Thread)?
        .map_err(|p| BatchError::Thread(io::Error::other(panic_message(&*p))))?;
        return Ok(());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(WORKER_STACK)
        .thread_name(|i| format!("bytescope-worker-{i}"))
        .build()?;
    let window = if opts.window > 0 { opts.window } else { (pool.current_num_threads() * 4).max(16) };
    let window_bytes = if opts.window_bytes > 0 { opts.window_bytes } else { DEFAULT_WINDOW_BYTES };
    let limits = opts.limits;
    let cancel = AtomicBool::new(false);
    type Done<T> = (Source, Result<T, InputError>);
    let (tx, rx) = mpsc::channel::<(usize, Done<T>)>();
    let work = &work;
    let cancel_ref = &cancel;
    let mut items = first.into_iter().chain(second).chain(items);
    pool.in_place_scope(|scope| {
        let mut submitted = 0usize;
        let mut delivered = 0usize;
        let mut exhausted = false;
        // Finished results awaiting their turn, with their footprints.
        let mut waiting: BTreeMap<usize, (Done<T>, usize)> = BTreeMap::new();
        let mut waiting_bytes = 0usize;
        loop {
            // Each worker has an item and one queued at most: queued items
            // finish before the next delivery, so their results count
            // against the byte budget only once it is too late to hold
            // them back.
            while !exhausted
                && submitted < delivered + window
                && submitted - delivered - waiting.len() < 2 * jobs
                && waiting_bytes <= window_bytes
            {
                let Some(item) = items.next() else {
                    exhausted = true;
                    break;
                };
                let seq = submitted;
                submitted += 1;
                match item {
                    Item::Failed(source, e) => {
                        waiting.insert(seq, ((source, Err(e)), 0));
                    }
                    item @ Item::Read(..) => {
                        let tx = tx.clone();
                        scope.spawn(move |_| {
                            if cancel_ref.load(Ordering::Relaxed) {
                                return;
                            }
                            let done = process(item, &limits, work, &mut Vec::new());
                            // The receiver outlives the scope; a send only
                            // fails if the run stopped.
                            let _ = tx.send((seq, done));
                        });
                    }
                }
            }
            // Deliver what is ready, in order.
            let mut stop = false;
            while let Some(((source, result), bytes)) = waiting.remove(&delivered) {
                delivered += 1;
                waiting_bytes -= bytes;
                if sink(source, result).is_break() {
                    stop = true;
                    break;
                }
            }
            if stop {
                cancel_ref.store(true, Ordering::Relaxed);
                return;
            }
            if delivered == submitted && exhausted {
                return;
            }
            if delivered == submitted {
                continue;
            }
            // Something is in flight (the next to deliver at least: results
            // over the byte budget imply one missing); every spawned job
            // sends exactly once (panics are caught), so this cannot wait
            // forever.
            match rx.recv() {
                Ok((seq, done)) => {
                    let bytes = done.1.as_ref().map_or(0, Footprint::footprint);
                    waiting_bytes += bytes;
                    waiting.insert(seq, (done, bytes));
                }
                Err(_) => return,
            }
        }
    });
    Ok(())
}

/// Reads an item (into `buf`) and runs `work` on it; a panic becomes an
/// error.
fn process<T, W>(item: Item, limits: &Limits, work: &W, buf: &mut Vec<u8>) -> (Source, Result<T, InputError>)
where
    W: Fn(&Source, &[u8]) -> T,
{
    match item {
        Item::Failed(source, e) => (source, Err(e)),
        Item::Read(source, reader) => {
            let result = catch_unwind(AssertUnwindSafe(|| {
                let n = reader.read_into(limits, buf)?;
                Ok(work(&source, &buf[..n]))
            }))
            .unwrap_or_else(|p| Err(InputError::Panic(panic_message(&*p))));
            (source, result)
        }
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_owned()
    }
}

#[cfg(test)]
mod tests;
