//! PyInstaller's PYZ archive: the compressed modules the bootloader's
//! importer loads.
//!
//! ```text
//! 0   "PYZ\0"
//! 4   the build interpreter's pyc magic (4 bytes)
//! 8   TOC offset, big-endian, relative to the PYZ start
//! 12  2.x: zlib level (BE i32); 3.0–5.x: byte 12 = 1 when entries are encrypted; 6.x: 0
//! 16  2.0: 1 when entries are encrypted (2.0's own scheme); else 0
//! 17  entries: zlib(marshal(code)), or IV(16) ‖ AES(zlib(marshal(code)))
//! TOC marshal: [(name, (typ, pos, len)), …] (3.1+), {name: (typ or ispkg, pos, len)} (≤ 3.0)
//! ```
//!
//! The TOC is read with bytescope's own marshal reader in the version the
//! header's magic names, so no Python is needed.

use bytescope_marshal::{Format, Marshal, ObjId, Value};
use bytescope_pyc::PythonVersion;

use crate::FrozenError;

/// The PYZ magic.
pub const PYZ_MAGIC: [u8; 4] = *b"PYZ\0";

/// Length of the PYZ header.
pub const PYZ_HEADER_LEN: usize = 17;

/// What a PYZ entry holds (its `typ`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyzKind {
    /// 0 (2.x: `ispkg` false): a module.
    Module,
    /// 1 (2.x: `ispkg` true): a package's `__init__`.
    Package,
    /// 2 (3.x–5.x): a data file, stored as is (no bytecode).
    Data,
    /// 3 (4.2+): a PEP 420 namespace package (empty from 6.16).
    NamespacePackage,
    /// Any other typ.
    Other(i64),
}

/// One module of a PYZ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyzEntry {
    /// Dotted module name.
    pub name: String,
    /// What it holds.
    pub kind: PyzKind,
    /// Offset of its data, relative to the PYZ start.
    pub pos: u32,
    /// Stored length.
    pub len: u32,
}

/// A parsed PYZ archive (the TOC; entries are read on demand).
#[derive(Clone, Debug)]
pub struct Pyz {
    /// Absolute offset of the PYZ in the input.
    pub base: u64,
    /// Its length.
    pub len: u64,
    /// The pyc magic of the interpreter that built it.
    pub magic: [u8; 4],
    /// Entries are AES-encrypted (PyInstaller 3.0–5.x `--key`).
    pub encrypted: bool,
    /// PyInstaller 2.0's own encryption flag (byte 16).
    pub crypted20: bool,
    /// The entries, in TOC order.
    pub entries: Vec<PyzEntry>,
}

impl Pyz {
    /// The version the header's magic names.
    #[must_use]
    pub fn version(&self) -> Option<PythonVersion> {
        if self.magic[2..] != *b"\r\n" {
            return None;
        }
        bytescope_pyc::lookup_magic(u16::from_le_bytes([self.magic[0], self.magic[1]])).map(|m| m.version)
    }

    /// Parses the PYZ `data`, found at absolute offset `base`. The TOC is
    /// read as the header's magic says, or as `fallback` when the magic is
    /// unknown.
    ///
    /// # Errors
    /// A malformed header or TOC, or entries outside the archive or
    /// overlapping.
    pub fn parse(data: &[u8], base: u64, fallback: Option<PythonVersion>) -> Result<Pyz, FrozenError> {
        if data.len() < PYZ_HEADER_LEN || data[..4] != PYZ_MAGIC {
            return Err(FrozenError::malformed(
                format!(
                    "not a PYZ archive: it should start with \"PYZ\\0\" and a {PYZ_HEADER_LEN}-byte header"
                ),
                base,
            ));
        }
        let magic: [u8; 4] = [data[4], data[5], data[6], data[7]];
        let toc_offset = u32::from_be_bytes([data[8], data[9], data[10], data[11]]);
        // 2.x stores the zlib level (a big-endian i32, 1–9) at 12; later
        // releases a flag byte at 12 and zeros.
        let level20 = data[12..15] == [0, 0, 0];
        let encrypted = !level20 && data[12] == 1;
        let mut pyz = Pyz {
            base,
            len: data.len() as u64,
            magic,
            encrypted,
            crypted20: data[16] == 1,
            entries: Vec::new(),
        };
        let version = pyz.version().or(fallback).ok_or_else(|| {
            FrozenError::malformed(
                format!(
                    "PYZ archive: unknown pyc magic {:02x} {:02x} {:02x} {:02x} and no other version information",
                    magic[0], magic[1], magic[2], magic[3]
                ),
                base + 4,
            )
        })?;
        let toc_at = toc_offset as usize;
        if toc_at < PYZ_HEADER_LEN || toc_at > data.len() {
            return Err(FrozenError::OutOfBounds {
                what: "PYZ table of contents".to_owned(),
                offset: base + 8,
                start: u64::from(toc_offset),
                end: data.len() as u64,
                len: data.len() as u64,
                container: "PYZ archive",
            });
        }
        let m =
            bytescope_marshal::read(&data[toc_at..], Format::for_version(version), (base as usize) + toc_at)
                .map_err(|e| {
                    FrozenError::malformed(format!("PYZ table of contents: {}", e.kind), e.offset as u64)
                })?;
        pyz.entries = toc_entries(&m, base + toc_offset as u64)?;
        for e in &pyz.entries {
            let end = u64::from(e.pos) + u64::from(e.len);
            if e.len > 0 && (end > u64::from(toc_offset) || (e.pos as usize) < PYZ_HEADER_LEN) {
                return Err(FrozenError::OutOfBounds {
                    what: format!("data of PYZ entry {:?}", e.name),
                    offset: base + u64::from(toc_offset),
                    start: u64::from(e.pos),
                    end,
                    len: u64::from(toc_offset),
                    container: "PYZ archive's entry area",
                });
            }
        }
        let mut ranges: Vec<(u32, u32, usize)> = pyz
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.len > 0)
            .map(|(i, e)| (e.pos, e.pos + e.len, i))
            .collect();
        ranges.sort_unstable();
        for w in ranges.windows(2) {
            if w[1].0 < w[0].1 {
                let (a, b) = (&pyz.entries[w[0].2], &pyz.entries[w[1].2]);
                return Err(FrozenError::Overlap {
                    name: b.name.clone(),
                    other: a.name.clone(),
                    start: base + u64::from(b.pos),
                    end: base + u64::from(b.pos) + u64::from(b.len),
                    offset: base + u64::from(toc_offset),
                });
            }
        }
        Ok(pyz)
    }
}

/// The `(name, (typ, pos, len))` items of a list TOC, or the items of a dict
/// TOC.
fn toc_entries(m: &Marshal<'_>, toc_at: u64) -> Result<Vec<PyzEntry>, FrozenError> {
    let bad = |what: &str, id: ObjId| {
        FrozenError::malformed(format!("PYZ table of contents: {what}"), u64::from(m.node(id).offset))
    };
    let root = m.root();
    let mut pairs: Vec<(ObjId, ObjId)> = Vec::new();
    match m.get(root) {
        Value::List(items) | Value::Tuple(items) => {
            for &item in m.items(*items) {
                match m.tuple(item) {
                    Some(&[name, value]) => pairs.push((name, value)),
                    _ => return Err(bad("an item is not a (name, (typ, pos, len)) pair", item)),
                }
            }
        }
        Value::Dict(items) => {
            for kv in m.items(*items).chunks(2) {
                if let &[k, v] = kv {
                    pairs.push((k, v));
                }
            }
        }
        _ => {
            return Err(FrozenError::malformed(
                "PYZ table of contents: neither a list nor a dict".to_owned(),
                toc_at,
            ));
        }
    }
    pairs
        .into_iter()
        .map(|(name, value)| {
            let name_s = m.name_lossy(name).ok_or_else(|| bad("a module name is not a string", name))?;
            let Some(&[typ, pos, len]) = m.tuple(value) else {
                return Err(bad(&format!("entry {name_s:?} is not a (typ, pos, len) tuple"), value));
            };
            let kind = match m.get(typ) {
                Value::True => PyzKind::Package,
                Value::False => PyzKind::Module,
                _ => match m.int(typ) {
                    Some(0) => PyzKind::Module,
                    Some(1) => PyzKind::Package,
                    Some(2) => PyzKind::Data,
                    Some(3) => PyzKind::NamespacePackage,
                    Some(n) => PyzKind::Other(n),
                    None => return Err(bad(&format!("entry {name_s:?} has a non-integer type"), typ)),
                },
            };
            let int = |id: ObjId, what: &str| {
                m.int(id)
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| bad(&format!("entry {name_s:?} has an invalid {what}"), id))
            };
            Ok(PyzEntry { kind, pos: int(pos, "position")?, len: int(len, "length")?, name: name_s })
        })
        .collect()
}
