//! `bytescope.Error`: malformed input, named by file and byte offset.

use pyo3::PyErr;
use pyo3::exceptions::PyValueError;

pyo3::create_exception!(
    bytescope,
    Error,
    PyValueError,
    "Malformed input: the message names the file and the byte offset, as the bytescope CLI does\n\
     (``PATH: message (at offset 0x...)``)."
);

/// A `bytescope.Error` for file `label`: `label: message`.
pub(crate) fn file_error(label: &str, message: &str) -> PyErr {
    Error::new_err(format!("{label}: {message}"))
}
