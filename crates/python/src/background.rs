//! A batch run on a thread of its own, feeding a Python iterator (`scan`,
//! `load_all`): results come in input order through a bounded channel, the
//! iterator waits for them with the GIL released, and dropping it stops the
//! run at the next result.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, sync_channel};

use bytescope_batch::{Footprint, InputError, Options, Source};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The receiving end: `None` once the run has finished or the iterator
/// has stopped.
pub(crate) struct Results<T>(Option<Mutex<Receiver<T>>>);

/// Starts `bytescope_batch::run` over `paths` on a thread named `name`:
/// `work` makes each item's result on the batch layer's workers,
/// `unreadable` stands for an item that could not be read, `failed` for a
/// run that could not start its workers. At most `window` results wait for
/// the caller.
pub(crate) fn start<T, W, U, F>(
    name: &str,
    paths: Vec<PathBuf>,
    opts: Options,
    window: usize,
    work: W,
    unreadable: U,
    failed: F,
) -> PyResult<Results<T>>
where
    T: Send + Footprint + 'static,
    W: Fn(&Source, &[u8]) -> T + Send + Sync + 'static,
    U: Fn(&Source, InputError) -> T + Send + Sync + 'static,
    F: FnOnce(String) -> T + Send + 'static,
{
    let (tx, rx) = sync_channel::<T>(window);
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(bytescope_batch::WORKER_STACK)
        .spawn(move || {
            let result = bytescope_batch::run(&paths, &opts, work, |source, result| {
                let item = result.unwrap_or_else(|e| unreadable(&source, e));
                // The iterator was dropped: stop.
                if tx.send(item).is_err() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            });
            if let Err(e) = result {
                let _ = tx.send(failed(e.to_string()));
            }
        })
        .map_err(|e| PyValueError::new_err(format!("cannot start the {name} thread: {e}")))?;
    Ok(Results(Some(Mutex::new(rx))))
}

impl<T: Send> Results<T> {
    /// The next result, waited for without the GIL; `None` at the end.
    pub(crate) fn next(&mut self, py: Python<'_>) -> Option<T> {
        let rx = self.0.as_ref()?;
        let got = py.detach(|| rx.lock().ok().and_then(|r| r.recv().ok()));
        if got.is_none() {
            self.0 = None;
        }
        got
    }

    /// Ends the iteration (the run stops at its next result).
    pub(crate) fn stop(&mut self) {
        self.0 = None;
    }
}
