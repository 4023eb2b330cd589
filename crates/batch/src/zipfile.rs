//! A zip reader for untrusted archives: the central directory is checked as
//! a whole before any member is read.
//!
//! Why not the `zip` crate's reader: it keys members by name (of duplicate
//! names only the last can be read), does not check that members' local
//! entries are disjoint (65,534 central entries may all point at one
//! 64 MiB-of-zeros entry), and its errors carry no offset. This reader keeps
//! every central entry, refuses archives whose entries overlap or lie outside
//! the archive, bounds every member and the archive's total inflated bytes,
//! and says where each problem is. Inflation is `flate2`'s.
//!
//! Supported: stored and deflated members, zip64, data before the archive
//! (zipapps' shebang lines, executables with an appended zip: offsets are
//! taken relative to where the central directory really is, as CPython's
//! `zipfile` does). Not supported (an error per member): encryption, other
//! compression methods, multi-disk archives (an error for the archive).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::InputError;
use crate::read::reserve;

/// Where an archive's bytes are: in memory (small files, standard input,
/// nested archives) or in an open file read at offsets (large archives are
/// never read whole).
pub(crate) enum Backing {
    Mem(Arc<[u8]>),
    File(File, u64),
}

impl Backing {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Backing::Mem(d) => d.len() as u64,
            Backing::File(_, n) => *n,
        }
    }

    /// Exactly `buf.len()` bytes at `offset`.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ZipError> {
        let err = |kind| ZipError { offset, kind };
        match self {
            Backing::Mem(d) => {
                let start = usize::try_from(offset).map_err(|_| err(Kind::Truncated))?;
                let src = start
                    .checked_add(buf.len())
                    .and_then(|end| d.get(start..end))
                    .ok_or_else(|| err(Kind::Truncated))?;
                buf.copy_from_slice(src);
                Ok(())
            }
            Backing::File(f, _) => read_exact_at(f, offset, buf).map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof { err(Kind::Truncated) } else { err(Kind::Io(e)) }
            }),
        }
    }

    /// `len` bytes at `offset`, read into a fresh buffer.
    fn read_vec(&self, offset: u64, len: u64) -> Result<Vec<u8>, ZipError> {
        let n = usize::try_from(len).map_err(|_| ZipError { offset, kind: Kind::Truncated })?;
        let mut v = Vec::new();
        reserve(&mut v, n).map_err(|_| ZipError { offset, kind: Kind::OutOfMemory(len) })?;
        v.resize(n, 0);
        self.read_exact_at(offset, &mut v)?;
        Ok(v)
    }
}

#[cfg(unix)]
fn read_exact_at(f: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(f: &File, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match f.seek_read(buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A malformed or unsupported archive or member, and where.
#[derive(Debug)]
pub struct ZipError {
    /// Offset in the file (of the record or member concerned).
    pub offset: u64,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    NoEndRecord,
    MultiDisk,
    BadZip64,
    DirectoryOutOfRange { start: u64, size: u64 },
    DirectoryTooLarge { size: u64, limit: u64 },
    TooManyEntries { declared: u64, room: u64 },
    BadEntrySignature { index: usize },
    EntryTruncated { index: usize },
    BadZip64Extra { index: usize },
    EntryOutside { name: String },
    Overlap { first: String, second: String },
    Truncated,
    OutOfMemory(u64),
    Io(io::Error),
    BadLocalSignature,
    LocalNameDiffers,
    DataPastEntry { end: u64, limit: u64 },
    Encrypted,
    Method(u16),
    Inflate(String),
    Crc { expected: u32, actual: u32 },
}

impl fmt::Display for ZipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::NoEndRecord => {
                f.write_str("no end-of-central-directory record (truncated, or not a zip archive)")?;
            }
            Kind::MultiDisk => f.write_str("multi-disk archives are not supported")?,
            Kind::BadZip64 => f.write_str("bad zip64 end-of-central-directory record")?,
            Kind::DirectoryOutOfRange { start, size } => write!(
                f,
                "central directory ({size} bytes at offset {start:#x} from the archive's start) does not fit in the file"
            )?,
            Kind::DirectoryTooLarge { size, limit } => {
                write!(f, "central directory too large: {size} bytes (limit {limit})")?;
            }
            Kind::TooManyEntries { declared, room } => write!(
                f,
                "end record declares {declared} entries but the central directory has room for at most {room}"
            )?,
            Kind::BadEntrySignature { index } => {
                write!(f, "central directory entry {index}: bad signature")?;
            }
            Kind::EntryTruncated { index } => {
                write!(f, "central directory entry {index} runs past the central directory")?;
            }
            Kind::BadZip64Extra { index } => {
                write!(f, "central directory entry {index}: zip64 sizes or offset missing")?;
            }
            Kind::EntryOutside { name } => {
                write!(f, "member {name:?} lies outside the archive's data")?;
            }
            Kind::Overlap { first, second } => {
                write!(f, "members {first:?} and {second:?} overlap (a zip bomb?)")?;
            }
            Kind::Truncated => f.write_str("truncated")?,
            Kind::OutOfMemory(n) => write!(f, "cannot allocate {n} bytes")?,
            Kind::Io(e) => write!(f, "read error: {e}")?,
            Kind::BadLocalSignature => f.write_str("bad local entry signature")?,
            Kind::LocalNameDiffers => {
                f.write_str("local entry's name differs from the central directory's")?;
            }
            Kind::DataPastEntry { end, limit } => write!(
                f,
                "member data ends at {end:#x}, past the next member or central directory at {limit:#x}"
            )?,
            Kind::Encrypted => f.write_str("encrypted member (not supported)")?,
            Kind::Method(m) => write!(f, "compression method {m} ({}) is not supported", method_name(*m))?,
            Kind::Inflate(msg) => write!(f, "corrupt deflate data: {msg}")?,
            Kind::Crc { expected, actual } => {
                write!(f, "CRC-32 mismatch: declares {expected:08x}, data has {actual:08x}")?;
            }
        }
        write!(f, " (at offset {:#x})", self.offset)
    }
}

impl std::error::Error for ZipError {}

fn method_name(m: u16) -> &'static str {
    match m {
        1 => "shrink",
        6 => "implode",
        9 => "deflate64",
        12 => "bzip2",
        14 => "lzma",
        93 => "zstandard",
        95 => "xz",
        98 => "ppmd",
        99 => "AES encryption",
        _ => "unknown",
    }
}

/// Signatures.
const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
const END64: u32 = 0x0606_4b50;
const END64_LOCATOR: u32 = 0x0706_4b50;

const END_LEN: usize = 22;
const END64_LEN: u64 = 56;
const LOCATOR_LEN: usize = 20;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;

/// The longest tail that can hold the end record (22 bytes and a comment of
/// up to 65,535) and the zip64 locator before it.
pub(crate) const TAIL: usize = LOCATOR_LEN + END_LEN + 65_535;

/// Whether `tail` (the end of a file, at most [`TAIL`] bytes) holds a
/// plausible end-of-central-directory record: its signature, with a comment
/// that fits in the file.
pub(crate) fn has_end_record(tail: &[u8]) -> bool {
    find_end(tail).is_some()
}

/// The position in `tail` of the last plausible end record.
fn find_end(tail: &[u8]) -> Option<usize> {
    if tail.len() < END_LEN {
        return None;
    }
    (0..=tail.len() - END_LEN)
        .rev()
        .find(|&i| u32le(tail, i) == END && i + END_LEN + usize::from(u16le(tail, i + 20)) <= tail.len())
}

fn u16le(d: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([d[at], d[at + 1]])
}

fn u32le(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

fn u64le(d: &[u8], at: usize) -> u64 {
    let mut b = [0; 8];
    b.copy_from_slice(&d[at..at + 8]);
    u64::from_le_bytes(b)
}

/// One central-directory entry.
#[derive(Clone, Debug)]
struct Entry {
    /// Where its name is in the central directory.
    name_at: usize,
    name_len: u16,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    /// Absolute offset of its local entry in the file.
    local: u64,
    /// Where the next local entry (or the central directory) starts: its
    /// local entry and data must end there.
    limit: u64,
}

/// An opened zip archive.
pub(crate) struct ZipArchive {
    backing: Backing,
    /// The central directory's bytes (names are read from it).
    directory: Vec<u8>,
    entries: Vec<Entry>,
}

/// The total inflated bytes an archive (with the archives nested in it) may
/// produce; shared by the workers reading its members.
pub(crate) struct Budget {
    left: AtomicU64,
    total: u64,
}

impl Budget {
    pub(crate) fn new(total: u64) -> Self {
        Budget { left: AtomicU64::new(total), total }
    }

    /// Takes `n` bytes from the budget, or says it is spent.
    pub(crate) fn take(&self, n: u64) -> Result<(), InputError> {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(n))
            .map(drop)
            .map_err(|left| InputError::InflateBudget { wanted: n, left, total: self.total })
    }
}

impl ZipArchive {
    /// Reads and checks the central directory of the archive in `backing`.
    /// `max_directory` bounds the central directory's size.
    pub(crate) fn open(backing: Backing, max_directory: u64) -> Result<Self, ZipError> {
        let len = backing.len();
        let tail_len = len.min(TAIL as u64);
        let tail_start = len - tail_len;
        let tail = backing.read_vec(tail_start, tail_len)?;
        let end_at = find_end(&tail).ok_or(ZipError { offset: len, kind: Kind::NoEndRecord })?;
        let end = &tail[end_at..];
        let end_offset = tail_start + end_at as u64;
        let err = |offset, kind| ZipError { offset, kind };
        if u16le(end, 4) != 0 || u16le(end, 6) != 0 {
            return Err(err(end_offset, Kind::MultiDisk));
        }
        let mut count = u64::from(u16le(end, 10));
        let mut dir_size = u64::from(u32le(end, 12));
        let mut dir_offset = u64::from(u32le(end, 16));
        // The central directory ends where the end record (or the zip64
        // end record) starts.
        let mut dir_end = end_offset;
        if end_at >= LOCATOR_LEN && u32le(&tail, end_at - LOCATOR_LEN) == END64_LOCATOR {
            let locator_offset = end_offset - LOCATOR_LEN as u64;
            let loc = &tail[end_at - LOCATOR_LEN..end_at];
            if u32le(loc, 4) != 0 || u32le(loc, 16) > 1 {
                return Err(err(locator_offset, Kind::MultiDisk));
            }
            // The zip64 end record sits just before its locator (its stored
            // offset is relative to the archive's start, unknown yet).
            let at = locator_offset.checked_sub(END64_LEN).ok_or(err(locator_offset, Kind::BadZip64))?;
            let mut rec = [0u8; END64_LEN as usize];
            backing.read_exact_at(at, &mut rec)?;
            if u32le(&rec, 0) != END64 {
                return Err(err(at, Kind::BadZip64));
            }
            if u32le(&rec, 16) != 0 || u32le(&rec, 20) != 0 {
                return Err(err(at, Kind::MultiDisk));
            }
            count = u64le(&rec, 32);
            dir_size = u64le(&rec, 40);
            dir_offset = u64le(&rec, 48);
            dir_end = at;
        }
        let dir_start = dir_end
            .checked_sub(dir_size)
            .ok_or(err(end_offset, Kind::DirectoryOutOfRange { start: dir_offset, size: dir_size }))?;
        // Data before the archive (a shebang line, an executable) shifts
        // every offset the archive records.
        let base = dir_start
            .checked_sub(dir_offset)
            .ok_or(err(end_offset, Kind::DirectoryOutOfRange { start: dir_offset, size: dir_size }))?;
        if dir_size > max_directory {
            return Err(err(dir_start, Kind::DirectoryTooLarge { size: dir_size, limit: max_directory }));
        }
        let room = dir_size / CENTRAL_LEN as u64;
        if count > room {
            return Err(err(end_offset, Kind::TooManyEntries { declared: count, room }));
        }
        let directory = backing.read_vec(dir_start, dir_size)?;
        let mut entries = Vec::new();
        // `count <= room`, which fits in memory as the directory did.
        entries
            .try_reserve_exact(count as usize)
            .map_err(|_| err(dir_start, Kind::OutOfMemory(count.saturating_mul(64))))?;
        let mut at = 0usize;
        for index in 0..count as usize {
            let entry_offset = dir_start + at as u64;
            let (entry, next) = parse_entry(&directory, at, index, base)
                .map_err(|kind| ZipError { offset: entry_offset, kind })?;
            entries.push(entry);
            at = next;
        }
        let mut archive = ZipArchive { backing, directory, entries };
        archive.check_layout(base, dir_start)?;
        Ok(archive)
    }

    /// Every local entry must lie between the archive's start and its
    /// central directory, each far enough from the next to hold its header
    /// and compressed data: no two members share bytes, so no member can be
    /// inflated twice and the archive's inflated size is bounded by its own.
    fn check_layout(&mut self, base: u64, dir_start: u64) -> Result<(), ZipError> {
        let mut order: Vec<u32> = (0..self.entries.len() as u32).collect();
        order.sort_unstable_by_key(|&i| self.entries[i as usize].local);
        for (k, &i) in order.iter().enumerate() {
            let e = &self.entries[i as usize];
            let limit = match order.get(k + 1) {
                Some(&j) => self.entries[j as usize].local,
                None => dir_start,
            };
            let min_end = e.local.checked_add(LOCAL_LEN as u64).and_then(|x| x.checked_add(e.compressed));
            if e.local < base || e.local >= dir_start || min_end.is_none_or(|end| end > dir_start) {
                return Err(ZipError {
                    offset: e.local,
                    kind: Kind::EntryOutside { name: self.name(i as usize) },
                });
            }
            if min_end.is_none_or(|end| end > limit) {
                let j = order[k + 1] as usize;
                return Err(ZipError {
                    offset: e.local,
                    kind: Kind::Overlap { first: self.name(i as usize), second: self.name(j) },
                });
            }
            self.entries[i as usize].limit = limit;
        }
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The raw name of member `i`.
    pub(crate) fn name_raw(&self, i: usize) -> &[u8] {
        let e = &self.entries[i];
        let start = e.name_at;
        &self.directory[start..start + usize::from(e.name_len)]
    }

    fn name(&self, i: usize) -> String {
        crate::names::escape(self.name_raw(i))
    }

    /// Its declared uncompressed size.
    pub(crate) fn size(&self, i: usize) -> u64 {
        self.entries[i].size
    }

    /// Whether member `i` is a directory entry.
    pub(crate) fn is_dir(&self, i: usize) -> bool {
        self.name_raw(i).ends_with(b"/")
    }

    /// Reads member `i` into `buf` (replacing its contents): at most `max`
    /// bytes, declared and actual, taken from `budget` before inflating.
    pub(crate) fn read(
        &self,
        i: usize,
        max: u64,
        budget: &Budget,
        buf: &mut Vec<u8>,
    ) -> Result<(), InputError> {
        let e = &self.entries[i];
        let err = |offset, kind| InputError::Zip(ZipError { offset, kind });
        if e.flags & 1 != 0 {
            return Err(err(e.local, Kind::Encrypted));
        }
        if e.method != 0 && e.method != 8 {
            return Err(err(e.local, Kind::Method(e.method)));
        }
        if e.size > max {
            return Err(InputError::FileTooLarge { size: e.size, limit: max });
        }
        let mut head = [0u8; LOCAL_LEN];
        self.backing.read_exact_at(e.local, &mut head).map_err(InputError::Zip)?;
        if u32le(&head, 0) != LOCAL {
            return Err(err(e.local, Kind::BadLocalSignature));
        }
        let name_len = u64::from(u16le(&head, 26));
        let extra_len = u64::from(u16le(&head, 28));
        let data = e.local + LOCAL_LEN as u64 + name_len + extra_len;
        let end = data + e.compressed;
        if end > e.limit {
            return Err(err(e.local, Kind::DataPastEntry { end, limit: e.limit }));
        }
        let mut name = vec![0u8; name_len as usize];
        self.backing.read_exact_at(e.local + LOCAL_LEN as u64, &mut name).map_err(InputError::Zip)?;
        if name != self.name_raw(i) {
            return Err(err(e.local, Kind::LocalNameDiffers));
        }
        budget.take(e.size)?;
        buf.clear();
        // One byte more than declared tells an overlong member apart.
        let want = usize::try_from(e.size).unwrap_or(usize::MAX).saturating_add(1);
        reserve(buf, want).map_err(|_| InputError::OutOfMemory { size: e.size })?;
        let result = match (&self.backing, e.method) {
            (Backing::Mem(d), 0) => {
                // Within the archive: checked by `check_layout` and above.
                let src = &d[data as usize..end as usize];
                buf.extend_from_slice(&src[..src.len().min(want)]);
                Ok(())
            }
            (Backing::Mem(d), _) => {
                fill(flate2::bufread::DeflateDecoder::new(&d[data as usize..end as usize]), buf, want)
            }
            (Backing::File(f, _), 0) => fill(Range { file: f, pos: data, end }, buf, want),
            (Backing::File(f, _), _) => {
                let reader = io::BufReader::with_capacity(64 << 10, Range { file: f, pos: data, end });
                fill(flate2::bufread::DeflateDecoder::new(reader), buf, want)
            }
        };
        if let Err(e2) = result {
            let kind = match e2.kind() {
                io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => {
                    Kind::Inflate(inflate_message(&e2))
                }
                _ => Kind::Io(e2),
            };
            return Err(err(data, kind));
        }
        let actual = buf.len() as u64;
        if actual != e.size {
            return Err(InputError::MemberSizeMismatch {
                declared: e.size,
                actual,
                actual_is_lower_bound: actual > e.size,
                offset: e.local,
            });
        }
        let crc = crc32fast::hash(buf);
        if crc != e.crc {
            return Err(err(e.local, Kind::Crc { expected: e.crc, actual: crc }));
        }
        Ok(())
    }
}

/// Reads `r` into `buf` (empty, with room for `want` bytes) until its end
/// or `want` bytes, whichever comes first, never growing `buf`
/// (`read_to_end` would double a full buffer to probe for the end).
fn fill(mut r: impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
    buf.resize(want, 0);
    let mut n = 0;
    while n < want {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(n);
                return Err(e);
            }
        }
    }
    buf.truncate(n);
    Ok(())
}

/// A short message for a deflate error in our own words (flate2's are
/// terse already; keep only their text, never a type path).
fn inflate_message(e: &io::Error) -> String {
    let s = e.to_string();
    let s = s.trim();
    if s.is_empty() || s.contains("::") { "invalid deflate stream".to_owned() } else { s.to_owned() }
}

/// Reads `[pos, end)` of a file at offsets (so workers share one open file).
struct Range<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
}

impl Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if n == 0 {
            return Ok(0);
        }
        read_exact_at(self.file, self.pos, &mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Parses the central entry at `at`: the entry and where the next starts.
fn parse_entry(dir: &[u8], at: usize, index: usize, base: u64) -> Result<(Entry, usize), Kind> {
    let fixed = dir.get(at..at + CENTRAL_LEN).ok_or(Kind::EntryTruncated { index })?;
    if u32le(fixed, 0) != CENTRAL {
        return Err(Kind::BadEntrySignature { index });
    }
    let name_len = u16le(fixed, 28);
    let extra_len = usize::from(u16le(fixed, 30));
    let comment_len = usize::from(u16le(fixed, 32));
    let name_at = at + CENTRAL_LEN;
    let extra_at = name_at + usize::from(name_len);
    let next = extra_at + extra_len + comment_len;
    if next > dir.len() {
        return Err(Kind::EntryTruncated { index });
    }
    let mut compressed = u64::from(u32le(fixed, 20));
    let mut size = u64::from(u32le(fixed, 24));
    let mut local = u64::from(u32le(fixed, 42));
    let disk = u16le(fixed, 34);
    if size == 0xffff_ffff || compressed == 0xffff_ffff || local == 0xffff_ffff || disk == 0xffff {
        // The zip64 extra field holds, in this order, those that overflowed.
        let mut extra = &dir[extra_at..extra_at + extra_len];
        let mut found = false;
        while extra.len() >= 4 {
            let id = u16le(extra, 0);
            let len = usize::from(u16le(extra, 2));
            let Some(body) = extra.get(4..4 + len) else { break };
            if id == 1 {
                let mut fields = body.chunks_exact(8).map(|c| u64le(c, 0));
                let mut next_field = |v: &mut u64| -> Result<(), Kind> {
                    if *v == 0xffff_ffff {
                        *v = fields.next().ok_or(Kind::BadZip64Extra { index })?;
                    }
                    Ok(())
                };
                next_field(&mut size)?;
                next_field(&mut compressed)?;
                next_field(&mut local)?;
                found = true;
                break;
            }
            extra = &extra[4 + len..];
        }
        if !found && (size == 0xffff_ffff || compressed == 0xffff_ffff || local == 0xffff_ffff) {
            return Err(Kind::BadZip64Extra { index });
        }
    }
    let local = local.checked_add(base).ok_or(Kind::BadZip64Extra { index })?;
    let entry = Entry {
        name_at,
        name_len,
        flags: u16le(fixed, 8),
        method: u16le(fixed, 10),
        crc: u32le(fixed, 16),
        compressed,
        size,
        local,
        limit: 0,
    };
    Ok((entry, next))
}
