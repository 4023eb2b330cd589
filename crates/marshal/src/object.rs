//! The decoded object tree: an arena of nodes that borrow from the input.

use std::borrow::Cow;

use bytescope_pyc::PythonVersion;

use crate::format::{CodeLayout, Format};
use crate::reuse::recycle;

/// Index of a node in a [`Marshal`] arena. Nodes are numbered in stream
/// (pre-)order, so the root is always 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjId(pub u32);

impl ObjId {
    /// The index as `usize`.
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A run of child ids inside the arena's item pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Items {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

impl Items {
    /// Number of children.
    #[must_use]
    pub fn len(self) -> usize {
        self.len as usize
    }

    /// Whether there are no children.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// How the characters of a [`Value::Str`] are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrEncoding {
    /// UTF-8, where lone surrogates appear in their 3-byte form (CPython's
    /// `surrogatepass`): `u`, `t`, and Python 2 `u`.
    Utf8,
    /// One byte per code point (Latin-1): the ASCII type codes `a A z Z`,
    /// which CPython decodes as Latin-1 without checking.
    Latin1,
}

/// The two texts of an `x` complex, as stored: a length byte and the real
/// part's text, then a length byte and the imaginary part's (one slice keeps
/// [`Value`], and so every node of the arena, small).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComplexText<'a>(&'a [u8]);

impl<'a> ComplexText<'a> {
    /// From the stored bytes; `None` unless they hold exactly two texts.
    #[must_use]
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        let real_end = 1 + usize::from(*bytes.first()?);
        let imag_len = usize::from(*bytes.get(real_end)?);
        (bytes.len() == real_end + 1 + imag_len).then_some(ComplexText(bytes))
    }

    /// The real part's text.
    #[must_use]
    pub fn real(&self) -> &'a [u8] {
        let n = usize::from(self.0[0]);
        &self.0[1..1 + n]
    }

    /// The imaginary part's text.
    #[must_use]
    pub fn imag(&self) -> &'a [u8] {
        let n = usize::from(self.0[0]);
        &self.0[2 + n..]
    }
}

/// One decoded marshal value. Containers hold [`Items`] into the arena;
/// strings and digits borrow from the input.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// `0`: the NULL marker (dict terminator).
    Null,
    /// `N`
    None,
    /// `F`
    False,
    /// `T`
    True,
    /// `S`: `StopIteration`.
    StopIteration,
    /// `.`: `Ellipsis`.
    Ellipsis,
    /// `i` (int32) or `I` (int64, Python 2 on 64-bit hosts).
    Int(i64),
    /// `l`: arbitrary-size integer as 15-bit digits, least significant first.
    Long {
        /// Negative when the value is negative; |size| digits follow.
        size: i32,
        /// `2*|size|` bytes: little-endian u16 digits, each < 2^15.
        digits: &'a [u8],
    },
    /// `g` (binary) or `f` (text) float.
    Float {
        /// The value.
        value: f64,
        /// The text for `f`.
        text: Option<&'a [u8]>,
    },
    /// `y` (binary) or `x` (text) complex.
    Complex {
        /// Real part.
        re: f64,
        /// Imaginary part.
        im: f64,
        /// The texts for `x`.
        text: Option<ComplexText<'a>>,
    },
    /// A `str` (Python 3) or `unicode` (Python 2) object.
    Str {
        /// Raw bytes as stored.
        data: &'a [u8],
        /// How to read them.
        encoding: StrEncoding,
        /// The text, when `data` is exactly its UTF-8 (no lone surrogates;
        /// ASCII for the Latin-1 type codes): checked once when read, so
        /// names need no conversion at each use.
        text: Option<&'a str>,
    },
    /// A `bytes` (Python 3) or `str` (Python 2) object.
    Bytes(&'a [u8]),
    /// `(` or `)`.
    Tuple(Items),
    /// `[`.
    List(Items),
    /// `{`: keys and values alternate; the terminating `0` is implied.
    Dict(Items),
    /// `<`.
    Set(Items),
    /// `>`.
    FrozenSet(Items),
    /// `}` (3.15): keys and values alternate, then `0`.
    FrozenDict(Items),
    /// `:` (3.14): start, stop, step.
    Slice([ObjId; 3]),
    /// `c`: index into [`Marshal::codes`].
    Code(u32),
    /// `r`: back-reference to the n-th FLAG_REF object.
    Ref(u32),
    /// `R` (Python 2): reference to the n-th interned (`t`) string.
    StringRef(u32),
}

/// A node: the value plus what the writer needs to reproduce its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Node<'a> {
    /// The value.
    pub value: Value<'a>,
    /// The type byte exactly as read, FLAG_REF (0x80) included.
    pub code: u8,
    /// Absolute offset of the type byte.
    pub offset: u32,
}

impl Node<'_> {
    /// Whether FLAG_REF was set (the object was added to the reference table).
    #[must_use]
    pub fn flag_ref(&self) -> bool {
        self.code & crate::format::FLAG_REF != 0
    }

    /// The type code without FLAG_REF.
    #[must_use]
    pub fn type_code(&self) -> u8 {
        self.code & !crate::format::FLAG_REF
    }
}

/// The raw fields of a code object, in the layout of its version.
///
/// Object fields are node ids; which ones exist depends on [`CodeLayout`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeNode {
    /// Which field list this object was read with.
    pub layout: CodeLayout,
    /// `co_argcount`.
    pub argcount: i32,
    /// `co_posonlyargcount` (3.8+).
    pub posonlyargcount: i32,
    /// `co_kwonlyargcount` (3.0+).
    pub kwonlyargcount: i32,
    /// `co_nlocals` as stored (absent from 3.11, where it is derived).
    pub nlocals: i32,
    /// `co_stacksize`.
    pub stacksize: i32,
    /// `co_flags`.
    pub flags: i32,
    /// `co_code`.
    pub code: ObjId,
    /// `co_consts`.
    pub consts: ObjId,
    /// `co_names`.
    pub names: ObjId,
    /// `co_varnames` (≤3.10) or `co_localsplusnames` (3.11+).
    pub varnames: ObjId,
    /// `co_localspluskinds` (3.11+).
    pub localspluskinds: Option<ObjId>,
    /// `co_freevars` (≤3.10).
    pub freevars: Option<ObjId>,
    /// `co_cellvars` (≤3.10).
    pub cellvars: Option<ObjId>,
    /// `co_filename`.
    pub filename: ObjId,
    /// `co_name`.
    pub name: ObjId,
    /// `co_qualname` (3.11+).
    pub qualname: Option<ObjId>,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// `co_lnotab` (≤3.9) or `co_linetable` (3.10+).
    pub linetable: ObjId,
    /// `co_exceptiontable` (3.11+).
    pub exceptiontable: Option<ObjId>,
    /// `co_endlinetable` (3.11 alphas, magic 3459–3493).
    pub endlinetable: Option<ObjId>,
    /// `co_columntable` (3.11 alphas, magic 3459–3493).
    pub columntable: Option<ObjId>,
    /// The node of this code object.
    pub node: ObjId,
}

/// A decoded marshal stream: an arena of nodes (pre-order), plus the
/// reference tables needed to resolve `r` and `R`.
#[derive(Clone, Debug)]
pub struct Marshal<'a> {
    pub(crate) format: Format,
    pub(crate) nodes: Vec<Node<'a>>,
    pub(crate) items: Vec<ObjId>,
    pub(crate) codes: Vec<CodeNode>,
    pub(crate) refs: Vec<ObjId>,
    pub(crate) interned: Vec<ObjId>,
    pub(crate) end: usize,
    /// See [`Marshal::shared_code_fields`].
    pub(crate) shared_code_fields: usize,
}

/// The memory of a finished [`Marshal`], for reading the next stream into
/// ([`crate::read_in`], [`crate::load_pyc_in`]): a batch of files then
/// allocates (and page-faults in) its node arena once, not once per file.
#[derive(Debug, Default)]
pub struct Storage {
    pub(crate) nodes: Vec<Node<'static>>,
    pub(crate) items: Vec<ObjId>,
    pub(crate) codes: Vec<CodeNode>,
    pub(crate) refs: Vec<ObjId>,
    pub(crate) interned: Vec<ObjId>,
}

impl Storage {
    /// The largest arena kept (in nodes): one huge file should not hold
    /// its memory for the rest of a batch.
    const MAX_NODES: usize = 1 << 20;
}

impl<'a> Marshal<'a> {
    /// Gives back this stream's memory, emptied, for the next one.
    #[must_use]
    pub fn into_storage(self) -> Storage {
        let Marshal { nodes, items, codes, refs, interned, .. } = self;
        if nodes.capacity() > Storage::MAX_NODES {
            return Storage::default();
        }
        Storage {
            nodes: recycle(nodes),
            items: recycle(items),
            codes: recycle(codes),
            refs: recycle(refs),
            interned: recycle(interned),
        }
    }

    /// The root object (the module code object in a .pyc).
    #[must_use]
    pub fn root(&self) -> ObjId {
        ObjId(0)
    }

    /// The format (version) the stream was read with.
    #[must_use]
    pub fn format(&self) -> Format {
        self.format
    }

    /// The Python version the stream was read as.
    #[must_use]
    pub fn version(&self) -> PythonVersion {
        self.format.version
    }

    /// Absolute offset just past the root object.
    #[must_use]
    pub fn end_offset(&self) -> usize {
        self.end
    }

    /// The total size (tuple items, bytes) of the code object fields that
    /// are marshal references, that is shared with an object read before:
    /// an upper bound of what the code-object walk charges for shared
    /// fields ([`crate::CodeWalk`]), which skips its per-object accounting
    /// when this is small (always, for real files: they share only empty
    /// and one-byte singletons).
    #[must_use]
    pub fn shared_code_fields(&self) -> usize {
        self.shared_code_fields
    }

    /// Every node in stream order.
    #[must_use]
    pub fn nodes(&self) -> &[Node<'a>] {
        &self.nodes
    }

    /// The node `id` as stored (a reference stays a reference).
    #[must_use]
    pub fn node(&self, id: ObjId) -> &Node<'a> {
        &self.nodes[id.index()]
    }

    /// Follows `r`/`R` references to the object they denote.
    #[must_use]
    pub fn resolve(&self, id: ObjId) -> ObjId {
        match self.nodes[id.index()].value {
            // Both tables only ever hold completed, non-reference nodes (the
            // reader checks), so one step suffices.
            Value::Ref(i) => self.refs[i as usize],
            Value::StringRef(i) => self.interned[i as usize],
            _ => id,
        }
    }

    /// The value `id` denotes, references followed.
    #[must_use]
    #[inline]
    pub fn get(&self, id: ObjId) -> &Value<'a> {
        // One load for the (usual) node that is not a reference.
        match &self.nodes[id.index()].value {
            Value::Ref(i) => &self.nodes[self.refs[*i as usize].index()].value,
            Value::StringRef(i) => &self.nodes[self.interned[*i as usize].index()].value,
            value => value,
        }
    }

    /// The children of a container.
    #[must_use]
    pub fn items(&self, items: Items) -> &[ObjId] {
        &self.items[items.start as usize..(items.start + items.len) as usize]
    }

    /// Every code object, in stream order.
    #[must_use]
    pub fn codes(&self) -> &[CodeNode] {
        &self.codes
    }

    /// The code object `id` denotes, if it is one.
    #[must_use]
    pub fn code(&self, id: ObjId) -> Option<&CodeNode> {
        match self.get(id) {
            Value::Code(i) => self.codes.get(*i as usize),
            _ => None,
        }
    }

    /// The tuple (or list) items `id` denotes, if it is a tuple or list.
    #[must_use]
    pub fn tuple(&self, id: ObjId) -> Option<&[ObjId]> {
        match self.get(id) {
            Value::Tuple(items) | Value::List(items) => Some(self.items(*items)),
            _ => None,
        }
    }

    /// The bytes of a `bytes` object (Python 2: `str`).
    #[must_use]
    pub fn bytes(&self, id: ObjId) -> Option<&'a [u8]> {
        match self.get(id) {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The characters of a `str` object (Python 2: `unicode`) as UTF-8 with
    /// surrogates in their 3-byte form. Latin-1-stored strings are converted.
    #[must_use]
    pub fn text(&self, id: ObjId) -> Option<Cow<'a, [u8]>> {
        match self.get(id) {
            Value::Str { data, encoding, .. } => Some(str_utf8(data, *encoding)),
            _ => None,
        }
    }

    /// A name-like string: a `str`, or (Python 2) a `str`/`bytes` object,
    /// as UTF-8-with-surrogates bytes.
    #[must_use]
    pub fn name_bytes(&self, id: ObjId) -> Option<Cow<'a, [u8]>> {
        value_name_bytes(self.get(id))
    }

    /// Like [`Marshal::name_bytes`], as text: borrowed from the input when it
    /// is valid UTF-8 (nearly always), else converted with invalid sequences
    /// (lone surrogates, Python 2 non-UTF-8 bytes) replaced.
    #[must_use]
    #[inline]
    pub fn name_str(&self, id: ObjId) -> Option<Cow<'a, str>> {
        value_name(self.get(id))
    }

    /// Like [`Marshal::name_bytes`], as a `String` (invalid sequences replaced).
    #[must_use]
    pub fn name_lossy(&self, id: ObjId) -> Option<String> {
        self.name_bytes(id).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// An integer value (`i`, `I`, or a `l` long that fits in i64).
    #[must_use]
    pub fn int(&self, id: ObjId) -> Option<i64> {
        match self.get(id) {
            Value::Int(i) => Some(*i),
            Value::Long { size, digits } => long_to_i64(*size, digits),
            _ => None,
        }
    }

    /// Code objects in pre-order: the root, then each nested code object
    /// in `co_consts` order, recursively (the order `dis` recurses in).
    ///
    /// Every distinct code object is listed; one that references put in
    /// several places is listed again at each while the walk's budget lasts
    /// (see [`CodeWalk`], which also says how many repeats were skipped).
    #[must_use]
    pub fn code_preorder(&self) -> Vec<&CodeNode> {
        self.code_walk().map(|v| v.code).collect()
    }

    /// The walk behind [`Marshal::code_preorder`], one code object at a time.
    #[must_use]
    pub fn code_walk(&self) -> crate::CodeWalk<'_, 'a> {
        crate::CodeWalk::new(self)
    }
}

/// Converts stored string bytes to UTF-8 (with surrogates).
#[must_use]
pub fn str_utf8(data: &[u8], encoding: StrEncoding) -> Cow<'_, [u8]> {
    match encoding {
        StrEncoding::Utf8 => Cow::Borrowed(data),
        StrEncoding::Latin1 if data.is_ascii() => Cow::Borrowed(data),
        StrEncoding::Latin1 => {
            let s: String = data.iter().map(|&b| char::from(b)).collect();
            Cow::Owned(s.into_bytes())
        }
    }
}

/// [`Marshal::name_bytes`] of a value already looked up.
#[must_use]
pub fn value_name_bytes<'a>(value: &Value<'a>) -> Option<Cow<'a, [u8]>> {
    match value {
        Value::Str { data, encoding, .. } => Some(str_utf8(data, *encoding)),
        Value::Bytes(b) => Some(Cow::Borrowed(*b)),
        _ => None,
    }
}

/// [`Marshal::name_str`] of a value already looked up (callers that have
/// matched on the value need no second lookup).
#[must_use]
#[inline]
pub fn value_name<'a>(value: &Value<'a>) -> Option<Cow<'a, str>> {
    match value {
        // Text checked when read: nearly every name.
        Value::Str { text: Some(s), .. } => Some(Cow::Borrowed(*s)),
        _ => value_name_converted(value),
    }
}

/// [`value_name`] of a name that needs converting (Latin-1, surrogates,
/// Python 2 bytes) or is not a string.
#[cold]
#[inline(never)]
fn value_name_converted<'a>(value: &Value<'a>) -> Option<Cow<'a, str>> {
    match value_name_bytes(value)? {
        Cow::Borrowed(b) => Some(match std::str::from_utf8(b) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(String::from_utf8_lossy(b).into_owned()),
        }),
        Cow::Owned(v) => Some(Cow::Owned(String::from_utf8_lossy(&v).into_owned())),
    }
}

/// The value of a marshal long if it fits in an i64.
#[must_use]
pub fn long_to_i64(size: i32, digits: &[u8]) -> Option<i64> {
    // Five 15-bit digits (75 bits) cover every i64, e.g. 2**63 - 1.
    let n = size.unsigned_abs() as usize;
    if n > 5 || digits.len() < 2 * n {
        return None;
    }
    let mut v: i128 = 0;
    for i in (0..n).rev() {
        v = (v << 15) | i128::from(u16::from_le_bytes([digits[2 * i], digits[2 * i + 1]]));
    }
    i64::try_from(if size < 0 { -v } else { v }).ok()
}

#[cfg(test)]
mod long_tests {
    use super::long_to_i64;

    fn digits(mut v: u128) -> Vec<u8> {
        let mut out = Vec::new();
        while v > 0 {
            out.extend_from_slice(&((v & 0x7fff) as u16).to_le_bytes());
            v >>= 15;
        }
        out
    }

    #[test]
    fn fits_exactly_the_i64_range() {
        let max = digits(i64::MAX as u128);
        assert_eq!(long_to_i64((max.len() / 2) as i32, &max), Some(i64::MAX));
        let min = digits(1u128 << 63);
        assert_eq!(long_to_i64(-((min.len() / 2) as i32), &min), Some(i64::MIN));
        assert_eq!(long_to_i64((min.len() / 2) as i32, &min), None);
        assert_eq!(long_to_i64(0, &[]), Some(0));
    }
}
