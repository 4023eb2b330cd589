//! What `bytescope.dis` needs from Rust: listings, `code_info` text and
//! instructions of one code object, in that code object's own version.

use std::cell::RefCell;
use std::collections::HashMap;

use bytescope_code::lines::{co_positions, findlinestarts as code_linestarts};
use bytescope_dis::{ArgVal, DisError, DisOptions, Disassembler, Instruction};
use bytescope_marshal::ObjId;
use bytescope_pyc::PythonVersion;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyNone, PyString, PyTuple};

use crate::code::PyCode;
use crate::error::file_error;
use crate::types;

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
fn text(py: Python<'_>, bytes: Vec<u8>) -> PyResult<Py<PyAny>> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok(PyString::new(py, &s).into_any().unbind()),
        Err(e) => {
            Ok(PyBytes::new(py, e.as_bytes()).call_method1("decode", ("utf-8", "surrogatepass"))?.unbind())
        }
    }
}

/// `dis.disassemble(co)` text of one code object (no nested ones).
#[pyfunction]
#[pyo3(signature = (code, show_caches=false, show_offsets=false, show_positions=false))]
pub(crate) fn disassemble_text(
    py: Python<'_>,
    code: &Bound<'_, PyCode>,
    show_caches: bool,
    show_offsets: bool,
    show_positions: bool,
) -> PyResult<Py<PyAny>> {
    let code = code.get();
    let dis = disassembler(code)?;
    let opts = DisOptions { show_caches, show_offsets, show_positions };
    let mut out = Vec::new();
    let result = py.detach(|| code.file.with_code(code.index, |c| dis.disassemble(c, opts, &mut out)));
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
        .with_code(code.index, |c| dis.instructions(c))
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

/// Cached host objects used for every instruction.
struct Host {
    tuple_new: Py<PyAny>,
    str_: Py<PyAny>,
    repr: Py<PyAny>,
    ascii: Py<PyAny>,
}

fn host(py: Python<'_>) -> PyResult<&Host> {
    static HOST: PyOnceLock<Host> = PyOnceLock::new();
    HOST.get_or_try_init(py, || -> PyResult<Host> {
        let b = py.import("builtins")?;
        Ok(Host {
            tuple_new: b.getattr("tuple")?.getattr("__new__")?.unbind(),
            str_: b.getattr("str")?.unbind(),
            repr: b.getattr("repr")?.unbind(),
            ascii: b.getattr("ascii")?.unbind(),
        })
    })
}

/// `int.from_bytes(data, "little")` for cache fields (at most 16 bytes).
fn le_uint(data: &[u8]) -> u128 {
    data.iter().take(16).enumerate().fold(0u128, |v, (i, b)| v | (u128::from(*b) << (8 * i)))
}

/// Builds `dis.Instruction` named tuples of the code object's version.
struct Builder<'py> {
    py: Python<'py>,
    host: &'py Host,
    instruction: Bound<'py, PyAny>,
    positions: Bound<'py, PyAny>,
    consts: Bound<'py, PyTuple>,
    const_index: HashMap<ObjId, usize>,
    fields_313: bool,
    has_positions: bool,

    line_offset: i64,
    /// `opname` strings by opcode, made once per call.
    opnames: RefCell<Vec<Option<Bound<'py, PyString>>>>,
    /// The last `Positions` made: consecutive instructions often share one.
    last_positions: RefCell<Option<(bytescope_code::lines::Positions, Bound<'py, PyAny>)>>,
}

impl<'py> Builder<'py> {
    fn opname(&self, op: u8, name: &str) -> Bound<'py, PyString> {
        let mut cache = self.opnames.borrow_mut();
        if cache.is_empty() {
            cache.resize(256, None);
        }
        cache[op as usize].get_or_insert_with(|| PyString::intern(self.py, name)).clone()
    }

    fn make(&self, cls: &Bound<'py, PyAny>, items: Vec<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let t = PyTuple::new(self.py, items)?;
        self.host.tuple_new.bind(self.py).call1((cls, t))
    }

    fn converter(&self, c: u8) -> Bound<'py, PyAny> {
        let h = self.host;
        match c {
            1 => h.str_.bind(self.py).clone(),
            2 => h.repr.bind(self.py).clone(),
            3 => h.ascii.bind(self.py).clone(),
            _ => PyNone::get(self.py).to_owned().into_any(),
        }
    }

    fn argval(&self, v: &ArgVal, m: &bytescope_marshal::Marshal<'_>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match v {
            ArgVal::None | ArgVal::Invalid => PyNone::get(py).to_owned().into_any(),
            ArgVal::Int(i) => i.into_pyobject(py)?.into_any(),
            ArgVal::Const(id) => {
                let i = self.const_index.get(id).or_else(|| self.const_index.get(&m.resolve(*id)));
                match i {
                    Some(&i) => self.consts.get_item(i)?,
                    None => PyNone::get(py).to_owned().into_any(),
                }
            }
            ArgVal::Name(n) => PyString::new(py, n).into_any(),
            ArgVal::Str(s) => PyString::new(py, s).into_any(),
            ArgVal::Pair(a, b) => PyTuple::new(py, [a.as_str(), b.as_str()])?.into_any(),
            ArgVal::FormatValue(c, spec) => {
                PyTuple::new(py, [self.converter(*c), spec.into_pyobject(py)?.to_owned().into_any()])?
                    .into_any()
            }
            ArgVal::Converter(c) => self.converter(*c),
            ArgVal::Common(text) => types::get(py, "_common_constant")?.call1((*text,))?,
            ArgVal::Unknown => types::get(py, "UNKNOWN")?.clone(),
        })
    }

    fn positions(&self, p: Option<bytescope_code::lines::Positions>) -> PyResult<Bound<'py, PyAny>> {
        let p = p.unwrap_or_default();
        if let Some((last, obj)) = &*self.last_positions.borrow()
            && *last == p
        {
            return Ok(obj.clone());
        }
        let obj = self.new_positions(p)?;
        *self.last_positions.borrow_mut() = Some((p, obj.clone()));
        Ok(obj)
    }

    fn new_positions(&self, p: bytescope_code::lines::Positions) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let f = |x: Option<i32>| -> PyResult<Bound<'py, PyAny>> { Ok(x.into_pyobject(py)?.into_any()) };
        self.make(&self.positions, vec![f(p.line)?, f(p.end_line)?, f(p.col)?, f(p.end_col)?])
    }

    fn instruction(
        &self,
        ins: &Instruction,
        opname: &'static str,
        m: &bytescope_marshal::Marshal<'_>,
        cache_info: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let none = || PyNone::get(py).to_owned().into_any();
        let mut f: Vec<Bound<'py, PyAny>> = Vec::with_capacity(12);
        f.push(self.opname(ins.opcode, opname).into_any());
        f.push(ins.opcode.into_pyobject(py)?.into_any());
        f.push(ins.arg.into_pyobject(py)?.into_any());
        f.push(self.argval(&ins.argval, m)?);
        f.push(PyString::new(py, &ins.argrepr).into_any());
        f.push(ins.offset.into_pyobject(py)?.into_any());
        if self.fields_313 {
            let line = ins.line_number.map(|l| l + self.line_offset);
            f.push(ins.start_offset.into_pyobject(py)?.into_any());
            f.push(ins.starts_line.is_some().into_pyobject(py)?.to_owned().into_any());
            f.push(line.into_pyobject(py)?.into_any());
            f.push(ins.label.into_pyobject(py)?.into_any());
            f.push(if self.has_positions { self.positions(ins.positions)? } else { none() });
            f.push(cache_info.unwrap_or_else(none));
        } else {
            let starts = ins.starts_line.flatten().map(|l| l + self.line_offset);
            f.push(starts.into_pyobject(py)?.into_any());
            f.push(ins.is_jump_target.into_pyobject(py)?.to_owned().into_any());
            if self.has_positions {
                f.push(self.positions(ins.positions)?);
            }
        }
        self.make(&self.instruction, f)
    }
}

/// The instructions of one code object as `dis.Instruction` named tuples
/// of its version (`instruction` and `positions` are the package's
/// per-version classes). `bytecode`: as iterating `dis.Bytecode` gives
/// them (exception handlers are jump targets); `show_caches`: 3.11–3.12
/// CACHE entries; `line_offset`: `first_line - co_firstlineno`.
#[pyfunction]
#[pyo3(signature = (code, instruction, positions, bytecode=false, show_caches=false, line_offset=0))]
pub(crate) fn instructions<'py>(
    py: Python<'py>,
    code: &Bound<'py, PyCode>,
    instruction: Bound<'py, PyAny>,
    positions: Bound<'py, PyAny>,
    bytecode: bool,
    show_caches: bool,
    line_offset: i64,
) -> PyResult<Bound<'py, PyList>> {
    let pycode = code.get();
    let dis = disassembler(pycode)?;
    let file = &pycode.file;
    let instrs = py
        .detach(|| {
            file.with_code(pycode.index, |c| {
                if bytecode { dis.bytecode_instructions(c) } else { dis.instructions(c) }
            })
        })
        .map_err(|e| file_error(&file.label, &e))?
        .map_err(|e| dis_error(pycode, &e))?;
    let m = file.marshal();
    let raw = file.raw(pycode.index);
    let const_ids = m.tuple(raw.consts).unwrap_or(&[]);
    let const_index: HashMap<ObjId, usize> = const_ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let v = pycode.py_version();
    let rules = dis.rules();
    let builder = Builder {
        py,
        host: host(py)?,
        instruction,
        positions,
        consts: pycode.consts_tuple(py)?.into_bound(py),
        const_index,
        fields_313: rules.instruction_fields_313,
        has_positions: rules.instruction_positions,

        line_offset,
        opnames: RefCell::new(Vec::new()),
        last_positions: RefCell::new(None),
    };
    let table = dis.table();
    let code_bytes = m.bytes(raw.code).unwrap_or(&[]);
    let linetable = m.bytes(raw.linetable).unwrap_or(&[]);
    let cache_positions = if show_caches && !builder.fields_313 && builder.has_positions {
        co_positions(v, code_bytes.len(), raw.firstlineno, linetable)
    } else {
        Vec::new()
    };
    let mut out: Vec<Bound<'py, PyAny>> = Vec::with_capacity(instrs.len());
    for ins in &instrs {
        let fields = table.cache_fields(table.op(ins.deopt).name);
        let cache_info = if builder.fields_313 && ins.cache_entries > 0 && !fields.is_empty() {
            let mut at = ins.offset as usize;
            let mut items = Vec::with_capacity(fields.len());
            for f in fields {
                let start = (at + 2).min(code_bytes.len());
                let end = (at + 2 + 2 * usize::from(f.size)).min(code_bytes.len());
                if !rules.cache_info_same_offset {
                    at += 2 * usize::from(f.size);
                }
                items.push((f.name, f.size, PyBytes::new(py, &code_bytes[start..end])));
            }
            Some(PyList::new(py, items)?.into_any())
        } else {
            None
        };
        out.push(builder.instruction(ins, table.op(ins.opcode).name, m, cache_info)?);
        if show_caches && !builder.fields_313 && ins.cache_entries > 0 {
            // 3.11-3.12: one CACHE entry per cache unit; the first unit of
            // each field names it and its value (3.11: only when quickened).
            let mut offset = ins.offset as usize;
            let quickened = ins.opcode != ins.deopt;
            for f in fields {
                for k in 0..f.size {
                    offset += 2;
                    let argrepr = if k == 0 && (v != PythonVersion::PY311 || quickened) {
                        let end = (offset + 2 * usize::from(f.size)).min(code_bytes.len());
                        let data = code_bytes.get(offset.min(end)..end).unwrap_or(&[]);
                        format!("{}: {}", f.name, le_uint(data))
                    } else {
                        String::new()
                    };
                    let p = cache_positions.get(offset / 2).copied();
                    let items = vec![
                        PyString::intern(py, "CACHE").into_any(),
                        0u8.into_pyobject(py)?.into_any(),
                        0u8.into_pyobject(py)?.into_any(),
                        PyNone::get(py).to_owned().into_any(),
                        PyString::new(py, &argrepr).into_any(),
                        offset.into_pyobject(py)?.into_any(),
                        PyNone::get(py).to_owned().into_any(),
                        false.into_pyobject(py)?.to_owned().into_any(),
                        builder.positions(p)?,
                    ];
                    out.push(builder.make(&builder.instruction, items)?);
                }
            }
        }
    }
    PyList::new(py, out)
}
