//! Marshal writing of owned objects, in each version's format.
//!
//! What the target interpreter loads is the promise (byte-identical output
//! to `marshal.dumps` is not possible in general: CPython sets `FLAG_REF` by
//! reference count, which depends on interpreter state). The policy here is
//! deterministic and documented:
//!
//! - **References** (marshal v3+, 3.4+), in one pass: every string (names
//!   included), bytes constant and number, and the empty tuple, is written
//!   the first time with `FLAG_REF` and then as an `r` reference to it,
//!   indices in pre-order as the reader counts them (CPython, too, flags
//!   nearly every such object: their reference counts are above one).
//!   Strings are shared by identity, as CPython shares them: clones of one
//!   [`PyStr`] (reading a .pyc makes them of every referenced string) are
//!   written once; equal strings built separately are written separately.
//!   Numbers and bytes constants are shared by value. `co_code` and the
//!   tables, other tuples, frozensets, mutable containers and code objects
//!   are not shared, so loading creates no aliasing the tree does not have.
//! - **Interned strings**: the strings a code object's constructor interns —
//!   every name (`co_names`, the locals, `co_name`, `co_qualname`; from 3.13
//!   also `co_filename`) and string constants made of ASCII letters, digits
//!   and `_` (in tuples and frozensets too) — use the interned type codes
//!   (`t`, `A`, `Z`; Python 2: `t`, with `R` references to repeats).
//! - **Encodings** as that version's writer chooses them: `)` small tuples
//!   and `z`/`Z`/`a`/`A` ASCII strings from marshal v4 (3.4+), binary floats
//!   from v2, `i` for 32-bit ints (2.x: `I` up to 64 bits, `l` for a
//!   `long`), `l` beyond, `:` slices only from v5 (3.14), `}` frozendicts
//!   only from v6 (3.15).
//!
//! Nesting deeper than CPython's reader accepts (2000 levels) is an error,
//! as is a value the version cannot store.

use std::collections::HashMap;

use foldhash::fast::FixedState;

use bytescope_marshal::{CodeLayout, FLAG_REF, Format};
use bytescope_pyc::PythonVersion;

use crate::code::{CodeObject, Locals};
use crate::object::{Object, PyInt, PyStr};
use crate::replace::CodeValueError;

/// CPython's `MAX_MARSHAL_STACK_DEPTH` (non-Windows): the deepest nesting
/// its reader accepts.
pub const MAX_DEPTH: usize = 2000;

/// Why an object cannot be written in a version's marshal format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The version's marshal has no type for this value.
    #[error("{what} cannot be marshalled by Python {version} (marshal version {marshal_version})")]
    Unmarshallable {
        /// The value's type.
        what: &'static str,
        /// The target version.
        version: PythonVersion,
        /// Its marshal format version.
        marshal_version: u8,
    },
    /// A nested code object of another version.
    #[error("a Python {code} code object inside Python {version} marshal data")]
    VersionMismatch {
        /// The code object's version.
        code: PythonVersion,
        /// The stream's version.
        version: PythonVersion,
    },
    /// A code object that the version's loader would reject.
    #[error("invalid code object {name:?}: {error}")]
    InvalidCode {
        /// Its `co_name`.
        name: String,
        /// What the loader would raise.
        error: CodeValueError,
    },
    /// A Python 3 string that is not UTF-8 (surrogates allowed).
    #[error(
        "a str is not valid UTF-8 (at byte {at}): Python 2 byte-string names cannot be written as Python 3 str"
    )]
    BadStr {
        /// Offset of the first bad byte.
        at: usize,
    },
    /// Nested deeper than the reader accepts.
    #[error("objects nest deeper than {MAX_DEPTH} levels, which marshal.loads rejects")]
    TooDeep,
    /// An integer field of a 1.5–2.2 code object that does not fit its 16 bits.
    #[error("co_{what} = {value} does not fit the 16-bit field of Python {version} code objects")]
    TooWide {
        /// The field.
        what: &'static str,
        /// Its value.
        value: i32,
        /// The target version.
        version: PythonVersion,
    },
    /// Cell or free variables in a 1.5–2.0 code object, whose layout has no place for them.
    #[error("Python {version} code objects have no cell or free variables")]
    NoCells {
        /// The target version.
        version: PythonVersion,
    },
    /// A length that does not fit marshal's 32-bit fields.
    #[error("{what} of length {len} does not fit marshal's 32-bit length")]
    TooLong {
        /// What.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

/// Marshals `obj` as `version`'s `marshal.dumps(obj)` would be read.
///
/// # Errors
/// A [`WriteError`] for a value the version cannot store.
pub fn dumps(obj: &Object, version: PythonVersion) -> Result<Vec<u8>, WriteError> {
    let mut w = Writer::new(Format::for_version(version));
    w.object(obj, Ctx::Value)?;
    Ok(w.out)
}

/// Marshals a code object in its own version's format (the marshal data of
/// a .pyc).
///
/// # Errors
/// A [`WriteError`]; [`WriteError::InvalidCode`] when the version's loader
/// would reject a code object ([`CodeObject::validate`]).
pub fn dumps_code(code: &CodeObject) -> Result<Vec<u8>, WriteError> {
    let mut w = Writer::new(Format::for_version(code.version));
    // Room for the whole stream up front: growing a multi-megabyte buffer
    // by doubling costs copies and allocator work.
    // Likewise the reference table: about one entry per constant, name and
    // local (growing a hash table rehashes every entry each time).
    let (mut estimate, mut refs, mut strs) = (0usize, 0usize, 0usize);
    for c in code.preorder() {
        let locals = match &c.locals {
            Locals::Split { varnames, cellvars, freevars } => {
                varnames.len() + cellvars.len() + freevars.len()
            }
            Locals::Plus(lp) => lp.len(),
        };
        estimate += 96
            + c.code.len()
            + c.linetable.len()
            + c.exceptiontable.len()
            + 12 * (c.consts.len() + c.names.len());
        refs += 4 + c.consts.len();
        strs += 4 + c.consts.len() + c.names.len() + locals;
    }
    w.out.reserve(estimate);
    if w.refs {
        w.written.reserve(refs);
        w.strs.reserve(strs);
    }
    w.code(code)?;
    Ok(w.out)
}

/// Where a string is written: decides interning.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// A value (constant, or data outside a code object).
    Value,
    /// A constant of a code object (identifier-like strings are interned).
    Const,
    /// A name (always interned).
    Name,
}

/// A shareable value, compared by content.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key<'o> {
    /// A string, by its buffer: clones share one (as CPython shares by
    /// identity).
    Str(usize),
    Bytes(&'o [u8]),
    Int(&'o PyInt),
    Long(&'o PyInt),
    Float(u64),
    Complex(u64, u64),
    EmptyTuple,
}

struct Writer<'o> {
    format: Format,
    out: Vec<u8>,
    refs: bool,
    /// Reference index of each value written with FLAG_REF (strings in
    /// `strs`).
    written: HashMap<Key<'o>, u32, FixedState>,
    /// Reference index of each string written with FLAG_REF, by buffer:
    /// most references are strings, and a word key hashes and compares
    /// faster than a `Key`.
    strs: HashMap<usize, u32, FixedState>,
    next_ref: u32,
    /// Python 2: index of each interned string written as `t`.
    interned: HashMap<&'o [u8], u32, FixedState>,
    depth: usize,
}

impl<'o> Writer<'o> {
    fn new(format: Format) -> Self {
        Writer {
            format,
            out: Vec::with_capacity(4096),
            refs: format.has_refs(),
            written: HashMap::default(),
            strs: HashMap::default(),
            next_ref: 0,
            interned: HashMap::default(),
            depth: 0,
        }
    }

    fn version(&self) -> PythonVersion {
        self.format.version
    }

    fn key(&self, obj: &'o Object) -> Option<Key<'o>> {
        Some(match obj {
            Object::Str(s) => Key::Str(s.buffer_id()),
            Object::Bytes(b) => Key::Bytes(b),
            Object::Int(i) => Key::Int(i),
            Object::Long(i) if self.format.py2 => Key::Long(i),
            Object::Long(i) => Key::Int(i),
            Object::Float(f) => Key::Float(f.0.to_bits()),
            Object::Complex { re, im } => Key::Complex(re.0.to_bits(), im.0.to_bits()),
            Object::Tuple(items) if items.is_empty() => Key::EmptyTuple,
            _ => return None,
        })
    }

    fn i32(&mut self, v: i32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// A code object's integer field: 16 bits in the 1.5–2.2 layouts, else 32.
    fn int_field(&mut self, what: &'static str, v: i32, layout: CodeLayout) -> Result<(), WriteError> {
        if layout < CodeLayout::Py23 {
            let short = i16::try_from(v).map_err(|_| WriteError::TooWide {
                what,
                value: v,
                version: self.version(),
            })?;
            self.out.extend_from_slice(&short.to_le_bytes());
        } else {
            self.i32(v);
        }
        Ok(())
    }

    fn len32(&mut self, what: &'static str, n: usize) -> Result<(), WriteError> {
        let v = i32::try_from(n).map_err(|_| WriteError::TooLong { what, len: n })?;
        self.i32(v);
        Ok(())
    }

    /// `code`, if the version's marshal has that type (bool from 2.3, sets from 2.5,
    /// `unicode` from 1.6, ...), else [`WriteError::Unmarshallable`].
    fn type_code(&self, code: u8, what: &'static str) -> Result<u8, WriteError> {
        if self.format.knows_type(code) { Ok(code) } else { Err(self.unmarshallable(what)) }
    }

    fn unmarshallable(&self, what: &'static str) -> WriteError {
        WriteError::Unmarshallable {
            what,
            version: self.version(),
            marshal_version: self.format.marshal_version,
        }
    }

    /// Writes a reference if `key` was written before (and returns
    /// `None`); otherwise returns the FLAG_REF bit to put on the type byte
    /// and takes the next index (3.4+; 0 before).
    fn reference(&mut self, key: Option<Key<'o>>) -> Option<u8> {
        let Some(key) = key.filter(|_| self.refs) else { return Some(0) };
        if let Key::Str(id) = key {
            return self.str_reference(id);
        }
        let seen = earlier_index(&mut self.written, key, &mut self.next_ref);
        self.reference_to(seen)
    }

    /// [`Writer::reference`] for the string whose buffer is `id`.
    fn str_reference(&mut self, id: usize) -> Option<u8> {
        if !self.refs {
            return Some(0);
        }
        let seen = earlier_index(&mut self.strs, id, &mut self.next_ref);
        self.reference_to(seen)
    }

    /// For an object written before as `seen`, writes the reference (and
    /// returns `None`); for a first one, returns the FLAG_REF bit.
    fn reference_to(&mut self, seen: Option<u32>) -> Option<u8> {
        match seen {
            Some(i) => {
                self.back_reference(i);
                None
            }
            None => Some(FLAG_REF),
        }
    }

    fn back_reference(&mut self, i: u32) {
        self.out.push(b'r');
        self.i32(i32::try_from(i).unwrap_or(i32::MAX));
    }

    fn enter(&mut self) -> Result<(), WriteError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(WriteError::TooDeep);
        }
        Ok(())
    }

    fn object(&mut self, obj: &'o Object, ctx: Ctx) -> Result<(), WriteError> {
        self.enter()?;
        self.object_inner(obj, ctx)?;
        self.depth -= 1;
        Ok(())
    }

    fn object_inner(&mut self, obj: &'o Object, ctx: Ctx) -> Result<(), WriteError> {
        match obj {
            Object::None => self.out.push(b'N'),
            Object::Bool(true) => self.out.push(self.type_code(b'T', "bool")?),
            Object::Bool(false) => self.out.push(self.type_code(b'F', "bool")?),
            Object::StopIteration => self.out.push(self.type_code(b'S', "StopIteration")?),
            Object::Ellipsis => self.out.push(self.type_code(b'.', "Ellipsis")?),
            Object::Str(s) if self.format.py2 => {
                // Python 2 `unicode`: never interned.
                let code = self.type_code(b'u', "unicode")?;
                let Some(flag) = self.reference(None) else { return Ok(()) };
                self.out.push(code | flag);
                self.len32("unicode", s.as_bytes().len())?;
                self.out.extend_from_slice(s.as_bytes());
            }
            Object::Str(s) => {
                let interned = match ctx {
                    Ctx::Name => true,
                    Ctx::Const => s.is_name_chars(),
                    Ctx::Value => false,
                };
                self.str3(s, interned)?;
            }
            Object::Bytes(b) if self.format.py2 => {
                let interned = ctx == Ctx::Name
                    || ctx == Ctx::Const && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_');
                self.str2(b, interned)?;
            }
            Object::Bytes(b) => self.bytes(b, true)?,
            Object::Int(i) => self.int(i, false, self.key(obj))?,
            Object::Long(i) => self.int(i, self.format.py2, self.key(obj))?,
            Object::Float(f) => {
                let Some(flag) = self.reference(self.key(obj)) else { return Ok(()) };
                if self.format.marshal_version > 1 {
                    self.out.push(b'g' | flag);
                    self.out.extend_from_slice(&f.0.to_le_bytes());
                } else {
                    self.out.push(b'f' | flag);
                    self.float_text(f.0);
                }
            }
            Object::Complex { re, im } => {
                let Some(flag) = self.reference(self.key(obj)) else { return Ok(()) };
                if self.format.marshal_version > 1 {
                    self.out.push(b'y' | flag);
                    self.out.extend_from_slice(&re.0.to_le_bytes());
                    self.out.extend_from_slice(&im.0.to_le_bytes());
                } else {
                    self.out.push(self.type_code(b'x', "complex")? | flag);
                    self.float_text(re.0);
                    self.float_text(im.0);
                }
            }
            Object::Tuple(items) => {
                let Some(flag) = self.reference(self.key(obj)) else { return Ok(()) };
                self.tuple_head(flag, items.len())?;
                for o in items {
                    self.object(o, ctx)?;
                }
            }
            Object::List(items) => self.seq(b'[', "list", items, ctx)?,
            Object::Set(items) => self.seq(self.type_code(b'<', "set")?, "set", items, ctx)?,
            Object::FrozenSet(items) => {
                let code = self.type_code(b'>', "frozenset")?;
                let Some(flag) = self.reference(self.key(obj)) else { return Ok(()) };
                self.out.push(code | flag);
                self.len32("frozenset", items.len())?;
                for o in items {
                    self.object(o, ctx)?;
                }
            }
            Object::Dict(pairs) => self.dict(b'{', pairs, ctx)?,
            Object::FrozenDict(pairs) => {
                if self.format.marshal_version < 6 {
                    return Err(self.unmarshallable("frozendict"));
                }
                self.dict(b'}', pairs, ctx)?;
            }
            Object::Slice(parts) => {
                if self.format.marshal_version < 5 {
                    return Err(self.unmarshallable("slice"));
                }
                self.out.push(b':');
                for o in parts.iter() {
                    self.object(o, ctx)?;
                }
            }
            Object::Code(c) => self.code(c)?,
        }
        Ok(())
    }

    fn seq(&mut self, ty: u8, what: &'static str, items: &'o [Object], ctx: Ctx) -> Result<(), WriteError> {
        self.out.push(ty);
        self.len32(what, items.len())?;
        for o in items {
            self.object(o, ctx)?;
        }
        Ok(())
    }

    fn dict(&mut self, ty: u8, pairs: &'o [(Object, Object)], ctx: Ctx) -> Result<(), WriteError> {
        self.out.push(ty);
        for (k, v) in pairs {
            self.object(k, ctx)?;
            self.object(v, ctx)?;
        }
        self.out.push(b'0');
        Ok(())
    }

    fn tuple_head(&mut self, flag: u8, n: usize) -> Result<(), WriteError> {
        if self.format.marshal_version >= 4 && n < 256 {
            self.out.push(b')' | flag);
            self.out.push(n as u8);
            Ok(())
        } else {
            self.out.push(b'(' | flag);
            self.len32("tuple", n)
        }
    }

    fn float_text(&mut self, v: f64) {
        // Marshal v0/v1 (Python ≤2.4) text floats; `{:e}` with 17 digits
        // round-trips every double and the reader's strtod accepts it.
        let text = if v.is_finite() { format!("{v:.16e}") } else { format!("{v}").to_lowercase() };
        self.out.push(text.len() as u8);
        self.out.extend_from_slice(text.as_bytes());
    }

    fn int(&mut self, i: &'o PyInt, py2_long: bool, key: Option<Key<'o>>) -> Result<(), WriteError> {
        let Some(flag) = self.reference(key) else { return Ok(()) };
        match i.to_i64() {
            Some(v) if !py2_long && i32::try_from(v).is_ok() => {
                self.out.push(b'i' | flag);
                self.i32(v as i32);
            }
            Some(v) if !py2_long && self.format.py2 => {
                self.out.push(b'I' | flag);
                self.out.extend_from_slice(&v.to_le_bytes());
            }
            _ => {
                let (n, digits) = i.marshal_digits();
                let n =
                    i32::try_from(n).map_err(|_| WriteError::TooLong { what: "int", len: digits.len() })?;
                self.out.push(b'l' | flag);
                self.i32(n);
                for d in digits {
                    self.out.extend_from_slice(&d.to_le_bytes());
                }
            }
        }
        Ok(())
    }

    fn bytes(&mut self, b: &'o [u8], shared: bool) -> Result<(), WriteError> {
        let Some(flag) = self.reference(shared.then_some(Key::Bytes(b))) else { return Ok(()) };
        self.out.push(b's' | flag);
        self.len32("bytes", b.len())?;
        self.out.extend_from_slice(b);
        Ok(())
    }

    /// A Python 3 str.
    fn str3(&mut self, s: &'o PyStr, interned: bool) -> Result<(), WriteError> {
        let Some(flag) = self.str_reference(s.buffer_id()) else { return Ok(()) };
        let b = s.as_bytes();
        let v = self.format.marshal_version;
        if v >= 4 && s.is_ascii() {
            if b.len() < 256 {
                self.out.push(if interned { b'Z' } else { b'z' } | flag);
                self.out.push(b.len() as u8);
            } else {
                self.out.push(if interned { b'A' } else { b'a' } | flag);
                self.len32("str", b.len())?;
            }
        } else {
            if !s.is_valid() {
                let at = PyStr::from_utf8_surrogates(b.to_vec()).err().map_or(0, |e| e.at);
                return Err(WriteError::BadStr { at });
            }
            self.out.push(if v >= 3 && interned { b't' } else { b'u' } | flag);
            self.len32("str", b.len())?;
        }
        self.out.extend_from_slice(b);
        Ok(())
    }

    /// A Python 2 byte string: interned ones go through the `R` table.
    fn str2(&mut self, b: &'o [u8], interned: bool) -> Result<(), WriteError> {
        // Interned strings ('t', 2.4+) where the format has them.
        if interned && self.format.knows_type(b't') {
            if let Some(&i) = self.interned.get(b) {
                self.out.push(b'R');
                self.i32(i32::try_from(i).unwrap_or(i32::MAX));
                return Ok(());
            }
            let n = u32::try_from(self.interned.len()).unwrap_or(u32::MAX);
            self.interned.insert(b, n);
            self.out.push(b't');
        } else {
            self.out.push(b's');
        }
        self.len32("str", b.len())?;
        self.out.extend_from_slice(b);
        Ok(())
    }

    /// A name (or `co_filename`) in the stream's string type.
    fn name(&mut self, s: &'o PyStr, interned: bool) -> Result<(), WriteError> {
        self.enter()?;
        if self.format.py2 {
            self.str2(s.as_bytes(), interned)?;
        } else {
            self.str3(s, interned)?;
        }
        self.depth -= 1;
        Ok(())
    }

    fn names(&mut self, names: impl ExactSizeIterator<Item = &'o PyStr>) -> Result<(), WriteError> {
        self.enter()?;
        let key = (names.len() == 0).then_some(Key::EmptyTuple);
        if let Some(flag) = self.reference(key) {
            self.tuple_head(flag, names.len())?;
            for n in names {
                self.name(n, true)?;
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn bytes_field(&mut self, b: &'o [u8]) -> Result<(), WriteError> {
        self.enter()?;
        if self.format.py2 {
            self.str2(b, false)?;
        } else {
            // co_code and the tables are not shared: hashing them costs
            // more than the rare repeat saves.
            self.bytes(b, false)?;
        }
        self.depth -= 1;
        Ok(())
    }

    fn code(&mut self, c: &'o CodeObject) -> Result<(), WriteError> {
        if c.version != self.version() {
            return Err(WriteError::VersionMismatch { code: c.version, version: self.version() });
        }
        c.validate().map_err(|error| WriteError::InvalidCode { name: c.name.to_string_lossy(), error })?;
        let Some(layout) = self.format.code_layout else { return Err(self.unmarshallable("code")) };
        self.enter()?;
        self.out.push(b'c');
        self.int_field("argcount", c.argcount, layout)?;
        if layout >= CodeLayout::Py38 {
            self.i32(c.posonlyargcount);
        }
        if layout >= CodeLayout::Py30 {
            self.i32(c.kwonlyargcount);
        }
        if layout < CodeLayout::Py311 {
            self.int_field("nlocals", c.nlocals, layout)?;
        }
        self.int_field("stacksize", c.stacksize, layout)?;
        self.int_field("flags", c.flags, layout)?;
        self.bytes_field(&c.code)?;
        // co_consts.
        self.enter()?;
        let key = c.consts.is_empty().then_some(Key::EmptyTuple);
        if let Some(flag) = self.reference(key) {
            self.tuple_head(flag, c.consts.len())?;
            for o in &c.consts {
                self.object(o, Ctx::Const)?;
            }
        }
        self.depth -= 1;
        self.names(c.names.iter())?;
        match (&c.locals, layout) {
            (Locals::Plus(lp), CodeLayout::Py311) => {
                self.names(lp.iter().map(|(n, _)| n))?;
                self.enter()?;
                self.out.push(b's');
                self.len32("co_localspluskinds", lp.len())?;
                self.out.extend(lp.iter().map(|(_, k)| *k));
                self.depth -= 1;
            }
            (Locals::Split { varnames, cellvars, freevars }, CodeLayout::Py15) => {
                if !cellvars.is_empty() || !freevars.is_empty() {
                    return Err(WriteError::NoCells { version: self.version() });
                }
                self.names(varnames.iter())?;
            }
            (Locals::Split { varnames, cellvars, freevars }, _) => {
                self.names(varnames.iter())?;
                self.names(freevars.iter())?;
                self.names(cellvars.iter())?;
            }
            // validate() ties the locals' form to the version.
            _ => return Err(self.unmarshallable("code object locals")),
        }
        self.name(&c.filename, self.version() >= PythonVersion::PY313)?;
        self.name(&c.name, true)?;
        if layout == CodeLayout::Py311 {
            let q = c.qualname.as_ref().unwrap_or(&c.name);
            self.name(q, true)?;
        }
        self.int_field("firstlineno", c.firstlineno, layout)?;
        self.bytes_field(&c.linetable)?;
        if layout == CodeLayout::Py311 {
            self.bytes_field(&c.exceptiontable)?;
        }
        self.depth -= 1;
        Ok(())
    }
}

/// The reference index `key` was given, or `None` after giving it `next`
/// (which moves on): the first time an object is written.
fn earlier_index<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, u32, FixedState>,
    key: K,
    next: &mut u32,
) -> Option<u32> {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(*next);
            *next += 1;
            None
        }
    }
}
