//! Is a .pyc up to date with its source?

use siphasher::sip::{SipHasher13, SipHasher24};
use std::hash::Hasher;

use crate::{Invalidation, PycHeader, PythonVersion};

/// What bytescope knows about a source file; the caller reads it from disk.
#[derive(Clone, Copy, Debug)]
pub struct SourceInfo<'a> {
    /// The source bytes.
    pub bytes: &'a [u8],
    /// Its modification time in whole seconds since the epoch.
    pub mtime: u64,
}

/// The verdict of [`check_source`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Freshness {
    /// Everything the header records matches the source.
    UpToDate {
        /// What was compared.
        checked: String,
    },
    /// Something differs.
    Stale {
        /// What differs, e.g. `mtime 1700000000 != 1700000123`.
        reason: String,
    },
}

/// The SipHash CPython stores in hash-based pycs (`importlib.util.source_hash`):
/// keyed with the 4 magic bytes as a little-endian integer; SipHash-2-4 up to
/// 3.10 and SipHash-1-3 from 3.11 (bpo-29410).
#[must_use]
pub fn source_hash(version: PythonVersion, magic: u16, source: &[u8]) -> [u8; 8] {
    let key = u64::from(u32::from_le_bytes([magic.to_le_bytes()[0], magic.to_le_bytes()[1], b'\r', b'\n']));
    let h = if version >= PythonVersion::PY311 {
        let mut s = SipHasher13::new_with_keys(key, 0);
        s.write(source);
        s.finish()
    } else {
        let mut s = SipHasher24::new_with_keys(key, 0);
        s.write(source);
        s.finish()
    };
    h.to_le_bytes()
}

/// Compares a header with its source the way that version's importlib does.
#[must_use]
pub fn check_source(header: &PycHeader, source: &SourceInfo<'_>) -> Freshness {
    match header.invalidation {
        Invalidation::Timestamp { mtime, source_size } => {
            // importlib compares the low 32 bits of both.
            let src_mtime = (source.mtime & 0xffff_ffff) as u32;
            let src_size = (source.bytes.len() as u64 & 0xffff_ffff) as u32;
            if mtime != src_mtime {
                return Freshness::Stale { reason: format!("mtime {mtime} != source mtime {src_mtime}") };
            }
            match source_size {
                Some(size) if size != src_size => {
                    Freshness::Stale { reason: format!("source size {size} != actual size {src_size}") }
                }
                Some(_) => Freshness::UpToDate { checked: "mtime and size".into() },
                None => Freshness::UpToDate { checked: "mtime".into() },
            }
        }
        Invalidation::CheckedHash { hash } | Invalidation::UncheckedHash { hash } => {
            let want = source_hash(header.version(), header.magic.magic, source.bytes);
            if want == hash {
                Freshness::UpToDate { checked: "source hash".into() }
            } else {
                Freshness::Stale { reason: format!("source hash {} != stored {}", hex(&want), hex(&hash)) }
            }
        }
    }
}

/// Lower-case hex of a byte string.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
