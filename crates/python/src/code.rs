//! `bytescope.Code` and `bytescope.Pyc`: views of a loaded file, made on
//! demand (a `Code` is a handle; its attributes are computed when read).

use std::sync::{Arc, OnceLock};

use bytescope_code::lines::{co_lines, co_positions};
use bytescope_code::{Code, kinds};
use bytescope_marshal::{CodeLayout, CodeWalk, ObjId, Value};
use bytescope_opcodes::Action;
use bytescope_pyc::{Invalidation, PythonVersion};
use bytescope_pyrepr::repr_code;
use pyo3::exceptions::{PyAttributeError, PyDeprecationWarning, PyIndexError, PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCFunction, PyDict, PyList, PyString, PyTuple};

use crate::convert::{Converter, string};
use crate::error::file_error;
use crate::file::File;
use crate::types;

/// A code object of any CPython version, read from a .pyc or marshal data.
///
/// It has exactly the ``co_*`` attributes its version's code objects have,
/// with the values that version's interpreter gives (reading one its version
/// lacks raises ``AttributeError``), plus ``version`` (a tuple like
/// ``(3, 12)``), ``offset`` (its byte offset in the file),
/// ``exception_table`` and ``walk()``. Constants are host Python objects;
/// nested code objects are ``Code`` objects.
#[pyclass(frozen, module = "bytescope", name = "Code")]
pub struct PyCode {
    pub(crate) file: Arc<File>,
    /// Index in the file's code objects (stream order).
    pub(crate) index: u32,
    consts: OnceLock<Py<PyTuple>>,
}

impl PyCode {
    pub(crate) fn new(file: Arc<File>, index: u32) -> Self {
        PyCode { file, index, consts: OnceLock::new() }
    }

    pub(crate) fn py_version(&self) -> PythonVersion {
        self.file.version()
    }

    fn require(&self, since: PythonVersion, attr: &str) -> PyResult<()> {
        if self.py_version() >= since { Ok(()) } else { Err(no_attribute(attr)) }
    }

    fn layout(&self) -> CodeLayout {
        self.file.raw(self.index).layout
    }

    fn names(&self, py: Python<'_>, id: ObjId) -> PyResult<Py<PyTuple>> {
        let m = self.file.marshal();
        let ids = m.tuple(id).unwrap_or(&[]);
        let v: Vec<Py<PyAny>> = ids.iter().map(|&n| name(py, &self.file, n)).collect::<PyResult<_>>()?;
        Ok(PyTuple::new(py, v)?.unbind())
    }

    /// 3.11+: the names of `co_localsplusnames` whose kind has `mask`.
    fn localsplus(&self, py: Python<'_>, mask: u8) -> PyResult<Py<PyTuple>> {
        let m = self.file.marshal();
        let raw = self.file.raw(self.index);
        let ids = m.tuple(raw.varnames).unwrap_or(&[]);
        let kinds = raw.localspluskinds.and_then(|k| m.bytes(k)).unwrap_or(&[]);
        let v: Vec<Py<PyAny>> = ids
            .iter()
            .zip(kinds)
            .filter(|&(_, k)| k & mask != 0)
            .map(|(&n, _)| name(py, &self.file, n))
            .collect::<PyResult<_>>()?;
        Ok(PyTuple::new(py, v)?.unbind())
    }

    fn bytes_of(&self, id: ObjId) -> &[u8] {
        self.file.marshal().bytes(id).unwrap_or(&[])
    }

    fn code_bytes(&self) -> &[u8] {
        self.bytes_of(self.file.raw(self.index).code)
    }

    fn linetable(&self) -> &[u8] {
        self.bytes_of(self.file.raw(self.index).linetable)
    }

    pub(crate) fn consts_tuple(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        if let Some(t) = self.consts.get() {
            return Ok(t.clone_ref(py));
        }
        let m = self.file.marshal();
        let ids = m.tuple(self.file.raw(self.index).consts).unwrap_or(&[]);
        let mut conv = Converter::new(&self.file);
        let v: Vec<Py<PyAny>> = ids.iter().map(|&c| conv.object(py, c)).collect::<PyResult<_>>()?;
        let t = PyTuple::new(py, v)?.unbind();
        Ok(self.consts.get_or_init(|| t).clone_ref(py))
    }

    /// ``co_names``.
    pub(crate) fn names_tuple(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        self.names(py, self.file.raw(self.index).names)
    }

    /// The names local and cell/free operands index (`Code::localsplus`):
    /// 3.11+ `co_localsplusnames`; before, the varnames, then the cellvars,
    /// then the freevars.
    pub(crate) fn localsplus_tuple(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        let raw = self.file.raw(self.index);
        if self.layout() == CodeLayout::Py311 {
            return self.names(py, raw.varnames);
        }
        let mut all: Vec<Py<PyAny>> =
            self.names(py, raw.varnames)?.bind(py).iter().map(Bound::unbind).collect();
        for id in [raw.cellvars, raw.freevars].into_iter().flatten() {
            all.extend(self.names(py, id)?.bind(py).iter().map(Bound::unbind));
        }
        Ok(PyTuple::new(py, all)?.unbind())
    }
}

/// `code` and the code objects nested in it, pre-order, each with its depth
/// below `code` (at most `depth`): the code-object walk of
/// `bytescope_marshal::CodeWalk` (every distinct code object; repeats within
/// its budget).
pub(crate) fn walk_depths(code: &Bound<'_, PyCode>, depth: Option<usize>) -> PyResult<Depths> {
    Ok(walk_noted(code, depth)?.0)
}

/// Code objects with their depths, as [`walk_depths`] gives them.
pub(crate) type Depths = Vec<(Py<PyAny>, usize)>;

/// [`walk_depths`], and what the walk left out, in the CLI's words (`None`
/// when nothing): repeats of shared code objects past the budget, or code
/// objects past the shared-field budget (crafted files only).
pub(crate) fn walk_noted(
    code: &Bound<'_, PyCode>,
    depth: Option<usize>,
) -> PyResult<(Depths, Option<String>)> {
    let py = code.py();
    let me = code.get();
    let m = me.file.marshal();
    let start = me.file.raw(me.index).node;
    let mut out: Vec<(Py<PyAny>, usize)> = Vec::new();
    // Depth of each visit, by its position in the walk.
    let mut depths: Vec<usize> = Vec::new();
    let mut walk = CodeWalk::from_code(m, start);
    for visit in walk.by_ref() {
        let d = visit.parent.and_then(|p| depths.get(p)).map_or(0, |d| d + 1);
        depths.push(d);
        if depth.is_some_and(|max| d > max) {
            continue;
        }
        let Value::Code(i) = m.get(visit.code.node) else { continue };
        if d == 0 {
            out.push((code.clone().into_any().unbind(), 0));
        } else {
            out.push((Py::new(py, PyCode::new(Arc::clone(&me.file), *i))?.into_any(), d));
        }
    }
    let note = match (walk.overflow(), walk.skipped()) {
        (Some(offset), _) => Some(format!(
            "code objects share fields (names, bytecode, tables) through marshal references beyond the budget: stopped at the code object at offset {offset:#x} (crafted data)"
        )),
        (None, 0) => None,
        (None, skipped) => Some(format!(
            "every code object is shown, but {skipped} repeats of code objects shared by marshal references were left out (crafted data: they exceed the budget)"
        )),
    };
    Ok((out, note))
}

/// `_co_code_adaptive` of a code object of `file` storing `code`: quickened as
/// the file's version quickens a new code object.
pub(crate) fn adaptive_code(file: &File, index: u32, code: &[u8]) -> Vec<u8> {
    file.bytecode_as(index, code, true).unwrap_or_else(|| code.to_vec())
}

/// The one argument of an Argument Clinic method taking `(/, name)`, with the
/// messages CPython's argument parser gives.
fn clinic_one_arg<'py>(
    func: &str,
    name: &str,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let nkw = kwargs.map_or(0, |k| k.len());
    let given = args.len() + nkw;
    if given > 1 {
        let keyword = if args.is_empty() { "keyword " } else { "" };
        return Err(PyTypeError::new_err(format!(
            "{func}() takes at most 1 {keyword}argument ({given} given)"
        )));
    }
    if let Ok(first) = args.get_item(0) {
        return Ok(first);
    }
    match kwargs.map(|k| k.get_item(name)).transpose()?.flatten() {
        Some(v) => Ok(v),
        None => Err(PyTypeError::new_err(format!("{func}() missing required argument '{name}' (pos 1)"))),
    }
}

/// `replace()` takes keywords only, refusing positional arguments with
/// CPython's message.
fn no_positional(args: &Bound<'_, PyTuple>) -> PyResult<()> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(PyTypeError::new_err("replace() takes no positional arguments"))
    }
}

/// `x` as a C `int`, converted as Argument Clinic's `int` converter converts
/// it (`__index__`; `OverflowError` beyond 32 bits).
fn c_int(x: &Bound<'_, PyAny>) -> PyResult<i32> {
    let i = x.py().import("operator")?.getattr("index")?.call1((x,))?;
    i.extract::<i64>()
        .ok()
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| PyOverflowError::new_err("Python int too large to convert to C int"))
}

/// `AttributeError` as CPython words it for a missing code attribute.
fn no_attribute(attr: &str) -> PyErr {
    PyAttributeError::new_err(format!("'code' object has no attribute '{attr}'"))
}

/// A name (a `str`; Python 2's byte-string names decoded as UTF-8 with
/// `surrogateescape`, so no byte is lost).
fn name(py: Python<'_>, file: &File, id: ObjId) -> PyResult<Py<PyAny>> {
    match file.marshal().get(id) {
        Value::Str { text: Some(t), .. } => Ok(PyString::new(py, t).into_any().unbind()),
        Value::Str { data, encoding, .. } => string(py, data, *encoding),
        Value::Bytes(b) => {
            Ok(PyBytes::new(py, b).call_method1("decode", ("utf-8", "surrogateescape"))?.unbind())
        }
        _ => Ok(py.None()),
    }
}

/// `co_lnotab` from 3.10 on, derived from the line table as CPython's
/// `decode_linetable` derives it: a (bytes, lines) pair wherever the line
/// changes, with the line deltas signed.
fn lnotab_from_lines(v: PythonVersion, code_len: usize, firstlineno: i32, table: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut emit = |bdelta: i64, ldelta: i64| {
        out.push(bdelta as u8);
        out.push(ldelta as i8 as u8);
    };
    let (mut code_offset, mut line) = (0i64, i64::from(firstlineno));
    for r in co_lines(v, code_len, firstlineno, table) {
        let Some(l) = r.line else { continue };
        if l == line {
            continue;
        }
        let (mut b, mut d) = (i64::from(r.start) - code_offset, l - line);
        while b > 255 {
            emit(255, 0);
            b -= 255;
        }
        while d > 127 {
            emit(b, 127);
            b = 0;
            d -= 127;
        }
        while d < -128 {
            emit(b, -128);
            b = 0;
            d += 128;
        }
        emit(b, d);
        code_offset = i64::from(r.start);
        line = l;
    }
    out
}

#[pymethods]
impl PyCode {
    /// ``co_argcount``.
    #[getter]
    fn co_argcount(&self) -> i32 {
        self.file.raw(self.index).argcount
    }

    /// ``co_posonlyargcount`` (3.8+).
    #[getter]
    fn co_posonlyargcount(&self) -> PyResult<i32> {
        self.require(PythonVersion::PY38, "co_posonlyargcount")?;
        Ok(self.file.raw(self.index).posonlyargcount)
    }

    /// ``co_kwonlyargcount`` (3.0+).
    #[getter]
    fn co_kwonlyargcount(&self) -> PyResult<i32> {
        self.require(PythonVersion::PY30, "co_kwonlyargcount")?;
        Ok(self.file.raw(self.index).kwonlyargcount)
    }

    /// ``co_nlocals`` (from 3.11 the number of local variables).
    #[getter]
    fn co_nlocals(&self) -> i32 {
        let raw = self.file.raw(self.index);
        match raw.layout {
            CodeLayout::Py311 => {
                let m = self.file.marshal();
                let kinds = raw.localspluskinds.and_then(|k| m.bytes(k)).unwrap_or(&[]);
                i32::try_from(kinds.iter().filter(|&&k| k & kinds::LOCAL != 0).count()).unwrap_or(i32::MAX)
            }
            _ => raw.nlocals,
        }
    }

    /// ``co_stacksize``.
    #[getter]
    fn co_stacksize(&self) -> i32 {
        self.file.raw(self.index).stacksize
    }

    /// ``co_flags``.
    #[getter]
    fn co_flags(&self) -> i32 {
        self.file.raw(self.index).flags
    }

    /// ``co_code``: the bytecode as marshalled; from 3.11 as CPython's getter
    /// returns it, deoptimised (base opcodes, zeroed inline caches), which
    /// changes only crafted data.
    #[getter]
    fn co_code<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let stored = self.code_bytes();
        match self.file.bytecode_as(self.index, stored, false) {
            Some(deoptimized) => PyBytes::new(py, &deoptimized),
            None => PyBytes::new(py, stored),
        }
    }

    /// ``co_consts``: constants as host objects (big ints, lone surrogates,
    /// frozensets in stream order, slices, nested ``Code`` objects; a
    /// read-only mapping for 3.15's ``frozendict`` on hosts without it).
    #[getter]
    fn co_consts(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        self.consts_tuple(py)
    }

    /// ``co_names``.
    #[getter]
    fn co_names(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        self.names(py, self.file.raw(self.index).names)
    }

    /// ``co_varnames``.
    #[getter]
    fn co_varnames(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        match self.layout() {
            CodeLayout::Py311 => self.localsplus(py, kinds::LOCAL),
            _ => self.names(py, self.file.raw(self.index).varnames),
        }
    }

    /// ``co_cellvars``.
    #[getter]
    fn co_cellvars(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        let raw = self.file.raw(self.index);
        match (self.layout(), raw.cellvars) {
            (CodeLayout::Py311, _) => self.localsplus(py, kinds::CELL),
            (_, Some(id)) => self.names(py, id),
            _ => Ok(PyTuple::empty(py).unbind()),
        }
    }

    /// ``co_freevars``.
    #[getter]
    fn co_freevars(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        let raw = self.file.raw(self.index);
        match (self.layout(), raw.freevars) {
            (CodeLayout::Py311, _) => self.localsplus(py, kinds::FREE),
            (_, Some(id)) => self.names(py, id),
            _ => Ok(PyTuple::empty(py).unbind()),
        }
    }

    /// ``co_filename``.
    #[getter]
    fn co_filename(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        name(py, &self.file, self.file.raw(self.index).filename)
    }

    /// ``co_name``.
    #[getter]
    fn co_name(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        name(py, &self.file, self.file.raw(self.index).name)
    }

    /// ``co_qualname`` (3.11+).
    #[getter]
    fn co_qualname(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.require(PythonVersion::PY311, "co_qualname")?;
        match self.file.raw(self.index).qualname {
            Some(id) => name(py, &self.file, id),
            None => Ok(py.None()),
        }
    }

    /// ``co_firstlineno``.
    #[getter]
    fn co_firstlineno(&self) -> i32 {
        self.file.raw(self.index).firstlineno
    }

    /// ``co_lnotab`` (up to 3.14): stored up to 3.9, derived from the line
    /// table from 3.10 as CPython derives it. 3.12-3.14 warn, as they do
    /// (``DeprecationWarning: co_lnotab is deprecated, use co_lines instead.``).
    #[getter]
    fn co_lnotab<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let v = self.py_version();
        if v >= PythonVersion::PY315 {
            return Err(no_attribute("co_lnotab"));
        }
        if v >= PythonVersion::PY312 {
            PyErr::warn(
                py,
                &py.get_type::<PyDeprecationWarning>(),
                c"co_lnotab is deprecated, use co_lines instead.",
                1,
            )?;
        }
        if v < PythonVersion::PY310 {
            return Ok(PyBytes::new(py, self.linetable()));
        }
        let raw = self.file.raw(self.index);
        Ok(PyBytes::new(
            py,
            &lnotab_from_lines(v, self.code_bytes().len(), raw.firstlineno, self.linetable()),
        ))
    }

    /// ``co_linetable`` (3.10+).
    #[getter]
    fn co_linetable<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.require(PythonVersion::PY310, "co_linetable")?;
        Ok(PyBytes::new(py, self.linetable()))
    }

    /// ``co_exceptiontable`` (3.11+).
    #[getter]
    fn co_exceptiontable<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.require(PythonVersion::PY311, "co_exceptiontable")?;
        let id = self.file.raw(self.index).exceptiontable;
        Ok(PyBytes::new(py, id.map_or(&[][..], |i| self.bytes_of(i))))
    }

    /// ``_co_code_adaptive`` (3.11+): the bytecode as the version's interpreter
    /// holds it once it has made the code object, before running it. 3.11
    /// leaves it as ``co_code``; 3.12+ quicken at once: every inline cache's
    /// first unit holds the version's initial counter, and 3.12 also makes
    /// its five superinstructions (``LOAD_FAST__LOAD_FAST``, ...). Specialised
    /// instructions of code that has run are never in a ``.pyc``.
    #[getter(_co_code_adaptive)]
    fn co_code_adaptive<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.require(PythonVersion::PY311, "_co_code_adaptive")?;
        Ok(PyBytes::new(py, &adaptive_code(&self.file, self.index, self.code_bytes())))
    }

    /// ``_varname_from_oparg(oparg)`` (3.11+): the name of entry ``oparg``
    /// of the locals-plus table (``co_varnames``, then the cell variables
    /// that are not arguments, then ``co_freevars``), as CPython gives it:
    /// ``IndexError`` outside it, ``OverflowError`` beyond a C int.
    /// (Internal in CPython: ``dis`` uses it for local and cell operands.)
    #[getter(_varname_from_oparg)]
    fn varname_from_oparg<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyCFunction>> {
        slf.get().require(PythonVersion::PY311, "_varname_from_oparg")?;
        let code = slf.clone().unbind();
        PyCFunction::new_closure(
            slf.py(),
            Some(c"_varname_from_oparg"),
            Some(c"(internal-only) Return the local variable name for the given oparg."),
            move |args, kwargs| -> PyResult<Py<PyAny>> {
                let py = args.py();
                let oparg = clinic_one_arg("_varname_from_oparg", "oparg", args, kwargs)?;
                let index = c_int(&oparg)?;
                let names = code.get().localsplus_tuple(py)?;
                let names = names.bind(py);
                match usize::try_from(index).ok().filter(|&i| i < names.len()) {
                    Some(i) => Ok(names.get_item(i)?.unbind()),
                    None => Err(PyIndexError::new_err("tuple index out of range")),
                }
            },
        )
    }

    /// ``co_lines()`` (3.10+): an iterator of ``(start, end, line)``, byte
    /// offsets with ``end`` exclusive and ``line`` ``None`` where there is
    /// none. (A method that exists only from 3.10, as in CPython.)
    #[getter]
    fn co_lines<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyCFunction>> {
        let me = slf.get();
        me.require(PythonVersion::PY310, "co_lines")?;
        let (file, index) = (Arc::clone(&me.file), me.index);
        PyCFunction::new_closure(slf.py(), Some(c"co_lines"), None, move |args, _kw| -> PyResult<Py<PyAny>> {
            let py = args.py();
            let raw = file.raw(index);
            let m = file.marshal();
            let code = m.bytes(raw.code).unwrap_or(&[]);
            let table = m.bytes(raw.linetable).unwrap_or(&[]);
            let rows: Vec<(u32, u32, Option<i64>)> =
                co_lines(file.version(), code.len(), raw.firstlineno, table)
                    .into_iter()
                    .map(|r| (r.start, r.end, r.line))
                    .collect();
            Ok(PyList::new(py, rows)?.try_iter()?.into_any().unbind())
        })
    }

    /// ``co_branches()`` (3.14+): an iterator of ``(src, not_taken, target)``
    /// byte offsets, one per branch as ``sys.monitoring`` reports them: the
    /// conditional jumps (``not_taken`` after their ``NOT_TAKEN``),
    /// ``FOR_ITER`` (``target`` after the loop's ``END_FOR`` and
    /// ``POP_ITER``) and ``END_ASYNC_FOR`` (from its ``END_SEND``).
    #[getter]
    fn co_branches<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyCFunction>> {
        let me = slf.get();
        me.require(PythonVersion::PY314, "co_branches")?;
        let (file, index) = (Arc::clone(&me.file), me.index);
        PyCFunction::new_closure(
            slf.py(),
            Some(c"co_branches"),
            None,
            move |args, _kw| -> PyResult<Py<PyAny>> {
                let py = args.py();
                let rows = file.with_code(index, branches).map_err(|e| file_error(&file.label, &e))?;
                Ok(PyList::new(py, rows)?.try_iter()?.into_any().unbind())
            },
        )
    }

    /// ``co_positions()`` (3.11+): an iterator of ``(lineno, end_lineno,
    /// col_offset, end_col_offset)``, one per code unit.
    #[getter]
    fn co_positions<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyCFunction>> {
        let me = slf.get();
        me.require(PythonVersion::PY311, "co_positions")?;
        let (file, index) = (Arc::clone(&me.file), me.index);
        PyCFunction::new_closure(
            slf.py(),
            Some(c"co_positions"),
            None,
            move |args, _kw| -> PyResult<Py<PyAny>> {
                let py = args.py();
                let raw = file.raw(index);
                let m = file.marshal();
                let code = m.bytes(raw.code).unwrap_or(&[]);
                let table = m.bytes(raw.linetable).unwrap_or(&[]);
                let rows: Vec<_> = co_positions(file.version(), code.len(), raw.firstlineno, table)
                    .into_iter()
                    .map(|p| (p.line, p.end_line, p.col, p.end_col))
                    .collect();
                Ok(PyList::new(py, rows)?.try_iter()?.into_any().unbind())
            },
        )
    }

    /// The version as a tuple, like ``sys.version_info[:2]``.
    #[getter(version)]
    fn version_tuple(&self) -> (u8, u8) {
        let v = self.file.version();
        (v.major, v.minor)
    }

    /// The path of the file this code object was loaded from (``<bytes>``
    /// for data).
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.file.py_label(py)
    }

    /// Byte offset of this code object in the file (the address its repr
    /// shows).
    #[getter]
    fn offset(&self) -> u32 {
        self.file.marshal().node(self.file.raw(self.index).node).offset
    }

    /// The exception table (3.11+; empty before): a list of entries with
    /// ``start``, ``end`` (exclusive), ``target`` (byte offsets), ``depth``
    /// and ``lasti``, as ``dis`` parses it.
    #[getter]
    fn exception_table(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let raw = self.file.raw(self.index);
        let table = raw.exceptiontable.map_or(&[][..], |i| self.bytes_of(i));
        let entries = bytescope_code::exceptions::parse_exception_table(table).unwrap_or_default();
        let cls = types::get(py, "ExceptionTableEntry")?;
        let items: Vec<Bound<'_, PyAny>> = entries
            .iter()
            .map(|e| cls.call1((e.start, e.end, e.target, e.depth, e.lasti)))
            .collect::<PyResult<_>>()?;
        Ok(PyList::new(py, items)?.unbind())
    }

    /// This code object and every code object nested in it, pre-order (the
    /// order ``dis`` lists them in); with ``depth``, only down to that many
    /// levels below this one. A code object that the file references several
    /// times is listed each time (as ``dis`` would), within a budget
    /// proportional to the file.
    #[pyo3(signature = (depth=None))]
    fn walk(slf: &Bound<'_, Self>, depth: Option<usize>) -> PyResult<Py<PyList>> {
        let py = slf.py();
        Ok(PyList::new(py, walk_depths(slf, depth)?.into_iter().map(|(c, _)| c))?.unbind())
    }

    /// A copy with the given ``co_*`` fields changed, as ``code.replace(**changes)`` does in
    /// this code object's version (2.x-3.7, which have no ``replace()``, use their
    /// ``types.CodeType`` constructor with the other fields unchanged).
    ///
    /// Values are host objects: ints; ``bytes`` for ``co_code``, ``co_linetable`` (3.10+) or
    /// ``co_lnotab`` (up to 3.9) and ``co_exceptiontable``; tuples of ``str`` for
    /// ``co_names``, ``co_varnames``, ``co_cellvars`` and ``co_freevars``; ``str`` for
    /// ``co_name``, ``co_filename`` and ``co_qualname``; and for ``co_consts`` a tuple of
    /// None, bool, int (any size), float, complex, str, bytes, tuple, frozenset, Ellipsis,
    /// slice (3.14+) and code objects (``Code`` objects of this version, or live host code
    /// objects when the host is this version).
    ///
    /// The result is written in the version's marshal format and read back: a new ``Code``
    /// of the same version on which ``bytescope.dis``, ``bytescope.dumps`` and the rest
    /// work. A keyword the version's ``replace()`` does not take raises ``TypeError``;
    /// values that version rejects raise what it raises (``ValueError``, ``TypeError``,
    /// ``OverflowError``, with its message); data the reader rejects raises
    /// ``bytescope.Error``.
    #[pyo3(signature = (*args, **changes), text_signature = "($self, /, **changes)")]
    fn replace(
        slf: &Bound<'_, Self>,
        args: &Bound<'_, PyTuple>,
        changes: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<Py<PyCode>> {
        no_positional(args)?;
        crate::write::replace_code(slf.py(), slf, changes)
    }

    /// The same as ``replace()``: ``copy.replace(code, **changes)`` (3.13+). Code of older
    /// versions raises the ``TypeError`` ``copy.replace`` gives for objects without it
    /// (``replace() does not support code objects``).
    #[pyo3(signature = (*args, **changes), text_signature = "($self, /, **changes)")]
    fn __replace__(
        slf: &Bound<'_, Self>,
        args: &Bound<'_, PyTuple>,
        changes: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<Py<PyCode>> {
        if slf.get().py_version() < PythonVersion::PY313 {
            return Err(PyTypeError::new_err("replace() does not support code objects"));
        }
        no_positional(args)?;
        crate::write::replace_code(slf.py(), slf, changes)
    }

    fn __repr__(&self) -> String {
        let m = self.file.marshal();
        repr_code(m, self.file.raw(self.index))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyCode>().is_ok_and(|o| {
            let o = o.get();
            Arc::ptr_eq(&o.file, &self.file) && o.index == self.index
        })
    }

    fn __hash__(&self) -> u64 {
        (Arc::as_ptr(&self.file) as u64).wrapping_mul(31).wrapping_add(u64::from(self.index))
    }
}

/// A loaded ``.pyc``: its header fields and its module code object.
#[pyclass(frozen, module = "bytescope", name = "Pyc")]
pub struct PyPyc {
    pub(crate) file: Arc<File>,
}

impl PyPyc {
    pub(crate) fn root(&self) -> PyResult<u32> {
        check_root(&self.file).map_err(|e| file_error(&self.file.label, &e.0))
    }
}

/// The module code object of `file`, or why there is none (its marshal data is
/// something else). Needs no interpreter: `load_all` checks on its threads.
pub(crate) fn check_root(file: &File) -> Result<u32, crate::file::LoadFailure> {
    let m = file.marshal();
    match m.get(m.root()) {
        Value::Code(i) => Ok(*i),
        _ => Err(crate::file::LoadFailure(format!(
            "the marshal data is not a code object (at offset {:#x})",
            file.pyc().marshal_offset
        ))),
    }
}

#[pymethods]
impl PyPyc {
    /// The ``.pyc`` as bytes, written by bytescope's write path: the header as read (for
    /// headerless data, the version's timestamp header with zero mtime and size), then the
    /// module code object marshalled in its version's format. Loading the result gives
    /// back an equal module (the marshal reference flags may be placed differently from
    /// the compiler's, so the bytes can differ from the original's).
    fn to_bytes<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        crate::write::pyc_to_bytes(slf.py(), slf)
    }

    /// A copy of this ``.pyc`` with ``code`` (a ``Code`` of the same version, e.g. from
    /// ``Code.replace``) as its module code object and the same header; ``to_bytes()`` of
    /// the result is the edited ``.pyc``.
    #[pyo3(signature = (*, code=None))]
    fn replace(&self, py: Python<'_>, code: Option<&Bound<'_, PyCode>>) -> PyResult<PyPyc> {
        crate::write::pyc_replace(py, self, code)
    }

    /// Writes ``to_bytes()`` to ``path`` (``str`` or ``os.PathLike``), replacing the file as
    /// the CLI's ``rewrite`` does: through a temporary file renamed into place (never left
    /// half-written; a symbolic link at ``path`` to a regular file is replaced, not followed);
    /// a FIFO or device at ``path`` is written to directly, and a FIFO nobody reads raises
    /// ``OSError`` at once instead of waiting. Raises ``OSError`` naming ``path``.
    fn write(slf: &Bound<'_, Self>, path: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let data = crate::write::pyc_to_bytes(py, slf)?;
        let path: std::path::PathBuf = py.import("os")?.getattr("fspath")?.call1((path,))?.extract()?;
        let bytes = data.as_bytes();
        py.detach(|| bytescope_batch::write_atomically(&path, bytes)).map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("cannot write {}: {e}", path.to_string_lossy()))
        })
    }

    /// The version as a tuple, like ``sys.version_info[:2]``.
    #[getter]
    fn version(&self) -> (u8, u8) {
        let v = self.file.version();
        (v.major, v.minor)
    }

    /// Whether the version was detected from headerless data (no valid
    /// header and no ``version`` given).
    #[getter]
    fn version_detected(&self) -> bool {
        self.file.detected
    }

    /// How the version of headerless data was chosen, as the CLI notes it
    /// on stderr (``"no .pyc header: detected Python 3.12 ..."``, or the
    /// versions it ties with), else ``None``.
    #[getter]
    fn version_note(&self) -> Option<String> {
        self.file.note.clone()
    }

    /// The magic number (the header's first two bytes, little-endian), or
    /// ``None`` for headerless data.
    #[getter]
    fn magic(&self) -> Option<u16> {
        self.file.pyc().header.map(|h| h.magic.magic)
    }

    /// The PEP 552 flags word (3.7+), else ``None``.
    #[getter]
    fn flags(&self) -> Option<u32> {
        self.file.pyc().header.and_then(|h| h.flags)
    }

    /// The source's modification time (timestamp pycs), else ``None``.
    #[getter]
    fn mtime(&self) -> Option<u32> {
        match self.file.pyc().header?.invalidation {
            Invalidation::Timestamp { mtime, .. } => Some(mtime),
            _ => None,
        }
    }

    /// The source's size (timestamp pycs of 3.3+), else ``None``.
    #[getter]
    fn source_size(&self) -> Option<u32> {
        match self.file.pyc().header?.invalidation {
            Invalidation::Timestamp { source_size, .. } => source_size,
            _ => None,
        }
    }

    /// The 8-byte source hash (hash-based pycs), else ``None``.
    #[getter]
    fn source_hash<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        match self.file.pyc().header?.invalidation {
            Invalidation::CheckedHash { hash } | Invalidation::UncheckedHash { hash } => {
                Some(PyBytes::new(py, &hash))
            }
            Invalidation::Timestamp { .. } => None,
        }
    }

    /// The header's size in bytes (0 for headerless data).
    #[getter]
    fn header_size(&self) -> usize {
        self.file.pyc().header.map_or(0, |h| h.len)
    }

    /// The module code object.
    #[getter]
    fn code(&self, py: Python<'_>) -> PyResult<Py<PyCode>> {
        Py::new(py, PyCode::new(Arc::clone(&self.file), self.root()?))
    }

    /// The path the file was loaded from (``<bytes>`` for data; ``ARCHIVE:MEMBER``
    /// for a member, as the CLI names it).
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.file.py_label(py)
    }

    fn __repr__(&self) -> String {
        format!("<bytescope.Pyc {} Python {}>", self.file.label, self.file.version())
    }
}

/// Keeps `file.bytes()` used (the owner of the arena).
#[allow(dead_code)]
fn _owner(file: &File) -> usize {
    file.bytes().len()
}

/// `co_branches()` of `code` (3.14+), from the instructions' generated
/// semantics: conditional jumps, `FOR_ITER` and `END_ASYNC_FOR`. The offsets
/// skipped (the `NOT_TAKEN` after a conditional jump, `END_FOR` and
/// `POP_ITER` after a loop, `END_SEND` and `NOT_TAKEN` of an async loop) are
/// one code unit each, as the 3.14+ compiler lays them out.
fn branches(code: &Code<'_, '_>) -> Vec<(i64, i64, i64)> {
    let Ok(dec) = bytescope_instr::Decoder::new(code) else { return Vec::new() };
    let Some(table) = bytescope_opcodes::table(code.version()) else { return Vec::new() };
    let mut out = Vec::new();
    for ins in dec.iter() {
        let (offset, next) = (i64::from(ins.offset), i64::from(ins.end_offset()));
        let Some(target) = ins.jump_target() else { continue };
        match table.semantics(ins.base).action {
            Action::JumpIf(_) => out.push((offset, next + 2, target)),
            Action::ForIter => out.push((offset, next, target + 4)),
            Action::EndAsyncFor => out.push((target, target + 4, next)),
            _ => {}
        }
    }
    out
}
