//! Batch input for bytescope: files, directories and zip archives, processed
//! in parallel with results delivered in a deterministic order.
//!
//! [`run`] expands each input path into *items* — one per .pyc:
//!
//! - a **directory** is walked recursively; its `.pyc` and `.pyo` files are
//!   items, in path order (entries sorted by name at every level; symbolic
//!   links to directories are not followed);
//! - a **zip archive** (`.zip`, `.whl`, `.egg`, zipapps, executables with an
//!   appended zip such as PyInstaller builds — whatever the extension, a file
//!   whose end holds a zip end-of-central-directory record and that does not
//!   start with a .pyc magic number) contributes its `.pyc`/`.pyo` members in
//!   central-directory order;
//! - a **frozen application** (a PyInstaller executable or package, a
//!   py2exe executable; see `bytescope-frozen`) contributes its entry
//!   scripts and modules, as .pyc files with the application's own version
//!   header, in table-of-contents order (PYZ modules named by their dotted
//!   name); `APP:MEMBER` names one of them (`app.exe:mypkg.inner`);
//! - any other **file** is one item (read as a .pyc or marshal data by the
//!   caller's work function); so are pipes and devices (`/dev/stdin`), which
//!   are read once and never taken for archives.
//!
//! Items are read and handed to the work function on a rayon pool (each
//! worker thread gets an 8 MiB stack); the results come back to the caller's
//! sink on the calling thread strictly in input order. With one job, or a
//! single item, one worker thread (same stack) reads, works and delivers. At most
//! [`Options::window`] items are in flight or waiting to be delivered, so
//! memory stays bounded however many files there are.
//!
//! Archive members are untrusted: a member whose declared size exceeds
//! [`Limits::max_member_size`] is not decompressed, and decompression stops
//! at that limit whatever the header claims. Errors are per item
//! ([`InputError`]); the run goes on unless the sink says stop.
//!
//! This is the one bytescope library that touches files and threads.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use bytescope_marshal::reuse::room_for;
use zip::ZipArchive;

/// Stack size of worker threads: marshal data nests up to CPython's depth
/// limit and decoding recurses.
pub const WORKER_STACK: usize = 8 << 20;

/// Size limits for untrusted input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest archive member decompressed, in bytes (declared and actual).
    pub max_member_size: u64,
    /// Largest file read from disk (a .pyc or a whole archive), in bytes.
    pub max_file_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_member_size: 64 << 20, max_file_size: 4 << 30 }
    }
}

/// How [`run`] works.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Worker threads; 0 means one per core (rayon's default, which honours
    /// `RAYON_NUM_THREADS`).
    pub jobs: usize,
    /// Items in flight or awaiting delivery at most; 0 means four per worker
    /// (at least 16).
    pub window: usize,
    /// Size limits.
    pub limits: Limits,
    /// With one job (or one item), work on the calling thread instead of a
    /// thread of its own with a [`WORKER_STACK`]-byte stack. Only for a
    /// caller whose stack may grow that large (the CLI's main thread under
    /// a large enough `ulimit -s`): it saves starting the thread and its
    /// allocator arena, about 0.7 ms a run.
    pub on_caller: bool,
}

/// Where one item comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file: the input itself, a file found in an input directory, or
    /// the archive holding the member.
    pub path: PathBuf,
    /// The member name inside the archive.
    pub member: Option<String>,
    /// Found by expanding a directory or an archive (callers frame output
    /// per item when this is set or when there are several inputs).
    pub expanded: bool,
}

impl fmt::Display for Source {
    /// `PATH` or `ARCHIVE:MEMBER`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.member {
            Some(m) => write!(f, "{}:{m}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
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
    /// A file larger than [`Limits::max_file_size`].
    #[error("file too large: {size} bytes (limit {limit})")]
    FileTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The archive (or a member of it) is malformed or uses a feature that
    /// is not supported (encryption, compression other than deflate).
    #[error("bad zip archive: {0}")]
    Zip(String),
    /// A member that declares more than [`Limits::max_member_size`] bytes.
    #[error("archive member too large: declares {declared} bytes (limit {limit})")]
    MemberTooLarge {
        /// The declared uncompressed size.
        declared: u64,
        /// The limit.
        limit: u64,
    },
    /// A member that decompresses to more or fewer bytes than it declares.
    #[error("archive member size mismatch: declares {declared} bytes, holds {actual}{}", if *.actual_is_lower_bound { " or more" } else { "" })]
    MemberSizeMismatch {
        /// The declared uncompressed size.
        declared: u64,
        /// Bytes found (a lower bound when decompression was cut off).
        actual: u64,
        /// Decompression stopped at the limit.
        actual_is_lower_bound: bool,
    },
    /// A frozen application (or one of its entries) that cannot be read.
    #[error("{0}")]
    Frozen(String),
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
    T: Send,
    W: Fn(&Source, &[u8]) -> T + Sync,
    S: FnMut(Source, Result<T, InputError>) -> ControlFlow<()> + Send,
{
    let mut items = Items::new(inputs, opts.limits);
    let first = items.next();
    let second = items.next();
    let single = second.is_none();
    if opts.jobs == 1 || single {
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
        .num_threads(opts.jobs)
        .stack_size(WORKER_STACK)
        .thread_name(|i| format!("bytescope-worker-{i}"))
        .build()?;
    let window = if opts.window > 0 { opts.window } else { (pool.current_num_threads() * 4).max(16) };
    let limits = opts.limits;
    let cancel = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Source, Result<T, InputError>)>();
    let work = &work;
    let cancel_ref = &cancel;
    let mut items = first.into_iter().chain(second).chain(items);
    pool.in_place_scope(|scope| {
        let mut submitted = 0usize;
        let mut delivered = 0usize;
        let mut exhausted = false;
        let mut waiting: BTreeMap<usize, (Source, Result<T, InputError>)> = BTreeMap::new();
        loop {
            while !exhausted && submitted < delivered + window {
                let Some(item) = items.next() else {
                    exhausted = true;
                    break;
                };
                let seq = submitted;
                submitted += 1;
                match item {
                    Item::Failed(source, e) => {
                        waiting.insert(seq, (source, Err(e)));
                    }
                    item @ Item::Read(..) => {
                        let tx = tx.clone();
                        scope.spawn(move |_| {
                            if cancel_ref.load(Ordering::Relaxed) {
                                return;
                            }
                            let (source, result) = process(item, &limits, work, &mut Vec::new());
                            // The receiver outlives the scope; a send only
                            // fails if the run stopped.
                            let _ = tx.send((seq, source, result));
                        });
                    }
                }
            }
            // Deliver what is ready, in order.
            let mut stop = false;
            while let Some((source, result)) = waiting.remove(&delivered) {
                delivered += 1;
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
            // Something is in flight; every spawned job sends exactly once
            // (panics are caught), so this cannot wait forever.
            match rx.recv() {
                Ok((seq, source, result)) => {
                    waiting.insert(seq, (source, result));
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

/// How a worker gets an item's bytes.
enum Reader {
    File(PathBuf),
    /// Bytes already read: the first `n` of the vector.
    Data(Vec<u8>, usize),
    Member(ZipArchive<Cursor<Arc<[u8]>>>, usize),
    /// Entry `usize` of a frozen application.
    Frozen(Arc<FrozenApp>, usize),
}

type FrozenApp = bytescope_frozen::App<Arc<[u8]>>;

impl Reader {
    /// Reads the item's bytes into `buf` (replacing what it held): they are
    /// `buf[..n]` for the `n` returned (see [`read_open`]).
    fn read_into(self, limits: &Limits, buf: &mut Vec<u8>) -> Result<usize, InputError> {
        match self {
            Reader::File(path) => read_file(&path, limits, buf),
            Reader::Data(data, n) => {
                *buf = data;
                Ok(n)
            }
            Reader::Frozen(app, index) => {
                *buf = app.extract(&app.entries[index]).map_err(|e| InputError::Frozen(e.to_string()))?;
                Ok(buf.len())
            }
            Reader::Member(mut archive, index) => {
                let entry = archive.by_index(index).map_err(|e| InputError::Zip(e.to_string()))?;
                let declared = entry.size();
                if declared > limits.max_member_size {
                    return Err(InputError::MemberTooLarge { declared, limit: limits.max_member_size });
                }
                let cap = usize::try_from(declared).unwrap_or(0);
                room_for(buf, cap, INPUT_FLOOR);
                // One byte more than allowed tells an over-long member apart.
                entry
                    .take(limits.max_member_size.saturating_add(1))
                    .read_to_end(buf)
                    .map_err(|e| InputError::Zip(e.to_string()))?;
                let actual = buf.len() as u64;
                if actual != declared {
                    return Err(InputError::MemberSizeMismatch {
                        declared,
                        actual,
                        actual_is_lower_bound: actual > limits.max_member_size,
                    });
                }
                Ok(buf.len())
            }
        }
    }
}

fn read_file(path: &Path, limits: &Limits, buf: &mut Vec<u8>) -> Result<usize, InputError> {
    let mut f = File::open(path).map_err(InputError::Read)?;
    let size = f.metadata().map_err(InputError::Read)?.len();
    read_open(&mut f, size, limits, buf)
}

/// Reads the open file `f` of `size` bytes (as `stat` said; pipes and
/// growing files may hold more or less) into `buf`, within the size limit.
/// The file's bytes are `buf[..n]` for the `n` returned.
///
/// The read asks for one byte more than `size`, so a read that stops short
/// exactly at `size` bytes is the end of the file: a file costs one `read`
/// call (`read_to_end` reads in growing steps, then probes for the end).
/// `buf` keeps its length past `n`: a reused buffer is zeroed only where
/// no earlier file reached.
fn read_open(f: &mut File, size: u64, limits: &Limits, buf: &mut Vec<u8>) -> Result<usize, InputError> {
    let max = limits.max_file_size;
    if size > max {
        return Err(InputError::FileTooLarge { size, limit: max });
    }
    // Never more than one byte past the limit (which tells a too-large
    // file apart).
    let ceiling = usize::try_from(max.saturating_add(1)).unwrap_or(usize::MAX);
    let mut want = usize::try_from(size).unwrap_or(usize::MAX).saturating_add(1).min(ceiling);
    if buf.capacity() < want {
        room_for(buf, want, INPUT_FLOOR);
    }
    let mut n = 0;
    loop {
        if buf.len() < want {
            buf.resize(want, 0);
        }
        match f.read(&mut buf[n..want]) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                if n == want {
                    if n >= ceiling {
                        break;
                    }
                    // More than `stat` said (a pipe, a growing file).
                    want = n.saturating_mul(2).max(8 << 10).min(ceiling);
                } else if n as u64 == size {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(InputError::Read(e)),
        }
    }
    if n as u64 > max {
        return Err(InputError::FileTooLarge { size: n as u64, limit: max });
    }
    Ok(n)
}

/// One expanded item.
enum Item {
    Read(Source, Reader),
    Failed(Source, InputError),
}

/// The items of all inputs, produced lazily and in order.
struct Items<'i> {
    inputs: std::slice::Iter<'i, PathBuf>,
    limits: Limits,
    current: Option<Expansion>,
    /// A buffer to read the next file into (see [`Items::recycle`]).
    spare: Vec<u8>,
}

/// The largest input buffer kept for reuse: a few huge files should not
/// stay in memory for the rest of the run.
const SPARE_BUFFER_MAX: usize = 16 << 20;

/// The least a reused input buffer that must grow is replaced by (see
/// [`room_for`]).
const INPUT_FLOOR: usize = 1 << 20;

enum Expansion {
    Walk(walkdir::IntoIter),
    Archive { path: PathBuf, archive: ZipArchive<Cursor<Arc<[u8]>>>, next: usize },
    Frozen { path: PathBuf, app: Arc<FrozenApp>, next: usize },
}

impl<'i> Items<'i> {
    fn new(inputs: &'i [PathBuf], limits: Limits) -> Self {
        Items { inputs: inputs.iter(), limits, current: None, spare: Vec::new() }
    }

    /// Takes back an input buffer for the next file to be read into.
    fn recycle(&mut self, buf: Vec<u8>) {
        if buf.capacity() > self.spare.capacity() && buf.capacity() <= SPARE_BUFFER_MAX {
            self.spare = buf;
        }
    }

    /// The first item of `path`, setting up the expansion of a directory or
    /// archive.
    fn start(&mut self, path: &Path) -> Option<Item> {
        let single = |reader| {
            Some(Item::Read(Source { path: path.to_owned(), member: None, expanded: false }, reader))
        };
        let failed =
            |e| Some(Item::Failed(Source { path: path.to_owned(), member: None, expanded: false }, e));
        let walk = |this: &mut Self| {
            let walk = walkdir::WalkDir::new(path).sort_by_file_name().follow_links(false).into_iter();
            this.current = Some(Expansion::Walk(walk));
            None
        };
        // One open, one stat and one read per file: the bytes are read here
        // (within the caller's window) and sniffed in memory.
        let (mut file, meta) = match File::open(path).and_then(|f| f.metadata().map(|m| (f, m))) {
            Ok(fm) => fm,
            // `APP:MEMBER`: one entry of a frozen application.
            Err(e) if e.kind() == io::ErrorKind::NotFound && frozen_member(path).is_some() => {
                let (app_path, member) = frozen_member(path)?;
                return Some(self.frozen_member(path, &app_path, &member));
            }
            // A directory that cannot be opened still gets walked (and its
            // entries report their errors).
            Err(e) => match std::fs::metadata(path) {
                Ok(m) if m.is_dir() => return walk(self),
                _ => return failed(InputError::Read(e)),
            },
        };
        if meta.is_dir() {
            return walk(self);
        }
        if !meta.is_file() {
            // A pipe or device (`/dev/stdin`): read once, as a plain file.
            return single(Reader::File(path.to_owned()));
        }
        let mut data = std::mem::take(&mut self.spare);
        let n = match read_open(&mut file, meta.len(), &self.limits, &mut data) {
            Ok(n) => n,
            Err(e) => return failed(e),
        };
        drop(file);
        if !has_pyc_magic(&data[..n]) && bytescope_frozen::sniff(&data[..n]) {
            data.truncate(n);
            let shared: Arc<[u8]> = Arc::from(data);
            match bytescope_frozen::App::open(shared.clone()) {
                Ok(app) => {
                    self.current =
                        Some(Expansion::Frozen { path: path.to_owned(), app: Arc::new(app), next: 0 });
                    return None;
                }
                // A zip that merely holds the cookie's bytes is still a zip.
                Err(_) if is_archive(&shared) => {
                    return match ZipArchive::new(Cursor::new(shared)) {
                        Ok(archive) => {
                            self.current =
                                Some(Expansion::Archive { path: path.to_owned(), archive, next: 0 });
                            None
                        }
                        Err(e) => failed(InputError::Zip(e.to_string())),
                    };
                }
                // An executable: why it is not a readable frozen app says
                // more than "bad magic".
                Err(e)
                    if bytescope_frozen::exe::ExeFormat::of(&shared)
                        != bytescope_frozen::exe::ExeFormat::Other =>
                {
                    return failed(InputError::Frozen(e.to_string()));
                }
                // Anything else that merely holds the bytes (raw marshal
                // data of PyInstaller's own archive reader) is a plain item.
                Err(_) => {
                    let n = shared.len();
                    return single(Reader::Data(shared.to_vec(), n));
                }
            }
        }
        if !is_archive(&data[..n]) {
            return single(Reader::Data(data, n));
        }
        data.truncate(n);
        match ZipArchive::new(Cursor::new(Arc::from(data))) {
            Ok(archive) => {
                self.current = Some(Expansion::Archive { path: path.to_owned(), archive, next: 0 });
                None
            }
            Err(e) => failed(InputError::Zip(e.to_string())),
        }
    }

    /// The next item of the current directory or archive.
    fn step(&mut self) -> Option<Item> {
        let limits = self.limits;
        match self.current.as_mut()? {
            Expansion::Walk(walk) => loop {
                match walk.next() {
                    None => {
                        self.current = None;
                        return None;
                    }
                    Some(Err(e)) => {
                        let path = e.path().map(Path::to_path_buf).unwrap_or_default();
                        let msg = match e.io_error() {
                            Some(io) => io.to_string(),
                            None => e.to_string(),
                        };
                        let source = Source { path, member: None, expanded: true };
                        return Some(Item::Failed(source, InputError::Walk(msg)));
                    }
                    Some(Ok(entry)) => {
                        if entry.file_type().is_dir() || !is_pyc_name(&entry.file_name().to_string_lossy()) {
                            continue;
                        }
                        let path = entry.into_path();
                        let source = Source { path: path.clone(), member: None, expanded: true };
                        return Some(Item::Read(source, Reader::File(path)));
                    }
                }
            },
            Expansion::Frozen { path, app, next } => loop {
                let index = *next;
                let Some(e) = app.entries.get(index) else {
                    self.current = None;
                    return None;
                };
                *next += 1;
                if !e.kind.is_code() || e.path.is_none() {
                    continue;
                }
                let source = Source { path: path.clone(), member: Some(e.name.clone()), expanded: true };
                return Some(Item::Read(source, Reader::Frozen(app.clone(), index)));
            },
            Expansion::Archive { path, archive, next } => loop {
                if *next >= archive.len() {
                    self.current = None;
                    return None;
                }
                let index = *next;
                *next += 1;
                let (name, is_dir, declared) = match archive.by_index_data(index) {
                    Ok(entry) => {
                        let name = match entry.name() {
                            Ok(n) => n.into_owned(),
                            Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
                        };
                        (name, entry.is_dir(), entry.size())
                    }
                    Err(e) => {
                        let source = Source { path: path.clone(), member: None, expanded: true };
                        return Some(Item::Failed(source, InputError::Zip(e.to_string())));
                    }
                };
                if is_dir || !is_pyc_name(&name) {
                    continue;
                }
                let source = Source { path: path.clone(), member: Some(name), expanded: true };
                if declared > limits.max_member_size {
                    let e = InputError::MemberTooLarge { declared, limit: limits.max_member_size };
                    return Some(Item::Failed(source, e));
                }
                return Some(Item::Read(source, Reader::Member(archive.clone(), index)));
            },
        }
    }
}

impl Iterator for Items<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if self.current.is_some() {
                if let Some(item) = self.step() {
                    return Some(item);
                }
                continue;
            }
            let path = self.inputs.next()?;
            if let Some(item) = self.start(path) {
                return Some(item);
            }
        }
    }
}

/// `APP:MEMBER` split at the last `:` whose left side is an existing file.
fn frozen_member(path: &Path) -> Option<(PathBuf, String)> {
    let s = path.to_str()?;
    let (app, member) = s.rsplit_once(':')?;
    (!member.is_empty() && Path::new(app).is_file()).then(|| (PathBuf::from(app), member.to_owned()))
}

impl Items<'_> {
    /// The one item `member` of the frozen application at `app_path`.
    fn frozen_member(&mut self, shown: &Path, app_path: &Path, member: &str) -> Item {
        let source = Source { path: app_path.to_owned(), member: Some(member.to_owned()), expanded: false };
        let mut data = Vec::new();
        let opened = File::open(app_path)
            .and_then(|f| f.metadata().map(|m| (m.len(), f)))
            .map_err(InputError::Read)
            .and_then(|(len, mut f)| read_open(&mut f, len, &self.limits, &mut data));
        let n = match opened {
            Ok(n) => n,
            Err(e) => return Item::Failed(source, e),
        };
        data.truncate(n);
        let app = match bytescope_frozen::App::open(Arc::<[u8]>::from(data)) {
            Ok(app) => app,
            Err(e) => {
                let msg = format!("{e} (reading {} as APP:MEMBER)", shown.display());
                return Item::Failed(source, InputError::Frozen(msg));
            }
        };
        match app.find(member).map(|e| app.entries.iter().position(|x| std::ptr::eq(x, e))) {
            Some(Some(index)) => Item::Read(source, Reader::Frozen(Arc::new(app), index)),
            _ => Item::Failed(
                source,
                InputError::Frozen(format!("no entry {member:?} in this {} application", app.freezer.name())),
            ),
        }
    }
}

/// Whether a file name is a compiled Python file (`.pyc`, `.pyo`).
#[must_use]
pub fn is_pyc_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".pyc") || lower.ends_with(".pyo")
}

/// Whether `data` starts with a known .pyc magic number.
fn has_pyc_magic(data: &[u8]) -> bool {
    matches!(*data, [a, b, b'\r', b'\n', ..] if bytescope_pyc::lookup_magic(u16::from_le_bytes([a, b])).is_some())
}

/// Longest tail that can hold an end-of-central-directory record: the
/// 22-byte record plus a comment of up to 65535 bytes.
const EOCD_SEARCH: usize = 22 + 65_535;

/// An archive is a file that does not start with a .pyc magic number and
/// whose tail holds a zip end-of-central-directory record (`PK\x05\x06`)
/// whose comment reaches no further than the end of the file.
fn is_archive(data: &[u8]) -> bool {
    if has_pyc_magic(data) {
        return false;
    }
    let start = data.len().saturating_sub(EOCD_SEARCH);
    data.len() >= 22 && has_eocd(&data[start..])
}

/// Whether `tail` (the end of a file) holds a plausible end-of-central-
/// directory record.
fn has_eocd(tail: &[u8]) -> bool {
    if tail.len() < 22 {
        return false;
    }
    (0..=tail.len() - 22).rev().any(|i| {
        tail[i..i + 4] == *b"PK\x05\x06" && {
            let comment = usize::from(u16::from_le_bytes([tail[i + 20], tail[i + 21]]));
            i + 22 + comment <= tail.len()
        }
    })
}

#[cfg(test)]
mod tests;
