//! Errors of the marshal layer.

use bytescope_pyc::PythonVersion;

/// A marshal decoding error: what went wrong and the absolute byte offset
/// (counted from the start of the file, header included) where it did.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at offset {offset:#x})")]
pub struct MarshalError {
    /// What went wrong (boxed: keeps `Result`s small on the hot path).
    pub kind: Box<ErrorKind>,
    /// Absolute byte offset of the problem.
    pub offset: usize,
}

/// The kinds of [`MarshalError`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The data ends early.
    #[error("truncated marshal data: {what} needs {needed} byte(s), {available} left")]
    Eof {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// A type code no marshal version defines.
    #[error("bad marshal data: unknown type code {code:#04x}{}", printable(*code))]
    UnknownType {
        /// The type byte (with FLAG_REF stripped).
        code: u8,
    },
    /// A type code that exists, but not in the marshal format of this version.
    #[error("bad marshal data: type code {:?} does not exist in Python {version}'s marshal format", char::from(*code))]
    TypeNotInVersion {
        /// The type byte.
        code: u8,
        /// The version whose format is being read.
        version: PythonVersion,
    },
    /// A length field is negative.
    #[error("bad marshal data: {what} has negative length {len}")]
    NegativeLength {
        /// What the length belongs to.
        what: &'static str,
        /// The declared length.
        len: i64,
    },
    /// A declared length larger than the remaining input could possibly hold.
    #[error("bad marshal data: {what} declares {len} elements but only {remaining} bytes remain")]
    LengthExceedsInput {
        /// What the length belongs to.
        what: &'static str,
        /// The declared length.
        len: i64,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A back-reference (`r`) to an index that was never assigned.
    #[error("bad marshal data: invalid reference {index} ({count} objects registered so far)")]
    BadRef {
        /// The referenced index.
        index: i64,
        /// Number of references registered so far.
        count: usize,
    },
    /// A back-reference to an object still being read (a cycle, or a code
    /// object/frozenset referring to itself).
    #[error("bad marshal data: reference {index} points to an object that is still being read")]
    IncompleteRef {
        /// The referenced index.
        index: i64,
    },
    /// A Python 2 string reference (`R`) past the interned-string table.
    #[error("bad marshal data: invalid string reference {index} ({count} interned strings so far)")]
    BadStringRef {
        /// The referenced index.
        index: i64,
        /// Interned strings so far.
        count: usize,
    },
    /// Nesting deeper than CPython's reader allows.
    #[error("bad marshal data: nesting deeper than {limit} levels (CPython's limit)")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A long digit ≥ 2^15.
    #[error("bad marshal data: digit {digit} out of range in long")]
    LongDigitOutOfRange {
        /// The digit value.
        digit: u16,
    },
    /// A long whose most significant digit is zero.
    #[error("bad marshal data: unnormalized long data")]
    UnnormalizedLong,
    /// A text float or complex part that does not parse.
    #[error("bad marshal data: invalid float literal {text:?}")]
    BadFloat {
        /// The text as read (lossy).
        text: String,
    },
    /// A str object whose bytes are not UTF-8 (surrogates allowed, as CPython's
    /// `surrogatepass` does).
    #[error("bad marshal data: string is not valid UTF-8 (invalid byte at string offset {at})")]
    BadUtf8 {
        /// Offset inside the string.
        at: usize,
    },
    /// A NULL (`0`) where an object is required.
    #[error("bad marshal data: NULL object in marshal data for {context}")]
    NullObject {
        /// Where it appeared.
        context: &'static str,
    },
    /// A code object of a version whose layout bytescope does not decode.
    #[error("code objects of Python {version} are not supported (bytescope decodes 1.5 and later)")]
    UnsupportedCodeLayout {
        /// The version.
        version: PythonVersion,
    },
}

fn printable(code: u8) -> String {
    if code.is_ascii_graphic() { format!(" ({:?})", char::from(code)) } else { String::new() }
}
