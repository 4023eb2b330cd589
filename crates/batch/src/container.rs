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

/// The kind of container a file whose first bytes are `head` and last
/// bytes `tail` is (the same slice for a file read whole; up to [`TAIL`]
/// bytes), if any. A file starting with a .pyc magic number never is (its
/// data may end in anything); a zip is recognised by its end record or,
/// truncated, by its first local entry's signature.
pub(crate) fn sniff(head: &[u8], tail: &[u8]) -> Option<Kind> {
    if let [a, b, b'\r', b'\n', ..] = *head
        && bytescope_pyc::lookup_magic(u16::from_le_bytes([a, b])).is_some()
    {
        return None;
    }
    (head.starts_with(b"PK\x03\x04") || zipfile::has_end_record(tail)).then_some(Kind::Zip)
}

/// The kind of container a file or member named `name` is by its name
/// (used for what is found in directories and containers; inputs named on
/// the command line are sniffed by content).
pub(crate) fn by_name(name: &str) -> Option<Kind> {
    is_archive_name(name).then_some(Kind::Zip)
}

/// How much of a file's end [`sniff`] needs.
pub(crate) const TAIL: usize = zipfile::TAIL;

/// Opens the container of kind `kind` in `backing`.
pub(crate) fn open(kind: Kind, backing: Backing, limits: &Limits) -> Result<Arc<dyn Container>, InputError> {
    match kind {
        Kind::Zip => {
            let archive = ZipArchive::open(backing, limits.max_file_size).map_err(InputError::Zip)?;
            Ok(Arc::new(archive))
        }
    }
}
