//! The zip layouts of cx_Freeze (`lib/library.zip`) and py2exe
//! (`library.zip`, or a zip appended to the executable): ordinary zips of
//! complete `.pyc` files. What this module adds to reading them as zips is
//! telling the freezer apart, naming the entry script and bounding reads.
//!
//! - cx_Freeze 7.2.2+ stores the main script as `__main__<name>.pyc` and
//!   the init script as `__init__<name>.pyc`; up to 7.2.1 as
//!   `<name>__main__.pyc` and `<name>__init__.pyc`; every build has
//!   `BUILD_CONSTANTS.pyc`.
//! - py2exe's library holds its `zipextimporter` module (0.6 and 0.10+).

use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::app::Freezer;
use crate::{Budget, FrozenError};

/// Longest tail that can hold an end-of-central-directory record.
const EOCD_SEARCH: usize = 22 + 65_535;

/// Whether `data`'s tail holds a zip end-of-central-directory record.
pub(crate) fn looks_like_zip(data: &[u8]) -> bool {
    let tail = &data[data.len().saturating_sub(EOCD_SEARCH)..];
    memchr::memmem::rfind(tail, b"PK\x05\x06").is_some()
}

/// A member: (name, is the entry script).
pub(crate) struct Member {
    pub name: String,
    pub script: bool,
    pub size: u64,
    pub offset: u64,
}

/// A zip of a freezer's layout.
pub(crate) type Layout<D> = (Freezer, ZipArchive<Cursor<D>>, Vec<Member>);

/// Opens `data` as a zip and says which freezer made it, if any.
pub(crate) fn open<D: AsRef<[u8]>>(data: D) -> Option<Layout<D>> {
    if !looks_like_zip(data.as_ref()) {
        return None;
    }
    let mut zip = ZipArchive::new(Cursor::new(data)).ok()?;
    let mut members = Vec::with_capacity(zip.len());
    let (mut cx, mut py2exe) = (false, false);
    for i in 0..zip.len() {
        let Ok(f) = zip.by_index_raw(i) else { continue };
        let name = f.name().unwrap_or_default().into_owned();
        let base = name.rsplit('/').next().unwrap_or("");
        let script = !name.contains('/')
            && base.ends_with(".pyc")
            && (base.starts_with("__main__") || base.trim_end_matches(".pyc").ends_with("__main__"))
            && base != "__main__.pyc";
        cx |= script || name == "BUILD_CONSTANTS.pyc";
        py2exe |= name == "zipextimporter.pyc";
        members.push(Member { script, size: f.size(), offset: f.data_start().unwrap_or(0), name });
    }
    let freezer = if cx {
        Freezer::CxFreeze
    } else if py2exe {
        Freezer::Py2exe
    } else {
        return None;
    };
    Some((freezer, zip, members))
}

/// Reads member `index`, charging `budget`.
pub(crate) fn read_member<D: AsRef<[u8]> + Clone>(
    zip: &ZipArchive<Cursor<D>>,
    index: usize,
    budget: &Budget,
    offset: u64,
) -> Result<Vec<u8>, FrozenError> {
    let mut zip = zip.clone();
    let f = zip.by_index(index).map_err(|e| FrozenError::malformed(format!("zip member: {e}"), offset))?;
    let name = f.name().unwrap_or_default().into_owned();
    let declared = f.size();
    if !budget.charge(declared) {
        return Err(FrozenError::Budget {
            what: format!("zip member {name:?}"),
            limit: budget.remaining(),
            offset,
        });
    }
    let mut out = Vec::with_capacity(usize::try_from(declared.min(1 << 20)).unwrap_or(0));
    f.take(declared + 1)
        .read_to_end(&mut out)
        .map_err(|e| FrozenError::malformed(format!("zip member {name:?}: {e}"), offset))?;
    if out.len() as u64 != declared {
        return Err(FrozenError::SizeMismatch {
            what: format!("zip member {name:?}"),
            declared,
            actual: out.len() as u64,
            more: out.len() as u64 > declared,
            offset,
        });
    }
    Ok(out)
}
