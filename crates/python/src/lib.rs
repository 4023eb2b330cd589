//! The `bytescope._native` extension module: loading, code objects and the
//! printers, for the Python package in `python/bytescope`.
//!
//! Everything here is a thin layer over the library crates: a loaded file is
//! kept once ([`file::File`]) and `Pyc`/`Code` objects are handles into it,
//! whose attributes are computed when read.

mod analysis;
mod background;
mod code;
mod convert;
mod dis;
mod error;
mod file;
mod instructions;
mod loading;
mod scan;
mod types;
mod write;

use std::path::PathBuf;
use std::sync::Arc;

use bytescope_pyc::PythonVersion;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString, PyTuple};

use crate::code::{PyCode, PyPyc};
use crate::convert::Converter;
use crate::error::{Error, file_error};
use crate::file::{File, Input};

/// A version given as `(3, 12)`, `"3.12"` or `None`.
pub(crate) fn parse_version(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<PythonVersion>> {
    let Some(v) = v else { return Ok(None) };
    if v.is_none() {
        return Ok(None);
    }
    let text = if let Ok(s) = v.cast::<PyString>() {
        s.to_string()
    } else if let Ok(t) = v.cast::<PyTuple>() {
        let parts: Vec<u8> = t.iter().take(2).map(|x| x.extract::<u8>()).collect::<PyResult<_>>()?;
        match parts.as_slice() {
            [a, b] => format!("{a}.{b}"),
            _ => return Err(PyValueError::new_err("version must be (major, minor), e.g. (3, 12)")),
        }
    } else {
        return Err(PyTypeError::new_err("version must be a tuple like (3, 12) or a string like \"3.12\""));
    };
    text.parse::<PythonVersion>().map(Some).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Bytes of a `bytes`-like argument, if it is one.
fn data_of(obj: &Bound<'_, PyAny>) -> Option<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Some(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Some(b.to_vec());
    }
    if obj.get_type().name().is_ok_and(|n| n == "memoryview") {
        return obj.call_method0("tobytes").ok()?.cast::<PyBytes>().ok().map(|b| b.as_bytes().to_vec());
    }
    None
}

fn load_file(
    py: Python<'_>,
    data: Vec<u8>,
    version: Option<PythonVersion>,
    input: Input,
    label: String,
) -> PyResult<File> {
    py.detach(move || {
        File::load(data.into_boxed_slice(), version, input, label.clone()).map_err(|e| (label, e.0))
    })
    .map_err(|(label, msg)| file_error(&label, &msg))
}

/// Loads a ``.pyc``.
///
/// ``source`` is a path (``str`` or ``os.PathLike``) or the file's bytes. A
/// path may name one member of a zip-family archive or frozen application as
/// the CLI does, ``ARCHIVE:MEMBER`` (``app.whl:pkg/mod.pyc``, ``app.exe:mod``);
/// ``load_all`` loads every pyc of trees and archives.
/// Data without a valid header (stripped or zeroed, as extraction tools
/// leave it) has its version detected from the data (``Pyc.version_detected``,
/// ``Pyc.version_note``), or read as ``version`` — a tuple like ``(3, 12)``
/// or a string like ``"3.12"`` — when the data passes that version's checks.
/// A valid header always wins.
///
/// Raises ``bytescope.Error`` (a ``ValueError``) naming the file and byte
/// offset for malformed data, and for a path that is not a regular file (a
/// FIFO or device is never opened for reading) or is over 256 MiB;
/// ``OSError`` if the file cannot be read.
#[pyfunction]
#[pyo3(signature = (source, *, version=None))]
fn load(py: Python<'_>, source: &Bound<'_, PyAny>, version: Option<&Bound<'_, PyAny>>) -> PyResult<PyPyc> {
    let version = parse_version(version)?;
    let (data, label, os_label) = match data_of(source) {
        Some(d) => (d, "<bytes>".to_owned(), None),
        None => {
            let path: PathBuf = py.import("os")?.getattr("fspath")?.call1((source,))?.extract()?;
            let label = path.to_string_lossy().into_owned();
            let data = match py.detach(|| read_path(&path)) {
                Ok(data) => data,
                // No such file, but maybe `ARCHIVE:MEMBER`, as the CLI takes it.
                Err(bytescope_batch::InputError::Read(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    match py.detach(|| read_member(&path)) {
                        Some(member) => member.map_err(|m| file_error(&label, &m))?,
                        None => return Err(read_error(&label, bytescope_batch::InputError::Read(e))),
                    }
                }
                Err(e) => return Err(read_error(&label, e)),
            };
            // A path that is not UTF-8 is given back as it came.
            let os_label = path.to_str().is_none().then(|| path.into_os_string());
            (data, label, os_label)
        }
    };
    let mut file = load_file(py, data, version, Input::Pyc, label)?;
    file.os_label = os_label;
    let pyc = PyPyc { file: Arc::new(file) };
    pyc.root()?;
    Ok(pyc)
}

/// The bytes of the file at `path`, read as the CLI reads its inputs (the batch layer): a
/// regular file (or a link to one) only, opened without waiting (a FIFO never blocks),
/// within the batch layer's size limit. A path `-` is the file of that name, not standard
/// input.
fn read_path(path: &std::path::Path) -> Result<Vec<u8>, bytescope_batch::InputError> {
    let path = if bytescope_batch::is_stdin(path) { std::path::Path::new("./-") } else { path };
    bytescope_batch::read_file(path, &bytescope_batch::Limits::default())
}

/// The bytes of the one pyc `path` names as `ARCHIVE:MEMBER` (a member of a zip-family
/// archive or frozen application, as the CLI and `load_all` take it): `None` when `path`
/// names no archive member, else the member's bytes or why there are none (a member that
/// is itself an archive names several pycs).
fn read_member(path: &std::path::Path) -> Option<Result<Vec<u8>, String>> {
    use std::ops::ControlFlow;
    path.to_str().filter(|s| s.contains(':'))?;
    let opts = bytescope_batch::Options { jobs: 1, on_caller: true, ..bytescope_batch::Options::default() };
    let mut found: Vec<Result<Option<Vec<u8>>, bytescope_batch::InputError>> = Vec::new();
    let mut archive = false;
    // `None`: an item that is not an archive member (the path named a file after all).
    let work = |source: &bytescope_batch::Source, data: &[u8]| source.member.is_some().then(|| data.to_vec());
    let run = bytescope_batch::run(&[path.to_owned()], &opts, work, |source, result| {
        // Found by expanding what the name names: an archive inside the archive.
        archive |= source.expanded;
        found.push(result);
        if archive { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    if archive {
        return Some(
            Err("names an archive inside the archive, not a pyc: use bytescope.load_all".to_owned()),
        );
    }
    if run.is_err() || found.len() != 1 {
        return None;
    }
    match found.pop()? {
        Ok(Some(data)) => Some(Ok(data)),
        Ok(None) => None,
        // The archive part is missing too: the path's own "no such file".
        Err(bytescope_batch::InputError::Read(_)) => None,
        Err(e) => Some(Err(e.to_string())),
    }
}

/// What a failed [`read_path`] raises: the OS error as Python's `OSError` subclass
/// (`FileNotFoundError`; `IsADirectoryError` for a directory, as `open` raises), anything
/// else — a FIFO, socket or device, over the size limit — as `bytescope.Error` naming the file.
fn read_error(label: &str, e: bytescope_batch::InputError) -> PyErr {
    use bytescope_batch::InputError;
    match e {
        InputError::Read(io) => io.into(),
        InputError::NotRegular { kind: "a directory", .. } => {
            pyo3::exceptions::PyIsADirectoryError::new_err((21, "Is a directory", label.to_owned()))
        }
        InputError::NotRegular { kind, .. } => file_error(label, &format!("not a regular file ({kind})")),
        other => file_error(label, &other.to_string()),
    }
}

/// Reads raw marshal data (no header) of ``version`` (``(3, 12)`` or
/// ``"3.12"``) and returns the object: a ``Code`` for a code object, else
/// the constant as a host object. Raises ``bytescope.Error`` for malformed
/// data.
#[pyfunction]
fn loads(py: Python<'_>, data: &Bound<'_, PyAny>, version: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let version = parse_version(Some(version))?
        .ok_or_else(|| PyValueError::new_err("loads() needs the data's version, e.g. (3, 12)"))?;
    let bytes = data_of(data).ok_or_else(|| PyTypeError::new_err("loads() takes bytes"))?;
    let file = Arc::new(load_file(py, bytes, Some(version), Input::Headerless, "<bytes>".to_owned())?);
    let root = file.marshal().root();
    Converter::new(&file).object(py, root)
}

/// The ``Code`` of one of the running interpreter's own code objects ``co``
/// (``version``: the host's), read through ``marshal.dumps``, with its sets in the
/// order the live objects iterate: listings show them as the host's ``dis`` does,
/// under any ``PYTHONHASHSEED``.
#[pyfunction]
fn host_code(py: Python<'_>, co: &Bound<'_, PyAny>, version: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let version = parse_version(Some(version))?
        .ok_or_else(|| PyValueError::new_err("host_code() needs the host's version"))?;
    let bytes = write::host_code_data(co, version)?;
    let mut file = load_file(py, bytes, Some(version), Input::Host, "<bytes>".to_owned())?;
    if version >= PythonVersion::PY311 {
        file.live_adaptive = live_adaptive(co, &file)?;
    }
    let file = Arc::new(file);
    let root = file.marshal().root();
    Converter::new(&file).object(py, root)
}

/// `_co_code_adaptive` of `co` and of every code object nested in it, in the order the
/// marshal stream of `file` holds them (pre-order), or `None` where the two do not line
/// up (a code object shared in two places is stored once) or the lengths differ.
fn live_adaptive(co: &Bound<'_, PyAny>, file: &File) -> PyResult<Option<Vec<Vec<u8>>>> {
    let code_type = co.py().import("types")?.getattr("CodeType")?;
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut stack = vec![co.clone()];
    while let Some(c) = stack.pop() {
        out.push(c.getattr("_co_code_adaptive")?.extract()?);
        let nested: Vec<Bound<'_, PyAny>> = c
            .getattr("co_consts")?
            .try_iter()?
            .filter_map(|k| k.ok().filter(|k| k.is_instance(&code_type).unwrap_or(false)))
            .collect();
        stack.extend(nested.into_iter().rev());
    }
    // The stream's code objects in the same pre-order, by index.
    let m = file.marshal();
    let bytescope_marshal::Value::Code(root) = m.get(m.root()) else { return Ok(None) };
    let mut order: Vec<u32> = Vec::new();
    for visit in bytescope_marshal::CodeWalk::from_code(m, file.raw(*root).node) {
        match m.get(visit.code.node) {
            bytescope_marshal::Value::Code(i) if !visit.repeat => order.push(*i),
            _ => return Ok(None),
        }
    }
    let mut by_index: Vec<Vec<u8>> = vec![Vec::new(); m.codes().len()];
    if order.len() != out.len() || order.len() != by_index.len() {
        return Ok(None);
    }
    for (i, live) in order.into_iter().zip(out) {
        let stored = m.bytes(file.raw(i).code).unwrap_or(&[]);
        if stored.len() != live.len() {
            return Ok(None);
        }
        by_index[i as usize] = live;
    }
    Ok(Some(by_index))
}

/// The bytes of the file at ``path`` (``str`` or ``os.PathLike``), read as ``load`` reads
/// paths: a regular file only, at most 256 MiB (``python -m bytescope.dis`` reads source so).
#[pyfunction]
fn read_file<'py>(py: Python<'py>, path: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let path: PathBuf = py.import("os")?.getattr("fspath")?.call1((path,))?.extract()?;
    let label = path.to_string_lossy().into_owned();
    let data = py.detach(|| read_path(&path)).map_err(|e| read_error(&label, e))?;
    Ok(PyBytes::new(py, &data))
}

/// The versions bytescope disassembles, oldest first, as tuples.
#[pyfunction]
fn versions() -> Vec<(u8, u8)> {
    bytescope_opcodes::tables()
        .iter()
        .filter(|t| t.implementation == bytescope_pyc::Implementation::CPython)
        .map(|t| (t.version.major, t.version.minor))
        .collect()
}

/// Loads every ``.pyc`` in ``paths`` — files, directories (recursively),
/// zip-family archives (``.whl``, ``.egg``, ``.zip``, nested ones), frozen
/// applications (PyInstaller, py2exe) and single members named
/// ``ARCHIVE:MEMBER`` — in parallel, and yields them as ``Pyc`` objects in
/// input order, each named (``Pyc.path``) as the CLI names it. A frozen
/// module gets its version's header, as ``bytescope extract`` writes it.
///
/// A file that cannot be read or loaded raises ``bytescope.Error`` (naming
/// it and the offset), which ends the iteration, unless ``onerror`` is
/// given: then it is called with the error and the iteration goes on.
/// ``jobs`` is the number of threads (default: one per core); ``version``
/// reads headerless data. Files are read as the CLI reads them (regular
/// files only, 256 MiB at most, archives within their inflation budget);
/// the work runs on threads of its own, without the GIL, and at most a
/// window of loaded files waits for the caller.
#[pyfunction]
#[pyo3(
    signature = (paths, *, jobs=None, version=None, onerror=None),
    text_signature = "(paths, *, jobs=None, version=None, onerror=None)"
)]
fn load_all(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    jobs: Option<usize>,
    version: Option<&Bound<'_, PyAny>>,
    onerror: Option<Py<PyAny>>,
) -> PyResult<loading::LoadAll> {
    let list = path_list(py, paths)?;
    let onerror = onerror.filter(|f| !f.is_none(py));
    loading::LoadAll::start(list, jobs.unwrap_or(0), parse_version(version)?, onerror)
}

/// `paths` as a list: one path (`str` or `os.PathLike`) or an iterable of them.
fn path_list(py: Python<'_>, paths: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    // `os.fsdecode`: a str, bytes or os.PathLike path, as `str` (bytes that are not UTF-8
    // as lone surrogates, which convert back to the same bytes).
    let fspath = py.import("os")?.getattr("fsdecode")?;
    let one = paths.is_instance_of::<PyString>()
        || paths.is_instance_of::<PyBytes>()
        || paths.hasattr("__fspath__")?;
    if one {
        Ok(vec![fspath.call1((paths,))?.extract()?])
    } else {
        paths.try_iter()?.map(|p| fspath.call1((p?,))?.extract()).collect()
    }
}

/// Scans ``.pyc`` files, directories and zip-family archives (``.whl``,
/// ``.egg``, ``.zip``, PyInstaller executables) in parallel and yields one
/// dict per file and one per code object: the records ``bytescope scan``
/// prints as JSON Lines, in input order whatever ``jobs``.
///
/// ``find`` keeps the code objects that use one of these names, dotted
/// names or opcodes (and the records of their files); ``select`` picks the
/// fields (default: the CLI's default fields; ``["all"]`` for every one);
/// ``jobs`` is the number of threads (default: one per core); ``version``
/// reads headerless data. A file that cannot be read gives a file record
/// whose ``error`` says why. The work runs on threads of its own, without
/// the GIL.
#[pyfunction(name = "scan")]
#[pyo3(
    signature = (paths, *, find=Vec::new(), jobs=None, select=Vec::new(), version=None),
    text_signature = "(paths, *, find=(), jobs=None, select=(), version=None)"
)]
fn scan_paths(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    find: Vec<String>,
    jobs: Option<usize>,
    select: Vec<String>,
    version: Option<&Bound<'_, PyAny>>,
) -> PyResult<scan::Scan> {
    let list = path_list(py, paths)?;
    scan::Scan::start(list, find, select, jobs.unwrap_or(0), parse_version(version)?)
}

/// The output budget of listings of `code`'s file, the CLI's
/// (`bytescope_dis::output_limit`; only crafted files reach it).
#[pyfunction]
fn output_limit(code: &Bound<'_, PyCode>) -> usize {
    bytescope_dis::output_limit(code.get().file.marshal())
}

/// ``code.walk(depth)`` and what the walk left out (``None``, or the
/// message the CLI ends with): repeats of code objects that marshal
/// references share, past the budget (crafted files only).
#[pyfunction]
#[pyo3(signature = (code, depth=None))]
fn walk_noted(code: &Bound<'_, PyCode>, depth: Option<usize>) -> PyResult<(Vec<Py<PyAny>>, Option<String>)> {
    let (codes, note) = code::walk_noted(code, depth)?;
    Ok((codes.into_iter().map(|(c, _)| c).collect(), note))
}

/// The native half of the `bytescope` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Error", m.py().get_type::<Error>())?;
    m.add_class::<PyCode>()?;
    m.add_class::<PyPyc>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(read_file, m)?)?;
    m.add_function(wrap_pyfunction!(host_code, m)?)?;
    m.add_function(wrap_pyfunction!(load_all, m)?)?;
    m.add_function(wrap_pyfunction!(loads, m)?)?;
    m.add_function(wrap_pyfunction!(versions, m)?)?;
    m.add_function(wrap_pyfunction!(output_limit, m)?)?;
    m.add_function(wrap_pyfunction!(walk_noted, m)?)?;
    m.add_function(wrap_pyfunction!(dis::disassemble_text, m)?)?;
    m.add_function(wrap_pyfunction!(dis::code_info_text, m)?)?;
    m.add_function(wrap_pyfunction!(dis::instructions, m)?)?;
    m.add_function(wrap_pyfunction!(dis::get_instructions, m)?)?;
    m.add_function(wrap_pyfunction!(instructions::make_instruction, m)?)?;
    m.add_function(wrap_pyfunction!(instructions::instruction_class, m)?)?;
    m.add_class::<instructions::Instructions>()?;
    m.add_function(wrap_pyfunction!(dis::findlinestarts, m)?)?;
    m.add_function(wrap_pyfunction!(dis::findlabels, m)?)?;
    m.add_function(wrap_pyfunction!(dis::stack_effect, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::stack_json, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::cfg_json, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::check_json, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::diff_json, m)?)?;
    m.add_function(wrap_pyfunction!(write::dumps_code_object, m)?)?;
    m.add_function(wrap_pyfunction!(write::dumps_constant, m)?)?;
    m.add_class::<scan::Scan>()?;
    m.add_function(wrap_pyfunction!(scan_paths, m)?)?;
    Ok(())
}
