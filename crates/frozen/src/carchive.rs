//! PyInstaller's CArchive ("PKG"): the cookie and the table of contents.
//!
//! Layout (PyInstaller 2.0–6.x; all integers big-endian u32):
//!
//! ```text
//! pkg_start:  entry data …  | TOC: records, each 16-byte aligned | cookie
//! cookie:     "MEI\014\013\012\013\016" pkg_length toc_offset toc_length pyvers [libname: 64 bytes, 2.1+]
//! record:     entry_length offset length uncompressed_length u8 compression u8 typecode name\0 (padding)
//! ```
//!
//! `pkg_start = cookie_offset + cookie_len - pkg_length`: the package is
//! whatever the cookie says precedes it, wherever the cookie is (ELF section
//! headers, signatures or junk may follow). Offsets in records are relative
//! to `pkg_start`.

use bytescope_pyc::PythonVersion;

use crate::FrozenError;
use crate::exe::{ExeFormat, elf_section, pe_overlay};

/// The cookie magic `MEI\014\013\012\013\016`.
pub const COOKIE_MAGIC: [u8; 8] = *b"MEI\x0c\x0b\x0a\x0b\x0e";

/// The side-load signature of PyInstaller 4.8+ (`MEI\015…`): the package is
/// in a separate `.pkg` file beside the executable.
pub const SIDELOAD_MAGIC: [u8; 8] = *b"MEI\x0d\x0b\x0a\x0b\x0e";

/// Length of the 2.1+ cookie (with the Python library name).
pub const COOKIE_LEN: usize = 88;

/// Length of the 2.0 cookie (no library name).
pub const COOKIE_LEN_20: usize = 24;

/// Length of a TOC record before its name.
const RECORD_HEAD: usize = 18;

/// The cookie that ends a CArchive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    /// Absolute offset of the cookie.
    pub offset: u64,
    /// 88 (2.1+) or 24 (2.0).
    pub len: usize,
    /// Length of the whole package, cookie included.
    pub pkg_length: u32,
    /// Offset of the TOC, relative to the package start.
    pub toc_offset: u32,
    /// Length of the TOC in bytes.
    pub toc_length: u32,
    /// The Python version as stored: `10*major+minor` up to PyInstaller
    /// 4.5.1, `100*major+minor` from 4.6.
    pub pyvers: u32,
    /// The bundled Python library's name (2.1+), e.g. `libpython3.12.so.1.0`.
    pub libname: Option<String>,
    /// The magic, when it is not PyInstaller's (a modified bootloader; found
    /// through the container instead).
    pub custom_magic: Option<[u8; 8]>,
}

impl Cookie {
    /// Absolute offset of the package start.
    #[must_use]
    pub fn pkg_start(&self) -> u64 {
        self.offset + self.len as u64 - u64::from(self.pkg_length)
    }

    /// The version `pyvers` encodes, if it is a known one.
    #[must_use]
    pub fn version(&self) -> Option<PythonVersion> {
        let v = self.pyvers;
        let (major, minor) = if v >= 100 { (v / 100, v % 100) } else { (v / 10, v % 10) };
        let v = PythonVersion::new(u8::try_from(major).ok()?, u8::try_from(minor).ok()?);
        PythonVersion::ALL.contains(&v).then_some(v)
    }

    /// The version named by the library name (`libpython3.12.so.1.0`,
    /// `python312.dll`, `libpython2.7.dylib`); `None` for the macOS
    /// framework's bare `Python`.
    #[must_use]
    pub fn libname_version(&self) -> Option<PythonVersion> {
        libname_version(self.libname.as_deref()?)
    }
}

/// The version in a Python library name.
#[must_use]
pub fn libname_version(name: &str) -> Option<PythonVersion> {
    let lower = name.to_ascii_lowercase();
    let i = lower.find("python")? + "python".len();
    let rest = &lower.as_bytes()[i..];
    let major = *rest.first()?;
    if !major.is_ascii_digit() {
        return None;
    }
    let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (maj, min) = if rest.get(1) == Some(&b'.') {
        let n = digits(&rest[2..]);
        (&rest[..1], &rest[2..2 + n])
    } else {
        // python312.dll: one major digit, then the minor.
        let n = digits(&rest[1..]);
        (&rest[..1], &rest[1..1 + n])
    };
    let major: u8 = std::str::from_utf8(maj).ok()?.parse().ok()?;
    let minor: u8 = std::str::from_utf8(min).ok()?.parse().ok()?;
    let v = PythonVersion::new(major, minor);
    PythonVersion::ALL.contains(&v).then_some(v)
}

/// One record of the TOC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TocEntry {
    /// Absolute offset of the record (for errors).
    pub record_offset: u64,
    /// Data offset, relative to the package start.
    pub offset: u32,
    /// Stored length.
    pub length: u32,
    /// Declared length after inflation.
    pub uncompressed_length: u32,
    /// 0 stored, 1 zlib, 2 zlib + AES (PyInstaller 2.0 only).
    pub compression: u8,
    /// The typecode (`s`, `m`, `z`, `x`, `b`, `o`, …).
    pub typecode: u8,
    /// The name, cut at the first NUL (invalid UTF-8 replaced).
    pub name: String,
}

/// A located CArchive.
#[derive(Clone, Debug)]
pub struct CArchive {
    /// The cookie.
    pub cookie: Cookie,
    /// The TOC records, in order (repeated `o` entries kept).
    pub entries: Vec<TocEntry>,
}

impl CArchive {
    /// Absolute offset of the package start.
    #[must_use]
    pub fn pkg_start(&self) -> u64 {
        self.cookie.pkg_start()
    }

    /// The absolute data range of `e`.
    #[must_use]
    pub fn data_range(&self, e: &TocEntry) -> (u64, u64) {
        let start = self.pkg_start() + u64::from(e.offset);
        (start, start + u64::from(e.length))
    }

    /// Finds the CArchive in `data`: the last valid cookie, scanning backwards
    /// (a cookie that fails validation, such as the literal magic inside a
    /// PyInstaller ≤ 4.7 bootloader, is skipped); without one, the package
    /// that an ELF `pydata` section or a PE overlay holds, whatever its magic.
    ///
    /// `Ok(None)`: no cookie magic anywhere and no container fallback.
    ///
    /// # Errors
    /// The reason the last (highest) candidate cookie was rejected, when
    /// none was valid.
    pub fn find(data: &[u8]) -> Result<Option<CArchive>, FrozenError> {
        let mut first_error = None;
        for pos in memchr::memmem::rfind_iter(data, &COOKIE_MAGIC) {
            match parse_at(data, pos, None) {
                Ok(a) => return Ok(Some(a)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        // A modified magic: the container says where the package ends.
        let end = match ExeFormat::of(data) {
            ExeFormat::Elf => elf_section(data, b"pydata").map(|(off, size)| off + size),
            ExeFormat::Pe => pe_overlay(data).filter(|&(s, e)| e > s).map(|(_, e)| e),
            _ => None,
        };
        if let Some(end) = end
            && let Some(pos) = usize::try_from(end).ok().and_then(|e| e.checked_sub(COOKIE_LEN))
            && let Some(magic) = data.get(pos..pos + 8)
            && magic != COOKIE_MAGIC
        {
            let magic: [u8; 8] = magic.try_into().unwrap_or([0; 8]);
            match parse_at(data, pos, Some(magic)) {
                Ok(a) => return Ok(Some(a)),
                Err(e) if first_error.is_none() && magic[3..] == COOKIE_MAGIC[3..] => first_error = Some(e),
                Err(_) => {}
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    /// Whether `data` holds the cookie magic anywhere (cheap sniffing).
    #[must_use]
    pub fn has_magic(data: &[u8]) -> bool {
        memchr::memmem::rfind(data, &COOKIE_MAGIC).is_some()
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses and validates the cookie at `pos` and its TOC.
fn parse_at(data: &[u8], pos: usize, custom_magic: Option<[u8; 8]>) -> Result<CArchive, FrozenError> {
    let at = pos as u64;
    let head = data
        .get(pos..pos + COOKIE_LEN_20)
        .ok_or_else(|| FrozenError::malformed("PyInstaller cookie truncated by the end of the file", at))?;
    // 2.1+ cookies carry the library name, which always contains "python".
    let libfield = data.get(pos + COOKIE_LEN_20..pos + COOKIE_LEN);
    let is88 = libfield.is_some_and(|f| f.windows(6).any(|w| w.eq_ignore_ascii_case(b"python")));
    let len = if is88 { COOKIE_LEN } else { COOKIE_LEN_20 };
    let libname = libfield.filter(|_| is88).map(|f| {
        let end = memchr::memchr(0, f).unwrap_or(f.len());
        String::from_utf8_lossy(&f[..end]).into_owned()
    });
    let cookie = Cookie {
        offset: at,
        len,
        pkg_length: be32(head, 8),
        toc_offset: be32(head, 12),
        toc_length: be32(head, 16),
        pyvers: be32(head, 20),
        libname,
        custom_magic,
    };
    let end = at + len as u64;
    if u64::from(cookie.pkg_length) > end {
        return Err(FrozenError::malformed(
            format!(
                "PyInstaller cookie's package length {} points outside the file: only {end} bytes precede the cookie's end",
                cookie.pkg_length
            ),
            at + 8,
        ));
    }
    if (cookie.pkg_length as usize) < len {
        return Err(FrozenError::malformed(
            format!("PyInstaller cookie: package length {} is shorter than the cookie", cookie.pkg_length),
            at + 8,
        ));
    }
    let body = u64::from(cookie.pkg_length) - len as u64;
    let toc_end = u64::from(cookie.toc_offset) + u64::from(cookie.toc_length);
    if toc_end > body {
        return Err(FrozenError::OutOfBounds {
            what: "PyInstaller TOC (cookie's toc_offset + toc_length)".to_owned(),
            offset: at + 12,
            start: u64::from(cookie.toc_offset),
            end: toc_end,
            len: body,
            container: "package",
        });
    }
    if cookie.toc_length < RECORD_HEAD as u32 {
        return Err(FrozenError::malformed(
            format!("PyInstaller cookie: TOC of {} bytes cannot hold a record", cookie.toc_length),
            at + 16,
        ));
    }
    let pkg_start = cookie.pkg_start();
    let toc_start = pkg_start + u64::from(cookie.toc_offset);
    let toc = &data[toc_start as usize..(toc_start + u64::from(cookie.toc_length)) as usize];
    let mut entries = Vec::new();
    let mut p = 0usize;
    while p < toc.len() {
        let rec_at = toc_start + p as u64;
        if toc.len() - p < RECORD_HEAD {
            return Err(FrozenError::malformed(
                format!("PyInstaller TOC: {} stray bytes after the last record", toc.len() - p),
                rec_at,
            ));
        }
        let entry_len = be32(toc, p) as usize;
        if entry_len < RECORD_HEAD || entry_len > toc.len() - p {
            return Err(FrozenError::malformed(
                format!(
                    "PyInstaller TOC record of {entry_len} bytes (it must hold its 18-byte head and fit in the {} bytes left)",
                    toc.len() - p
                ),
                rec_at,
            ));
        }
        let raw_name = &toc[p + RECORD_HEAD..p + entry_len];
        let name_end = memchr::memchr(0, raw_name).unwrap_or(raw_name.len());
        let e = TocEntry {
            record_offset: rec_at,
            offset: be32(toc, p + 4),
            length: be32(toc, p + 8),
            uncompressed_length: be32(toc, p + 12),
            compression: toc[p + 16],
            typecode: toc[p + 17],
            name: String::from_utf8_lossy(&raw_name[..name_end]).into_owned(),
        };
        if e.length > 0 {
            let end = u64::from(e.offset) + u64::from(e.length);
            if end > body {
                return Err(FrozenError::OutOfBounds {
                    what: format!("data of entry {:?}", e.name),
                    offset: rec_at + 4,
                    start: u64::from(e.offset),
                    end,
                    len: body,
                    container: "package",
                });
            }
        }
        entries.push(e);
        p += entry_len;
    }
    check_overlaps(&entries, pkg_start)?;
    Ok(CArchive { cookie, entries })
}

/// Entries with data may not share bytes (zero-length ones are exempt).
fn check_overlaps(entries: &[TocEntry], pkg_start: u64) -> Result<(), FrozenError> {
    let mut ranges: Vec<(u64, u64, usize)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.length > 0)
        .map(|(i, e)| (u64::from(e.offset), u64::from(e.offset) + u64::from(e.length), i))
        .collect();
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        let ((_, a_end, a), (b_start, b_end, b)) = (w[0], w[1]);
        if b_start < a_end {
            return Err(FrozenError::Overlap {
                name: entries[b].name.clone(),
                other: entries[a].name.clone(),
                start: pkg_start + b_start,
                end: pkg_start + b_end,
                offset: entries[b].record_offset,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libnames() {
        let v = |s| libname_version(s);
        assert_eq!(v("libpython3.12.so.1.0"), Some(PythonVersion::PY312));
        assert_eq!(v("libpython3.7m.so.1.0"), Some(PythonVersion::PY37));
        assert_eq!(v("python312.dll"), Some(PythonVersion::PY312));
        assert_eq!(v("python27.dll"), Some(PythonVersion::PY27));
        assert_eq!(v("libpython3.13t.so.1.0"), Some(PythonVersion::PY313));
        assert_eq!(v("Python"), None);
        assert_eq!(v("libpython9.9.so"), None);
    }

    #[test]
    fn pyvers_both_encodings() {
        let c = |pyvers| Cookie {
            offset: 0,
            len: 88,
            pkg_length: 88,
            toc_offset: 0,
            toc_length: 0,
            pyvers,
            libname: None,
            custom_magic: None,
        };
        assert_eq!(c(37).version(), Some(PythonVersion::PY37));
        assert_eq!(c(27).version(), Some(PythonVersion::PY27));
        assert_eq!(c(308).version(), Some(PythonVersion::PY38));
        assert_eq!(c(312).version(), Some(PythonVersion::PY312));
        assert_eq!(c(999).version(), None);
    }
}
