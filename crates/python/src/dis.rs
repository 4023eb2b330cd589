//! What `bytescope.dis` needs from Rust: listings, `code_info` text and
//! instructions of one code object, in that code object's own version.

use bytescope_code::lines::findlinestarts as code_linestarts;
use bytescope_dis::{DisError, DisOptions, Disassembler};
use bytescope_pyc::PythonVersion;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::code::PyCode;
use crate::error::file_error;

fn disassembler(code: &PyCode) -> PyResult<Disassembler> {
    // The implementation's table (PyPy's own opcodes) when the magic names one.
    Disassembler::for_marshal(code.file.marshal()).map_err(|e| file_error(&code.file.label, &e.to_string()))
}

fn dis_error(code: &PyCode, e: &DisError) -> PyErr {
    match e {
        DisError::Option { .. } => PyTypeError::new_err(e.to_string()),
        _ => file_error(&code.file.label, &e.to_string()),
    }
}

/// Text the printers wrote: UTF-8, except that lone surrogates of the
/// constants' reprs are kept in their 3-byte form (as `str` holds them).
pub(crate) fn text(py: Python<'_>, bytes: Vec<u8>) -> PyResult<Py<PyAny>> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok(PyString::new(py, &s).into_any().unbind()),
        Err(e) => {
            Ok(PyBytes::new(py, e.as_bytes()).call_method1("decode", ("utf-8", "surrogatepass"))?.unbind())
        }
    }
}

/// `dis.disassemble(co, lasti)` text of one code object (no nested ones);
/// `line_offset`: `Bytecode(first_line=)` less `co_firstlineno`;
/// `adaptive`: the listing of `_co_code_adaptive` (`adaptive=True`).
#[pyfunction]
#[pyo3(signature = (code, show_caches=false, show_offsets=false, show_positions=false, lasti=None, line_offset=0, adaptive=false))]
#[allow(clippy::too_many_arguments)] // dis.disassemble's own options, one each
pub(crate) fn disassemble_text(
    py: Python<'_>,
    code: &Bound<'_, PyCode>,
    show_caches: bool,
    show_offsets: bool,
    show_positions: bool,
    lasti: Option<i64>,
    line_offset: i64,
    adaptive: bool,
) -> PyResult<Py<PyAny>> {
    let code = code.get();
    let dis = disassembler(code)?;
    // (`adaptive` substitutes the bytecode itself, see `File::with_code_as`.)
    let opts = DisOptions { show_caches, show_offsets, show_positions, lasti, line_offset, adaptive: false };
    let mut out = Vec::new();
    let result =
        py.detach(|| code.file.with_code_as(code.index, adaptive, |c| dis.disassemble(c, opts, &mut out)));
    match result {
        Ok(Ok(())) => text(py, out),
        Ok(Err(e)) => Err(dis_error(code, &e)),
        Err(e) => Err(file_error(&code.file.label, &e)),
    }
}

/// `dis.code_info(co)` of one code object.
#[pyfunction]
pub(crate) fn code_info_text(py: Python<'_>, code: &Bound<'_, PyCode>) -> PyResult<Py<PyAny>> {
    let code = code.get();
    let dis = disassembler(code)?;
    let mut out = String::new();
    let result = py.detach(|| code.file.with_code(code.index, |c| dis.code_info_of(c, &mut out)));
    match result {
        Ok(Ok(())) => text(py, out.into_bytes()),
        Ok(Err(e)) => Err(dis_error(code, &e)),
        Err(e) => Err(file_error(&code.file.label, &e)),
    }
}

/// `dis.findlinestarts(co)`: `(offset, line)` pairs.
#[pyfunction]
pub(crate) fn findlinestarts(code: &Bound<'_, PyCode>) -> Vec<(u32, Option<i64>)> {
    let code = code.get();
    let m = code.file.marshal();
    let raw = code.file.raw(code.index);
    let bytes = m.bytes(raw.code).unwrap_or(&[]);
    let table = m.bytes(raw.linetable).unwrap_or(&[]);
    code_linestarts(code.py_version(), bytes.len(), raw.firstlineno, table)
}

/// `dis.findlabels(co.co_code)` of a code object: the jump targets in the
/// order their jumps appear, each once.
#[pyfunction]
pub(crate) fn findlabels(code: &Bound<'_, PyCode>) -> PyResult<Vec<i64>> {
    let code = code.get();
    let dis = disassembler(code)?;
    let instrs = code
        .file
        .with_code_as(code.index, false, |c| dis.instructions(c))
        .map_err(|e| file_error(&code.file.label, &e))?
        .map_err(|e| dis_error(code, &e))?;
    let mut labels: Vec<i64> = Vec::new();
    for ins in &instrs {
        if let Some(t) = ins.jump_target
            && ins.arg.is_some()
            && !labels.contains(&t)
        {
            labels.push(t);
        }
    }
    Ok(labels)
}

/// The instructions of one code object, made as they are reached (see
/// `bytescope.dis.get_instructions`). `bytecode`: as iterating
/// `dis.Bytecode` gives them (exception handlers are jump targets);
/// `show_caches`: 3.11-3.12 CACHE entries; `line_offset`: `first_line -
/// co_firstlineno`; `adaptive`: of `_co_code_adaptive`.
#[pyfunction]
#[pyo3(signature = (code, bytecode=false, show_caches=false, line_offset=0, adaptive=false))]
pub(crate) fn instructions(
    py: Python<'_>,
    code: &Bound<'_, PyCode>,
    bytecode: bool,
    show_caches: bool,
    line_offset: i64,
    adaptive: bool,
) -> PyResult<Py<PyAny>> {
    crate::instructions::iterate(py, code, bytecode, adaptive, show_caches, line_offset)
}

/// The `Code` that `x` stands for, through `bytescope.dis._get_code`.
fn code_of<'py>(x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyCode>> {
    if let Ok(c) = x.cast::<PyCode>() {
        return Ok(c.clone());
    }
    let py = x.py();
    static GET_CODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let f = GET_CODE
        .get_or_try_init(py, || py.import("bytescope.dis")?.getattr("_get_code").map(Bound::unbind))?;
    Ok(f.bind(py).call1((x,))?.cast_into::<PyCode>()?)
}

/// An iterator of ``Instruction``s for ``x``'s code object, with exactly the
/// fields and values its version's ``dis.get_instructions`` gives (``x``: a
/// ``Code``, ``Pyc``, path, pyc bytes or live host object). ``first_line``
/// renumbers lines from that line; ``show_caches`` (3.11+) adds 3.11-3.12's
/// CACHE entries; ``adaptive`` (3.11+) lists ``_co_code_adaptive``, the
/// code as its interpreter quickens it before running it. Options the code's version lacks raise the
/// ``TypeError`` its ``dis`` raises.
///
/// Instructions are made as the iterator reaches them, and their fields
/// when read.
#[pyfunction]
#[pyo3(signature = (*args, first_line=None, show_caches=None, adaptive=None), text_signature = "(x, *, first_line=None, show_caches=None, adaptive=False)")]
pub(crate) fn get_instructions(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    first_line: Option<i64>,
    show_caches: Option<&Bound<'_, PyAny>>,
    adaptive: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    // `x` taken by hand for the messages of a Python function's `(x, *, ...)`.
    let x = match args.len() {
        1 => args.get_item(0)?,
        0 => {
            return Err(PyTypeError::new_err(
                "get_instructions() missing 1 required positional argument: 'x'",
            ));
        }
        n => {
            return Err(PyTypeError::new_err(format!(
                "get_instructions() takes 1 positional argument but {n} were given"
            )));
        }
    };
    let code = code_of(&x)?;
    let c = code.get();
    let v = c.py_version();
    if v < PythonVersion::PY311 {
        for (name, value) in [("show_caches", show_caches), ("adaptive", adaptive)] {
            if value.is_some() {
                return Err(PyTypeError::new_err(format!(
                    "get_instructions() got an unexpected keyword argument '{name}'"
                )));
            }
        }
    }
    let line_offset = match first_line {
        Some(l) => l - i64::from(c.file.raw(c.index).firstlineno),
        None => 0,
    };
    let truthy = |o: Option<&Bound<'_, PyAny>>| o.map_or(Ok(false), |o| o.is_truthy());
    let (caches, adaptive) = (truthy(show_caches)?, truthy(adaptive)?);
    crate::instructions::iterate(py, &code, false, adaptive, caches, line_offset)
}

/// What `version`'s `dis.stack_effect(opcode, oparg, jump=jump)` returns,
/// from the generated stack-effect tables; `None` where it raises
/// `ValueError("invalid opcode or oparg")` (the argument checks with other
/// messages are `bytescope.dis.stack_effect`'s).
#[pyfunction]
#[pyo3(signature = (version, opcode, oparg, jump))]
pub(crate) fn stack_effect(
    version: (u8, u8),
    opcode: i64,
    oparg: Option<i64>,
    jump: Option<bool>,
) -> Option<i64> {
    let table = bytescope_opcodes::table(PythonVersion::new(version.0, version.1))?;
    let op = u8::try_from(opcode).ok()?;
    table.dis_stack_effect(op, oparg, jump)
}
