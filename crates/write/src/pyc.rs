//! `.pyc` output: a header for the version, then the marshal data.

use bytescope_pyc::{Invalidation, PycHeader, PythonVersion, source_hash, write_header};

use crate::code::CodeObject;
use crate::dump::{WriteError, dumps_code};

/// How the header says the .pyc relates to its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderSpec<'a> {
    /// A timestamp pyc with these values (`source_size` is not stored
    /// before 3.3).
    Timestamp {
        /// Source modification time (seconds, low 32 bits).
        mtime: u32,
        /// Source size in bytes (low 32 bits).
        source_size: u32,
    },
    /// A timestamp pyc for this source: its length and `mtime`, as
    /// importlib writes them.
    Source {
        /// The source bytes.
        source: &'a [u8],
        /// Its modification time in seconds.
        mtime: u64,
    },
    /// A PEP 552 hash-based pyc (3.7+) of this source, the hash computed as
    /// the version's `importlib.util.source_hash` does (SipHash-2-4 keyed
    /// with the magic up to 3.10, SipHash-1-3 from 3.11).
    Hash {
        /// The source bytes.
        source: &'a [u8],
        /// `--invalidation-mode checked-hash` (else unchecked).
        checked: bool,
    },
}

/// Why a .pyc could not be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PycWriteError {
    /// No header of this kind exists for the version.
    #[error("no {what} .pyc header for Python {version}")]
    NoHeader {
        /// Which header.
        what: &'static str,
        /// The version.
        version: PythonVersion,
    },
    /// The code object cannot be marshalled.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The header bytes a final release of `version` writes (8, 12 or 16
/// bytes).
///
/// # Errors
/// [`PycWriteError::NoHeader`] for a version bytescope has no magic for,
/// or a hash-based header before 3.7.
pub fn pyc_header(version: PythonVersion, spec: HeaderSpec<'_>) -> Result<Vec<u8>, PycWriteError> {
    let low = |x: u64| (x & 0xffff_ffff) as u32;
    let (what, invalidation) = match spec {
        HeaderSpec::Timestamp { mtime, source_size } => {
            ("timestamp", Invalidation::Timestamp { mtime, source_size: Some(source_size) })
        }
        HeaderSpec::Source { source, mtime } => (
            "timestamp",
            Invalidation::Timestamp { mtime: low(mtime), source_size: Some(low(source.len() as u64)) },
        ),
        HeaderSpec::Hash { source, checked } => {
            let magic = bytescope_pyc::final_magic(version)
                .ok_or(PycWriteError::NoHeader { what: "hash-based", version })?;
            let hash = source_hash(version, magic, source);
            if checked {
                ("checked-hash", Invalidation::CheckedHash { hash })
            } else {
                ("unchecked-hash", Invalidation::UncheckedHash { hash })
            }
        }
    };
    let header =
        PycHeader::for_version(version, invalidation).ok_or(PycWriteError::NoHeader { what, version })?;
    Ok(write_header(&header))
}

/// A whole .pyc for `code`: its version's header, then its marshal data.
///
/// # Errors
/// As [`pyc_header`] and [`dumps_code`].
pub fn to_pyc(code: &CodeObject, spec: HeaderSpec<'_>) -> Result<Vec<u8>, PycWriteError> {
    let mut out = pyc_header(code.version, spec)?;
    out.extend(dumps_code(code)?);
    Ok(out)
}
