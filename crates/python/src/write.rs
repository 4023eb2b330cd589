//! The write path (`crates/write`) for Python: `bytescope.dumps(code)` and
//! `Pyc.to_bytes()`.

use bytescope_write::{CodeObject, HeaderSpec, dumps_code, pyc_header};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::code::{PyCode, PyPyc};
use crate::error::file_error;
use crate::file::File;

/// The marshal data of code object `index` of `file`, written in its
/// version's format by the write path (read -> owned -> marshal).
fn marshal_code(file: &File, index: u32) -> PyResult<Vec<u8>> {
    let owned = CodeObject::from_marshal(file.marshal(), file.raw(index))
        .map_err(|e| file_error(&file.label, &e.to_string()))?;
    dumps_code(&owned).map_err(|e| file_error(&file.label, &e.to_string()))
}

/// `bytescope.dumps(code)`: a code object as its version's `marshal.dumps`
/// writes it.
#[pyfunction]
pub(crate) fn dumps_code_object<'py>(
    py: Python<'py>,
    code: &Bound<'py, PyCode>,
) -> PyResult<Bound<'py, PyBytes>> {
    let c = code.get();
    let data = py.detach(|| marshal_code(&c.file, c.index))?;
    Ok(PyBytes::new(py, &data))
}

/// `Pyc.to_bytes()`: the header as read (for headerless data, a timestamp
/// header of the version with zero mtime and size), then the module code
/// object written by the write path.
pub(crate) fn pyc_to_bytes<'py>(py: Python<'py>, pyc: &Bound<'py, PyPyc>) -> PyResult<Bound<'py, PyBytes>> {
    let p = pyc.get();
    let root = p.root()?;
    let file = &p.file;
    let mut out = if file.pyc().header.is_some() {
        file.bytes()[..file.pyc().marshal_offset].to_vec()
    } else {
        pyc_header(file.version(), HeaderSpec::Timestamp { mtime: 0, source_size: 0 })
            .map_err(|e| file_error(&file.label, &e.to_string()))?
    };
    out.extend(py.detach(|| marshal_code(file, root))?);
    Ok(PyBytes::new(py, &out))
}
