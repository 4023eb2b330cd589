//! Containers: files that hold other files (zip archives today; frozen
//! applications are the next kind). The batch layer walks every container
//! the same way — code members are items, members that are containers are
//! opened in turn (to [`Limits::max_depth`](crate::Limits)), with unique
//! names, a shared inflation budget and the file limit — so a new kind
//! needs a variant of [`Kind`], its recognition in [`sniff`], its opening
//! in [`open`], and an implementation of [`Container`] (whose
//! [`Container::member_kind`] may classify members by something other than
//! their names, and whose [`Container::read`] may give back a member as a
//! whole .pyc, e.g. with a header rebuilt).

use std::sync::Arc;

use crate::names::{is_archive_name, is_pyc_name};
use crate::zipfile::{self, Backing, Budget, ZipArchive};
use crate::{InputError, Limits};

/// The kinds of container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A zip archive (wheels, eggs, zipapps, executables with an appended
    /// zip).
    Zip,
    /// A frozen application (PyInstaller, py2exe; `bytescope-frozen`),
    /// read whole.
    Frozen,
}

/// An opened container, or a file that looked like one but is not.
pub(crate) enum Opening {
    Container(Arc<dyn Container>),
    /// Not a container after all (raw marshal data that merely holds a
    /// PyInstaller cookie's bytes): the file's bytes, to be read as an item.
    Plain(Arc<[u8]>),
}

/// What a member is to the batch layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MemberKind {
    /// Compiled code: an item.
    Code,
    /// A container: opened in turn.
    Container,
    /// Anything else (directories, sources, data): passed over.
    Other,
}

/// An opened container.
pub(crate) trait Container: Send + Sync {
    /// Number of members.
    fn len(&self) -> usize;
    /// Member `i`'s raw name.
    fn name_raw(&self, i: usize) -> &[u8];
    /// Whether member `i` is a directory entry (never read).
    fn is_dir(&self, i: usize) -> bool;
    /// What member `i` is; by default by its name (`.pyc`/`.pyo` are code,
    /// [`is_archive_name`] names are containers).
    fn member_kind(&self, i: usize) -> MemberKind {
        if self.is_dir(i) {
            return MemberKind::Other;
        }
        let name = String::from_utf8_lossy(self.name_raw(i));
        if is_pyc_name(&name) {
            MemberKind::Code
        } else if is_archive_name(&name) {
            MemberKind::Container
        } else {
            MemberKind::Other
        }
    }
    /// Member `i`'s declared size.
    fn size(&self, i: usize) -> u64;
    /// Reads member `i` into `buf` (replacing its contents): at most `max`
    /// bytes, charged to `budget`.
    fn read(&self, i: usize, max: u64, budget: &Budget, buf: &mut Vec<u8>) -> Result<(), InputError>;
    /// The member an `ARCHIVE:MEMBER` input names when no member has that
    /// exact name (a container may accept other spellings).
    fn find(&self, _spec: &str) -> Option<usize> {
        None
    }
    /// The error for an `ARCHIVE:MEMBER` input naming no member.
    fn missing(&self, _spec: &str) -> InputError {
        InputError::NoSuchMember
    }
}

type App = bytescope_frozen::App<Arc<[u8]>>;

/// A frozen application: its code entries (scripts and modules, extracted
/// as .pyc files with the application's own version header) are the items;
/// names are entry names (dotted module names for PYZ modules), and
/// `APP:MEMBER` also accepts the spellings [`App::find`] does. The frozen
/// crate charges its own inflation budget (proportional to the input).
struct Frozen(App);

impl Container for Frozen {
    fn len(&self) -> usize {
        self.0.entries.len()
    }

    fn name_raw(&self, i: usize) -> &[u8] {
        self.0.entries[i].name.as_bytes()
    }

    fn is_dir(&self, _: usize) -> bool {
        false
    }

    fn member_kind(&self, i: usize) -> MemberKind {
        let e = &self.0.entries[i];
        if e.kind.is_code() && e.path.is_some() { MemberKind::Code } else { MemberKind::Other }
    }

    fn size(&self, i: usize) -> u64 {
        self.0.entries[i].stored_len
    }

    fn read(&self, i: usize, max: u64, _: &Budget, buf: &mut Vec<u8>) -> Result<(), InputError> {
        let data = self.0.extract(&self.0.entries[i]).map_err(|e| InputError::Frozen(e.to_string()))?;
        if data.len() as u64 > max {
            return Err(InputError::FileTooLarge { size: data.len() as u64, limit: max });
        }
        *buf = data;
        Ok(())
    }

    fn find(&self, spec: &str) -> Option<usize> {
        let e = self.0.find(spec)?;
        self.0.entries.iter().position(|x| std::ptr::eq(x, e))
    }

    fn missing(&self, spec: &str) -> InputError {
        InputError::Frozen(format!("no entry {spec:?} in this {} application", self.0.freezer.name()))
    }
}

impl Container for ZipArchive {
    fn len(&self) -> usize {
        ZipArchive::len(self)
    }

    fn name_raw(&self, i: usize) -> &[u8] {
        ZipArchive::name_raw(self, i)
    }

    fn is_dir(&self, i: usize) -> bool {
        ZipArchive::is_dir(self, i)
    }

    fn size(&self, i: usize) -> u64 {
        ZipArchive::size(self, i)
    }

    fn read(&self, i: usize, max: u64, budget: &Budget, buf: &mut Vec<u8>) -> Result<(), InputError> {
        ZipArchive::read(self, i, max, budget, buf)
    }
}

/// Whether a file starts with a .pyc magic number: never a container (its
/// data may hold anything).
fn has_pyc_magic(head: &[u8]) -> bool {
    matches!(*head, [a, b, b'\r', b'\n', ..] if bytescope_pyc::lookup_magic(u16::from_le_bytes([a, b])).is_some())
}

/// The kind of container a file read whole is, if any: a frozen
/// application when `bytescope-frozen` recognises one, else a zip by its
/// end record or, truncated, by its first local entry's signature.
pub(crate) fn sniff_whole(data: &[u8]) -> Option<Kind> {
    if has_pyc_magic(data) {
        return None;
    }
    if bytescope_frozen::sniff(data) {
        return Some(Kind::Frozen);
    }
    sniff_zip(data, data)
}

/// Whether a large file, of which `head` and `tail` are the first and last
/// bytes, must be read whole to be sniffed: an executable (which may be a
/// frozen application), or one whose end holds a PyInstaller cookie.
pub(crate) fn wants_whole(head: &[u8], tail: &[u8]) -> bool {
    !has_pyc_magic(head)
        && (bytescope_frozen::exe::ExeFormat::of(head) != bytescope_frozen::exe::ExeFormat::Other
            || bytescope_frozen::carchive::CArchive::has_magic(tail))
}

/// Whether a file whose first bytes are `head` and last bytes `tail` (up
/// to [`TAIL`] bytes) is a zip archive.
pub(crate) fn sniff_zip(head: &[u8], tail: &[u8]) -> Option<Kind> {
    if has_pyc_magic(head) {
        return None;
    }
    (head.starts_with(b"PK\x03\x04") || zipfile::has_end_record(tail)).then_some(Kind::Zip)
}

/// Whether a file found in a directory walk, named `name`, may be a frozen
/// application's executable and is worth a look at its first bytes: a
/// `.exe`, or a file without an extension that is marked executable (a
/// PyInstaller onedir build's `app` next to its `_internal` folder).
pub(crate) fn may_be_program(name: &str, entry: &walkdir::DirEntry) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".exe") {
        return true;
    }
    if name.contains('.') {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        entry.metadata().is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = entry;
        false
    }
}

/// Whether `head` starts an executable (ELF, PE, Mach-O).
pub(crate) fn is_executable(head: &[u8]) -> bool {
    bytescope_frozen::exe::ExeFormat::of(head) != bytescope_frozen::exe::ExeFormat::Other
}

/// The kind of container a file or member named `name` is by its name
/// (used for what is found in directories and containers; inputs named on
/// the command line are sniffed by content).
pub(crate) fn by_name(name: &str) -> Option<Kind> {
    is_archive_name(name).then_some(Kind::Zip)
}

/// How much of a file's end [`sniff_zip`] needs.
pub(crate) const TAIL: usize = zipfile::TAIL;

/// Opens the container of kind `kind` in `backing`.
pub(crate) fn open(kind: Kind, backing: Backing, limits: &Limits) -> Result<Opening, InputError> {
    let zip = |backing| -> Result<Opening, InputError> {
        let archive = ZipArchive::open(backing, limits.max_file_size).map_err(InputError::Zip)?;
        Ok(Opening::Container(Arc::new(archive)))
    };
    match (kind, backing) {
        (Kind::Frozen, Backing::Mem(data)) => match App::open(data.clone()) {
            Ok(app) => Ok(Opening::Container(Arc::new(Frozen(app)))),
            // A zip that merely holds the cookie's bytes is still a zip.
            Err(_) if sniff_zip(&data, &data).is_some() => zip(Backing::Mem(data)),
            // An executable: why it is not a readable frozen application
            // says more than "bad magic".
            Err(e)
                if bytescope_frozen::exe::ExeFormat::of(&data) != bytescope_frozen::exe::ExeFormat::Other =>
            {
                Err(InputError::Frozen(e.to_string()))
            }
            // Anything else that merely holds the bytes (raw marshal data
            // of PyInstaller's own archive reader) is a plain item.
            Err(_) => Ok(Opening::Plain(data)),
        },
        (_, backing) => zip(backing),
    }
}

/// [`open`] where only a container will do: what is not one is read as a
/// zip (whose error then says what is wrong).
pub(crate) fn open_container(
    kind: Kind,
    backing: Backing,
    limits: &Limits,
) -> Result<Arc<dyn Container>, InputError> {
    match open(kind, backing, limits)? {
        Opening::Container(c) => Ok(c),
        Opening::Plain(data) => match open(Kind::Zip, Backing::Mem(data), limits)? {
            Opening::Container(c) => Ok(c),
            Opening::Plain(_) => Err(InputError::NoSuchMember),
        },
    }
}
