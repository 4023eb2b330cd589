//! The one error type of this crate: what went wrong, and where.

/// Why a frozen application (or one of its entries) could not be read.
///
/// Every variant that concerns bytes of the input names the absolute file
/// offset where the problem was found, so the CLI can print one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrozenError {
    /// Nothing this crate knows was found.
    #[error("not a frozen Python application: {0}")]
    NotFrozen(String),
    /// Nuitka compiles Python to C: there is no bytecode to recover.
    #[error(
        "Nuitka-compiled application ({0}): its Python code was compiled to C, so there is no bytecode to extract"
    )]
    Nuitka(String),
    /// A structure field points outside the file or its container.
    #[error(
        "{what} at offset {offset:#x} points outside the {container} ({start:#x}..{end:#x} not within 0x0..{len:#x})"
    )]
    OutOfBounds {
        /// What was being read.
        what: String,
        /// Where the field that points is.
        offset: u64,
        /// The range it points to (relative to the container).
        start: u64,
        /// End of that range.
        end: u64,
        /// Length of the container.
        len: u64,
        /// "file", "package", "PYZ archive", ….
        container: &'static str,
    },
    /// A structure is malformed.
    #[error("{what} (at offset {offset:#x})")]
    Malformed {
        /// What is wrong.
        what: String,
        /// Absolute file offset.
        offset: u64,
    },
    /// Two entries claim the same bytes.
    #[error("entry {name:?} overlaps entry {other:?} ({start:#x}..{end:#x}) (at offset {offset:#x})")]
    Overlap {
        /// The entry.
        name: String,
        /// The entry it overlaps.
        other: String,
        /// Its data range (absolute).
        start: u64,
        /// End of its data range.
        end: u64,
        /// Offset of its TOC record.
        offset: u64,
    },
    /// A zlib stream is corrupt.
    #[error("{what}: corrupt zlib data: {message} (at offset {offset:#x})")]
    Inflate {
        /// What was being inflated.
        what: String,
        /// The decoder's message.
        message: String,
        /// Absolute offset of the stream.
        offset: u64,
    },
    /// Inflating would exceed the budget of inflated bytes for this input
    /// (a zip bomb, or a lying size field).
    #[error(
        "{what}: inflates to more than {limit} bytes, the budget left for this input (a zip bomb or a lying size) (at offset {offset:#x})"
    )]
    Budget {
        /// What was being inflated.
        what: String,
        /// The bytes that were allowed.
        limit: u64,
        /// Absolute offset of the stream.
        offset: u64,
    },
    /// An entry inflates to another size than its TOC record declares.
    #[error("{what}: declares {declared} inflated bytes but holds {actual}{} (at offset {offset:#x})", if *.more { " or more" } else { "" })]
    SizeMismatch {
        /// What was being inflated.
        what: String,
        /// The declared size.
        declared: u64,
        /// What it held.
        actual: u64,
        /// Inflation stopped at the declared size: `actual` is a lower bound.
        more: bool,
        /// Absolute offset of the stream.
        offset: u64,
    },
    /// The PYZ is encrypted and no key (or no working key) was found.
    #[error("{what}: {message} (at offset {offset:#x})")]
    Encrypted {
        /// The entry.
        what: String,
        /// Why it cannot be decrypted.
        message: String,
        /// Absolute offset of its data.
        offset: u64,
    },
    /// The entry has no bytecode (a data file, an option, a symlink…) or no
    /// target version is known for it.
    #[error("{0}")]
    NotCode(String),
    /// No entry of that name.
    #[error("no entry {name:?} in this {what}")]
    NoSuchEntry {
        /// The name asked for.
        name: String,
        /// What was searched.
        what: String,
    },
}

impl FrozenError {
    pub(crate) fn malformed(what: impl Into<String>, offset: u64) -> Self {
        FrozenError::Malformed { what: what.into(), offset }
    }
}
