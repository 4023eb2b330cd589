//! A .pyc file: header plus marshal data.

use bytescope_pyc::{HeaderError, PycHeader, PythonVersion, header_len, parse_header};

use crate::{Format, Marshal, MarshalError, Storage, read_in};

/// A loaded .pyc (or headerless marshal data).
#[derive(Clone, Debug)]
pub struct Pyc<'a> {
    /// The header, absent for headerless input.
    pub header: Option<PycHeader>,
    /// The decoded marshal data.
    pub marshal: Marshal<'a>,
    /// Offset of the marshal data in the input.
    pub marshal_offset: usize,
    /// Bytes after the marshal object (CPython ignores them).
    pub trailing: &'a [u8],
}

impl Pyc<'_> {
    /// The version the data was read as.
    #[must_use]
    pub fn version(&self) -> PythonVersion {
        self.marshal.version()
    }
}

/// Why a .pyc could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The header is unusable.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The marshal data is malformed.
    #[error(transparent)]
    Marshal(#[from] MarshalError),
}

/// Loads a .pyc.
///
/// With `version` set, input without a valid header is read as marshal data
/// of that version: directly at offset 0 if it starts with a code object, or
/// after a zeroed header of that version's length. A valid header always wins.
///
/// # Errors
/// [`LoadError::Header`] for a missing, zeroed or unknown header (suggesting
/// `--python-version`), [`LoadError::Marshal`] for malformed data.
pub fn load_pyc(data: &[u8], version: Option<PythonVersion>) -> Result<Pyc<'_>, LoadError> {
    load_pyc_in(data, version, Storage::default())
}

/// [`load_pyc`] into the memory of an earlier stream (see [`Storage`]).
///
/// # Errors
/// As [`load_pyc`].
pub fn load_pyc_in(
    data: &[u8],
    version: Option<PythonVersion>,
    storage: Storage,
) -> Result<Pyc<'_>, LoadError> {
    match (parse_header(data), version) {
        (Ok(header), _) => {
            let off = header.len;
            let format =
                Format::for_magic(header.magic.magic).unwrap_or(Format::for_version(header.version()));
            let marshal = read_in(&data[off..], format, off, storage)?;
            let end = marshal.end_offset();
            Ok(Pyc { header: Some(header), marshal, marshal_offset: off, trailing: &data[end..] })
        }
        (Err(HeaderError::Stripped { .. } | HeaderError::BadMagic { .. }), Some(v)) => {
            // Stripped headers start with the code object; zeroed ones keep
            // their length.
            let off = if data.first().is_some_and(|b| b & 0x7f == b'c') {
                0
            } else if data.len() >= header_len(v) && data[..4] == [0; 4] {
                header_len(v)
            } else {
                0
            };
            load_at(data, v, off, storage)
        }
        (Err(e), _) => Err(e.into()),
    }
}

/// Loads headerless marshal data of `version`.
///
/// # Errors
/// [`LoadError::Marshal`] for malformed data.
pub fn load_marshal(data: &[u8], version: PythonVersion) -> Result<Pyc<'_>, LoadError> {
    load_at(data, version, 0, Storage::default())
}

fn load_at(data: &[u8], version: PythonVersion, off: usize, storage: Storage) -> Result<Pyc<'_>, LoadError> {
    let marshal = read_in(&data[off..], Format::for_version(version), off, storage)?;
    let end = marshal.end_offset();
    Ok(Pyc { header: None, marshal, marshal_offset: off, trailing: &data[end..] })
}
