//! `bytescope.load_all`: every pyc in files, directories, zip-family archives
//! and frozen applications, loaded in parallel by the batch layer (the
//! CLI's inputs, `ARCHIVE:MEMBER` included) and handed to Python as `Pyc`
//! objects in input order.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

use bytescope_batch::{Footprint, Options};
use bytescope_pyc::PythonVersion;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

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
    rx: Option<Mutex<Receiver<Loaded>>>,
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
        let (tx, rx) = sync_channel::<Loaded>(WINDOW);
        let opts = Options { jobs, ..Options::default() };
        std::thread::Builder::new()
            .name("bytescope-load-all".to_owned())
            .stack_size(bytescope_batch::WORKER_STACK)
            .spawn(move || {
                let work = |source: &bytescope_batch::Source, data: &[u8]| {
                    let label = source.to_string();
                    let result = File::load(data.into(), version, crate::file::Input::Pyc, label.clone())
                        .and_then(|mut file| {
                            crate::code::check_root(&file)?;
                            if source.path.to_str().is_none()
                                && let Some(f) = Arc::get_mut(&mut file)
                            {
                                f.os_label = Some(os_label(source));
                            }
                            Ok(file)
                        })
                        .map_err(|e| e.0);
                    Loaded { label, result }
                };
                let result = bytescope_batch::run(&paths, &opts, work, |source, result| {
                    let loaded = result
                        .unwrap_or_else(|e| Loaded { label: source.to_string(), result: Err(e.to_string()) });
                    // The iterator was dropped: stop.
                    if tx.send(loaded).is_err() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
                });
                if let Err(e) = result {
                    let _ = tx.send(Loaded { label: "bytescope".to_owned(), result: Err(e.to_string()) });
                }
            })
            .map_err(|e| PyValueError::new_err(format!("cannot start the loading thread: {e}")))?;
        Ok(LoadAll { rx: Some(Mutex::new(rx)), onerror })
    }
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
            let Some(rx) = &self.rx else { return Ok(None) };
            let got = py.detach(|| rx.lock().map_err(|_| ()).and_then(|r| r.recv().map_err(|_| ())));
            let Ok(Loaded { label, result }) = got else {
                self.rx = None;
                return Ok(None);
            };
            match result {
                Ok(file) => return Ok(Some(PyPyc { file })),
                Err(message) => {
                    let err = file_error(&label, &message);
                    match &self.onerror {
                        None => {
                            // As a generator that raised: finished.
                            self.rx = None;
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
