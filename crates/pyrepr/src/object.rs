//! `repr()` of whole marshal objects: containers, code objects, singletons.

use std::cell::RefCell;
use std::collections::HashMap;

use bytescope_marshal::{CodeNode, Marshal, ObjId, Value};
use bytescope_pyc::PythonVersion;

use crate::keys::ConstKeys;
use crate::{IntReprError, repr_bytes, repr_complex, repr_float, repr_int, repr_long};

/// Why a constant could not be shown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReprError {
    /// An int too large for `str()` in that version (CPython raises
    /// `ValueError`).
    #[error(transparent)]
    Int(#[from] IntReprError),
    /// The repr would exceed the output budget (only crafted data, where
    /// shared references make the text exponential in the input size).
    #[error("repr longer than {limit} bytes")]
    TooLarge {
        /// The budget.
        limit: usize,
    },
    /// Nested deeper than CPython's repr recursion allows.
    #[error("maximum recursion depth exceeded while getting the repr of an object")]
    TooDeep,
}

/// Options for [`repr_object`].
#[derive(Clone, Copy, Debug)]
pub struct ReprOptions {
    /// Stop with [`ReprError::TooLarge`] past this many bytes.
    pub max_len: usize,
}

impl Default for ReprOptions {
    fn default() -> Self {
        ReprOptions { max_len: 1 << 24 }
    }
}

/// Nesting of constants bytescope shows before giving up with
/// [`ReprError::TooDeep`]. CPython's `repr` gets through about 990 levels
/// (its recursion limit; marshal allows 2000); only crafted files nest
/// constants this deep, and 200 levels keep the recursion within the 2 MiB
/// stack a spawned thread gets, even in debug builds.
const MAX_REPR_DEPTH: usize = 200;

/// Appends CPython's `repr()` of the object `id` of `m`, as the version `m`
/// was read as shows it.
///
/// Code objects print as `<code object NAME at 0xOFFSET, file "F", line N>`
/// where CPython prints a memory address; bytescope prints the object's
/// offset in the file instead. Frozensets list their elements in the order
/// that version iterates them under `PYTHONHASHSEED=0`; where CPython's order
/// depends on addresses (sets holding `None` before 3.12, `Ellipsis`, NaN
/// from 3.10) the marshal order is used.
///
/// Objects shared through marshal references are hashed and compared once
/// ([`ConstKeys`]), and the text of one printed again is copied, so the work
/// is linear in the input plus the output; the output itself can be
/// exponential in the input (as CPython's is), which `opts.max_len` stops.
///
/// # Errors
/// [`ReprError`] when CPython itself would fail or the output would be
/// unreasonably large; `out` then holds a partial text.
#[inline]
pub fn repr_object(out: &mut String, m: &Marshal<'_>, id: ObjId, opts: ReprOptions) -> Result<(), ReprError> {
    Repr {
        m,
        v: m.version(),
        limit: out.len().saturating_add(opts.max_len),
        max: opts.max_len,
        keys: RefCell::new(None),
        texts: RefCell::new(None),
    }
    .obj(out, id, 0)
}

/// `repr()` of the code object `code` (see [`repr_object`] for the address).
#[must_use]
pub fn repr_code(m: &Marshal<'_>, code: &CodeNode) -> String {
    let mut out = String::new();
    write_code(&mut out, m, code);
    out
}

/// Appends `repr()` of the code object `code` (see [`repr_code`]).
pub fn write_code_repr(out: &mut String, m: &Marshal<'_>, code: &CodeNode) {
    write_code(out, m, code);
}

struct Repr<'m, 'a> {
    m: &'m Marshal<'a>,
    v: PythonVersion,
    limit: usize,
    max: usize,
    /// Made when a set is first printed (most reprs print none).
    keys: RefCell<Option<Box<ConstKeys<'m, 'a>>>>,
    /// Where the text of each shared (FLAG_REF) container printed so far
    /// lies in `out`, and how deep it was.
    texts: RefCell<Option<HashMap<ObjId, Shown>>>,
}

/// A container's text already in the output, printed at nesting `depth`.
#[derive(Clone, Copy)]
struct Shown {
    start: usize,
    end: usize,
    depth: usize,
}

impl Repr<'_, '_> {
    fn check(&self, out: &str) -> Result<(), ReprError> {
        if out.len() > self.limit { Err(ReprError::TooLarge { limit: self.max }) } else { Ok(()) }
    }

    /// Prints `ids` separated by commas.
    fn seq(&self, out: &mut String, ids: &[ObjId], depth: usize) -> Result<(), ReprError> {
        for (i, &id) in ids.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.obj(out, id, depth + 1)?;
            self.check(out)?;
        }
        Ok(())
    }

    /// Prints the object `id` at nesting `depth`.
    fn obj(&self, out: &mut String, id: ObjId, depth: usize) -> Result<(), ReprError> {
        if depth > MAX_REPR_DEPTH {
            return Err(ReprError::TooDeep);
        }
        let node = self.m.resolve(id);
        let n = self.m.node(node);
        match &n.value {
            // Only a container that took a reference slot can be printed
            // twice, and is worth copying.
            Value::Tuple(_)
            | Value::List(_)
            | Value::Dict(_)
            | Value::Set(_)
            | Value::FrozenSet(_)
            | Value::FrozenDict(_)
            | Value::Slice(_)
                if n.flag_ref() =>
            {
                self.shared(out, node, &n.value, depth)
            }
            value => self.value(out, value, depth),
        }
    }

    /// [`Repr::obj`] of a container that may be printed more than once.
    #[inline(never)]
    fn shared(
        &self,
        out: &mut String,
        node: ObjId,
        value: &Value<'_>,
        depth: usize,
    ) -> Result<(), ReprError> {
        if let Some(shown) = self.texts.borrow().as_ref().and_then(|t| t.get(&node).copied()) {
            // Printed before in this repr, no less deep: the same text
            // (deeper, printing it again finds whether it passes the depth
            // limit).
            if depth <= shown.depth {
                let len = shown.end - shown.start;
                if out.len().saturating_add(len) > self.limit {
                    return Err(ReprError::TooLarge { limit: self.max });
                }
                let text = out[shown.start..shown.end].to_owned();
                out.push_str(&text);
                return Ok(());
            }
        }
        let start = out.len();
        self.value(out, value, depth)?;
        self.texts
            .borrow_mut()
            .get_or_insert_with(HashMap::new)
            .insert(node, Shown { start, end: out.len(), depth });
        Ok(())
    }

    /// Prints the (resolved) object of `value`.
    #[inline]
    fn value(&self, out: &mut String, value: &Value<'_>, depth: usize) -> Result<(), ReprError> {
        let py2 = self.v.major < 3;
        match value {
            Value::Null => out.push_str("<NULL>"),
            Value::None => out.push_str("None"),
            Value::True => out.push_str("True"),
            Value::False => out.push_str("False"),
            Value::Ellipsis => out.push_str("Ellipsis"),
            Value::StopIteration => {
                out.push_str(if py2 {
                    "<type 'exceptions.StopIteration'>"
                } else {
                    "<class 'StopIteration'>"
                });
            }
            Value::Int(i) => repr_int(out, *i),
            Value::Long { size, digits } => {
                let ds: Vec<u16> = digits.chunks_exact(2).map(|d| u16::from_le_bytes([d[0], d[1]])).collect();
                repr_long(out, *size < 0, &ds, self.v)?;
            }
            Value::Float { value, .. } => repr_float(out, *value, self.v),
            Value::Complex { re, im, .. } => repr_complex(out, *re, *im, self.v),
            Value::Str { text: Some(text), .. } => crate::strings::repr_str_text(out, text, self.v),
            Value::Str { data, encoding, .. } => {
                let utf8 = bytescope_marshal::str_utf8(data, *encoding);
                crate::repr_str(out, &utf8, self.v);
            }
            Value::Bytes(b) => repr_bytes(out, b, self.v),
            Value::Tuple(items) => {
                let ids = self.m.items(*items);
                out.push('(');
                self.seq(out, ids, depth)?;
                if ids.len() == 1 {
                    out.push(',');
                }
                out.push(')');
                return Ok(());
            }
            Value::List(items) => {
                out.push('[');
                self.seq(out, self.m.items(*items), depth)?;
                out.push(']');
                return Ok(());
            }
            Value::Dict(items) | Value::FrozenDict(items) => {
                let frozen = matches!(value, Value::FrozenDict(_));
                let ids = self.m.items(*items);
                if frozen {
                    if ids.is_empty() {
                        out.push_str("frozendict()");
                        return Ok(());
                    }
                    out.push_str("frozendict(");
                }
                out.push('{');
                for (i, pair) in ids.chunks_exact(2).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.obj(out, pair[0], depth + 1)?;
                    out.push_str(": ");
                    self.obj(out, pair[1], depth + 1)?;
                    self.check(out)?;
                }
                out.push('}');
                if frozen {
                    out.push(')');
                }
                return Ok(());
            }
            Value::Set(items) | Value::FrozenSet(items) => {
                let frozen = matches!(value, Value::FrozenSet(_));
                let name = if frozen { "frozenset" } else { "set" };
                let ids = self.ordered(self.m.items(*items));
                if ids.is_empty() {
                    out.push_str(name);
                    out.push_str(if py2 { "([])" } else { "()" });
                    return Ok(());
                }
                if frozen || py2 {
                    out.push_str(name);
                    out.push_str(if py2 { "([" } else { "({" });
                } else {
                    out.push('{');
                }
                self.seq(out, &ids, depth)?;
                if frozen || py2 {
                    out.push_str(if py2 { "])" } else { "})" });
                } else {
                    out.push('}');
                }
                return Ok(());
            }
            Value::Slice(parts) => {
                out.push_str("slice(");
                self.seq(out, parts, depth)?;
                out.push(')');
                return Ok(());
            }
            Value::Code(i) => {
                if let Some(c) = self.m.codes().get(*i as usize) {
                    write_code(out, self.m, c);
                }
            }
            // `get` resolves references.
            Value::Ref(_) | Value::StringRef(_) => out.push_str("<ref>"),
        }
        Ok(())
    }

    /// Set elements in that version's iteration order (stream order when
    /// not emulable), duplicates removed as CPython's set would.
    fn ordered(&self, ids: &[ObjId]) -> Vec<ObjId> {
        let mut keys = self.keys.borrow_mut();
        let keys = keys.get_or_insert_with(|| Box::new(ConstKeys::new(self.m)));
        match keys.set_order(ids) {
            // PyPy's sets iterate in insertion order, and the running
            // interpreter's own objects were written in their current order:
            // the elements CPython's would keep (the first of equal ones), in
            // the stream's order.
            Some(order) if self.m.format().sets_in_stream_order => {
                let mut kept: std::collections::HashSet<ObjId> = order.into_iter().collect();
                ids.iter().copied().filter(|i| kept.remove(i)).collect()
            }
            Some(order) => order,
            None => ids.to_vec(),
        }
    }
}

fn write_code(out: &mut String, m: &Marshal<'_>, c: &CodeNode) {
    let py2 = m.version().major < 3;
    let offset = m.node(c.node).offset;
    let lineno = if c.firstlineno != 0 { c.firstlineno } else { -1 };
    let name = m.name_str(c.name);
    let file = match m.get(c.filename) {
        Value::Str { .. } => m.name_str(c.filename),
        Value::Bytes(_) if py2 => m.name_str(c.filename),
        _ => None,
    };
    // Plain pushes, no `format!`: code-object reprs head every nested
    // listing and fill LOAD_CONST lines. Room for all of it at once.
    out.reserve(
        name.as_deref().map_or(0, str::len)
            + file.as_deref().map_or(0, str::len)
            + "<code object  at 0x, file \"\", line >".len()
            + 24,
    );
    out.push_str("<code object ");
    if py2 {
        // 2.7: "%.100s" / "%.300s" of C strings (which also stop at NUL).
        let trunc = |s: &str, n: usize| truncate_bytes(s.split('\0').next().unwrap_or_default(), n);
        out.push_str(&trunc(name.as_deref().unwrap_or("?"), 100));
        out.push_str(" at ");
        push_hex(out, offset);
        out.push_str(", file \"");
        out.push_str(&trunc(file.as_deref().unwrap_or("???"), 300));
        out.push('"');
    } else {
        out.push_str(name.as_deref().unwrap_or_default());
        out.push_str(" at ");
        push_hex(out, offset);
        match file {
            Some(f) => {
                out.push_str(", file \"");
                out.push_str(&f);
                out.push('"');
            }
            None => out.push_str(", file ???"),
        }
    }
    out.push_str(", line ");
    repr_int(out, i64::from(lineno));
    out.push('>');
}

/// `0x` and lower-case hex digits.
fn push_hex(out: &mut String, v: u32) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push_str("0x");
    let mut buf = [0u8; 8];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = DIGITS[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    // Hex digits are ASCII: no UTF-8 validation (one repr per code object).
    out.push_str(ascii::AsciiStr::from_ascii(&buf[i..]).map(ascii::AsciiStr::as_str).unwrap_or_default());
}

fn truncate_bytes(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_owned();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}
