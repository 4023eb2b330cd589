//! `bytescope.load_all`: every pyc in files, directories, zip-family archives
//! and frozen applications, loaded in parallel by the batch layer (the
//! CLI's inputs, `ARCHIVE:MEMBER` included) and handed to Python as `Pyc`
//! objects in input order.

use std::path::PathBuf;
use std::sync::Arc;

use bytescope_batch::{Footprint, Options};
use bytescope_pyc::PythonVersion;
use pyo3::prelude::*;

use crate::background::{self, Results};

use crate::code::PyPyc;
use crate::error::file_error;
use crate::file::File;

/// Loaded files handed over but not yet taken, at most. Small: each holds a
/// whole file and its arena (up to the 256 MiB file limit, and about as much
/// again), and the batch layer's own window (by bytes) keeps the workers
/// ahead of the caller anyway.
const WINDOW: usize = 2;

/// One item: how it is named (`PATH` or `ARCHIVE:MEMBER`) and the loaded
/// file or why it could not be loaded.
struct Loaded {
    label: String,
    result: Result<Arc<File>, String>,
}

impl Footprint for Loaded {
    fn footprint(&self) -> usize {
        // The file's bytes and, about as much again, the marshal arena over them.
        let held = self.result.as_ref().map_or_else(String::len, |f| f.bytes().len().saturating_mul(2));
        self.label.len().saturating_add(held)
    }
}

/// An iterator of loaded pycs (see ``bytescope.load_all``): yields ``Pyc``
/// objects; one that could not be read or loaded is a ``bytescope.Error``
/// raised, or handed to ``onerror`` when there is one.
#[pyclass(module = "bytescope")]
pub struct LoadAll {
    results: Results<Loaded>,
    onerror: Option<Py<PyAny>>,
}

impl LoadAll {
    /// Starts loading `paths` on a thread of its own.
    pub(crate) fn start(
        paths: Vec<PathBuf>,
        jobs: usize,
        version: Option<PythonVersion>,
        onerror: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let results = background::start(
            "bytescope-load-all",
            paths,
            Options { jobs, ..Options::default() },
            WINDOW,
            move |source, data| load(source, data, version),
            |source, e| Loaded { label: source.to_string(), result: Err(e.to_string()) },
            |e| Loaded { label: "bytescope".to_owned(), result: Err(e) },
        )?;
        Ok(LoadAll { results, onerror })
    }
}

/// One item loaded and checked as `bytescope.load` loads a file.
fn load(source: &bytescope_batch::Source, data: &[u8], version: Option<PythonVersion>) -> Loaded {
    let label = source.to_string();
    let result = File::load(data.into(), version, crate::file::Input::Pyc, label.clone())
        .and_then(|mut file| {
            crate::code::check_root(&file)?;
            if source.path.to_str().is_none() {
                file.os_label = Some(os_label(source));
            }
            Ok(Arc::new(file))
        })
        .map_err(|e| e.0);
    Loaded { label, result }
}

/// `PATH` or `ARCHIVE:MEMBER` with the path's bytes as the OS gave them.
fn os_label(source: &bytescope_batch::Source) -> std::ffi::OsString {
    let mut s = source.path.clone().into_os_string();
    if let Some(m) = &source.member {
        s.push(":");
        s.push(m);
    }
    s
}

#[pymethods]
impl LoadAll {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<PyPyc>> {
        loop {
            let Some(Loaded { label, result }) = self.results.next(py) else { return Ok(None) };
            match result {
                Ok(file) => return Ok(Some(PyPyc { file })),
                Err(message) => {
                    let err = file_error(&label, &message);
                    match &self.onerror {
                        None => {
                            // As a generator that raised: finished.
                            self.results.stop();
                            return Err(err);
                        }
                        Some(f) => {
                            f.call1(py, (err.into_value(py),))?;
                        }
                    }
                }
            }
        }
    }
}
