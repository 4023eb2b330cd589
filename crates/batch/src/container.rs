//! Containers: files that hold other files (zip archives today; frozen
//! applications are the next kind). The batch layer walks every container
//! the same way — members named as pycs are items, members named as
//! containers are opened in turn (to [`Limits::max_depth`](crate::Limits))
//! — so a new kind needs only a sniffing rule, here, and an implementation
//! of [`Container`].

use std::sync::Arc;

use crate::zipfile::{self, Backing, Budget, ZipArchive};
use crate::{InputError, Limits};

/// An opened container.
pub(crate) trait Container: Send + Sync {
    /// Number of members.
    fn len(&self) -> usize;
    /// Member `i`'s raw name.
    fn name_raw(&self, i: usize) -> &[u8];
    /// Whether member `i` is a directory entry (never read).
    fn is_dir(&self, i: usize) -> bool;
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

/// Whether a file whose first bytes are `head` and last bytes `tail` (the
/// same slice for a file read whole; up to [`TAIL`] bytes) is a container.
/// A file starting with a .pyc magic number never is (its data may end in
/// anything); a zip is recognised by its end record or, truncated, by its
/// first local entry's signature.
pub(crate) fn sniff(head: &[u8], tail: &[u8]) -> bool {
    if let [a, b, b'\r', b'\n', ..] = *head
        && bytescope_pyc::lookup_magic(u16::from_le_bytes([a, b])).is_some()
    {
        return false;
    }
    head.starts_with(b"PK\x03\x04") || zipfile::has_end_record(tail)
}

/// How much of a file's end [`sniff`] needs.
pub(crate) const TAIL: usize = zipfile::TAIL;

/// Opens the container in `backing`.
pub(crate) fn open(backing: Backing, limits: &Limits) -> Result<Arc<dyn Container>, InputError> {
    let archive = ZipArchive::open(backing, limits.max_file_size).map_err(InputError::Zip)?;
    Ok(Arc::new(archive))
}
