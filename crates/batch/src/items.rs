//! Expanding inputs into items, lazily and in order: files, standard input,
//! directories, containers (nested to a bounded depth) and
//! `ARCHIVE:MEMBER` inputs.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::container::{self, Container, Kind, MemberKind, Opening};
use crate::names::{Unique, is_pyc_name};
use crate::read::{kind_of, open_checked, open_regular, read_bounded, read_stdin};
use crate::zipfile::{Backing, Budget};
use crate::{InputError, Limits, Source, is_stdin};

/// Files up to this size are read whole when they are opened (one read,
/// sniffed in memory); larger ones are sniffed by their first and last
/// bytes, and archives among them are read member by member at offsets.
const READ_WHOLE: u64 = 1 << 20;

/// The largest input buffer kept for reuse: a few huge files should not
/// stay in memory for the rest of the run.
const SPARE_BUFFER_MAX: usize = 16 << 20;

/// How a worker gets an item's bytes.
pub(crate) enum Reader {
    /// A file found in a directory: opened and read by the worker.
    File(PathBuf),
    /// A large file, opened and checked already.
    Open(File, u64),
    /// Bytes already read: the first `n` of the vector.
    Data(Vec<u8>, usize),
    /// A container's member.
    Member(Arc<dyn Container>, usize, Arc<Budget>),
}

impl Reader {
    /// Reads the item's bytes into `buf`: they are `buf[..n]` for the `n`
    /// returned.
    pub(crate) fn read_into(self, limits: &Limits, buf: &mut Vec<u8>) -> Result<usize, InputError> {
        match self {
            Reader::File(path) => {
                // Found to be a regular file by the walk.
                let (mut file, meta) = open_checked(&path, false)?;
                read_bounded(&mut file, Some(meta.len()), limits, buf)
            }
            Reader::Open(mut file, size) => read_bounded(&mut file, Some(size), limits, buf),
            Reader::Data(data, n) => {
                *buf = data;
                Ok(n)
            }
            Reader::Member(c, i, budget) => {
                c.read(i, limits.max_file_size, &budget, buf)?;
                Ok(buf.len())
            }
        }
    }
}

/// One expanded item.
pub(crate) enum Item {
    Read(Source, Reader),
    Failed(Source, InputError),
}

/// What expanding one frame gave.
enum Step {
    Item(Item),
    /// A frame was pushed or popped: go on.
    Again,
}

enum Frame {
    Walk(walkdir::IntoIter),
    Container(ContainerFrame),
}

struct ContainerFrame {
    /// The file the outermost container is in.
    path: PathBuf,
    /// The chain of members leading to this container (`a.whl:b.zip`
    /// style), `None` for the outermost.
    prefix: Option<String>,
    container: Arc<dyn Container>,
    budget: Arc<Budget>,
    /// 1 for an outermost container.
    depth: u32,
    next: usize,
    names: Unique,
}

impl ContainerFrame {
    fn member_path(&self, name: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{name}"),
            None => name.to_owned(),
        }
    }
}

/// A file opened and sniffed.
enum Opened {
    Data(Vec<u8>, usize),
    Container(Kind, Backing),
    Large(File, u64),
}

/// The items of all inputs, produced lazily and in order.
pub(crate) struct Items<'i> {
    inputs: std::slice::Iter<'i, PathBuf>,
    limits: Limits,
    report_empty: bool,
    stack: Vec<Frame>,
    /// The input being expanded (a directory or container) and what it is,
    /// to report one that holds no pyc.
    current: Option<(Source, &'static str)>,
    /// Items the current input gave.
    produced: usize,
    stdin_read: bool,
    /// A buffer to read the next file into (see [`Items::recycle`]).
    spare: Vec<u8>,
}

impl<'i> Items<'i> {
    pub(crate) fn new(inputs: &'i [PathBuf], limits: Limits, report_empty: bool) -> Self {
        Items {
            inputs: inputs.iter(),
            limits,
            report_empty,
            stack: Vec::new(),
            current: None,
            produced: 0,
            stdin_read: false,
            spare: Vec::new(),
        }
    }

    /// Takes back an input buffer for the next file to be read into.
    pub(crate) fn recycle(&mut self, buf: Vec<u8>) {
        if buf.capacity() > self.spare.capacity() && buf.capacity() <= SPARE_BUFFER_MAX {
            self.spare = buf;
        }
    }

    fn budget_for(&self, len: u64) -> Arc<Budget> {
        let l = &self.limits;
        Arc::new(Budget::new(len.saturating_mul(l.inflate_ratio).saturating_add(l.inflate_slack)))
    }

    /// Sniffs the regular file `file` of `size` bytes: read whole if small
    /// (and sniffed in memory), else by its first and last bytes; large
    /// executables are read whole too, to be sniffed for frozen
    /// applications (which are read whole).
    fn sniffed(&mut self, mut file: File, size: u64) -> Result<Opened, InputError> {
        let whole = |this: &mut Self, file: &mut File| -> Result<Opened, InputError> {
            let mut data = std::mem::take(&mut this.spare);
            let n = read_bounded(file, Some(size), &this.limits, &mut data)?;
            if let Some(kind) = container::sniff_whole(&data[..n]) {
                let backing = Backing::Mem(Arc::from(&data[..n]));
                this.spare = data;
                return Ok(Opened::Container(kind, backing));
            }
            Ok(Opened::Data(data, n))
        };
        if size <= READ_WHOLE.min(self.limits.max_file_size) {
            return whole(self, &mut file);
        }
        let head_len = size.min(4096) as usize;
        let mut head = vec![0u8; head_len];
        let tail_len = size.min(container::TAIL as u64);
        let mut tail = vec![0u8; tail_len as usize];
        read_at(&file, 0, &mut head)?;
        read_at(&file, size - tail_len, &mut tail)?;
        if container::wants_whole(&head, &tail) {
            return whole(self, &mut file);
        }
        match container::sniff_zip(&head, &tail) {
            Some(kind) => Ok(Opened::Container(kind, Backing::File(file, size))),
            None => Ok(Opened::Large(file, size)),
        }
    }

    /// A program found in a directory walk ([`container::may_be_program`]):
    /// its expansion when it is a frozen application, `None` (skipped,
    /// without an error) when it is anything else or cannot be read.
    fn walk_program(&mut self, path: PathBuf) -> Option<Step> {
        let (file, meta) = open_checked(&path, false).ok()?;
        let mut head = [0u8; 4096];
        let n = usize::try_from(meta.len()).map_or(head.len(), |len| len.min(head.len()));
        read_at(&file, 0, &mut head[..n]).ok()?;
        if !container::is_executable(&head[..n]) || meta.len() > self.limits.max_file_size {
            return None;
        }
        let Ok(Opened::Container(Kind::Frozen, backing)) = self.sniffed(file, meta.len()) else {
            return None;
        };
        let source = Source { path, member: None, expanded: true };
        match self.push_container(&source, Kind::Frozen, backing) {
            Ok(None) => Some(Step::Again),
            // Not a readable frozen application after all.
            Ok(Some(_)) | Err(_) => None,
        }
    }

    /// The bytes of the regular file `file` of `size` bytes, known to be a
    /// container by its name: read whole if small, else at offsets.
    fn backing(&mut self, mut file: File, size: u64) -> Result<Backing, InputError> {
        if size <= READ_WHOLE.min(self.limits.max_file_size) {
            let mut data = std::mem::take(&mut self.spare);
            let n = read_bounded(&mut file, Some(size), &self.limits, &mut data)?;
            let backing = Backing::Mem(Arc::from(&data[..n]));
            self.spare = data;
            return Ok(backing);
        }
        Ok(Backing::File(file, size))
    }

    /// Opens the container in `backing` as a new outermost frame; gives
    /// the bytes back when it is no container after all.
    pub(crate) fn push_container(
        &mut self,
        source: &Source,
        kind: Kind,
        backing: Backing,
    ) -> Result<Option<Arc<[u8]>>, InputError> {
        let budget = self.budget_for(backing.len());
        let container = match container::open(kind, backing, &self.limits)? {
            Opening::Container(c) => c,
            Opening::Plain(data) => return Ok(Some(data)),
        };
        self.stack.push(Frame::Container(ContainerFrame {
            path: source.path.clone(),
            prefix: source.member.clone(),
            container,
            budget,
            depth: 1,
            next: 0,
            names: Unique::default(),
        }));
        Ok(None)
    }

    /// The first item of the input `path`, or `None` after setting up the
    /// expansion of a directory or container.
    fn start(&mut self, path: &Path) -> Option<Item> {
        let source = Source { path: path.to_owned(), member: None, expanded: false };
        let failed = |e| Some(Item::Failed(source.clone(), e));
        if is_stdin(path) {
            if self.stdin_read {
                return failed(InputError::StdinTwice);
            }
            self.stdin_read = true;
            let mut data = std::mem::take(&mut self.spare);
            let n = match read_stdin(&self.limits, &mut data) {
                Ok(n) => n,
                Err(e) => return failed(e),
            };
            if let Some(kind) = container::sniff_whole(&data[..n]) {
                self.current = Some((source.clone(), "archive"));
                let backing = Backing::Mem(Arc::from(&data[..n]));
                return self.open_input(source, kind, backing);
            }
            return Some(Item::Read(source, Reader::Data(data, n)));
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                return match split_member(path) {
                    Some((archive, member)) => self.start_member(path, &archive, &member),
                    None => failed(InputError::Read(e)),
                };
            }
        };
        if meta.is_dir() {
            let walk = walkdir::WalkDir::new(path).sort_by_file_name().follow_links(false).into_iter();
            self.stack.push(Frame::Walk(walk));
            self.current = Some((source, "directory"));
            return None;
        }
        // Named as an archive, it is opened as one (a wheel truncated
        // before its first entry is a bad archive, not a bad pyc); anything
        // else is recognised by content.
        let by_name = path.file_name().and_then(|n| container::by_name(&n.to_string_lossy()));
        if !meta.is_file() {
            return failed(InputError::NotRegular { kind: kind_of(&meta.file_type()), explicit: true });
        }
        let opened = open_checked(path, true).and_then(|(file, meta)| match by_name {
            Some(kind) => self.backing(file, meta.len()).map(|b| Opened::Container(kind, b)),
            None => self.sniffed(file, meta.len()),
        });
        match opened {
            Ok(Opened::Data(data, n)) => Some(Item::Read(source, Reader::Data(data, n))),
            Ok(Opened::Large(file, size)) => Some(Item::Read(source, Reader::Open(file, size))),
            Ok(Opened::Container(kind, backing)) => {
                self.current = Some((source.clone(), "archive"));
                self.open_input(source, kind, backing)
            }
            Err(e) => failed(e),
        }
    }

    /// Opens the container of the input `source`: `None` once its frame is
    /// pushed, else its error, or the input as one item when it is no
    /// container after all.
    fn open_input(&mut self, source: Source, kind: Kind, backing: Backing) -> Option<Item> {
        match self.push_container(&source, kind, backing) {
            Ok(None) => None,
            Ok(Some(data)) => {
                self.current = None;
                let n = data.len();
                Some(Item::Read(source, Reader::Data(data.to_vec(), n)))
            }
            Err(e) => Some(Item::Failed(source, e)),
        }
    }

    /// `ARCHIVE:MEMBER` (the input `input`): the member, or the expansion
    /// of a member that is itself a container. `member` may go on into
    /// nested containers (`inner.zip:mod.pyc`).
    fn start_member(&mut self, input: &Path, archive: &Path, member: &str) -> Option<Item> {
        let mut source = Source { path: archive.to_owned(), member: None, expanded: false };
        // The archive is recognised by its name or its content; anything
        // else is read as a zip, whose error then says what is wrong.
        let by_name = archive.file_name().and_then(|n| container::by_name(&n.to_string_lossy()));
        let opened = open_regular(archive, true).and_then(|(file, meta)| match by_name {
            Some(kind) => self.backing(file, meta.len()).map(|b| (kind, b)),
            None => match self.sniffed(file, meta.len())? {
                Opened::Container(kind, b) => Ok((kind, b)),
                Opened::Data(data, n) => Ok((Kind::Zip, Backing::Mem(Arc::from(&data[..n])))),
                Opened::Large(file, size) => Ok((Kind::Zip, Backing::File(file, size))),
            },
        });
        let (kind, outer) = match opened {
            Ok(ko) => ko,
            Err(e) => {
                let source = Source { path: input.to_owned(), member: None, expanded: false };
                return Some(Item::Failed(source, e));
            }
        };
        let budget = self.budget_for(outer.len());
        let mut container = match container::open_container(kind, outer, &self.limits) {
            Ok(c) => c,
            Err(e) => return Some(Item::Failed(source, e)),
        };
        let mut depth = 1;
        let mut spec = member;
        let mut chain = String::new();
        loop {
            // The member named exactly, else the longest member name that is
            // followed by `:` in the spec (a nested container).
            let mut names = Unique::default();
            let mut exact = None;
            let mut nested: Option<(usize, String)> = None;
            for i in 0..container.len() {
                let name = names.name(container.name_raw(i));
                if name == spec {
                    exact = Some((i, name));
                    break;
                }
                if spec.len() > name.len()
                    && spec.starts_with(name.as_str())
                    && spec.as_bytes()[name.len()] == b':'
                    && nested.as_ref().is_none_or(|(_, n)| n.len() < name.len())
                {
                    nested = Some((i, name));
                }
            }
            // Other spellings a container accepts (a frozen application's
            // dotted module names, output paths).
            if exact.is_none() && nested.is_none() {
                exact = container.find(spec).map(|i| (i, spec.to_owned()));
            }
            let is_last = exact.is_some();
            let Some((i, name)) = exact.or(nested) else {
                source.member = Some(format!("{chain}{spec}"));
                let e = container.missing(spec);
                return Some(Item::Failed(source, e));
            };
            chain.push_str(&name);
            source.member = Some(chain.clone());
            let mut data = Vec::new();
            if let Err(e) = container.read(i, self.limits.max_file_size, &budget, &mut data) {
                return Some(Item::Failed(source, e));
            }
            let inner_kind = container::sniff_whole(&data);
            let Some(inner_kind) = inner_kind else {
                if is_last {
                    let n = data.len();
                    return Some(Item::Read(source, Reader::Data(data, n)));
                }
                source.member = Some(format!("{chain}:{}", &spec[name.len() + 1..]));
                return Some(Item::Failed(source, InputError::NoSuchMember));
            };
            if depth >= self.limits.max_depth {
                return Some(Item::Failed(source, InputError::TooDeep { max: self.limits.max_depth }));
            }
            depth += 1;
            container =
                match container::open_container(inner_kind, Backing::Mem(Arc::from(data)), &self.limits) {
                    Ok(c) => c,
                    Err(e) => return Some(Item::Failed(source, e)),
                };
            if is_last {
                self.current = Some((source.clone(), "archive"));
                self.stack.push(Frame::Container(ContainerFrame {
                    path: source.path.clone(),
                    prefix: Some(chain),
                    container,
                    budget,
                    depth,
                    next: 0,
                    names: Unique::default(),
                }));
                return None;
            }
            spec = &spec[name.len() + 1..];
            chain.push(':');
        }
    }

    /// The next step of the innermost expansion.
    fn step(&mut self) -> Step {
        let limits = self.limits;
        let Some(frame) = self.stack.last_mut() else { return Step::Again };
        match frame {
            Frame::Walk(walk) => loop {
                let entry = match walk.next() {
                    None => {
                        self.stack.pop();
                        return Step::Again;
                    }
                    Some(Err(e)) => {
                        let path = e.path().map(Path::to_path_buf).unwrap_or_default();
                        let msg = match e.io_error() {
                            Some(io) => io.to_string(),
                            None => e.to_string(),
                        };
                        let source = Source { path, member: None, expanded: true };
                        return Step::Item(Item::Failed(source, InputError::Walk(msg)));
                    }
                    Some(Ok(entry)) => entry,
                };
                let ft = entry.file_type();
                if ft.is_dir() {
                    continue;
                }
                let name = entry.file_name().to_string_lossy();
                let (pyc, archive) = (is_pyc_name(&name), container::by_name(&name));
                if !pyc && archive.is_none() {
                    // A PyInstaller onedir build's executable sits next to
                    // its _internal folder: programs are opened when they
                    // are frozen applications, and skipped quietly when not.
                    if container::may_be_program(&name, &entry) {
                        return self.walk_program(entry.into_path()).unwrap_or(Step::Again);
                    }
                    continue;
                }
                let path = entry.into_path();
                let source = Source { path: path.clone(), member: None, expanded: true };
                let failed = |e| Step::Item(Item::Failed(source.clone(), e));
                if ft.is_symlink() {
                    // Followed to a regular file only; links to directories
                    // are not walked (no cycles, no escaping the tree twice).
                    match std::fs::metadata(&path) {
                        Err(e) => return failed(InputError::Read(e)),
                        Ok(m) if m.is_dir() => continue,
                        Ok(m) if !m.is_file() => {
                            return failed(InputError::NotRegular {
                                kind: kind_of(&m.file_type()),
                                explicit: false,
                            });
                        }
                        Ok(_) => {}
                    }
                } else if !ft.is_file() {
                    return failed(InputError::NotRegular { kind: kind_of(&ft), explicit: false });
                }
                let Some(kind) = archive.filter(|_| !pyc) else {
                    return Step::Item(Item::Read(source, Reader::File(path)));
                };
                let result = open_checked(&path, false)
                    .and_then(|(file, meta)| self.backing(file, meta.len()))
                    .and_then(|backing| self.push_container(&source, kind, backing));
                return match result {
                    // Named as a zip: never a plain item.
                    Ok(_) => Step::Again,
                    Err(e) => failed(e),
                };
            },
            Frame::Container(f) => loop {
                if f.next >= f.container.len() {
                    self.stack.pop();
                    return Step::Again;
                }
                let i = f.next;
                f.next += 1;
                let kind = f.container.member_kind(i);
                // Every member gets its name, so that later ones are
                // numbered the same whatever is read.
                let name = f.names.name(f.container.name_raw(i));
                if kind == MemberKind::Other {
                    continue;
                }
                let member = f.member_path(&name);
                let source = Source { path: f.path.clone(), member: Some(member.clone()), expanded: true };
                let failed = |e| Step::Item(Item::Failed(source.clone(), e));
                let size = f.container.size(i);
                if size > limits.max_file_size {
                    return failed(InputError::FileTooLarge { size, limit: limits.max_file_size });
                }
                if kind == MemberKind::Code {
                    let reader = Reader::Member(f.container.clone(), i, f.budget.clone());
                    return Step::Item(Item::Read(source, reader));
                }
                if f.depth >= limits.max_depth {
                    return failed(InputError::TooDeep { max: limits.max_depth });
                }
                let mut data = Vec::new();
                if let Err(e) = f.container.read(i, limits.max_file_size, &f.budget, &mut data) {
                    return failed(e);
                }
                // Named as a container; a zip unless its content says
                // otherwise.
                let inner_kind = container::sniff_whole(&data).unwrap_or(Kind::Zip);
                let inner =
                    match container::open_container(inner_kind, Backing::Mem(Arc::from(data)), &limits) {
                        Ok(c) => c,
                        Err(e) => return failed(e),
                    };
                let frame = ContainerFrame {
                    path: f.path.clone(),
                    prefix: Some(member),
                    container: inner,
                    budget: f.budget.clone(),
                    depth: f.depth + 1,
                    next: 0,
                    names: Unique::default(),
                };
                self.stack.push(Frame::Container(frame));
                return Step::Again;
            },
        }
    }
}

impl Iterator for Items<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if !self.stack.is_empty() {
                if let Step::Item(item) = self.step() {
                    self.produced += 1;
                    return Some(item);
                }
                continue;
            }
            if let Some((source, what)) = self.current.take()
                && self.produced == 0
                && self.report_empty
            {
                return Some(Item::Failed(source, InputError::NoPycs { what }));
            }
            let path = self.inputs.next()?;
            self.produced = 0;
            if let Some(item) = self.start(path) {
                self.produced += 1;
                return Some(item);
            }
        }
    }
}

fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> Result<(), InputError> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset).map_err(InputError::Read)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            match file.seek_read(&mut buf[done..], offset + done as u64) {
                Ok(0) => return Err(InputError::Read(std::io::ErrorKind::UnexpectedEof.into())),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(InputError::Read(e)),
            }
        }
        Ok(())
    }
}

/// `ARCHIVE:MEMBER` split at the last `:` whose left side is an existing
/// regular file (so archive paths may hold colons, and the longest file
/// wins), or `None`.
fn split_member(path: &Path) -> Option<(PathBuf, String)> {
    let s = path.to_str()?;
    s.match_indices(':').rev().find_map(|(i, _)| {
        let (archive, member) = (&s[..i], &s[i + 1..]);
        (!archive.is_empty() && !member.is_empty() && std::fs::metadata(archive).is_ok_and(|m| m.is_file()))
            .then(|| (PathBuf::from(archive), member.to_owned()))
    })
}
