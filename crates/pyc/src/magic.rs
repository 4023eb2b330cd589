//! Magic numbers → versions.
//!
//! The table itself is generated (see `magic_table.rs`); this module maps any
//! magic, including pre-release ones, to the minor version that wrote it.

use crate::PythonVersion;

/// Which Python implementation wrote a .pyc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Implementation {
    /// CPython.
    CPython,
    /// PyPy: CPython's marshal format and its version's bytecode, plus
    /// opcodes of its own (`LOOKUP_METHOD`, `CALL_METHOD`,
    /// `BUILD_LIST_FROM_ARG`, ...).
    PyPy,
    /// GraalPy: its own serialized bytecode, not CPython's.
    GraalPy,
    /// RustPython: its own bytecode and marshal format.
    RustPython,
}

impl Implementation {
    /// The name, e.g. `"PyPy"`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Implementation::CPython => "CPython",
            Implementation::PyPy => "PyPy",
            Implementation::GraalPy => "GraalPy",
            Implementation::RustPython => "RustPython",
        }
    }
}

impl std::fmt::Display for Implementation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a magic number says about the interpreter that wrote a .pyc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MagicInfo {
    /// The 16-bit magic number (the first two bytes of the file, little-endian).
    pub magic: u16,
    /// The implementation that wrote it.
    pub implementation: Implementation,
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
    use crate::magic_table::{MAGICS, OTHER_MAGICS, UNICODE_MAGICS};
    if let Some(e) = MAGICS.iter().chain(UNICODE_MAGICS).find(|e| e.magic == magic) {
        return Some(info(e));
    }
    if let Some(e) = OTHER_MAGICS.iter().find(|e| e.magic == magic) {
        // PyPy numbers its own magics; none is a final CPython magic.
        let is_final = e.implementation == Implementation::CPython;
        return Some(MagicInfo {
            magic,
            implementation: e.implementation,
            version: e.version,
            release: e.release,
            is_final,
        });
    }
    // 3.x magics grow monotonically; an unlisted number between two entries
    // of one minor version belongs to it.
    let below = MAGICS.iter().filter(|e| e.magic < magic && e.magic >= 3000).max_by_key(|e| e.magic)?;
    let above = MAGICS.iter().filter(|e| e.magic > magic && e.magic >= 3000).min_by_key(|e| e.magic)?;
    if magic >= 3000 && below.version == above.version {
        Some(MagicInfo {
            magic,
            implementation: Implementation::CPython,
            version: below.version,
            release: below.release,
            is_final: false,
        })
    } else {
        None
    }
}

fn info(e: &crate::magic_table::MagicEntry) -> MagicInfo {
    let is_final = crate::magic_table::FINAL_MAGICS.iter().any(|f| f.magic == e.magic);
    MagicInfo {
        magic: e.magic,
        implementation: Implementation::CPython,
        version: e.version,
        release: e.release,
        is_final,
    }
}

/// The magic number a final release of `version` writes.
#[must_use]
pub fn final_magic(version: PythonVersion) -> Option<u16> {
    // The last one listed: 3.5 has two (3350, then 3351 from 3.5.2/3.5.3).
    crate::magic_table::FINAL_MAGICS.iter().rev().find(|e| e.version == version).map(|e| e.magic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PythonVersion as V;
    use crate::magic_table::{FINAL_MAGICS, MAGICS, UNICODE_MAGICS};

    /// The final magic of every minor version (cpython-formats.md §1).
    const FINALS: [(u16, V); 27] = [
        (20121, V::PY15),
        (50428, V::PY16),
        (50823, V::PY20),
        (60202, V::PY21),
        (60717, V::PY22),
        (62011, V::PY23),
        (62061, V::PY24),
        (62131, V::PY25),
        (62161, V::PY26),
        (62211, V::PY27),
        (3131, V::PY30),
        (3151, V::PY31),
        (3180, V::PY32),
        (3230, V::PY33),
        (3310, V::PY34),
        (3350, V::PY35),
        (3351, V::PY35),
        (3379, V::PY36),
        (3394, V::PY37),
        (3413, V::PY38),
        (3425, V::PY39),
        (3439, V::PY310),
        (3495, V::PY311),
        (3531, V::PY312),
        (3571, V::PY313),
        (3627, V::PY314),
        (3666, V::PY315),
    ];

    #[test]
    fn every_final_magic_maps_to_its_version() {
        for (magic, version) in FINALS {
            let info = lookup(magic).unwrap_or_else(|| panic!("{magic} unknown"));
            assert_eq!(info.version, version, "{magic}");
            assert_eq!(info.magic, magic);
        }
        let listed: Vec<(u16, V)> = FINAL_MAGICS.iter().map(|e| (e.magic, e.version)).collect();
        assert_eq!(listed, FINALS);
    }

    #[test]
    fn spot_checks() {
        let v = |m| lookup(m).map(|i| i.version);
        assert_eq!(v(3351), Some(V::PY35));
        assert_eq!(lookup(3351).unwrap().release, "3.5.2");
        assert_eq!(v(3413), Some(V::PY38));
        assert_eq!(v(3600), Some(V::PY314));
        assert_eq!(lookup(3600).unwrap().release, "3.14a1");
        assert_eq!(v(20121), Some(V::PY15));
        assert_eq!(v(3000), Some(V::PY30));
        assert_eq!(lookup(3000).unwrap().release, "3000");
        assert_eq!(v(62021), Some(V::PY23));
        assert_eq!(v(3650), Some(V::PY315));
        assert_eq!(lookup(3626).unwrap().release, "3.14rc2");
        assert_eq!(lookup(3661).unwrap().release, "3.15a4");
    }

    #[test]
    fn final_flags() {
        for (magic, version) in [(62211, V::PY27), (3394, V::PY37), (3627, V::PY314), (3666, V::PY315)] {
            assert!(lookup(magic).unwrap().is_final, "{magic}");
            assert_eq!(final_magic(version), Some(magic));
        }
        assert!(!lookup(3626).unwrap().is_final);
        assert!(!lookup(62201).unwrap().is_final);
        assert_eq!(final_magic(V::PY35), Some(3351));
    }

    #[test]
    fn unlisted_numbers() {
        // Between two magics of one version: that version, never final.
        let info = lookup(3374).unwrap();
        assert_eq!((info.version, info.is_final), (V::PY36, false));
        assert_eq!(lookup(3255).unwrap().version, V::PY34);
        assert_eq!(lookup(3442), None);
        // Between versions, past the newest, or not a magic at all.
        assert_eq!(lookup(3640), None);
        assert_eq!(lookup(3700), None);
        assert_eq!(lookup(1234), None);
        assert_eq!(lookup(62300), None);
    }

    #[test]
    fn table_shape() {
        assert_eq!(MAGICS.len(), 245);
        let mut seen = std::collections::HashSet::new();
        for e in MAGICS.iter().chain(UNICODE_MAGICS) {
            assert!(seen.insert(e.magic), "{} twice", e.magic);
        }
        let py3: Vec<u16> = MAGICS.iter().filter(|e| e.version.major == 3).map(|e| e.magic).collect();
        assert!(py3.windows(2).all(|w| w[0] < w[1]));
        for version in V::ALL.iter().filter(|v| **v >= V::PY15) {
            assert!(final_magic(*version).is_some(), "{version}");
        }
        // Python 2's -U variant is MAGIC + 1 of the final magic.
        for e in UNICODE_MAGICS {
            let base = FINAL_MAGICS.iter().find(|f| f.version == e.version).unwrap();
            assert_eq!(e.magic, base.magic + 1);
        }
        assert_eq!(UNICODE_MAGICS.last().map(|e| e.magic), Some(62212));
    }
}

#[cfg(test)]
mod final_tests {
    use super::*;

    #[test]
    fn finals_follow_cpython_not_the_largest_number() {
        assert!(lookup(62011).unwrap().is_final);
        assert!(!lookup(62021).unwrap().is_final);
        assert!(lookup(3350).unwrap().is_final);
        assert!(lookup(3351).unwrap().is_final);
        assert_eq!(final_magic(PythonVersion::PY35), Some(3351));
        assert_eq!(lookup(62212).unwrap().version, PythonVersion::PY27);
    }
}
