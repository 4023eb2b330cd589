//! Classes and helpers defined in Python (`bytescope._types`) that the
//! native code builds values with.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// `bytescope._types.NAME`, looked up once.
pub(crate) fn get<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    static CACHE: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let cache = CACHE.get_or_init(py, || PyDict::new(py).unbind()).bind(py);
    if let Some(v) = cache.get_item(name)? {
        return Ok(v);
    }
    let v = py.import("bytescope._types")?.getattr(name)?;
    cache.set_item(name, &v)?;
    Ok(v)
}
