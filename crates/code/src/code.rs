//! A version-independent view of one marshalled code object.

use std::borrow::Cow;

use bytescope_marshal::reuse::recycle;
use bytescope_marshal::{CodeField, CodeLayout, CodeNode, Marshal, ObjId, Value, value_name};
use bytescope_pyc::PythonVersion;

/// `localspluskinds` bits (`Include/internal/pycore_code.h`, 3.11+).
pub mod kinds {
    /// An argument (positional), 3.14+.
    pub const ARG_POS: u8 = 0x02;
    /// A keyword argument, 3.14+.
    pub const ARG_KW: u8 = 0x04;
    /// `*args`/`**kwargs`, 3.14+.
    pub const ARG_VAR: u8 = 0x08;
    /// A hidden local (inlined comprehension), 3.12+.
    pub const HIDDEN: u8 = 0x10;
    /// A fast local.
    pub const LOCAL: u8 = 0x20;
    /// A cell variable.
    pub const CELL: u8 = 0x40;
    /// A free variable.
    pub const FREE: u8 = 0x80;
}

/// A code object whose fields do not have the types CPython requires.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid code object: {field} {problem} (at offset {offset:#x})")]
pub struct CodeError {
    /// The field, e.g. `co_consts`.
    pub field: &'static str,
    /// What is wrong, e.g. `is not a tuple`.
    pub problem: String,
    /// Absolute offset of the field's object (or of the code object).
    pub offset: usize,
}

/// A name as stored: borrowed from the marshal data when it is valid UTF-8
/// (nearly always), else converted (Python 2 byte-string names that are not
/// UTF-8 and lone surrogates are replaced).
pub type Name<'a> = Cow<'a, str>;

/// A code object with its fields checked and its names decoded.
///
/// Everything borrows from the marshal data; only names that are not valid
/// UTF-8 are copied.
#[derive(Clone, Debug)]
pub struct Code<'m, 'a> {
    m: &'m Marshal<'a>,
    raw: &'m CodeNode,
    /// `co_code`.
    pub code: &'a [u8],
    /// `co_consts`.
    pub consts: &'m [ObjId],
    /// `co_names`.
    pub names: Vec<Name<'a>>,
    /// `co_varnames`.
    pub varnames: Vec<Name<'a>>,
    /// `co_cellvars`.
    pub cellvars: Vec<Name<'a>>,
    /// `co_freevars`.
    pub freevars: Vec<Name<'a>>,
    /// 3.11+: `co_localsplusnames` with their kinds; ≤3.10: varnames, then
    /// cellvars, then freevars (kinds synthesised), which is how `dis`
    /// indexes locals and cells in each version.
    pub localsplus: Vec<(Name<'a>, u8)>,
    /// `co_filename`.
    pub filename: Name<'a>,
    /// `co_name`.
    pub name: Name<'a>,
    /// `co_qualname` (3.11+; `None` before).
    pub qualname: Option<Name<'a>>,
    /// `co_lnotab` (≤3.9) or `co_linetable` (3.10+).
    pub linetable: &'a [u8],
    /// `co_exceptiontable` (3.11+; empty before).
    pub exceptiontable: &'a [u8],
}

impl<'m, 'a> Code<'m, 'a> {
    /// Checks and decodes the code object `raw` of `m`.
    ///
    /// # Errors
    /// A [`CodeError`] naming the first field whose type CPython would reject.
    pub fn new(m: &'m Marshal<'a>, raw: &'m CodeNode) -> Result<Self, CodeError> {
        Code::new_in(m, raw, CodeVecs::default())
    }

    /// [`Code::new`] with the name lists of an earlier code object
    /// ([`Code::into_vecs`]): a listing of many code objects then allocates
    /// them once.
    ///
    /// # Errors
    /// As [`Code::new`].
    pub fn new_in(m: &'m Marshal<'a>, raw: &'m CodeNode, vecs: CodeVecs) -> Result<Self, CodeError> {
        let CodeVecs { names, varnames, cellvars, freevars, localsplus } = vecs;
        let py2 = m.format().py2;
        let code = bytes_of(m, "co_code", raw.code)?;
        // 3.11+ `_PyCode_Validate` rejects co_code that is not whole code
        // units ("code: co_code is malformed"), so marshal.loads fails.
        if raw.layout == CodeLayout::Py311 && code.len() % 2 != 0 {
            return Err(bad(m, "co_code", raw.code, &format!("has odd length {}", code.len())));
        }
        // Python 2 tolerates lists in co_consts only through code.__new__;
        // marshal always writes a tuple.
        let consts = tuple_of(m, "co_consts", raw.consts)?;
        let names = names_into(m, "co_names", raw.names, py2, recycle(names))?;
        let (varnames, cellvars, freevars, localsplus) = match raw.layout {
            CodeLayout::Py311 => {
                let field = "co_localsplusnames";
                let items = tuple_of(m, field, raw.varnames)?;
                let kinds_id = raw.localspluskinds.unwrap_or(raw.varnames);
                let kinds = match bytes_of(m, "co_localspluskinds", kinds_id) {
                    Ok(k) if k.len() == items.len() => k,
                    Ok(k) => {
                        // The names' own errors come first.
                        names_of(m, field, raw.varnames, py2)?;
                        return Err(bad(
                            m,
                            "co_localspluskinds",
                            kinds_id,
                            &format!("has {} kinds for {} names", k.len(), items.len()),
                        ));
                    }
                    Err(e) => {
                        names_of(m, field, raw.varnames, py2)?;
                        return Err(e);
                    }
                };
                // One pass, straight into the lists (this runs for every
                // code object).
                let (mut local, mut cell, mut free) =
                    (recycle(varnames), recycle(cellvars), recycle(freevars));
                let mut lp = recycle(localsplus);
                lp.reserve(items.len());
                local.reserve(items.len());
                for (&id, &k) in items.iter().zip(kinds) {
                    let Some(n) = name_of(m, id, py2) else { return Err(bad(m, field, id, "is not a str")) };
                    if k & kinds::LOCAL != 0 {
                        local.push(copy_name(&n));
                    }
                    if k & kinds::CELL != 0 {
                        cell.push(copy_name(&n));
                    }
                    if k & kinds::FREE != 0 {
                        free.push(copy_name(&n));
                    }
                    lp.push((n, k));
                }
                (local, cell, free, lp)
            }
            _ => {
                let v = names_into(m, "co_varnames", raw.varnames, py2, recycle(varnames))?;
                // 1.5-2.0 code objects have no free or cell variables.
                let f = match raw.freevars {
                    Some(id) => names_into(m, "co_freevars", id, py2, recycle(freevars))?,
                    None => recycle(freevars),
                };
                let c = match raw.cellvars {
                    Some(id) => names_into(m, "co_cellvars", id, py2, recycle(cellvars))?,
                    None => recycle(cellvars),
                };
                let mut lp = recycle(localsplus);
                lp.reserve(v.len() + c.len() + f.len());
                lp.extend(v.iter().map(|n| (copy_name(n), kinds::LOCAL)));
                lp.extend(c.iter().map(|n| (copy_name(n), kinds::CELL)));
                lp.extend(f.iter().map(|n| (copy_name(n), kinds::FREE)));
                (v, c, f, lp)
            }
        };
        let string = |field, id| name_of(m, id, py2).ok_or_else(|| bad(m, field, id, "is not a str"));
        let filename = string("co_filename", raw.filename)?;
        let name = string("co_name", raw.name)?;
        let qualname = raw.qualname.map(|q| string("co_qualname", q)).transpose()?;
        let linetable = bytes_of(m, "co_linetable", raw.linetable)?;
        let exceptiontable =
            raw.exceptiontable.map(|e| bytes_of(m, "co_exceptiontable", e)).transpose()?.unwrap_or(&[]);
        Ok(Code {
            m,
            raw,
            code,
            consts,
            names,
            varnames,
            cellvars,
            freevars,
            localsplus,
            filename,
            name,
            qualname,
            linetable,
            exceptiontable,
        })
    }

    /// Gives back the name lists, emptied, for [`Code::new_in`].
    #[must_use]
    pub fn into_vecs(self) -> CodeVecs {
        let Code { names, varnames, cellvars, freevars, localsplus, .. } = self;
        CodeVecs {
            names: recycle(names),
            varnames: recycle(varnames),
            cellvars: recycle(cellvars),
            freevars: recycle(freevars),
            localsplus: recycle(localsplus),
        }
    }

    /// The marshal data this code object lives in.
    #[must_use]
    pub fn marshal(&self) -> &'m Marshal<'a> {
        self.m
    }

    /// The raw fields.
    #[must_use]
    pub fn raw(&self) -> &'m CodeNode {
        self.raw
    }

    /// The version the code object was read as.
    #[must_use]
    pub fn version(&self) -> PythonVersion {
        self.m.version()
    }

    /// Absolute offset of the code object in the file.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.m.node(self.raw.node).offset as usize
    }

    /// `co_argcount`.
    #[must_use]
    pub fn argcount(&self) -> i32 {
        self.raw.argcount
    }

    /// `co_posonlyargcount` (0 before 3.8).
    #[must_use]
    pub fn posonlyargcount(&self) -> i32 {
        self.raw.posonlyargcount
    }

    /// `co_kwonlyargcount` (0 in Python 2).
    #[must_use]
    pub fn kwonlyargcount(&self) -> i32 {
        self.raw.kwonlyargcount
    }

    /// `co_nlocals`: stored before 3.11, the number of fast locals from 3.11.
    #[must_use]
    pub fn nlocals(&self) -> i32 {
        // From 3.11 (and its alphas from magic 3452) co_nlocals is not
        // stored but counted from the locals.
        let stored = self.m.format().code_fields.is_none_or(|f| f.has(CodeField::NLocals));
        match self.raw.layout {
            CodeLayout::Py311 => i32::try_from(self.varnames.len()).unwrap_or(i32::MAX),
            _ if !stored => i32::try_from(self.varnames.len()).unwrap_or(i32::MAX),
            _ => self.raw.nlocals,
        }
    }

    /// `co_stacksize`.
    #[must_use]
    pub fn stacksize(&self) -> i32 {
        self.raw.stacksize
    }

    /// `co_flags` as the unsigned bit set `dis` walks.
    #[must_use]
    pub fn flags(&self) -> u32 {
        self.raw.flags as u32
    }

    /// `co_firstlineno`.
    #[must_use]
    pub fn firstlineno(&self) -> i32 {
        self.raw.firstlineno
    }

    /// The code objects among `co_consts`, in order.
    #[must_use]
    pub fn nested(&self) -> Vec<&'m CodeNode> {
        self.consts.iter().filter_map(|&c| self.m.code(c)).collect()
    }

    /// The local name `dis` shows for a LOCAL-kind operand: `co_varnames[i]`
    /// before 3.11, `localsplusnames[i]` from 3.11.
    #[must_use]
    pub fn local_name(&self, i: usize) -> Option<&str> {
        match self.raw.layout {
            CodeLayout::Py311 => self.localsplus.get(i).map(|(n, _)| n.as_ref()),
            _ => self.varnames.get(i).map(AsRef::as_ref),
        }
    }

    /// The name `dis` shows for a FREE-kind operand: `(co_cellvars +
    /// co_freevars)[i]` before 3.11, `localsplusnames[i]` from 3.11.
    #[must_use]
    pub fn free_name(&self, i: usize) -> Option<&str> {
        match self.raw.layout {
            CodeLayout::Py311 => self.localsplus.get(i).map(|(n, _)| n.as_ref()),
            _ => {
                self.cellvars.get(i).or_else(|| self.freevars.get(i - self.cellvars.len())).map(AsRef::as_ref)
            }
        }
    }

    /// The name as raw bytes of a name field (for callers that must not lose
    /// bytes, e.g. JSON output of Python 2 names).
    #[must_use]
    pub fn raw_name(&self, id: ObjId) -> Option<Cow<'a, [u8]>> {
        self.m.name_bytes(id)
    }
}

/// The error for field `field` whose object `id` has the wrong type.
#[cold]
#[inline(never)]
fn bad(m: &Marshal<'_>, field: &'static str, id: ObjId, problem: &str) -> CodeError {
    CodeError { field, problem: problem.to_owned(), offset: m.node(m.resolve(id)).offset as usize }
}

/// The name `id` denotes: a str, or (Python 2) a byte string.
#[inline]
fn name_of<'a>(m: &Marshal<'a>, id: ObjId, py2: bool) -> Option<Name<'a>> {
    match m.get(id) {
        // Text checked when read: nearly every name.
        Value::Str { text: Some(s), .. } => Some(Cow::Borrowed(*s)),
        v @ Value::Str { .. } => value_name(v),
        // Python 2 names are byte strings.
        v @ Value::Bytes(_) if py2 => value_name(v),
        _ => None,
    }
}

/// The name lists of a dropped [`Code`], for [`Code::new_in`].
#[derive(Debug, Default)]
pub struct CodeVecs {
    names: Vec<Name<'static>>,
    varnames: Vec<Name<'static>>,
    cellvars: Vec<Name<'static>>,
    freevars: Vec<Name<'static>>,
    localsplus: Vec<(Name<'static>, u8)>,
}

/// A second copy of a name: borrowed names (nearly all) are copied without
/// a call.
#[inline]
fn copy_name<'a>(n: &Name<'a>) -> Name<'a> {
    match n {
        Cow::Borrowed(s) => Cow::Borrowed(*s),
        Cow::Owned(s) => Cow::Owned(s.clone()),
    }
}

fn bytes_of<'a>(m: &Marshal<'a>, field: &'static str, id: ObjId) -> Result<&'a [u8], CodeError> {
    match m.get(id) {
        Value::Bytes(b) => Ok(*b),
        _ => Err(bad(m, field, id, "is not a bytes object")),
    }
}

fn tuple_of<'m>(m: &'m Marshal<'_>, field: &'static str, id: ObjId) -> Result<&'m [ObjId], CodeError> {
    match m.get(id) {
        Value::Tuple(items) => Ok(m.items(*items)),
        _ => Err(bad(m, field, id, "is not a tuple")),
    }
}

/// The names in the tuple `id` (this runs for every name list of every
/// code object).
fn names_of<'a>(
    m: &Marshal<'a>,
    field: &'static str,
    id: ObjId,
    py2: bool,
) -> Result<Vec<Name<'a>>, CodeError> {
    names_into(m, field, id, py2, Vec::new())
}

/// [`names_of`] into the (empty) `names`.
fn names_into<'a>(
    m: &Marshal<'a>,
    field: &'static str,
    id: ObjId,
    py2: bool,
    mut names: Vec<Name<'a>>,
) -> Result<Vec<Name<'a>>, CodeError> {
    let items = tuple_of(m, field, id)?;
    names.reserve(items.len());
    for &i in items {
        match name_of(m, i, py2) {
            Some(n) => names.push(n),
            None => return Err(bad(m, field, i, "is not a str")),
        }
    }
    Ok(names)
}

/// Every code object of `m` in pre-order (the module, then each nested code
/// object in `co_consts` order, recursively), checked: every distinct one,
/// and one that marshal references repeat again at each place while the
/// walk's budget lasts (see [`bytescope_marshal::CodeWalk`], which also
/// stops where crafted code objects share too many fields).
///
/// # Errors
/// The first [`CodeError`].
pub fn code_objects<'m, 'a>(m: &'m Marshal<'a>) -> Result<Vec<Code<'m, 'a>>, CodeError> {
    m.code_walk().map(|v| Code::new(m, v.code)).collect()
}
