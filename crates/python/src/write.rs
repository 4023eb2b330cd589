//! The write path (`crates/write`) for Python: `bytescope.dumps(code)`,
//! `Pyc.to_bytes()`, `Code.replace(**changes)` and `Pyc.replace(code=...)`.
//!
//! `replace` converts the keyword arguments into the write crate's owned
//! values (ints, bytes, names, and `co_consts` into an owned constant tree),
//! applies the version's `code.replace()` rules (`CodeObject::replace`),
//! writes the result in the version's marshal format and reads it back, so
//! the new `Code` is an ordinary one: `dis`, `dumps` and `to_bytes` work on
//! it as on any code object read from a file.

use std::sync::Arc;

use bytescope_marshal::{Value, load_marshal};
use bytescope_pyc::PythonVersion;
use bytescope_write::{
    CodeObject, CodeRules, CodeValueError, HeaderSpec, MAX_DEPTH, Object, PyErrorKind, PyFloat, PyInt, PyStr,
    Replace, dumps_code, pyc_header,
};
use pyo3::exceptions::{PyMemoryError, PyOverflowError, PySystemError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyComplex, PyDict, PyFloat as PyFloatType, PyFrozenSet, PyInt as PyIntType, PyList,
    PySet, PySlice, PyString, PyTuple,
};

use crate::code::{PyCode, PyPyc};
use crate::error::file_error;
use crate::file::File;

/// The stack of the threads [`deep`] runs on: the write crate recurses once
/// per nesting level of constants (up to marshal's 2000), which needs more
/// than the caller's thread may have (a debug build overflows 8 MiB).
const DEEP_STACK: usize = 64 << 20;

/// Runs `f` (work of the write crate, which recurses over nested constants)
/// on a thread of its own with a [`DEEP_STACK`] stack, and waits for it.
fn deep<T: Send>(f: impl FnOnce() -> PyResult<T> + Send) -> PyResult<T> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("bytescope-write".to_owned())
            .stack_size(DEEP_STACK)
            .spawn_scoped(s, f)
            .map_err(|e| PyMemoryError::new_err(format!("cannot start the writer's thread: {e}")))?;
        handle.join().unwrap_or_else(|_| Err(PySystemError::new_err("bytescope's writer failed (a bug)")))
    })
}

/// The owned form of code object `index` of `file`.
fn owned_code(file: &File, index: u32) -> PyResult<CodeObject> {
    let mut code = CodeObject::from_marshal(file.marshal(), file.raw(index))
        .map_err(|e| file_error(&file.label, &e.to_string()))?;
    deoptimize_tree(&mut code);
    Ok(code)
}

/// Every code object in `code` (itself and those among its constants, at any
/// depth) with the bytecode its `co_code` gives (3.11+: deoptimised), which is
/// what CPython's `marshal.dumps` and `replace()` start from. Only crafted
/// data changes.
fn deoptimize_tree(code: &mut CodeObject) {
    let Some(table) = bytescope_opcodes::table(code.version) else { return };
    if let Some(d) = table.deoptimized(&code.code) {
        code.code = d;
    }
    let mut stack: Vec<&mut Object> = code.consts.iter_mut().collect();
    while let Some(o) = stack.pop() {
        match o {
            Object::Code(c) => {
                if let Some(d) = table.deoptimized(&c.code) {
                    c.code = d;
                }
                stack.extend(c.consts.iter_mut());
            }
            Object::Tuple(v) | Object::List(v) | Object::Set(v) | Object::FrozenSet(v) => {
                stack.extend(v.iter_mut())
            }
            Object::Dict(pairs) | Object::FrozenDict(pairs) => {
                for (k, v) in pairs.iter_mut() {
                    stack.push(k);
                    stack.push(v);
                }
            }
            Object::Slice(parts) => stack.extend(parts.iter_mut()),
            _ => {}
        }
    }
}

/// The marshal data of code object `index` of `file`, written in its
/// version's format by the write path (read -> owned -> marshal).
fn marshal_code(file: &File, index: u32) -> PyResult<Vec<u8>> {
    deep(|| {
        let owned = owned_code(file, index)?;
        dumps_code(&owned).map_err(|e| file_error(&file.label, &e.to_string()))
    })
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

/// `bytescope.dumps(value, version=...)`: a constant (None, bool, int,
/// float, complex, str, bytes, tuple, list, set, frozenset, dict, slice,
/// Ellipsis, a `Code` of that version) as `version`'s `marshal.dumps`
/// writes it.
#[pyfunction]
pub(crate) fn dumps_constant<'py>(
    py: Python<'py>,
    value: &Bound<'py, PyAny>,
    version: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let Some(v) = crate::parse_version(Some(version))? else {
        return Err(PyTypeError::new_err("bytescope.dumps of a value that is not a Code needs version="));
    };
    // The versions bytescope has tables for (`bytescope.versions()`).
    if bytescope_opcodes::table(v).is_none() {
        return Err(PyValueError::new_err(format!("bytescope does not know Python {v}")));
    }
    let obj = constant(value, v, "dumps")?;
    let data = py.detach(|| {
        deep(|| bytescope_write::dumps(&obj, v).map_err(|e| crate::error::Error::new_err(e.to_string())))
    })?;
    Ok(PyBytes::new(py, &data))
}

/// The header of `file` as read, or for headerless data a timestamp header
/// of its version with zero mtime and size.
fn header_of(file: &File) -> PyResult<Vec<u8>> {
    if file.pyc().header.is_some() {
        Ok(file.bytes()[..file.pyc().marshal_offset].to_vec())
    } else {
        pyc_header(file.version(), HeaderSpec::Timestamp { mtime: 0, source_size: 0 })
            .map_err(|e| file_error(&file.label, &e.to_string()))
    }
}

/// `Pyc.to_bytes()`: the header as read (for headerless data, a timestamp
/// header of the version with zero mtime and size), then the module code
/// object written by the write path.
pub(crate) fn pyc_to_bytes<'py>(py: Python<'py>, pyc: &Bound<'py, PyPyc>) -> PyResult<Bound<'py, PyBytes>> {
    let p = pyc.get();
    let root = p.root()?;
    let file = &p.file;
    let mut out = header_of(file)?;
    out.extend(py.detach(|| marshal_code(file, root))?);
    Ok(PyBytes::new(py, &out))
}

/// `Pyc.replace(code=...)`: the same header with `code` (a `Code` of the
/// same version) as the module code object.
pub(crate) fn pyc_replace(py: Python<'_>, pyc: &PyPyc, code: Option<&Bound<'_, PyCode>>) -> PyResult<PyPyc> {
    let file = &pyc.file;
    let Some(code) = code else { return Ok(PyPyc { file: Arc::clone(file) }) };
    let c = code.get();
    if c.file.version() != file.version() {
        return Err(PyValueError::new_err(format!(
            "Pyc.replace(): code is a Python {} code object, the .pyc is Python {}",
            c.file.version(),
            file.version()
        )));
    }
    let mut data = header_of(file)?;
    data.extend(py.detach(|| marshal_code(&c.file, c.index))?);
    let label = edited_label(&file.label);
    let version = file.version();
    let new = py
        .detach(move || {
            File::load(data.into_boxed_slice(), Some(version), crate::file::Input::Pyc, label.clone())
                .map(Arc::new)
                .map_err(|e| (label, e.0))
        })
        .map_err(|(label, msg)| file_error(&label, &msg))?;
    Ok(PyPyc { file: new })
}

fn edited_label(label: &str) -> String {
    if label.ends_with(" (edited)") { label.to_owned() } else { format!("{label} (edited)") }
}

/// `Code.replace(**changes)`.
pub(crate) fn replace_code(
    py: Python<'_>,
    code: &Bound<'_, PyCode>,
    changes: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyCode>> {
    let c = code.get();
    let version = c.file.version();
    let rules = CodeRules::for_version(version);
    let allowed = rules.keywords();
    let mut r = Replace::default();
    for (k, v) in changes.into_iter().flat_map(|d| d.iter()) {
        let key: String = k.extract()?;
        if !allowed.contains(&key.as_str()) {
            return Err(code_value_error(&CodeValueError::unknown_keyword(version, &key)));
        }
        set_field(&mut r, &key, &v, &rules)?;
    }
    let source = &c.file;
    let index = c.index;
    let file = py.detach(|| {
        deep(move || {
            let owned = owned_code(source, index)?;
            let edited = owned.replace(r).map_err(|e| code_value_error(&e))?;
            let data = dumps_code(&edited).map_err(|e| PyValueError::new_err(format!("replace(): {e}")))?;
            let label = edited_label(&source.label);
            // Edited host code is still the host's (its sets in their current order).
            let input = if source.input == crate::file::Input::Host {
                crate::file::Input::Host
            } else {
                crate::file::Input::Headerless
            };
            File::load(data.into_boxed_slice(), Some(version), input, label.clone())
                .map(Arc::new)
                .map_err(|e| file_error(&label, &e.0))
        })
    })?;
    let m = file.marshal();
    let index = match m.get(m.root()) {
        Value::Code(i) => *i,
        _ => return Err(file_error(&file.label, "the written data is not a code object")),
    };
    Py::new(py, PyCode::new(file, index))
}

/// The Python exception CPython raises for a rejected code object.
fn code_value_error(e: &CodeValueError) -> PyErr {
    let msg = e.message.clone();
    match e.kind {
        PyErrorKind::TypeError => PyTypeError::new_err(msg),
        PyErrorKind::ValueError => PyValueError::new_err(msg),
        PyErrorKind::OverflowError => PyOverflowError::new_err(msg),
        PyErrorKind::SystemError => PySystemError::new_err(format!(
            "{msg} (Python {}'s code constructor rejects these values)",
            e.version
        )),
    }
}

/// Stores keyword `key` (one the version takes) converted into `r`.
fn set_field(r: &mut Replace, key: &str, v: &Bound<'_, PyAny>, rules: &CodeRules) -> PyResult<()> {
    // As the version's Argument Clinic `int` converter words it.
    let int = || -> PyResult<Option<i32>> {
        if !v.is_instance_of::<PyIntType>() {
            let t = type_name(v);
            return Err(PyTypeError::new_err(if rules.version >= PythonVersion::PY310 {
                format!("'{t}' object cannot be interpreted as an integer")
            } else if t == "float" {
                "integer argument expected, got float".to_owned()
            } else {
                format!("an integer is required (got type {t})")
            }));
        }
        match v.extract::<i32>() {
            Ok(i) => Ok(Some(i)),
            Err(_) => Err(PyOverflowError::new_err("Python int too large to convert to C int")),
        }
    };
    let bytes = || -> PyResult<Option<Vec<u8>>> {
        match v.cast_exact::<PyBytes>() {
            Ok(b) => Ok(Some(b.as_bytes().to_vec())),
            Err(_) => Err(PyTypeError::new_err(format!(
                "replace() argument '{key}' must be bytes, not {}",
                type_name(v)
            ))),
        }
    };
    let names = || -> PyResult<Option<Vec<PyStr>>> {
        let Ok(t) = v.cast::<PyTuple>() else {
            return Err(PyTypeError::new_err(format!(
                "replace() argument '{key}' must be tuple, not {}",
                type_name(v)
            )));
        };
        t.iter().map(|n| name(&n, key, rules)).collect::<PyResult<_>>().map(Some)
    };
    match key {
        "co_argcount" => r.argcount = int()?,
        "co_posonlyargcount" => r.posonlyargcount = int()?,
        "co_kwonlyargcount" => r.kwonlyargcount = int()?,
        "co_nlocals" => r.nlocals = int()?,
        "co_stacksize" => r.stacksize = int()?,
        "co_flags" => r.flags = int()?,
        "co_firstlineno" => r.firstlineno = int()?,
        "co_code" => r.code = bytes()?,
        "co_lnotab" | "co_linetable" => r.linetable = bytes()?,
        "co_exceptiontable" => r.exceptiontable = bytes()?,
        "co_names" => r.names = names()?,
        "co_varnames" => r.varnames = names()?,
        "co_freevars" => r.freevars = names()?,
        "co_cellvars" => r.cellvars = names()?,
        "co_filename" => r.filename = Some(scalar_name(v, key, rules)?),
        "co_name" => r.name = Some(scalar_name(v, key, rules)?),
        "co_qualname" => r.qualname = Some(scalar_name(v, key, rules)?),
        "co_consts" => {
            let Ok(t) = v.cast::<PyTuple>() else {
                return Err(PyTypeError::new_err(format!(
                    "replace() argument 'co_consts' must be tuple, not {}",
                    type_name(v)
                )));
            };
            let consts =
                t.iter().map(|c| constant(&c, rules.version, "co_consts")).collect::<PyResult<_>>()?;
            r.consts = Some(consts);
        }
        _ => return Err(code_value_error(&CodeValueError::unknown_keyword(rules.version, key))),
    }
    Ok(())
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type().name().map_or_else(|_| "object".to_owned(), |n| n.to_string())
}

/// `co_name`, `co_filename` or `co_qualname`: a [`name`], refused with the
/// message of `replace()`'s `str` converter.
fn scalar_name(v: &Bound<'_, PyAny>, key: &str, rules: &CodeRules) -> PyResult<PyStr> {
    let accepted = v.is_instance_of::<PyString>() || (rules.py2_names && v.is_instance_of::<PyBytes>());
    if !accepted {
        return Err(PyTypeError::new_err(format!(
            "replace() argument '{key}' must be str, not {}",
            type_name(v)
        )));
    }
    name(v, key, rules)
}

/// A name (an element of `co_names`, `co_varnames`, ..., or `co_name`,
/// `co_filename`, `co_qualname`): a `str`; for Python 2 code, whose names are
/// byte strings, a `str` is encoded back with `surrogateescape` (as the
/// reader decoded it) and `bytes` are taken as they are.
fn name(v: &Bound<'_, PyAny>, key: &str, rules: &CodeRules) -> PyResult<PyStr> {
    if rules.py2_names {
        if let Ok(b) = v.cast::<PyBytes>() {
            return Ok(PyStr::from_py2_bytes(b.as_bytes().to_vec()));
        }
        if v.is_instance_of::<PyString>() {
            let b = v.call_method1("encode", ("utf-8", "surrogateescape"))?;
            return Ok(PyStr::from_py2_bytes(b.cast::<PyBytes>()?.as_bytes().to_vec()));
        }
    } else if v.is_instance_of::<PyString>() {
        return text(v);
    }
    Err(PyTypeError::new_err(format!("{key}: names must be str, not {}", type_name(v))))
}

/// A `str` as stored: UTF-8 with lone surrogates kept.
fn text(v: &Bound<'_, PyAny>) -> PyResult<PyStr> {
    let b = v.call_method1("encode", ("utf-8", "surrogatepass"))?;
    PyStr::from_utf8_surrogates(b.cast::<PyBytes>()?.as_bytes().to_vec())
        .map_err(|e| PyValueError::new_err(format!("a str that is not UTF-8: {e}")))
}

/// The containers `co_consts` may hold.
enum Shape {
    Tuple,
    FrozenSet,
    List,
    Set,
    Dict,
    FrozenDict,
    Slice,
}

/// A constant converted, or a container whose elements are converted next.
enum Step<'py> {
    Leaf(Object),
    Container(Shape, Vec<Bound<'py, PyAny>>),
}

/// A Python constant as an owned [`Object`]. Iterative (a value can nest
/// deeper than a thread's stack allows) and bounded: nesting deeper than
/// marshal's [`MAX_DEPTH`], or a container that holds itself, is an error.
fn constant(v: &Bound<'_, PyAny>, version: PythonVersion, what: &str) -> PyResult<Object> {
    let mut stack: Vec<(Shape, std::vec::IntoIter<Bound<'_, PyAny>>, Vec<Object>)> = Vec::new();
    let mut next = Some(v.clone());
    loop {
        if let Some(x) = next.take() {
            match classify(&x, version, what)? {
                Step::Leaf(o) => match stack.last_mut() {
                    None => return Ok(o),
                    Some(top) => top.2.push(o),
                },
                Step::Container(shape, items) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(PyValueError::new_err(format!(
                            "{what}: constants nest deeper than {MAX_DEPTH} levels, which marshal cannot write"
                        )));
                    }
                    let n = items.len();
                    stack.push((shape, items.into_iter(), Vec::with_capacity(n)));
                }
            }
        }
        while let Some(top) = stack.last_mut() {
            if let Some(x) = top.1.next() {
                next = Some(x);
                break;
            }
            let Some((shape, _, vals)) = stack.pop() else { break };
            let o = build(shape, vals);
            match stack.last_mut() {
                None => return Ok(o),
                Some(top) => top.2.push(o),
            }
        }
    }
}

/// A container from its converted elements.
fn build(shape: Shape, vals: Vec<Object>) -> Object {
    match shape {
        Shape::Tuple => Object::Tuple(vals),
        Shape::FrozenSet => Object::FrozenSet(vals),
        Shape::List => Object::List(vals),
        Shape::Set => Object::Set(vals),
        Shape::Dict | Shape::FrozenDict => {
            let mut pairs = Vec::with_capacity(vals.len() / 2);
            let mut it = vals.into_iter();
            while let (Some(k), Some(x)) = (it.next(), it.next()) {
                pairs.push((k, x));
            }
            if matches!(shape, Shape::Dict) { Object::Dict(pairs) } else { Object::FrozenDict(pairs) }
        }
        Shape::Slice => {
            let mut it = vals.into_iter();
            let mut part = || it.next().unwrap_or(Object::None);
            Object::Slice(Box::new([part(), part(), part()]))
        }
    }
}

/// One constant, or the elements of a container.
fn classify<'py>(v: &Bound<'py, PyAny>, version: PythonVersion, what: &str) -> PyResult<Step<'py>> {
    let py = v.py();
    let leaf = |o| Ok(Step::Leaf(o));
    let items = |shape, v: &Bound<'py, PyAny>| -> PyResult<Step<'py>> {
        Ok(Step::Container(shape, v.try_iter()?.collect::<PyResult<_>>()?))
    };
    if v.is_none() {
        return leaf(Object::None);
    }
    if v.is(py.Ellipsis()) {
        return leaf(Object::Ellipsis);
    }
    if v.is(py.get_type::<pyo3::exceptions::PyStopIteration>()) {
        return leaf(Object::StopIteration);
    }
    if let Ok(b) = v.cast_exact::<PyBool>() {
        return leaf(Object::Bool(b.is_true()));
    }
    if v.cast_exact::<PyIntType>().is_ok() {
        return leaf(Object::Int(int(v)?));
    }
    if let Ok(f) = v.cast_exact::<PyFloatType>() {
        return leaf(Object::Float(PyFloat(f.value())));
    }
    if let Ok(c) = v.cast_exact::<PyComplex>() {
        return leaf(Object::Complex { re: PyFloat(c.real()), im: PyFloat(c.imag()) });
    }
    if v.cast_exact::<PyString>().is_ok() {
        return leaf(Object::Str(text(v)?));
    }
    if let Ok(b) = v.cast_exact::<PyBytes>() {
        return leaf(Object::Bytes(b.as_bytes().to_vec()));
    }
    if v.cast_exact::<PyTuple>().is_ok() {
        return items(Shape::Tuple, v);
    }
    if v.cast_exact::<PyFrozenSet>().is_ok() {
        return items(Shape::FrozenSet, v);
    }
    if v.cast_exact::<PyList>().is_ok() {
        return items(Shape::List, v);
    }
    if v.cast_exact::<PySet>().is_ok() {
        return items(Shape::Set, v);
    }
    if let Ok(d) = v.cast_exact::<PyDict>() {
        let mut flat = Vec::with_capacity(2 * d.len());
        for (k, x) in d.iter() {
            flat.push(k);
            flat.push(x);
        }
        return Ok(Step::Container(Shape::Dict, flat));
    }
    if let Ok(s) = v.cast_exact::<PySlice>() {
        let parts = ["start", "stop", "step"].iter().map(|a| s.getattr(*a)).collect::<PyResult<_>>()?;
        return Ok(Step::Container(Shape::Slice, parts));
    }
    if let Ok(code) = v.cast::<PyCode>() {
        let c = code.get();
        let cv = c.file.version();
        if cv != version {
            return Err(PyValueError::new_err(format!(
                "{what}: a Python {cv} code object cannot be a constant of Python {version} code"
            )));
        }
        let (file, index) = (&c.file, c.index);
        return leaf(Object::Code(Box::new(py.detach(|| deep(|| owned_code(file, index)))?)));
    }
    if v.get_type().is(crate::convert::frozendict_type(py)?) {
        let mut flat = Vec::new();
        for pair in v.call_method0("items")?.try_iter()? {
            let (k, x): (Bound<'py, PyAny>, Bound<'py, PyAny>) = pair?.extract()?;
            flat.push(k);
            flat.push(x);
        }
        return Ok(Step::Container(Shape::FrozenDict, flat));
    }
    if v.is_instance(&py.import("types")?.getattr("CodeType")?)? {
        return leaf(Object::Code(Box::new(host_code(v, version, what)?)));
    }
    Err(PyTypeError::new_err(format!(
        "{what}: cannot store a constant of type {} (marshal writes None, bool, int, float, complex, str, bytes, tuple, list, set, frozenset, dict, frozendict, Ellipsis, slice and code objects)",
        type_name(v)
    )))
}

/// An `int` of any size.
fn int(v: &Bound<'_, PyAny>) -> PyResult<PyInt> {
    if let Ok(i) = v.extract::<i64>() {
        return Ok(PyInt::from(i));
    }
    // Beyond 64 bits: the magnitude's little-endian bytes.
    let negative = v.lt(0)?;
    let mag = v.call_method0("__abs__")?;
    let nbytes = mag.call_method0("bit_length")?.extract::<usize>()?.div_ceil(8);
    let raw = mag.call_method1("to_bytes", (nbytes, "little"))?;
    Ok(PyInt::from_le_bytes(negative, raw.cast::<PyBytes>()?.as_bytes()))
}

/// A live code object of the host, through `marshal.dumps` (the host's own
/// version, which must be `version`).
fn host_code(v: &Bound<'_, PyAny>, version: PythonVersion, what: &str) -> PyResult<CodeObject> {
    let py = v.py();
    let info = py.import("sys")?.getattr("version_info")?;
    let (major, minor): (u8, u8) = (info.getattr("major")?.extract()?, info.getattr("minor")?.extract()?);
    let host = format!("{major}.{minor}").parse::<PythonVersion>().ok();
    if host != Some(version) {
        return Err(PyValueError::new_err(format!(
            "{what}: a host code object (Python {}) cannot be a constant of Python {version} code",
            host.map_or_else(|| "?".to_owned(), |h| h.to_string())
        )));
    }
    let data = py.import("marshal")?.call_method1("dumps", (v,))?;
    owned_marshal(data.cast::<PyBytes>()?.as_bytes(), version)
}

/// The owned code object of marshal data `data` of `version`.
fn owned_marshal(data: &[u8], version: PythonVersion) -> PyResult<CodeObject> {
    deep(|| {
        let pyc = load_marshal(data, version).map_err(|e| PyValueError::new_err(e.to_string()))?;
        CodeObject::from_root(&pyc.marshal).map_err(|e| PyValueError::new_err(e.to_string()))
    })
}

/// The marshal data of the running interpreter's live code object `co` (the host's own
/// `version`), with every set among its constants (nested code objects' included) in
/// the order the live objects iterate, which is the order the host's `dis` prints: from
/// 3.11 `marshal.dumps` writes set elements sorted by their marshalled bytes (for
/// reproducible output), not in that order. Read back as [`crate::file::Input::Host`],
/// whose sets keep the stream's order.
pub(crate) fn host_code_data(co: &Bound<'_, PyAny>, version: PythonVersion) -> PyResult<Vec<u8>> {
    let py = co.py();
    let data: Vec<u8> = py.import("marshal")?.call_method1("dumps", (co,))?.extract()?;
    // Anything the owned model cannot take keeps marshal's own bytes (and order).
    let Ok(mut owned) = owned_marshal(&data, version) else { return Ok(data) };
    if !code_has_set(&owned) || live_set_order(&mut owned, co, version).is_err() {
        return Ok(data);
    }
    Ok(py
        .detach(|| deep(|| dumps_code(&owned).map_err(|e| PyValueError::new_err(e.to_string()))))
        .unwrap_or(data))
}

/// Whether a constant of `code` (or of a code object nested in it) holds a set.
fn code_has_set(code: &CodeObject) -> bool {
    code.consts.iter().any(|c| match c {
        Object::Code(inner) => code_has_set(inner),
        other => has_set(other),
    })
}

fn has_set(o: &Object) -> bool {
    match o {
        Object::FrozenSet(_) | Object::Set(_) => true,
        Object::Tuple(v) | Object::List(v) => v.iter().any(has_set),
        Object::Dict(p) | Object::FrozenDict(p) => p.iter().any(|(k, v)| has_set(k) || has_set(v)),
        Object::Slice(s) => s.iter().any(has_set),
        _ => false,
    }
}

/// Replaces each constant of `owned` that holds a set by the live constant of `live`
/// converted anew (a live set converts in its iteration order), recursing into nested
/// code objects.
fn live_set_order(owned: &mut CodeObject, live: &Bound<'_, PyAny>, version: PythonVersion) -> PyResult<()> {
    let consts = live.getattr("co_consts")?;
    for (o, l) in owned.consts.iter_mut().zip(consts.try_iter()?) {
        let l = l?;
        match o {
            Object::Code(inner) => live_set_order(inner, &l, version)?,
            other if has_set(other) => *other = constant(&l, version, "co_consts")?,
            _ => {}
        }
    }
    Ok(())
}
