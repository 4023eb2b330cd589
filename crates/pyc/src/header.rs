//! Parsing the .pyc header that precedes the marshal data.

use crate::{MagicInfo, PythonVersion};

/// How a .pyc says whether it is still valid for its source (PEP 552).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Invalidation {
    /// Compared with the source's modification time and, from 3.3, its size.
    Timestamp {
        /// Source modification time, seconds since the epoch (truncated to 32 bits).
        mtime: u32,
        /// Source size in bytes modulo 2^32 (absent before 3.3).
        source_size: Option<u32>,
    },
    /// A SipHash of the source, checked on import (`--invalidation-mode checked-hash`).
    CheckedHash {
        /// The 8 hash bytes as stored.
        hash: [u8; 8],
    },
    /// A SipHash of the source, never checked on import.
    UncheckedHash {
        /// The 8 hash bytes as stored.
        hash: [u8; 8],
    },
}

/// A parsed .pyc header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PycHeader {
    /// The magic number and the version it maps to.
    pub magic: MagicInfo,
    /// The PEP 552 flags word (3.7+).
    pub flags: Option<u32>,
    /// How the pyc is validated against its source.
    pub invalidation: Invalidation,
    /// Header length in bytes: 8 (≤3.2), 12 (3.3–3.6) or 16 (3.7+).
    pub len: usize,
}

impl PycHeader {
    /// The header a final release of `version` writes with `invalidation`
    /// (the PEP 552 flags follow from it from 3.7).
    ///
    /// `None` when bytescope knows no magic number for `version`, or for a
    /// hash-based header before 3.7.
    #[must_use]
    pub fn for_version(version: PythonVersion, invalidation: Invalidation) -> Option<PycHeader> {
        let magic = crate::magic::lookup(crate::magic::final_magic(version)?)?;
        let (has_flags, has_size) = layout(version);
        let (flags, invalidation) = match invalidation {
            Invalidation::Timestamp { mtime, source_size } => (
                has_flags.then_some(0),
                Invalidation::Timestamp { mtime, source_size: has_size.then(|| source_size.unwrap_or(0)) },
            ),
            Invalidation::CheckedHash { .. } if has_flags => (Some(3), invalidation),
            Invalidation::UncheckedHash { .. } if has_flags => (Some(1), invalidation),
            _ => return None,
        };
        Some(PycHeader { magic, flags, invalidation, len: header_len(version) })
    }

    /// The CPython minor version that wrote the file.
    #[must_use]
    pub fn version(&self) -> PythonVersion {
        self.magic.version
    }
}

/// Why a header could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The input ends inside the header.
    #[error("truncated .pyc header: {len} bytes, but a {version} header needs {needed} (at offset {len:#x})")]
    Truncated {
        /// Bytes available.
        len: usize,
        /// Bytes a header of this version needs.
        needed: usize,
        /// The version named by the magic, if it was readable.
        version: String,
    },
    /// The input is too short to hold even a magic number.
    #[error("not a .pyc file: {len} bytes, too short for a magic number (at offset {len:#x})")]
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// The first four bytes are zero or the data starts directly with marshal
    /// data: the header was stripped or blanked (PyInstaller extractions do this).
    #[error(
        "the .pyc header is missing or zeroed (the data at offset 0x0 {what}); pass --python-version X.Y to read it as headerless marshal data"
    )]
    Stripped {
        /// What the first bytes look like.
        what: &'static str,
    },
    /// Bytes 2–3 are not `\r\n`.
    #[error("not a .pyc file: bad magic {} (bytes 2-3 should be 0d 0a) (at offset 0x0)", hex4(bytes))]
    BadMagic {
        /// The first four bytes.
        bytes: [u8; 4],
    },
    /// A well-formed magic that no CPython release used.
    #[error("unknown magic number {magic} ({}): no CPython release wrote it (at offset 0x0)", hex4(bytes))]
    UnknownMagic {
        /// The magic number.
        magic: u16,
        /// The first four bytes.
        bytes: [u8; 4],
    },
    /// A file bytescope recognises but cannot read: CPython before 1.3
    /// (whose magic words carry no `\r\n`), GraalPy and RustPython (their own
    /// bytecode formats), PyPy versions whose magic it does not know.
    #[error("{what} (magic {}): {why} (at offset 0x0)", hex4(bytes))]
    Unreadable {
        /// What the file is, e.g. `"a GraalPy .pyc"`.
        what: &'static str,
        /// Why it cannot be read.
        why: &'static str,
        /// The first four bytes.
        bytes: [u8; 4],
    },
    /// PEP 552 flags with bits CPython does not define.
    #[error("invalid .pyc flags {flags:#x}: only bits 0 and 1 are defined (at offset 0x4)")]
    BadFlags {
        /// The flags word.
        flags: u32,
    },
}

fn hex4(b: &[u8; 4]) -> String {
    format!("{:02x} {:02x} {:02x} {:02x}", b[0], b[1], b[2], b[3])
}

/// Header layout of a version: (has flags word, has source size).
fn layout(v: PythonVersion) -> (bool, bool) {
    (v >= PythonVersion::PY37, v >= PythonVersion::PY33)
}

/// The header length a file written by `v` has.
#[must_use]
pub fn header_len(v: PythonVersion) -> usize {
    match layout(v) {
        (true, _) => 16,
        (false, true) => 12,
        (false, false) => 8,
    }
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&data[at..at + 4]);
    u32::from_le_bytes(b)
}

/// Parses the header at the start of `data`.
///
/// # Errors
/// Returns a [`HeaderError`] naming the offset when the header is short,
/// stripped, or carries an unknown magic.
pub fn parse_header(data: &[u8]) -> Result<PycHeader, HeaderError> {
    if data.len() < 4 {
        if data.first().is_some_and(|&b| matches!(b & 0x7f, b'c' | b'\0')) {
            return Err(HeaderError::Stripped { what: "is not a magic number" });
        }
        return Err(HeaderError::TooShort { len: data.len() });
    }
    let bytes = [data[0], data[1], data[2], data[3]];
    if bytes == [0; 4] {
        return Err(HeaderError::Stripped { what: "is four zero bytes" });
    }
    if let Some(e) = unreadable(bytes) {
        return Err(e);
    }
    if bytes[2..] != *b"\r\n" {
        // A code object marshal type code ('c', 0x63, with or without FLAG_REF)
        // at offset 0 means the header was cut off.
        if bytes[0] & 0x7f == b'c' {
            return Err(HeaderError::Stripped { what: "starts with a marshalled code object" });
        }
        return Err(HeaderError::BadMagic { bytes });
    }
    let magic = u16::from_le_bytes([bytes[0], bytes[1]]);
    let info = crate::magic::lookup(magic).ok_or(HeaderError::UnknownMagic { magic, bytes })?;
    let v = info.version;
    let needed = header_len(v);
    if data.len() < needed {
        return Err(HeaderError::Truncated { len: data.len(), needed, version: v.to_string() });
    }
    let (has_flags, has_size) = layout(v);
    let (flags, invalidation) = if has_flags {
        let flags = u32_at(data, 4);
        let mut hash = [0u8; 8];
        hash.copy_from_slice(&data[8..16]);
        // importlib rejects unknown bits; bit 1 (check_source) only matters
        // for hash-based pycs.
        let inv = if flags & !3 != 0 {
            return Err(HeaderError::BadFlags { flags });
        } else if flags & 1 == 0 {
            Invalidation::Timestamp { mtime: u32_at(data, 8), source_size: Some(u32_at(data, 12)) }
        } else if flags & 2 != 0 {
            Invalidation::CheckedHash { hash }
        } else {
            Invalidation::UncheckedHash { hash }
        };
        (Some(flags), inv)
    } else {
        let size = if has_size { Some(u32_at(data, 8)) } else { None };
        (None, Invalidation::Timestamp { mtime: u32_at(data, 4), source_size: size })
    };
    Ok(PycHeader { magic: info, flags, invalidation, len: needed })
}

/// The files bytescope names but cannot read (see [`HeaderError::Unreadable`]).
fn unreadable(bytes: [u8; 4]) -> Option<HeaderError> {
    const OLD: &str = "bytescope reads code objects of Python 1.5 and later";
    const GRAAL: &str = "GraalPy caches its own serialized bytecode, not CPython's";
    let (what, why) = match bytes {
        // 1.0 and 1.1/1.2 wrote a 32-bit word without "\r\n".
        [0x02, 0x99, 0x99, 0x00] => ("a Python 1.0 .pyc", OLD),
        [0x03, 0x99, 0x99, 0x00] => ("a Python 1.1 or 1.2 .pyc", OLD),
        // GraalPy before 22: a fixed word (lib-graalpython/_imp.py).
        [0x0c, 0xaf, 0xaf, 0xe1] => ("a GraalPy .pyc", GRAAL),
        [a, b, b'\r', b'\n'] => {
            let magic = u16::from_le_bytes([a, b]);
            if crate::magic::lookup(magic).is_some() {
                return None;
            }
            match magic {
                // GraalPy 22+: 21000 + 10 * its serialization version.
                21000..22000 if magic % 10 == 0 => ("a GraalPy .pyc", GRAAL),
                // PyPy 3 numbers its magics in steps of 16 below 3000
                // (pypy_incremental_magic in pypy/interpreter/pycode.py).
                0..3000 if magic % 16 == 0 => (
                    "a PyPy .pyc of a PyPy version bytescope does not know",
                    "PyPy's magic numbers do not say which Python version they follow",
                ),
                // RustPython's own numbers sit just below CPython 3's.
                2900..3000 => (
                    "a RustPython .pyc",
                    "RustPython writes its own bytecode and marshal format, not CPython's",
                ),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(HeaderError::Unreadable { what, why, bytes })
}

/// Builds the header bytes a pyc of `magic` would carry.
#[must_use]
pub fn write_header(header: &PycHeader) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len);
    out.extend_from_slice(&header.magic.magic.to_le_bytes());
    out.extend_from_slice(b"\r\n");
    if let Some(flags) = header.flags {
        out.extend_from_slice(&flags.to_le_bytes());
    }
    match header.invalidation {
        Invalidation::Timestamp { mtime, source_size } => {
            out.extend_from_slice(&mtime.to_le_bytes());
            if let Some(size) = source_size {
                out.extend_from_slice(&size.to_le_bytes());
            }
        }
        Invalidation::CheckedHash { hash } | Invalidation::UncheckedHash { hash } => {
            out.extend_from_slice(&hash);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_timestamp_312() {
        let mut d = vec![0xcb, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0];
        d.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        d.extend_from_slice(&42u32.to_le_bytes());
        let h = parse_header(&d).unwrap();
        assert_eq!(h.version(), PythonVersion::PY312);
        assert_eq!(h.len, 16);
        assert_eq!(h.invalidation, Invalidation::Timestamp { mtime: 1_700_000_000, source_size: Some(42) });
        assert_eq!(write_header(&h), d);
    }

    #[test]
    fn parses_27_and_hash() {
        let d = [0x03, 0xf3, 0x0d, 0x0a, 1, 2, 3, 4];
        let h = parse_header(&d).unwrap();
        assert_eq!(h.version(), PythonVersion::PY27);
        assert_eq!(h.len, 8);
        let d = [0xa7, 0x0d, 0x0d, 0x0a, 3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        let h = parse_header(&d).unwrap();
        assert_eq!(h.invalidation, Invalidation::CheckedHash { hash: [1, 2, 3, 4, 5, 6, 7, 8] });
    }

    #[test]
    fn built_headers_parse_back() {
        for &v in PythonVersion::ALL {
            let ts = Invalidation::Timestamp { mtime: 7, source_size: Some(9) };
            let Some(h) = PycHeader::for_version(v, ts) else { continue };
            let bytes = write_header(&h);
            assert_eq!(bytes.len(), header_len(v), "{v}");
            let back = parse_header(&bytes).unwrap();
            assert_eq!(back, h, "{v}");
            let hash = PycHeader::for_version(v, Invalidation::CheckedHash { hash: [1; 8] });
            assert_eq!(hash.is_some(), v >= PythonVersion::PY37, "{v}");
        }
        let h = PycHeader::for_version(PythonVersion::PY312, Invalidation::UncheckedHash { hash: [2; 8] })
            .unwrap();
        assert_eq!(write_header(&h)[4..8], [1, 0, 0, 0]);
    }

    #[test]
    fn errors() {
        assert!(matches!(parse_header(&[0; 16]), Err(HeaderError::Stripped { .. })));
        assert!(matches!(parse_header(&[0xe3, 0, 0, 0]), Err(HeaderError::Stripped { .. })));
        assert!(matches!(parse_header(b"PK\x03\x04"), Err(HeaderError::BadMagic { .. })));
        assert!(matches!(parse_header(&[0xcb, 0x0d, 0x0d, 0x0a, 0]), Err(HeaderError::Truncated { .. })));
        assert!(matches!(parse_header(&[0x01, 0x00, 0x0d, 0x0a]), Err(HeaderError::UnknownMagic { .. })));
        assert!(matches!(parse_header(&[0x01]), Err(HeaderError::TooShort { .. })));
    }
}

#[cfg(test)]
mod implementation_tests {
    use super::*;
    use crate::Implementation;

    fn head(bytes: &[u8]) -> Vec<u8> {
        let mut d = bytes.to_vec();
        d.resize(32, 0);
        d[16] = b'c';
        d
    }

    #[test]
    fn other_implementations_and_old_releases_are_named() {
        let err = |b: &[u8]| parse_header(&head(b)).unwrap_err().to_string();
        assert!(err(&[0x02, 0x99, 0x99, 0x00]).starts_with("a Python 1.0 .pyc (magic 02 99 99 00)"));
        assert!(err(&[0x03, 0x99, 0x99, 0x00]).starts_with("a Python 1.1 or 1.2 .pyc"));
        assert!(err(&[0x0c, 0xaf, 0xaf, 0xe1]).starts_with("a GraalPy .pyc"));
        let graal = 21030u16.to_le_bytes();
        assert!(err(&[graal[0], graal[1], b'\r', b'\n']).contains("GraalPy caches its own"));
        let rust = 2997u16.to_le_bytes();
        assert!(err(&[rust[0], rust[1], b'\r', b'\n']).starts_with("a RustPython .pyc"));
        let pypy = 112u16.to_le_bytes();
        assert!(err(&[pypy[0], pypy[1], b'\r', b'\n']).starts_with("a PyPy .pyc of a PyPy version"));
        // Every message names the offset.
        assert!(err(&[0x02, 0x99, 0x99, 0x00]).ends_with("(at offset 0x0)"));
    }

    #[test]
    fn pypy_and_old_cpython_magics_parse() {
        let h = parse_header(&head(b"P\x01\r\n")).unwrap();
        assert_eq!(
            (h.magic.implementation, h.version(), h.len),
            (Implementation::PyPy, PythonVersion::PY39, 16)
        );
        assert!(!h.magic.is_final);
        let h = parse_header(&head(&[0x0a, 0xf3, b'\r', b'\n'])).unwrap();
        assert_eq!(
            (h.magic.implementation, h.version(), h.len),
            (Implementation::PyPy, PythonVersion::PY27, 8)
        );
        let h = parse_header(&head(&[0x04, 0x17, b'\r', b'\n'])).unwrap();
        assert_eq!(
            (h.magic.implementation, h.version(), h.len),
            (Implementation::CPython, PythonVersion::PY14, 8)
        );
        let h = parse_header(&head(&[0x89, 0x2e, b'\r', b'\n'])).unwrap();
        assert_eq!(h.version(), PythonVersion::PY13);
        let h = parse_header(&head(b"\xcb\r\r\n")).unwrap();
        assert_eq!(h.magic.implementation, Implementation::CPython);
    }
}
