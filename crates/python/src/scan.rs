//! `bytescope.scan`: the CLI's JSON Lines records, produced in parallel.

use pyo3::prelude::*;

/// An iterator of scan records (see ``bytescope.scan``).
#[pyclass(module = "bytescope")]
pub struct Scan {}
