//! Owned Python values: the constants of a code object, and anything else
//! marshal can hold.

use std::fmt;

use num_bigint::BigInt;

use crate::code::CodeObject;

/// A Python value that marshal can store, owned and editable.
///
/// The variants are the marshal types of every version (`Python/marshal.c`):
/// which versions can *write* each one is checked by the marshal writer
/// ([`crate::dumps`]), e.g. [`Object::Slice`] needs 3.14 and
/// [`Object::FrozenDict`] 3.15.
///
/// Equality is structural and type-exact, as CPython's
/// `_PyCode_ConstantKey` sees constants: `1`, `1.0` and `True` differ, floats
/// compare by their bits (so `0.0 != -0.0` and a NaN equals itself), and a
/// [`Object::FrozenSet`] compares its elements *in stored order* (the order a
/// .pyc lists them in; see [`Object::set_eq`] for set semantics).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Object {
    /// `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// `StopIteration` (the class; marshal type `S`).
    StopIteration,
    /// `Ellipsis` (`...`).
    Ellipsis,
    /// An `int` of any size (Python 2: an `int`, which is at most 64 bits).
    Int(PyInt),
    /// A Python 2 `long` (marshal type `l` in a 2.x stream). Python 3 has no
    /// such type; its writer treats it as [`Object::Int`].
    Long(PyInt),
    /// A `float`.
    Float(PyFloat),
    /// A `complex`.
    Complex {
        /// Real part.
        re: PyFloat,
        /// Imaginary part.
        im: PyFloat,
    },
    /// A `str` (Python 2: `unicode`).
    Str(PyStr),
    /// A `bytes` object (Python 2: `str`).
    Bytes(Vec<u8>),
    /// A `tuple`.
    Tuple(Vec<Object>),
    /// A `list` (never a constant, but valid marshal data).
    List(Vec<Object>),
    /// A `dict`, in insertion order.
    Dict(Vec<(Object, Object)>),
    /// A `set`.
    Set(Vec<Object>),
    /// A `frozenset`, in stored order.
    FrozenSet(Vec<Object>),
    /// A 3.15 `frozendict`, in insertion order.
    FrozenDict(Vec<(Object, Object)>),
    /// A `slice` (a constant from 3.14): start, stop, step.
    Slice(Box<[Object; 3]>),
    /// A nested code object.
    Code(Box<CodeObject>),
}

impl Object {
    /// The Python type name, for messages.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::None => "NoneType",
            Object::Bool(_) => "bool",
            Object::StopIteration => "type",
            Object::Ellipsis => "ellipsis",
            Object::Int(_) => "int",
            Object::Long(_) => "long",
            Object::Float(_) => "float",
            Object::Complex { .. } => "complex",
            Object::Str(_) => "str",
            Object::Bytes(_) => "bytes",
            Object::Tuple(_) => "tuple",
            Object::List(_) => "list",
            Object::Dict(_) => "dict",
            Object::Set(_) => "set",
            Object::FrozenSet(_) => "frozenset",
            Object::FrozenDict(_) => "frozendict",
            Object::Slice(_) => "slice",
            Object::Code(_) => "code",
        }
    }

    /// An `int` constant.
    #[must_use]
    pub fn int(v: i64) -> Object {
        Object::Int(PyInt::from(v))
    }

    /// A `str` constant.
    #[must_use]
    pub fn str(s: &str) -> Object {
        Object::Str(PyStr::from(s))
    }

    /// A `float` constant.
    #[must_use]
    pub fn float(v: f64) -> Object {
        Object::Float(PyFloat(v))
    }

    /// The nested code object, if this is one.
    #[must_use]
    pub fn as_code(&self) -> Option<&CodeObject> {
        match self {
            Object::Code(c) => Some(c),
            _ => None,
        }
    }

    /// Equality where sets and frozensets compare as sets (element order
    /// ignored) and dicts as mappings, recursively; everything else as
    /// `==`. Quadratic in the size of the sets compared.
    #[must_use]
    pub fn set_eq(&self, other: &Object) -> bool {
        fn unordered(a: &[Object], b: &[Object]) -> bool {
            a.len() == b.len()
                && a.iter().all(|x| b.iter().any(|y| x.set_eq(y)))
                && b.iter().all(|y| a.iter().any(|x| x.set_eq(y)))
        }
        fn pairs(a: &[(Object, Object)], b: &[(Object, Object)]) -> bool {
            a.len() == b.len() && a.iter().all(|(k, v)| b.iter().any(|(k2, v2)| k.set_eq(k2) && v.set_eq(v2)))
        }
        match (self, other) {
            (Object::Set(a), Object::Set(b)) | (Object::FrozenSet(a), Object::FrozenSet(b)) => {
                unordered(a, b)
            }
            (Object::Dict(a), Object::Dict(b)) | (Object::FrozenDict(a), Object::FrozenDict(b)) => {
                pairs(a, b)
            }
            (Object::Tuple(a), Object::Tuple(b)) | (Object::List(a), Object::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.set_eq(y))
            }
            (Object::Slice(a), Object::Slice(b)) => a.iter().zip(b.iter()).all(|(x, y)| x.set_eq(y)),
            (Object::Code(a), Object::Code(b)) => a.set_eq(b),
            _ => self == other,
        }
    }
}

impl From<PyStr> for Object {
    fn from(s: PyStr) -> Object {
        Object::Str(s)
    }
}

impl From<CodeObject> for Object {
    fn from(c: CodeObject) -> Object {
        Object::Code(Box::new(c))
    }
}

/// An integer of any size: an `i64` when it fits, else a big integer (so
/// equality and hashing need no normalisation).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyInt(IntRepr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum IntRepr {
    Small(i64),
    /// Never a value that fits in `i64`.
    Big(BigInt),
}

impl PyInt {
    /// The value as `i64`, if it fits.
    #[must_use]
    pub fn to_i64(&self) -> Option<i64> {
        match &self.0 {
            IntRepr::Small(v) => Some(*v),
            IntRepr::Big(_) => None,
        }
    }

    /// The value as a big integer.
    #[must_use]
    pub fn to_bigint(&self) -> BigInt {
        match &self.0 {
            IntRepr::Small(v) => BigInt::from(*v),
            IntRepr::Big(b) => b.clone(),
        }
    }

    /// The value in marshal's `l` form: the signed digit count, then 15-bit
    /// digits, least significant first.
    #[must_use]
    pub fn marshal_digits(&self) -> (i64, Vec<u16>) {
        let (negative, magnitude) = match &self.0 {
            IntRepr::Small(v) => (*v < 0, BigInt::from(*v).magnitude().clone()),
            IntRepr::Big(b) => (b.sign() == num_bigint::Sign::Minus, b.magnitude().clone()),
        };
        // 15-bit digits from the little-endian bytes.
        let bytes = magnitude.to_bytes_le();
        let mut out = Vec::with_capacity(bytes.len() * 8 / 15 + 1);
        let (mut acc, mut bits) = (0u32, 0u32);
        for b in bytes {
            acc |= u32::from(b) << bits;
            bits += 8;
            while bits >= 15 {
                out.push((acc & 0x7fff) as u16);
                acc >>= 15;
                bits -= 15;
            }
        }
        if bits > 0 {
            out.push((acc & 0x7fff) as u16);
        }
        while out.last() == Some(&0) {
            out.pop();
        }
        let n = out.len() as i64;
        (if negative { -n } else { n }, out)
    }

    /// From a magnitude's little-endian bytes and a sign (how Python's
    /// `int.to_bytes` gives a value of any size).
    #[must_use]
    pub fn from_le_bytes(negative: bool, magnitude: &[u8]) -> PyInt {
        let sign = if negative { num_bigint::Sign::Minus } else { num_bigint::Sign::Plus };
        PyInt::from(BigInt::from_bytes_le(sign, magnitude))
    }

    /// From marshal's 15-bit digits (least significant first).
    #[must_use]
    pub fn from_marshal_digits(negative: bool, digits: impl DoubleEndedIterator<Item = u16>) -> PyInt {
        let mut v = BigInt::from(0u8);
        for d in digits.rev() {
            v = (v << 15u32) + BigInt::from(d);
        }
        PyInt::from(if negative { -v } else { v })
    }
}

impl From<i64> for PyInt {
    fn from(v: i64) -> PyInt {
        PyInt(IntRepr::Small(v))
    }
}

impl From<i32> for PyInt {
    fn from(v: i32) -> PyInt {
        PyInt(IntRepr::Small(i64::from(v)))
    }
}

impl From<BigInt> for PyInt {
    fn from(v: BigInt) -> PyInt {
        match i64::try_from(&v) {
            Ok(small) => PyInt(IntRepr::Small(small)),
            Err(_) => PyInt(IntRepr::Big(v)),
        }
    }
}

impl fmt::Debug for PyInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for PyInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            IntRepr::Small(v) => write!(f, "{v}"),
            IntRepr::Big(b) => write!(f, "{b}"),
        }
    }
}

/// A `float`, compared and hashed by its bits (as code-object constants are:
/// `0.0` and `-0.0` differ, a NaN equals itself if its payload does).
#[derive(Clone, Copy)]
pub struct PyFloat(pub f64);

impl PartialEq for PyFloat {
    fn eq(&self, other: &PyFloat) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for PyFloat {}

impl std::hash::Hash for PyFloat {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl fmt::Debug for PyFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The characters of a string, as marshal stores them.
///
/// For a Python 3 `str` (and a Python 2 `unicode`) these are the code
/// points in UTF-8, where a lone surrogate takes its 3-byte form (CPython's
/// `surrogatepass`), so every `str` is representable. For the names of a
/// Python 2 code object, which are byte strings, they are those bytes as they
/// are.
///
/// Like a Python `str` it is immutable, and cheap to clone: clones share
/// one buffer (a name referenced many times in a .pyc is stored once).
///
/// Equality, hashing and ordering are those of the bytes.
#[derive(Clone, Default)]
pub struct PyStr(std::sync::Arc<[u8]>, Known);

/// What is known of a [`PyStr`]'s bytes without reading them again: set by
/// the constructors that checked (or were handed checked data), so writing
/// and validating a string read from a .pyc does not scan it once more.
/// Unset facts are computed when asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Known(u8);

impl Known {
    const ASCII: u8 = 1;
    const VALID: u8 = 2;
    const TEXT: Known = Known(Known::VALID);
    const ASCII_TEXT: Known = Known(Known::VALID | Known::ASCII);
    const NOTHING: Known = Known(0);

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

impl PartialEq for PyStr {
    fn eq(&self, other: &PyStr) -> bool {
        self.0 == other.0
    }
}

impl Eq for PyStr {}

impl std::hash::Hash for PyStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialOrd for PyStr {
    fn partial_cmp(&self, other: &PyStr) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PyStr {
    fn cmp(&self, other: &PyStr) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// Bytes that are not UTF-8 with surrogates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 (surrogates allowed) at byte {at}")]
pub struct StrError {
    /// Offset of the first bad byte.
    pub at: usize,
}

impl PyStr {
    /// From UTF-8 in which lone surrogates may appear in their 3-byte form.
    ///
    /// # Errors
    /// [`StrError`] at the first byte that is not such UTF-8.
    pub fn from_utf8_surrogates(bytes: Vec<u8>) -> Result<PyStr, StrError> {
        check_utf8_surrogates(&bytes)?;
        Ok(PyStr(bytes.into(), Known::TEXT))
    }

    /// From Latin-1 (one byte per code point): how CPython reads marshal's
    /// ASCII string types.
    #[must_use]
    pub fn from_latin1(bytes: &[u8]) -> PyStr {
        if bytes.is_ascii() {
            return PyStr(bytes.into(), Known::ASCII_TEXT);
        }
        PyStr(bytes.iter().map(|&b| char::from(b)).collect::<String>().into_bytes().into(), Known::TEXT)
    }

    /// A Python 2 byte string used as a name, kept as it is.
    #[must_use]
    pub fn from_py2_bytes(bytes: Vec<u8>) -> PyStr {
        PyStr(bytes.into(), Known::NOTHING)
    }

    /// Bytes the marshal reader already checked (UTF-8 with surrogates).
    pub(crate) fn from_checked(bytes: &[u8]) -> PyStr {
        PyStr(bytes.into(), Known::TEXT)
    }

    /// Text known to be ASCII (marshal's ASCII string types, checked by the
    /// reader).
    pub(crate) fn from_ascii_text(text: &str) -> PyStr {
        debug_assert!(text.is_ascii());
        PyStr(text.as_bytes().into(), Known::ASCII_TEXT)
    }

    /// The address of the shared buffer: clones of one string have the same
    /// (the writer shares references by it, as CPython does by identity).
    pub(crate) fn buffer_id(&self) -> usize {
        self.0.as_ptr() as usize
    }

    /// The stored bytes (see the type's docs).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, when it has no lone surrogates (nearly always).
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The text with lone surrogates (and invalid bytes) replaced by U+FFFD.
    #[must_use]
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// Whether every character is ASCII.
    #[must_use]
    pub fn is_ascii(&self) -> bool {
        self.1.has(Known::ASCII) || self.0.is_ascii()
    }

    /// The number of characters (code points; bytes for a Python 2 name).
    #[must_use]
    pub fn char_len(&self) -> usize {
        self.0.iter().filter(|&&b| b & 0xc0 != 0x80).count()
    }

    /// CPython's `all_name_chars`: ASCII letters, digits and `_` only (the
    /// string constants a code object interns).
    #[must_use]
    pub fn is_name_chars(&self) -> bool {
        self.0.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
    }

    /// Whether the bytes are UTF-8 with surrogates (always true for strings
    /// built from text; Python 2 names may be any bytes).
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.1.has(Known::VALID) || self.0.is_ascii() || check_utf8_surrogates(&self.0).is_ok()
    }
}

impl From<&str> for PyStr {
    fn from(s: &str) -> PyStr {
        PyStr(s.as_bytes().into(), Known::TEXT)
    }
}

impl From<String> for PyStr {
    fn from(s: String) -> PyStr {
        PyStr(s.into_bytes().into(), Known::TEXT)
    }
}

impl fmt::Debug for PyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => fmt::Debug::fmt(s, f),
            None => write!(f, "PyStr({:?})", &self.0[..]),
        }
    }
}

impl fmt::Display for PyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl PartialEq<str> for PyStr {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other.as_bytes()
    }
}

impl PartialEq<&str> for PyStr {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == *other.as_bytes()
    }
}

/// Checks UTF-8 where the 3-byte forms of U+D800–U+DFFF are allowed.
fn check_utf8_surrogates(b: &[u8]) -> Result<(), StrError> {
    let mut i = 0;
    while i < b.len() {
        match std::str::from_utf8(&b[i..]) {
            Ok(_) => return Ok(()),
            Err(e) => {
                let bad = i + e.valid_up_to();
                // A surrogate: ED A0..BF 80..BF.
                if b.get(bad) == Some(&0xed)
                    && b.get(bad + 1).is_some_and(|&x| (0xa0..=0xbf).contains(&x))
                    && b.get(bad + 2).is_some_and(|&x| (0x80..=0xbf).contains(&x))
                {
                    i = bad + 3;
                } else {
                    return Err(StrError { at: bad });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_from_le_bytes() {
        let big = PyInt::from_le_bytes(true, &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(big, PyInt::from(-(BigInt::from(1u8) << 64u32)));
        assert_eq!(PyInt::from_le_bytes(false, &[5]).to_i64(), Some(5));
        assert_eq!(PyInt::from_le_bytes(true, &[]).to_i64(), Some(0));
    }

    #[test]
    fn known_facts_do_not_change_identity_or_answers() {
        use std::hash::BuildHasher as _;
        let h = std::hash::RandomState::new();
        let built = [
            PyStr::from("abc"),
            PyStr::from_py2_bytes(b"abc".to_vec()),
            PyStr::from_latin1(b"abc"),
            PyStr::from_ascii_text("abc"),
            PyStr::from_checked(b"abc"),
        ];
        for s in &built {
            assert_eq!(s, &built[0]);
            assert_eq!(s.cmp(&built[0]), std::cmp::Ordering::Equal);
            assert_eq!(h.hash_one(s), h.hash_one(&built[0]));
            assert!(s.is_ascii() && s.is_valid());
        }
        // Unchecked bytes are still judged by their content.
        let bad = PyStr::from_py2_bytes(vec![0xff, b'a']);
        assert!(!bad.is_valid() && !bad.is_ascii());
        let text = PyStr::from_utf8_surrogates("é\u{7f}".as_bytes().to_vec()).unwrap();
        assert!(text.is_valid() && !text.is_ascii());
        assert!(PyStr::default().is_ascii() && PyStr::default().is_valid());
    }

    #[test]
    fn int_digits_round_trip() {
        for v in [
            0i128,
            1,
            -1,
            32767,
            32768,
            -32769,
            1 << 40,
            i64::MAX as i128,
            i64::MIN as i128,
            1 << 100,
            -(1 << 90),
        ] {
            let i = PyInt::from(BigInt::from(v));
            let (n, digits) = i.marshal_digits();
            assert_eq!(n.unsigned_abs() as usize, digits.len());
            assert!(digits.iter().all(|&d| d < 1 << 15));
            assert_ne!(digits.last(), Some(&0));
            let back = PyInt::from_marshal_digits(n < 0, digits.into_iter());
            assert_eq!(back, i, "{v}");
        }
        assert_eq!(PyInt::from(BigInt::from(5)).to_i64(), Some(5));
    }

    #[test]
    fn strings() {
        assert!(PyStr::from_utf8_surrogates(b"a\xed\xb2\x80b".to_vec()).is_ok());
        assert_eq!(PyStr::from_utf8_surrogates(b"a\xff".to_vec()), Err(StrError { at: 1 }));
        assert_eq!(PyStr::from_latin1(b"\xe9").as_str(), Some("é"));
        assert!(PyStr::from("ab_1").is_name_chars());
        assert!(!PyStr::from("a b").is_name_chars());
        assert_eq!(PyStr::from("é\u{10000}").char_len(), 2);
    }

    #[test]
    fn floats_by_bits() {
        assert_ne!(Object::float(0.0), Object::float(-0.0));
        assert_eq!(Object::float(f64::NAN), Object::float(f64::NAN));
        assert_ne!(Object::int(1), Object::Bool(true));
    }
}
