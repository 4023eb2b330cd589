//! PLACEHOLDER until tools/gen_magic.py writes the full history.

use crate::PythonVersion as V;

/// One row of CPython's magic-number history.
#[derive(Clone, Copy, Debug)]
pub struct MagicEntry {
    /// The magic number.
    pub magic: u16,
    /// Minor version.
    pub version: V,
    /// Release label as CPython's table gives it.
    pub release: &'static str,
}

const fn e(magic: u16, version: V, release: &'static str) -> MagicEntry {
    MagicEntry {
        magic,
        version,
        release,
    }
}

/// Every known magic number.
pub static MAGICS: &[MagicEntry] = &[
    e(62211, V::PY27, "2.7a0"),
    e(3379, V::PY36, "3.6rc1"),
    e(3394, V::PY37, "3.7b5"),
    e(3413, V::PY38, "3.8b4"),
    e(3425, V::PY39, "3.9a2"),
    e(3439, V::PY310, "3.10b1"),
    e(3495, V::PY311, "3.11b4"),
    e(3531, V::PY312, "3.12b1"),
    e(3571, V::PY313, "3.13b1"),
    e(3627, V::PY314, "3.14rc3"),
    e(3666, V::PY315, "3.15b1"),
];
