//! Magic numbers → versions.
//!
//! The table itself is generated (see `magic_table.rs`); this module maps any
//! magic, including pre-release ones, to the minor version that wrote it.

use crate::PythonVersion;

/// What a magic number says about the interpreter that wrote a .pyc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MagicInfo {
    /// The 16-bit magic number (the first two bytes of the file, little-endian).
    pub magic: u16,
    /// The minor version it belongs to.
    pub version: PythonVersion,
    /// The release that introduced it as CPython documents it, e.g. `"3.12b1"`,
    /// or the bare version for magics known only by range.
    pub release: &'static str,
    /// Whether this is the last magic of its minor version (what a final
    /// release writes).
    pub is_final: bool,
}

/// Looks up a magic number.
///
/// Exact entries come from CPython's own history table. Numbers that fall
/// between two entries of the same minor version (unlisted development
/// magics) map to that version; anything else is unknown.
#[must_use]
pub fn lookup(magic: u16) -> Option<MagicInfo> {
    let table = crate::magic_table::MAGICS;
    if let Some(e) = table.iter().find(|e| e.magic == magic) {
        return Some(info(e, table));
    }
    // 3.x magics grow monotonically; an unlisted number between two entries
    // of one minor version belongs to it.
    let below = table.iter().filter(|e| e.magic < magic && e.magic >= 3000).max_by_key(|e| e.magic)?;
    let above = table.iter().filter(|e| e.magic > magic && e.magic >= 3000).min_by_key(|e| e.magic)?;
    if magic >= 3000 && below.version == above.version {
        Some(MagicInfo { magic, version: below.version, release: below.release, is_final: false })
    } else {
        None
    }
}

fn info(e: &crate::magic_table::MagicEntry, table: &[crate::magic_table::MagicEntry]) -> MagicInfo {
    let last = table.iter().filter(|o| o.version == e.version).map(|o| o.magic).max().unwrap_or(e.magic);
    MagicInfo { magic: e.magic, version: e.version, release: e.release, is_final: last == e.magic }
}

/// The magic number a final release of `version` writes.
#[must_use]
pub fn final_magic(version: PythonVersion) -> Option<u16> {
    crate::magic_table::MAGICS.iter().filter(|e| e.version == version).map(|e| e.magic).max()
}
