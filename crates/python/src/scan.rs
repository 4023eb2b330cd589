//! `bytescope.scan`: the CLI's `scan` records over files, directories and
//! archives, made in parallel by the batch layer on threads of its own while
//! the caller holds no lock: the iterator waits with the GIL released.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use bytescope_batch::Options;
use bytescope_inspect::grep::Grep;
use bytescope_inspect::records::{Scanner, Select};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::background::{self, Results};

/// Files delivered but not yet taken, at most (each a few records).
const WINDOW: usize = 64;

/// An iterator of scan records (see ``bytescope.scan``).
#[pyclass(module = "bytescope")]
pub struct Scan {
    results: Results<Vec<u8>>,
    ready: VecDeque<Py<PyAny>>,
}

/// The path of `source` as the records write it (the CLI's rule: bytes
/// that are not UTF-8 as lone surrogates, which `os.fsencode` turns back).
fn path_json(source: &bytescope_batch::Source) -> Vec<u8> {
    let mut out = Vec::new();
    if source.is_stdin() {
        out.extend_from_slice(b"\"-\"");
    } else {
        bytescope_inspect::records::path_json(&mut out, source.path.as_os_str().as_encoded_bytes());
    }
    out
}

impl Scan {
    /// Starts scanning `paths` on a thread of its own.
    pub(crate) fn start(
        paths: Vec<PathBuf>,
        find: Vec<String>,
        select: Vec<String>,
        jobs: usize,
        version: Option<bytescope_pyc::PythonVersion>,
    ) -> PyResult<Self> {
        let select = Select::new(&select, !find.is_empty(), false).map_err(PyValueError::new_err)?;
        let scanner = Arc::new(Scanner::new(select, &find, Grep::new(), version, false));
        let unreadable_scanner = Arc::clone(&scanner);
        let results = background::start(
            "bytescope-scan",
            paths,
            Options { jobs, ..Options::default() },
            WINDOW,
            move |source, data| scanner.scan(&path_json(source), source.member.as_deref(), data).lines,
            move |source, e| {
                unreadable_scanner
                    .unreadable(&path_json(source), source.member.as_deref(), &e.to_string())
                    .lines
            },
            |e| (serde_json::json!({"type": "error", "error": e}).to_string() + "\n").into_bytes(),
        )?;
        Ok(Scan { results, ready: VecDeque::new() })
    }
}

#[pymethods]
impl Scan {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        loop {
            if let Some(r) = self.ready.pop_front() {
                return Ok(Some(r));
            }
            let Some(lines) = self.results.next(py) else { return Ok(None) };
            // Python's json, not serde_json: a path that is not UTF-8 is written with
            // lone surrogates (`\udcff`), which serde_json refuses and Python keeps.
            let loads = py.import("json")?.getattr("loads")?;
            for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let record = loads
                    .call1((PyBytes::new(py, line),))
                    .map_err(|e| PyValueError::new_err(format!("internal error: bad scan record: {e}")))?;
                self.ready.push_back(record.unbind());
            }
        }
    }
}
