//! Owned objects from what the reader decoded (`bytescope-marshal`).

use bytescope_code::CodeError;
use bytescope_marshal::{CodeLayout, CodeNode, Marshal, ObjId, StrEncoding, Value};

use crate::code::{CodeObject, Locals};
use crate::object::{Object, PyFloat, PyInt, PyStr};

/// Why a decoded object could not become an owned one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FromMarshalError {
    /// A code-object field has a type its version's constructor rejects.
    #[error(transparent)]
    Code(#[from] CodeError),
    /// A value that is not an object (the `NULL` marker) where one is needed.
    #[error("bad marshal data: NULL object (at offset {offset:#x})")]
    Null {
        /// Offset of the marker.
        offset: usize,
    },
    /// Shared references would expand into more objects than the budget:
    /// a stream can reference one container from many places (a DAG), and
    /// an owned tree copies it each time.
    #[error("shared references expand to more than {limit} objects (at offset {offset:#x})")]
    TooManyObjects {
        /// The budget.
        limit: usize,
        /// Offset of the object that exceeded it.
        offset: usize,
    },
}

/// Converts from an arena, within a budget of owned nodes.
pub(crate) struct Converter<'m, 'a> {
    m: &'m Marshal<'a>,
    py2: bool,
    budget: usize,
    limit: usize,
    /// Strings that references point to, by node, converted once and then
    /// shared (empty until the first reference to a string).
    shared: Vec<Option<PyStr>>,
}

impl<'m, 'a> Converter<'m, 'a> {
    pub(crate) fn new(m: &'m Marshal<'a>) -> Self {
        // Legitimate streams expand by about one node per reference; four
        // nodes per stored node plus a floor is far more than they need.
        let limit = m.nodes().len().saturating_mul(4).saturating_add(1 << 20);
        Converter { m, py2: m.format().py2, budget: limit, limit, shared: Vec::new() }
    }

    fn offset(&self, id: ObjId) -> usize {
        self.m.node(self.m.resolve(id)).offset as usize
    }

    fn spend(&mut self, id: ObjId) -> Result<(), FromMarshalError> {
        if self.budget == 0 {
            return Err(FromMarshalError::TooManyObjects { limit: self.limit, offset: self.offset(id) });
        }
        self.budget -= 1;
        Ok(())
    }

    pub(crate) fn object(&mut self, id: ObjId) -> Result<Object, FromMarshalError> {
        self.spend(id)?;
        let m = self.m;
        let rid = m.resolve(id);
        let node = m.node(rid);
        Ok(match &node.value {
            Value::Null | Value::Ref(_) | Value::StringRef(_) => {
                return Err(FromMarshalError::Null { offset: node.offset as usize });
            }
            Value::None => Object::None,
            Value::False => Object::Bool(false),
            Value::True => Object::Bool(true),
            Value::StopIteration => Object::StopIteration,
            Value::Ellipsis => Object::Ellipsis,
            Value::Int(v) => Object::Int(PyInt::from(*v)),
            Value::Long { size, digits } => {
                let ds = digits.chunks_exact(2).map(|d| u16::from_le_bytes([d[0], d[1]]));
                let v = PyInt::from_marshal_digits(*size < 0, ds);
                if self.py2 { Object::Long(v) } else { Object::Int(v) }
            }
            Value::Float { value, .. } => Object::Float(PyFloat(*value)),
            Value::Complex { re, im, .. } => Object::Complex { re: PyFloat(*re), im: PyFloat(*im) },
            Value::Str { data, encoding, text } => Object::Str(self.shared_str(rid, data, *encoding, *text)),
            Value::Bytes(b) => Object::Bytes(b.to_vec()),
            Value::Tuple(items) => Object::Tuple(self.seq(m.items(*items))?),
            Value::List(items) => Object::List(self.seq(m.items(*items))?),
            Value::Set(items) => Object::Set(self.seq(m.items(*items))?),
            Value::FrozenSet(items) => Object::FrozenSet(self.seq(m.items(*items))?),
            Value::Dict(items) => Object::Dict(self.pairs(m.items(*items))?),
            Value::FrozenDict(items) => Object::FrozenDict(self.pairs(m.items(*items))?),
            Value::Slice([a, b, c]) => {
                Object::Slice(Box::new([self.object(*a)?, self.object(*b)?, self.object(*c)?]))
            }
            Value::Code(i) => {
                let raw = &m.codes()[*i as usize];
                Object::Code(Box::new(self.code(raw)?))
            }
        })
    }

    /// The string of node `rid`: converted once if references point to it.
    fn shared_str(&mut self, rid: ObjId, data: &[u8], encoding: StrEncoding, text: Option<&str>) -> PyStr {
        if !self.m.node(rid).flag_ref() {
            return str_of(data, encoding, text);
        }
        if self.shared.is_empty() {
            self.shared.resize(self.m.nodes().len(), None);
        }
        match self.shared.get(rid.index()) {
            Some(Some(s)) => s.clone(),
            _ => {
                let s = str_of(data, encoding, text);
                if let Some(slot) = self.shared.get_mut(rid.index()) {
                    *slot = Some(s.clone());
                }
                s
            }
        }
    }

    fn seq(&mut self, ids: &[ObjId]) -> Result<Vec<Object>, FromMarshalError> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            out.push(self.object(id)?);
        }
        Ok(out)
    }

    fn pairs(&mut self, ids: &[ObjId]) -> Result<Vec<(Object, Object)>, FromMarshalError> {
        let mut out = Vec::with_capacity(ids.len() / 2);
        for kv in ids.chunks_exact(2) {
            out.push((self.object(kv[0])?, self.object(kv[1])?));
        }
        Ok(out)
    }

    fn bad(&self, field: &'static str, id: ObjId, problem: &str) -> FromMarshalError {
        FromMarshalError::Code(CodeError { field, problem: problem.to_owned(), offset: self.offset(id) })
    }

    fn bytes(&mut self, field: &'static str, id: ObjId) -> Result<Vec<u8>, FromMarshalError> {
        self.spend(id)?;
        match self.m.get(id) {
            Value::Bytes(b) => Ok(b.to_vec()),
            _ => Err(self.bad(field, id, "is not a bytes object")),
        }
    }

    /// A name: a str (Python 2: a byte string).
    fn name(&mut self, field: &'static str, id: ObjId) -> Result<PyStr, FromMarshalError> {
        self.spend(id)?;
        match self.m.get(id) {
            Value::Str { data, encoding, text } if !self.py2 => {
                let rid = self.m.resolve(id);
                Ok(self.shared_str(rid, data, *encoding, *text))
            }
            Value::Bytes(b) if self.py2 => Ok(PyStr::from_py2_bytes(b.to_vec())),
            _ => Err(self.bad(field, id, "is not a str")),
        }
    }

    fn names(&mut self, field: &'static str, id: ObjId) -> Result<Vec<PyStr>, FromMarshalError> {
        self.spend(id)?;
        let items = match self.m.get(id) {
            Value::Tuple(items) => self.m.items(*items),
            _ => return Err(self.bad(field, id, "is not a tuple")),
        };
        let mut out = Vec::with_capacity(items.len());
        for &i in items {
            out.push(self.name(field, i)?);
        }
        Ok(out)
    }

    pub(crate) fn code(&mut self, raw: &CodeNode) -> Result<CodeObject, FromMarshalError> {
        let m = self.m;
        let code = self.bytes("co_code", raw.code)?;
        self.spend(raw.consts)?;
        let consts = match m.get(raw.consts) {
            Value::Tuple(items) => self.seq(m.items(*items))?,
            _ => return Err(self.bad("co_consts", raw.consts, "is not a tuple")),
        };
        let names = self.names("co_names", raw.names)?;
        let locals = match raw.layout {
            CodeLayout::Py311 => {
                // Names and kinds straight into one Vec (no intermediate
                // Vecs to allocate and free); checked in the same order as
                // `names` then `bytes`.
                self.spend(raw.varnames)?;
                let names = match m.get(raw.varnames) {
                    Value::Tuple(items) => m.items(*items),
                    _ => return Err(self.bad("co_localsplusnames", raw.varnames, "is not a tuple")),
                };
                let mut plus = Vec::with_capacity(names.len());
                for &id in names {
                    plus.push((self.name("co_localsplusnames", id)?, 0));
                }
                let kinds_id = raw.localspluskinds.unwrap_or(raw.varnames);
                self.spend(kinds_id)?;
                let kinds = match m.get(kinds_id) {
                    Value::Bytes(b) => *b,
                    _ => return Err(self.bad("co_localspluskinds", kinds_id, "is not a bytes object")),
                };
                if kinds.len() != names.len() {
                    let problem = format!("has {} kinds for {} names", kinds.len(), names.len());
                    return Err(self.bad("co_localspluskinds", kinds_id, &problem));
                }
                for (p, &k) in plus.iter_mut().zip(kinds) {
                    p.1 = k;
                }
                Locals::Plus(plus)
            }
            _ => {
                let varnames = self.names("co_varnames", raw.varnames)?;
                // 1.5-2.0 code objects have no free or cell variables.
                let freevars =
                    raw.freevars.map(|id| self.names("co_freevars", id)).transpose()?.unwrap_or_default();
                let cellvars =
                    raw.cellvars.map(|id| self.names("co_cellvars", id)).transpose()?.unwrap_or_default();
                Locals::Split { varnames, cellvars, freevars }
            }
        };
        let filename = self.name("co_filename", raw.filename)?;
        let name = self.name("co_name", raw.name)?;
        let qualname = match raw.qualname {
            Some(q) => Some(self.name("co_qualname", q)?),
            None => None,
        };
        let linetable = self.bytes("co_linetable", raw.linetable)?;
        let exceptiontable = match raw.exceptiontable {
            Some(e) => self.bytes("co_exceptiontable", e)?,
            None => Vec::new(),
        };
        Ok(CodeObject {
            version: m.version(),
            argcount: raw.argcount,
            posonlyargcount: raw.posonlyargcount,
            kwonlyargcount: raw.kwonlyargcount,
            nlocals: raw.nlocals,
            stacksize: raw.stacksize,
            flags: raw.flags,
            code,
            consts,
            names,
            locals,
            filename,
            name,
            qualname,
            firstlineno: raw.firstlineno,
            linetable,
            exceptiontable,
        })
    }
}

/// A stored string's characters: its text when the reader checked it, else
/// UTF-8 with surrogates as stored, or Latin-1 converted.
fn str_of(data: &[u8], encoding: StrEncoding, text: Option<&str>) -> PyStr {
    match (text, encoding) {
        // The reader gives the text of an ASCII type code only when it is
        // ASCII (`Value::Str::text`).
        (Some(t), StrEncoding::Latin1) => PyStr::from_ascii_text(t),
        (Some(t), _) => PyStr::from(t),
        (None, StrEncoding::Utf8) => PyStr::from_checked(data),
        (None, StrEncoding::Latin1) => PyStr::from_latin1(data),
    }
}

impl CodeObject {
    /// The owned form of the code object `raw` of `m`, nested code objects
    /// included.
    ///
    /// # Errors
    /// [`FromMarshalError::Code`] naming the first field whose type the
    /// version's loader would reject; [`FromMarshalError::TooManyObjects`]
    /// when shared references would make the tree huge.
    pub fn from_marshal(m: &Marshal<'_>, raw: &CodeNode) -> Result<CodeObject, FromMarshalError> {
        Converter::new(m).code(raw)
    }

    /// The owned form of the root code object of `m`.
    ///
    /// # Errors
    /// As [`CodeObject::from_marshal`]; also a [`CodeError`] when the root is
    /// not a code object.
    pub fn from_root(m: &Marshal<'_>) -> Result<CodeObject, FromMarshalError> {
        match m.code(m.root()) {
            Some(raw) => CodeObject::from_marshal(m, raw),
            None => Err(FromMarshalError::Code(CodeError {
                field: "root object",
                problem: "is not a code object".into(),
                offset: m.node(m.root()).offset as usize,
            })),
        }
    }
}

impl Object {
    /// The owned form of object `id` of `m` (references followed).
    ///
    /// # Errors
    /// As [`CodeObject::from_marshal`], and [`FromMarshalError::Null`] for
    /// the `NULL` marker.
    pub fn from_marshal(m: &Marshal<'_>, id: ObjId) -> Result<Object, FromMarshalError> {
        Converter::new(m).object(id)
    }
}
