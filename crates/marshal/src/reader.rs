//! The marshal reader.
//!
//! Follows CPython's `r_object` (Python/marshal.c) of each version: the same
//! type codes, the same order of reference registration (containers, code
//! objects and frozensets take their reference slot *before* their children),
//! the same 2000-level nesting limit and long-digit checks. Every declared
//! length is checked against the bytes that remain before anything is
//! allocated, so memory stays proportional to the input.

use crate::error::{ErrorKind, MarshalError};
use crate::format::{CodeField, CodeFields, CodeLayout, FLAG_REF, Format, any_version_knows};
use crate::object::{CodeNode, ComplexText, Items, Marshal, Node, ObjId, Storage, StrEncoding, Value};
use crate::reuse::{recycle, room_for};

/// CPython's `MAX_MARSHAL_STACK_DEPTH` on non-Windows builds.
pub const MAX_DEPTH: usize = 2000;

/// Reads one marshalled object from `data`.
///
/// `base` is the absolute offset of `data[0]` in its file (the header
/// length for a .pyc), so errors name file offsets. Trailing bytes after the
/// object are ignored, as `marshal.loads` does.
///
/// # Errors
/// A [`MarshalError`] naming the offset of the first problem.
pub fn read(data: &[u8], format: Format, base: usize) -> Result<Marshal<'_>, MarshalError> {
    read_in(data, format, base, Storage::default())
}

/// [`read`] into the memory of an earlier stream ([`Marshal::into_storage`]).
///
/// # Errors
/// As [`read`].
pub fn read_in(
    data: &[u8],
    format: Format,
    base: usize,
    storage: Storage,
) -> Result<Marshal<'_>, MarshalError> {
    let Storage { nodes, items, codes, refs, interned } = storage;
    let mut r = Reader {
        rest: data,
        end: base + data.len(),
        format,
        strip: if format.has_refs() { !FLAG_REF } else { 0xff },
        m: Marshal {
            format,
            // Sized from the input so that growing rarely copies: compiled
            // stdlib modules hold about one object per 25 bytes, one
            // container item per 42, one reference per 119 and one code
            // object per 620.
            nodes: with_room(recycle(nodes), (data.len() / 16).min(1 << 20)),
            items: with_room(items, (data.len() / 32).min(1 << 20)),
            codes: with_room(codes, (data.len() / 512).min(1 << 16)),
            refs: with_room(refs, (data.len() / 64).min(1 << 18)),
            interned,
            end: 0,
            shared_code_fields: 0,
        },
        scratch: Vec::new(),
        builders: Vec::new(),
        shape: CodeShape::of(format),
    };
    r.object()?;
    r.m.end = r.abs();
    Ok(r.m)
}

/// `v` (empty) with room for `n` items; a reused arena that must grow
/// jumps to at least 2 MiB (see [`room_for`]).
fn with_room<T>(mut v: Vec<T>, n: usize) -> Vec<T> {
    room_for(&mut v, n, 2 << 20);
    v
}

struct Reader<'a> {
    /// The input not read yet (a slice rather than a position, so each read
    /// needs one length check).
    rest: &'a [u8],
    /// Absolute offset of the end of the input.
    end: usize,
    format: Format,
    /// Mask that strips FLAG_REF from a type byte (0xff before 3.4).
    strip: u8,
    m: Marshal<'a>,
    /// Children of the open containers, innermost last.
    scratch: Vec<ObjId>,
    /// Integer fields of the open code objects, innermost last.
    builders: Vec<CodeBuilder>,
    /// Where the format's code objects keep each field (worked out once
    /// here rather than per code object).
    shape: CodeShape,
}

/// Sentinel in `refs` for a slot reserved by an object still being read.
const RESERVED: ObjId = ObjId(u32::MAX);

impl<'a> Reader<'a> {
    /// Error constructors are out of line: the hot paths only branch.
    #[cold]
    #[inline(never)]
    fn err_at(&self, abs: usize, kind: ErrorKind) -> MarshalError {
        MarshalError { kind: Box::new(kind), offset: abs }
    }

    #[cold]
    #[inline(never)]
    fn err(&self, kind: ErrorKind) -> MarshalError {
        self.err_at(self.abs(), kind)
    }

    #[cold]
    #[inline(never)]
    fn eof(&self, what: &'static str, needed: usize) -> MarshalError {
        self.err(ErrorKind::Eof { what, needed, available: self.remaining() })
    }

    /// Absolute offset of the next byte.
    #[inline]
    fn abs(&self) -> usize {
        self.end - self.rest.len()
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.rest.len()
    }

    #[inline]
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], MarshalError> {
        if n > self.rest.len() {
            return Err(self.eof(what, n));
        }
        let (s, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(s)
    }

    #[inline]
    fn u8(&mut self, what: &'static str) -> Result<u8, MarshalError> {
        let Some((&b, rest)) = self.rest.split_first() else { return Err(self.eof(what, 1)) };
        self.rest = rest;
        Ok(b)
    }

    #[inline]
    fn chunk<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], MarshalError> {
        let Some((b, rest)) = self.rest.split_first_chunk::<N>() else { return Err(self.eof(what, N)) };
        self.rest = rest;
        Ok(*b)
    }

    #[inline]
    fn i32(&mut self, what: &'static str) -> Result<i32, MarshalError> {
        self.chunk(what).map(i32::from_le_bytes)
    }

    /// An integer field of a code object: 32-bit, or 16-bit (sign-extended,
    /// as `r_short` reads it) up to 2.2.
    #[inline]
    fn code_int(&mut self, fields: CodeFields, field: CodeField) -> Result<i32, MarshalError> {
        // The field's name is only looked up for the error.
        if fields.short_ints {
            let Some((b, rest)) = self.rest.split_first_chunk::<2>() else {
                return Err(self.eof(field.name(fields.layout), 2));
            };
            self.rest = rest;
            Ok(i32::from(i16::from_le_bytes(*b)))
        } else {
            let Some((b, rest)) = self.rest.split_first_chunk::<4>() else {
                return Err(self.eof(field.name(fields.layout), 4));
            };
            self.rest = rest;
            Ok(i32::from_le_bytes(*b))
        }
    }

    fn i64(&mut self, what: &'static str) -> Result<i64, MarshalError> {
        self.chunk(what).map(i64::from_le_bytes)
    }

    fn f64(&mut self, what: &'static str) -> Result<f64, MarshalError> {
        self.chunk(what).map(f64::from_le_bytes)
    }

    /// A count that must fit in the remaining input at `min_size` bytes each.
    #[inline]
    fn count(&mut self, what: &'static str, min_size: usize) -> Result<usize, MarshalError> {
        let at = self.abs();
        let n = i64::from(self.i32(what)?);
        self.check_len(at, what, n, min_size)
    }

    #[inline]
    fn check_len(
        &self,
        at: usize,
        what: &'static str,
        n: i64,
        min_size: usize,
    ) -> Result<usize, MarshalError> {
        if n < 0 {
            return Err(self.err_at(at, ErrorKind::NegativeLength { what, len: n }));
        }
        let need = usize::try_from(n).unwrap_or(usize::MAX).saturating_mul(min_size);
        if need > self.remaining() {
            return Err(
                self.err_at(at, ErrorKind::LengthExceedsInput { what, len: n, remaining: self.remaining() })
            );
        }
        usize::try_from(n).map_err(|_| self.err_at(at, ErrorKind::NegativeLength { what, len: n }))
    }

    fn push(&mut self, value: Value<'a>, code: u8, offset: usize) -> ObjId {
        let id = ObjId(self.m.nodes.len() as u32);
        self.m.nodes.push(Node { value, code, offset: offset as u32 });
        id
    }

    /// `n` bytes of UTF-8 (lone surrogates allowed, as CPython's
    /// `surrogatepass`), and their text when they hold no surrogate.
    fn utf8(&mut self, n: usize) -> Result<(&'a [u8], Option<&'a str>), MarshalError> {
        let at = self.abs();
        let s = self.take(n, "string data")?;
        if let Ok(text) = std::str::from_utf8(s) {
            return Ok((s, Some(text)));
        }
        if let Err(i) = check_utf8_surrogatepass(s) {
            return Err(self.err_at(at + i, ErrorKind::BadUtf8 { at: i }));
        }
        Ok((s, None))
    }

    /// `n` bytes of an ASCII-typed string (read as Latin-1, unchecked, as
    /// CPython does), and their text when they are ASCII.
    #[inline]
    fn latin1(&mut self, n: usize) -> Result<(&'a [u8], Option<&'a str>), MarshalError> {
        let s = self.take(n, "string data")?;
        Ok((s, ascii_text(s)))
    }

    fn float_text(&mut self, what: &'static str) -> Result<(f64, &'a [u8]), MarshalError> {
        let n = self.u8(what)? as usize;
        let at = self.abs();
        let t = self.take(n, what)?;
        let parsed = std::str::from_utf8(t).ok().and_then(parse_py_float);
        match parsed {
            Some(v) => Ok((v, t)),
            None => {
                Err(self.err_at(at, ErrorKind::BadFloat { text: String::from_utf8_lossy(t).into_owned() }))
            }
        }
    }

    /// Reads the root object. Iterative, with an explicit stack of open
    /// containers, so hostile nesting can never overflow the native stack.
    fn object(&mut self) -> Result<ObjId, MarshalError> {
        // The innermost open container, kept out of `frames` (in registers);
        // a pseudo-frame that expects the root when nothing is open.
        // `frames` holds its ancestors, so their number is the depth.
        let mut cur =
            Frame { id: ObjId(0), ty: 0, kind: Kind::Root, slot: None, mark: 0, remaining: 1, stop: 0 };
        let mut frames: Vec<Frame> = Vec::new();
        loop {
            let abs = self.abs();
            let code = self.u8("type code")?;
            let mut child = match self.start(code, abs, &mut cur, &mut frames)? {
                Started::Obj(id) => id,
                Started::Open => continue,
                Started::Null => {
                    // Never stored: it only ends a dict, which is then complete.
                    self.end_dict(&cur, code, abs)?;
                    let id = self.finish(&cur);
                    let Some(parent) = frames.pop() else { return Ok(id) };
                    cur = parent;
                    id
                }
            };
            // Hand the object to its container, and each container it
            // completes to its own.
            loop {
                self.scratch.push(child);
                cur.remaining -= 1;
                if cur.remaining != cur.stop {
                    break;
                }
                match cur.kind {
                    Kind::Root => return Ok(child),
                    Kind::Code if cur.stop != 0 => {
                        // co_firstlineno sits between co_name/co_qualname and the line table.
                        let fields = self.builders.last().map_or(CodeLayout::Py311.fields(), |b| b.fields);
                        let v = self.code_int(fields, CodeField::FirstLineNo)?;
                        if let Some(b) = self.builders.last_mut() {
                            b.firstlineno = v;
                        }
                        cur.stop = 0;
                        break;
                    }
                    _ => {}
                }
                child = self.finish(&cur);
                let Some(parent) = frames.pop() else { return Ok(child) };
                cur = parent;
            }
        }
    }

    /// A NULL read at `abs` inside `f`: the end of a dict (`Ok`), else an error.
    #[cold]
    #[inline(never)]
    fn end_dict(&self, f: &Frame, code: u8, abs: usize) -> Result<(), MarshalError> {
        let context = match f.kind {
            Kind::Dict if (self.scratch.len() - f.mark) % 2 == 1 => "dict value",
            Kind::Dict if code != b'0' => {
                // CPython only ever writes a plain '0', and only that round-trips.
                return Err(self.err_at(abs, ErrorKind::UnknownType { code }));
            }
            Kind::Dict => return Ok(()),
            Kind::Root => "object",
            Kind::Seq => match f.ty {
                b'[' => "list",
                b'<' | b'>' => "set",
                b':' => "slice",
                _ => "tuple",
            },
            Kind::Code => {
                let fields = self.builders.last().map_or(CodeLayout::Py311.fields(), |b| b.fields);
                fields
                    .objects()
                    .nth(self.scratch.len() - f.mark)
                    .map_or("code object field", |field| field.name(fields.layout))
            }
        };
        Err(self.err_at(abs, ErrorKind::NullObject { context }))
    }

    #[cold]
    #[inline(never)]
    fn unknown_type(&self, abs: usize, ty: u8) -> MarshalError {
        let kind = if any_version_knows(ty) {
            ErrorKind::TypeNotInVersion { code: ty, version: self.format.version }
        } else {
            ErrorKind::UnknownType { code: ty }
        };
        self.err_at(abs, kind)
    }

    /// Reads an object whose type byte is `code`: a whole scalar, or a
    /// container's head.
    #[inline]
    fn start(
        &mut self,
        code: u8,
        abs: usize,
        cur: &mut Frame,
        frames: &mut Vec<Frame>,
    ) -> Result<Started, MarshalError> {
        let ty = code & self.strip;
        let flag = code & !self.strip != 0;
        let mv = self.format.marshal_version;
        // Before 2.5 type codes came one release at a time (see
        // `Format::knows_type`); the dispatch below is 2.5's and later's.
        if mv < 2 && !self.format.knows_type(ty) {
            return Err(self.unknown_type(abs, ty));
        }
        // The guards and the fallback arm are `Format::knows_type`, folded
        // into the dispatch (a test checks they agree).
        let value = match ty {
            b'r' if mv >= 3 => {
                let at = self.abs();
                let i = self.i32("reference")?;
                match usize::try_from(i).ok().and_then(|i| self.m.refs.get(i)) {
                    Some(&r) if r != RESERVED => {
                        if cur.kind == Kind::Code {
                            // A field shared with what came before (see
                            // `Marshal::shared_code_fields`).
                            self.m.shared_code_fields = self
                                .m
                                .shared_code_fields
                                .saturating_add(field_size(&self.m.nodes[r.index()].value));
                        }
                    }
                    Some(_) => return Err(self.err_at(at, ErrorKind::IncompleteRef { index: i64::from(i) })),
                    None => {
                        let count = self.m.refs.len();
                        return Err(self.err_at(at, ErrorKind::BadRef { index: i64::from(i), count }));
                    }
                }
                return Ok(Started::Obj(self.push(Value::Ref(i as u32), code, abs)));
            }
            b'z' | b'Z' if mv >= 3 => {
                let n = self.u8("short string length")? as usize;
                let (data, text) = self.latin1(n)?;
                Value::Str { data, encoding: StrEncoding::Latin1, text }
            }
            b'0' => return Ok(Started::Null),
            b'N' => Value::None,
            b'F' => Value::False,
            b'T' => Value::True,
            b'S' => Value::StopIteration,
            b'.' => Value::Ellipsis,
            b'i' => Value::Int(i64::from(self.i32("int")?)),
            b'I' => Value::Int(self.i64("int64")?),
            b'l' => {
                let at = self.abs();
                let size = self.i32("long size")?;
                let n = self.check_len(at, "long", i64::from(size).abs(), 2)?;
                let digits = self.take(2 * n, "long digits")?;
                for (i, d) in digits.chunks_exact(2).enumerate() {
                    let d = u16::from_le_bytes([d[0], d[1]]);
                    if d >= 1 << 15 {
                        return Err(self.err_at(at + 4 + 2 * i, ErrorKind::LongDigitOutOfRange { digit: d }));
                    }
                    if d == 0 && i == n - 1 {
                        return Err(self.err_at(at + 4 + 2 * i, ErrorKind::UnnormalizedLong));
                    }
                }
                Value::Long { size, digits }
            }
            b'g' => Value::Float { value: self.f64("binary float")?, text: None },
            b'f' => {
                let (value, t) = self.float_text("text float")?;
                Value::Float { value, text: Some(t) }
            }
            b'y' => {
                let re = self.f64("binary complex")?;
                let im = self.f64("binary complex")?;
                Value::Complex { re, im, text: None }
            }
            b'x' => {
                let stored = self.rest;
                let (re, _) = self.float_text("text complex")?;
                let (im, _) = self.float_text("text complex")?;
                // Both texts with their length bytes, as one slice.
                let text = ComplexText::new(&stored[..stored.len() - self.rest.len()]);
                Value::Complex { re, im, text }
            }
            b's' => {
                let n = self.count("bytes length", 1)?;
                Value::Bytes(self.take(n, "bytes data")?)
            }
            b't' if self.format.py2 => {
                // Python 2 interned str: bytes, remembered for `R`.
                let n = self.count("string length", 1)?;
                let data = self.take(n, "string data")?;
                let id = self.push(Value::Bytes(data), code, abs);
                self.m.interned.push(id);
                return Ok(Started::Obj(id));
            }
            b'u' | b't' => {
                let n = self.count("string length", 1)?;
                let (data, text) = self.utf8(n)?;
                Value::Str { data, encoding: StrEncoding::Utf8, text }
            }
            b'a' | b'A' if mv >= 3 => {
                let n = self.count("string length", 1)?;
                let (data, text) = self.latin1(n)?;
                Value::Str { data, encoding: StrEncoding::Latin1, text }
            }
            b'R' if self.format.py2 => {
                let at = self.abs();
                let i = self.i32("string reference")?;
                let count = self.m.interned.len();
                if i < 0 || i as usize >= count {
                    return Err(self.err_at(at, ErrorKind::BadStringRef { index: i64::from(i), count }));
                }
                return Ok(Started::Obj(self.push(Value::StringRef(i as u32), code, abs)));
            }
            b'(' | b'[' | b'<' | b'>' | b'{' | b'c' => return self.open(code, ty, abs, flag, cur, frames),
            b')' if mv >= 3 => return self.open(code, ty, abs, flag, cur, frames),
            b':' if mv >= 5 => return self.open(code, ty, abs, flag, cur, frames),
            b'}' if mv >= 6 => return self.open(code, ty, abs, flag, cur, frames),
            _ => return Err(self.unknown_type(abs, ty)),
        };
        // Scalars register their reference after they are read; containers,
        // code objects and frozensets before their children (as CPython).
        let id = self.push(value, code, abs);
        if flag {
            self.m.refs.push(id);
        }
        Ok(Started::Obj(id))
    }

    /// Reads a container's head and makes it the current frame, or returns
    /// it at once if it is empty.
    fn open(
        &mut self,
        code: u8,
        ty: u8,
        abs: usize,
        flag: bool,
        cur: &mut Frame,
        frames: &mut Vec<Frame>,
    ) -> Result<Started, MarshalError> {
        let (kind, remaining) = match ty {
            b')' => {
                let n = self.u8("small tuple size")? as usize;
                if n > self.remaining() {
                    return Err(self.err(ErrorKind::LengthExceedsInput {
                        what: "small tuple",
                        len: n as i64,
                        remaining: self.remaining(),
                    }));
                }
                (Kind::Seq, n)
            }
            b'(' => (Kind::Seq, self.count("tuple size", 1)?),
            b'[' => (Kind::Seq, self.count("list size", 1)?),
            b'<' | b'>' => (Kind::Seq, self.count("set size", 1)?),
            // Dicts end at NULL: their count never runs out.
            b'{' | b'}' => (Kind::Dict, usize::MAX),
            b':' => (Kind::Seq, 3),
            _ => {
                if self.format.code_fields.is_none() {
                    return Err(
                        self.err_at(abs, ErrorKind::UnsupportedCodeLayout { version: self.format.version })
                    );
                }
                (Kind::Code, self.shape.objects)
            }
        };
        let id = self.push(Value::Null, code, abs);
        let slot = flag.then(|| {
            self.m.refs.push(RESERVED);
            self.m.refs.len() - 1
        });
        let mut frame = Frame { id, ty, kind, slot, mark: self.scratch.len(), remaining, stop: 0 };
        if let Kind::Code = kind {
            let fields = self.format.code_fields.unwrap_or(CodeLayout::Py311.fields());
            frame.stop = remaining - self.shape.before_firstlineno;
            let mut b = CodeBuilder::new(fields);
            // Integer fields before co_code.
            for i in 0..self.shape.n_ints {
                let field = self.shape.ints[i];
                let v = self.code_int(fields, field)?;
                b.set_int(field, v);
            }
            self.builders.push(b);
        } else if remaining == 0 {
            return Ok(Started::Obj(self.finish(&frame)));
        }
        frames.push(std::mem::replace(cur, frame));
        // CPython counts the object being read plus its open ancestors: the
        // depth only grows here, and a non-empty container's first child is
        // always read next, so it is checked once per container.
        if frames.len() >= MAX_DEPTH {
            return Err(self.err(ErrorKind::TooDeep { limit: MAX_DEPTH }));
        }
        Ok(Started::Open)
    }

    /// Builds a complete container from its children (the top of the
    /// scratch stack, used in place: no vector per container).
    fn finish(&mut self, f: &Frame) -> ObjId {
        let ids = &self.scratch[f.mark..];
        let value = match f.kind {
            Kind::Code => {
                let index = self.m.codes.len() as u32;
                if let Some(b) = self.builders.pop() {
                    self.m.codes.push(b.build(&self.shape.pos, ids, f.id));
                }
                Value::Code(index)
            }
            Kind::Seq if f.ty == b':' => Value::Slice([ids[0], ids[1], ids[2]]),
            _ => {
                let items = Items { start: self.m.items.len() as u32, len: ids.len() as u32 };
                self.m.items.extend_from_slice(ids);
                match f.ty {
                    b'(' | b')' => Value::Tuple(items),
                    b'[' => Value::List(items),
                    b'<' => Value::Set(items),
                    b'>' => Value::FrozenSet(items),
                    b'{' => Value::Dict(items),
                    _ => Value::FrozenDict(items),
                }
            }
        };
        self.scratch.truncate(f.mark);
        self.m.nodes[f.id.index()].value = value;
        if let Some(i) = f.slot {
            self.m.refs[i] = f.id;
        }
        f.id
    }
}

/// The size a consumer reads of a code object field: items of a tuple,
/// bytes of a bytes object (strings and scalars count nothing).
fn field_size(value: &Value<'_>) -> usize {
    match value {
        Value::Bytes(b) => b.len(),
        Value::Tuple(items) | Value::List(items) => items.len(),
        _ => 0,
    }
}

/// An object whose children are being read.
struct Frame {
    id: ObjId,
    /// The type code without FLAG_REF.
    ty: u8,
    kind: Kind,
    /// The reference slot it reserved.
    slot: Option<usize>,
    /// Where this frame's children start in the scratch stack.
    mark: usize,
    /// Children still expected (dicts end at NULL instead).
    remaining: usize,
    /// The value of `remaining` at which reading pauses: 0 (complete),
    /// or, in a code object, where co_firstlineno sits.
    stop: usize,
}

/// What `Reader::start` read.
enum Started {
    Obj(ObjId),
    /// A container, now the current frame.
    Open,
    Null,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Seq,
    Dict,
    /// Its integer fields are the top of `Reader::builders`.
    Code,
    /// Expects the root object.
    Root,
}

/// Where a format's code objects keep their fields.
struct CodeShape {
    /// Per [`CodeField`] (by discriminant): its position among the object
    /// fields in stream order, or [`CodeShape::ABSENT`].
    pos: [u8; 32],
    /// The integer fields before `co_code` (the first `n_ints`).
    ints: [CodeField; 8],
    n_ints: usize,
    /// How many object fields there are.
    objects: usize,
    /// How many object fields precede `co_firstlineno`.
    before_firstlineno: usize,
}

impl CodeShape {
    const ABSENT: u8 = u8::MAX;

    fn of(format: Format) -> Self {
        let mut shape = CodeShape {
            pos: [Self::ABSENT; 32],
            ints: [CodeField::ArgCount; 8],
            n_ints: 0,
            objects: 0,
            before_firstlineno: 0,
        };
        if let Some(f) = format.code_fields {
            for (i, field) in f.objects().enumerate() {
                if let (Some(slot), Ok(i)) = (shape.pos.get_mut(field as usize), u8::try_from(i)) {
                    *slot = i;
                }
            }
            for (slot, field) in shape.ints.iter_mut().zip(f.leading_ints()) {
                *slot = field;
                shape.n_ints += 1;
            }
            shape.objects = f.objects().count();
            shape.before_firstlineno = f.objects_before_firstlineno();
        }
        shape
    }
}

/// A code object's integer fields, gathered while its object fields are read.
struct CodeBuilder {
    fields: CodeFields,
    argcount: i32,
    posonlyargcount: i32,
    kwonlyargcount: i32,
    nlocals: i32,
    stacksize: i32,
    flags: i32,
    firstlineno: i32,
}

impl CodeBuilder {
    fn new(fields: CodeFields) -> Self {
        CodeBuilder {
            fields,
            argcount: 0,
            posonlyargcount: 0,
            kwonlyargcount: 0,
            nlocals: 0,
            stacksize: 0,
            flags: 0,
            firstlineno: 0,
        }
    }

    fn set_int(&mut self, field: CodeField, v: i32) {
        match field {
            CodeField::ArgCount => self.argcount = v,
            CodeField::PosOnlyArgCount => self.posonlyargcount = v,
            CodeField::KwOnlyArgCount => self.kwonlyargcount = v,
            CodeField::NLocals => self.nlocals = v,
            CodeField::StackSize => self.stacksize = v,
            CodeField::Flags => self.flags = v,
            CodeField::FirstLineNo => self.firstlineno = v,
            _ => {}
        }
    }

    /// The code object from its object fields `f` (in stream order; `pos`
    /// is [`CodeShape::pos`]).
    #[inline]
    fn build(&self, pos: &[u8; 32], f: &[ObjId], node: ObjId) -> CodeNode {
        let get = |field: CodeField| f.get(usize::from(pos[field as usize])).copied();
        CodeNode {
            layout: self.fields.layout,
            argcount: self.argcount,
            posonlyargcount: self.posonlyargcount,
            kwonlyargcount: self.kwonlyargcount,
            nlocals: self.nlocals,
            stacksize: self.stacksize,
            flags: self.flags,
            firstlineno: self.firstlineno,
            code: get(CodeField::Code).unwrap_or(node),
            consts: get(CodeField::Consts).unwrap_or(node),
            names: get(CodeField::Names).unwrap_or(node),
            varnames: get(CodeField::VarNames).or_else(|| get(CodeField::LocalsPlusNames)).unwrap_or(node),
            localspluskinds: get(CodeField::LocalsPlusKinds),
            freevars: get(CodeField::FreeVars),
            cellvars: get(CodeField::CellVars),
            filename: get(CodeField::Filename).unwrap_or(node),
            name: get(CodeField::Name).unwrap_or(node),
            qualname: get(CodeField::QualName),
            linetable: get(CodeField::LineTable).unwrap_or(node),
            exceptiontable: get(CodeField::ExceptionTable),
            endlinetable: get(CodeField::EndLineTable),
            columntable: get(CodeField::ColumnTable),
            node,
        }
    }
}

/// `s` as text if it is ASCII: one word-at-a-time ASCII check, after which
/// no second UTF-8 validation is needed (`ascii` views checked ASCII as
/// `str`; the workspace has no `unsafe` of its own). Nearly every string of
/// a pyc has an ASCII type code: this runs for each.
fn ascii_text(s: &[u8]) -> Option<&str> {
    ascii::AsciiStr::from_ascii(s).ok().map(ascii::AsciiStr::as_str)
}

/// Validates UTF-8 as CPython's `surrogatepass` decoder does: standard UTF-8
/// plus encoded surrogates (ED A0..BF xx). Returns the offset of the first
/// invalid byte.
fn check_utf8_surrogatepass(s: &[u8]) -> Result<(), usize> {
    let mut rest = s;
    let mut base = 0;
    loop {
        match std::str::from_utf8(rest) {
            Ok(_) => return Ok(()),
            Err(e) => {
                let i = e.valid_up_to();
                // Accept a 3-byte surrogate and continue after it.
                if rest.len() >= i + 3
                    && rest[i] == 0xED
                    && (0xA0..=0xBF).contains(&rest[i + 1])
                    && (0x80..=0xBF).contains(&rest[i + 2])
                {
                    base += i + 3;
                    rest = &rest[i + 3..];
                } else {
                    return Err(base + i);
                }
            }
        }
    }
}

/// Parses a float literal as `PyOS_string_to_double` does for marshal text.
fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.is_empty() {
        return None;
    }
    // Rust accepts "inf", "infinity", "nan" case-insensitively with a sign,
    // like CPython; it rejects underscores and hex, as marshal's reader does.
    t.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytescope_pyc::PythonVersion;

    fn rd(data: &[u8], v: PythonVersion) -> Result<Marshal<'_>, MarshalError> {
        read(data, Format::for_version(v), 0)
    }

    #[test]
    fn storage_reuse_reads_the_same() {
        // A big stream, then a small one read into its memory, then the big
        // one again: each as read fresh, and the memory is kept.
        let f = Format::for_version(PythonVersion::new(3, 12));
        let mut big = vec![b'(', 0, 0, 0, 0];
        let n = 3000u32;
        big[1..5].copy_from_slice(&n.to_le_bytes());
        for i in 0..n {
            big.extend_from_slice(&[b'Z' | 0x80, 2, b'a' + (i % 26) as u8, b'b']);
        }
        let small = [b')', 2, b'Z' | 0x80, 1, b'a', b'r', 0, 0, 0, 0];
        let m = read(&big, f, 0).unwrap();
        let cap = m.nodes.capacity();
        let s = read_in(&small, f, 0, m.into_storage()).unwrap();
        assert_eq!(format!("{s:?}"), format!("{:?}", read(&small, f, 0).unwrap()));
        let storage = s.into_storage();
        assert_eq!(storage.nodes.capacity(), cap);
        let again = read_in(&big, f, 7, storage).unwrap();
        assert_eq!(format!("{again:?}"), format!("{:?}", read(&big, f, 7).unwrap()));
    }

    #[test]
    fn scalars_and_refs() {
        // A small tuple: an interned short str flagged for reference, and a reference to it.
        let bytes = [b')', 2, b'Z' | 0x80, 1, b'a', b'r', 0, 0, 0, 0];
        let m = rd(&bytes, PythonVersion::PY312).unwrap();
        let items = m.tuple(m.root()).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(m.text(items[1]).unwrap().as_ref(), b"a");
        assert!(matches!(m.node(items[1]).value, Value::Ref(0)));
    }

    #[test]
    fn errors_name_offsets() {
        let e = rd(&[b'(', 0xff, 0xff, 0xff, 0x7f], PythonVersion::PY312).unwrap_err();
        assert!(matches!(*e.kind, ErrorKind::LengthExceedsInput { .. }), "{e}");
        assert_eq!(e.offset, 1);
        let e = rd(&[b'r', 0, 0, 0, 0], PythonVersion::PY312).unwrap_err();
        assert!(matches!(*e.kind, ErrorKind::BadRef { .. }));
        let e = rd(b"Q", PythonVersion::PY312).unwrap_err();
        assert!(matches!(*e.kind, ErrorKind::UnknownType { code: b'Q' }));
        let e = rd(b":", PythonVersion::PY312).unwrap_err();
        assert!(matches!(*e.kind, ErrorKind::TypeNotInVersion { .. }));
        let e = rd(&[b'l', 1, 0, 0, 0, 0, 0], PythonVersion::PY312).unwrap_err();
        assert_eq!(*e.kind, ErrorKind::UnnormalizedLong);
        // A tuple that contains a reference to itself.
        let e = rd(&[b'(' | 0x80, 1, 0, 0, 0, b'r', 0, 0, 0, 0], PythonVersion::PY312).unwrap_err();
        assert!(matches!(*e.kind, ErrorKind::IncompleteRef { .. }));
    }

    #[test]
    fn text_complex_keeps_both_texts() {
        // `x`: real "1.5", imaginary "-2" (marshal version 0/1 text form).
        let bytes = [b'x', 3, b'1', b'.', b'5', 2, b'-', b'2'];
        let m = rd(&bytes, PythonVersion::PY27).unwrap();
        let Value::Complex { re, im, text: Some(text) } = m.get(m.root()) else {
            panic!("not a text complex")
        };
        assert_eq!((*re, *im), (1.5, -2.0));
        assert_eq!((text.real(), text.imag()), (&b"1.5"[..], &b"-2"[..]));
        assert_eq!(crate::write(&m), bytes);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut data = [b')', 1].repeat(100_000);
        data.push(b'N');
        let e = rd(&data, PythonVersion::PY312).unwrap_err();
        assert_eq!(*e.kind, ErrorKind::TooDeep { limit: MAX_DEPTH });
    }

    #[test]
    fn reader_knows_the_type_codes_of_its_format() {
        for v in [
            PythonVersion::PY22,
            PythonVersion::PY24,
            PythonVersion::PY27,
            PythonVersion::PY33,
            PythonVersion::PY34,
            PythonVersion::PY312,
            PythonVersion::PY314,
            PythonVersion::PY315,
        ] {
            let f = Format::for_version(v);
            for code in 0..=255u8 {
                let ty = if f.has_refs() { code & !FLAG_REF } else { code };
                let mut data = vec![code];
                data.extend_from_slice(&[0; 64]);
                let unknown = match read(&data, f, 0) {
                    Err(e) => {
                        matches!(*e.kind, ErrorKind::UnknownType { .. } | ErrorKind::TypeNotInVersion { .. })
                            && e.offset == 0
                    }
                    Ok(_) => false,
                };
                assert_eq!(unknown, !f.knows_type(ty), "{v} {code:#x}");
            }
        }
    }

    #[test]
    fn ascii_text_sees_every_byte() {
        for len in 0..20 {
            let ascii = vec![b'a'; len];
            assert_eq!(ascii_text(&ascii), std::str::from_utf8(&ascii).ok());
            for i in 0..len {
                let mut s = ascii.clone();
                s[i] = 0x80;
                assert_eq!(ascii_text(&s), None);
            }
        }
    }

    #[test]
    fn surrogates_pass() {
        assert!(check_utf8_surrogatepass(b"a\xed\xa0\x80b").is_ok());
        assert_eq!(check_utf8_surrogatepass(b"ab\xff"), Err(2));
    }
}
