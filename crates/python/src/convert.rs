//! Marshal values as Python objects of the host.

use std::collections::HashMap;
use std::sync::Arc;

use bytescope_marshal::{Marshal, ObjId, StrEncoding, Value, long_to_i64, str_utf8};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBytes, PyComplex, PyDict, PyFloat, PyFrozenSet, PyList, PySet, PySlice, PyString, PyTuple,
};

use crate::code::PyCode;
use crate::error::file_error;
use crate::file::File;

/// Converts marshal objects of one file, sharing what the stream shares
/// (an object stored once and referenced again becomes one Python object,
/// as `marshal.loads` makes it; crafted files that reference one large
/// object many times stay linear).
pub(crate) struct Converter<'f> {
    file: &'f Arc<File>,
    memo: HashMap<ObjId, Py<PyAny>>,
}

impl<'f> Converter<'f> {
    pub(crate) fn new(file: &'f Arc<File>) -> Self {
        Converter { file, memo: HashMap::new() }
    }

    /// The Python object for node `id`. Iterative: marshal data nests up
    /// to CPython's 2000 levels, deeper than a thread's stack may allow.
    pub(crate) fn object(&mut self, py: Python<'_>, id: ObjId) -> PyResult<Py<PyAny>> {
        let file = Arc::clone(self.file);
        let m = file.marshal();
        // Containers being filled: the node, its children, the values so far.
        let mut stack: Vec<(ObjId, Vec<ObjId>, Vec<Py<PyAny>>)> = Vec::new();
        let mut pending = Some(id);
        loop {
            let mut done = None;
            if let Some(next) = pending.take() {
                let id = m.resolve(next);
                if let Some(o) = self.memo.get(&id) {
                    done = Some(o.clone_ref(py));
                } else if let Some(kids) = children(m, id) {
                    let n = kids.len();
                    stack.push((id, kids, Vec::with_capacity(n)));
                } else {
                    let o = self.leaf(py, m, id)?;
                    self.remember(py, m, id, &o);
                    done = Some(o);
                }
            }
            if let Some(o) = done {
                match stack.last_mut() {
                    None => return Ok(o),
                    Some((_, _, vals)) => vals.push(o),
                }
            }
            let Some((_, kids, vals)) = stack.last() else { continue };
            if vals.len() < kids.len() {
                pending = Some(kids[vals.len()]);
                continue;
            }
            if let Some((id, _, vals)) = stack.pop() {
                let o = self.container(py, m, id, vals)?;
                self.remember(py, m, id, &o);
                match stack.last_mut() {
                    None => return Ok(o),
                    Some((_, _, vals)) => vals.push(o),
                }
            }
        }
    }

    fn remember(&mut self, py: Python<'_>, m: &Marshal<'_>, id: ObjId, o: &Py<PyAny>) {
        if m.node(id).flag_ref() {
            self.memo.insert(id, o.clone_ref(py));
        }
    }

    fn unhashable(&self, py: Python<'_>, m: &Marshal<'_>, id: ObjId, e: PyErr, what: &str) -> PyErr {
        if e.is_instance_of::<PyTypeError>(py) {
            file_error(
                &self.file.label,
                &format!(
                    "{what} with an element this Python cannot hash: {e} (at offset {:#x})",
                    m.node(id).offset
                ),
            )
        } else {
            e
        }
    }

    /// A container from its converted children.
    fn container(
        &self,
        py: Python<'_>,
        m: &Marshal<'_>,
        id: ObjId,
        v: Vec<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Ok(match &m.node(id).value {
            Value::Tuple(_) => PyTuple::new(py, v)?.into_any().unbind(),
            Value::List(_) => PyList::new(py, v)?.into_any().unbind(),
            Value::Set(_) => {
                PySet::new(py, v).map_err(|e| self.unhashable(py, m, id, e, "set"))?.into_any().unbind()
            }
            // Inserted in stream order, as `marshal.loads` inserts them.
            Value::FrozenSet(_) => PyFrozenSet::new(py, v)
                .map_err(|e| self.unhashable(py, m, id, e, "frozenset"))?
                .into_any()
                .unbind(),
            Value::Dict(_) => {
                let d = PyDict::new(py);
                for pair in v.chunks(2) {
                    if let [k, val] = pair {
                        d.set_item(k, val).map_err(|e| self.unhashable(py, m, id, e, "dict"))?;
                    }
                }
                d.into_any().unbind()
            }
            Value::FrozenDict(_) => {
                let pairs: Vec<(Py<PyAny>, Py<PyAny>)> = v
                    .chunks(2)
                    .filter_map(|p| match p {
                        [k, val] => Some((k.clone_ref(py), val.clone_ref(py))),
                        _ => None,
                    })
                    .collect();
                frozendict_type(py)?
                    .call1((pairs,))
                    .map_err(|e| self.unhashable(py, m, id, e, "frozendict"))?
                    .unbind()
            }
            Value::Slice(_) => match <[Py<PyAny>; 3]>::try_from(v) {
                Ok([a, b, c]) => py.get_type::<PySlice>().call1((a, b, c))?.unbind(),
                Err(_) => py.None(),
            },
            _ => py.None(),
        })
    }

    /// A value without children.
    fn leaf(&self, py: Python<'_>, m: &Marshal<'_>, id: ObjId) -> PyResult<Py<PyAny>> {
        Ok(match &m.node(id).value {
            Value::False => false.into_pyobject(py)?.to_owned().into_any().unbind(),
            Value::True => true.into_pyobject(py)?.to_owned().into_any().unbind(),
            Value::StopIteration => py.get_type::<pyo3::exceptions::PyStopIteration>().into_any().unbind(),
            Value::Ellipsis => py.Ellipsis(),
            Value::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
            Value::Long { size, digits } => long(py, *size, digits)?,
            Value::Float { value, .. } => PyFloat::new(py, *value).into_any().unbind(),
            Value::Complex { re, im, .. } => PyComplex::from_doubles(py, *re, *im).into_any().unbind(),
            Value::Str { data, encoding, text } => match text {
                Some(t) => PyString::new(py, t).into_any().unbind(),
                None => string(py, data, *encoding)?,
            },
            Value::Bytes(b) => PyBytes::new(py, b).into_any().unbind(),
            Value::Code(i) => Py::new(py, PyCode::new(Arc::clone(self.file), *i))?.into_any(),
            _ => py.None(),
        })
    }
}

/// The children of a container node, `None` for other values.
fn children(m: &Marshal<'_>, id: ObjId) -> Option<Vec<ObjId>> {
    match &m.node(id).value {
        Value::Tuple(items)
        | Value::List(items)
        | Value::Set(items)
        | Value::FrozenSet(items)
        | Value::Dict(items)
        | Value::FrozenDict(items) => Some(m.items(*items).to_vec()),
        Value::Slice(ids) => Some(ids.to_vec()),
        _ => None,
    }
}

/// A `str` whose stored bytes are not plain UTF-8 text: Latin-1, or UTF-8
/// with lone surrogates (kept, as CPython's `surrogatepass` keeps them).
pub(crate) fn string(py: Python<'_>, data: &[u8], encoding: StrEncoding) -> PyResult<Py<PyAny>> {
    let utf8 = str_utf8(data, encoding);
    match std::str::from_utf8(&utf8) {
        Ok(s) => Ok(PyString::new(py, s).into_any().unbind()),
        Err(_) => Ok(PyBytes::new(py, &utf8).call_method1("decode", ("utf-8", "surrogatepass"))?.unbind()),
    }
}

/// A marshal long (15-bit digits, least significant first) of any size.
fn long(py: Python<'_>, size: i32, digits: &[u8]) -> PyResult<Py<PyAny>> {
    if let Some(v) = long_to_i64(size, digits) {
        return Ok(v.into_pyobject(py)?.into_any().unbind());
    }
    // Pack the 15-bit digits into little-endian bytes for int.from_bytes.
    let mut bytes = Vec::with_capacity(digits.len());
    let (mut acc, mut bits) = (0u32, 0u32);
    for d in digits.chunks_exact(2) {
        acc |= u32::from(u16::from_le_bytes([d[0], d[1]]) & 0x7fff) << bits;
        bits += 15;
        while bits >= 8 {
            bytes.push((acc & 0xff) as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        bytes.push((acc & 0xff) as u8);
    }
    let int = py.get_type::<pyo3::types::PyInt>();
    let v = int.call_method1("from_bytes", (PyBytes::new(py, &bytes), "little"))?;
    Ok(if size < 0 { v.neg()?.unbind() } else { v.unbind() })
}

/// `builtins.frozendict` where the host has it (3.15+), else the package's
/// read-only mapping.
pub(crate) fn frozendict_type(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static TYPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    TYPE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        let builtins = py.import("builtins")?;
        match builtins.getattr("frozendict") {
            Ok(t) => Ok(t.unbind()),
            Err(_) => Ok(py.import("bytescope._types")?.getattr("frozendict")?.unbind()),
        }
    })
    .map(|t| t.bind(py))
}
