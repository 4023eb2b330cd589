//! What a check found: the evidence against one candidate version.

use std::fmt;

use bytescope_code::CodeError;
use bytescope_code::exceptions::ExceptionTableError;
use bytescope_code::lines::LineTableError;
use bytescope_marshal::MarshalError;
use bytescope_pyc::PythonVersion;

/// The checks a candidate version is put through, named as `header --json`
/// names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The data reads as marshal data with the version's code-object layout.
    Marshal,
    /// Every type code is one the version's marshal format has.
    MarshalTypes,
    /// The code object's fields have the types CPython requires.
    CodeObject,
    /// `co_code` is whole instructions (even length for wordcode, no
    /// truncated argument).
    CodeLength,
    /// Every opcode is one the version's compiler writes (not unused, not
    /// specialized or instrumented, not a cache entry).
    Opcode,
    /// Opcodes without an argument have a zero argument byte (wordcode).
    Argument,
    /// `EXTENDED_ARG` is followed by an opcode that takes an argument.
    ExtendedArg,
    /// Inline caches (3.11+) are present and zeroed, as the version writes
    /// them.
    Cache,
    /// Constant, name, local, free-variable and comparison operands are in
    /// range.
    Operand,
    /// Jump targets are instruction starts inside the code.
    Jump,
    /// The line table is well formed and covers the code as the version's
    /// compiler writes it.
    LineTable,
    /// The exception table (3.11+) is well formed, its ranges inside the
    /// code and its handlers at instruction starts.
    ExceptionTable,
    /// The stack never underflows, control does not run off the end, and
    /// `co_stacksize` is what the version's compiler computes for the code
    /// (`bytescope-analysis`).
    StackDepth,
}

impl Check {
    /// The check's name, as in JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Check::Marshal => "marshal",
            Check::MarshalTypes => "marshal_types",
            Check::CodeObject => "code_object",
            Check::CodeLength => "code_length",
            Check::Opcode => "opcode",
            Check::Argument => "argument",
            Check::ExtendedArg => "extended_arg",
            Check::Cache => "cache",
            Check::Operand => "operand",
            Check::Jump => "jump",
            Check::LineTable => "line_table",
            Check::ExceptionTable => "exception_table",
            Check::StackDepth => "stack_depth",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One piece of evidence against a version: what is wrong and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The absolute offset of the code object concerned, if one is.
    pub code_offset: Option<usize>,
    /// What is wrong.
    pub kind: FailureKind,
}

impl Failure {
    /// The check that failed.
    #[must_use]
    pub fn check(&self) -> Check {
        self.kind.check()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(at) = self.code_offset {
            write!(f, " in the code object at {at:#x}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Failure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut st = s.serialize_struct("Failure", 3)?;
        st.serialize_field("check", &self.check())?;
        st.serialize_field("code_offset", &self.code_offset)?;
        st.serialize_field("message", &self.kind.to_string())?;
        st.end()
    }
}

/// What is wrong (see [`Failure`]). Instruction offsets are byte offsets
/// into `co_code`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FailureKind {
    /// The data does not read as marshal data with this version's layout.
    #[error("{0}")]
    Unreadable(MarshalError),
    /// A type code the version's marshal format does not have.
    #[error("type code {code:#04x}{} at offset {offset:#x} is not in Python {version}'s marshal format", printable(*code))]
    MarshalType {
        /// The type code (FLAG_REF stripped where the version has it).
        code: u8,
        /// Absolute offset of its first use.
        offset: usize,
        /// The version.
        version: PythonVersion,
    },
    /// The data is not a code object.
    #[error("the data is not a code object (type code {code:#04x} at offset {offset:#x})")]
    NotCode {
        /// The root object's type code.
        code: u8,
        /// Its offset.
        offset: usize,
    },
    /// A code object CPython would reject.
    #[error("{0}")]
    CodeObject(CodeError),
    /// Wordcode of odd length.
    #[error("co_code has odd length {len}")]
    OddLength {
        /// The length.
        len: usize,
    },
    /// The last instruction's argument runs past the end of the code.
    #[error("the instruction at {offset} is cut short by the end of co_code")]
    Truncated {
        /// Instruction offset.
        offset: u32,
    },
    /// An opcode number the version does not define.
    #[error("opcode {op} at {offset} is not defined")]
    UnknownOpcode {
        /// The opcode.
        op: u8,
        /// Instruction offset.
        offset: u32,
    },
    /// An opcode that exists only at run time (specialized, instrumented, a
    /// cache entry outside a cache).
    #[error("{name} (opcode {op}) at {offset} exists only at run time, never in a .pyc")]
    RuntimeOpcode {
        /// The opcode.
        op: u8,
        /// Its name.
        name: &'static str,
        /// Instruction offset.
        offset: u32,
    },
    /// A nonzero argument byte on an opcode that takes none.
    #[error("{name} at {offset} takes no argument but has {arg}")]
    ArglessArgument {
        /// Its name.
        name: &'static str,
        /// The argument byte.
        arg: u8,
        /// Instruction offset.
        offset: u32,
    },
    /// `EXTENDED_ARG` before an opcode without an argument, or at the end.
    #[error("EXTENDED_ARG at {offset} does not extend an argument")]
    ExtendedArg {
        /// Offset of the EXTENDED_ARG.
        offset: u32,
    },
    /// Inline caches missing or not zeroed.
    #[error("the inline cache of {name} at {offset} is {}", if *.truncated { "cut short" } else { "not zeroed" })]
    Cache {
        /// The instruction's name.
        name: &'static str,
        /// Instruction offset.
        offset: u32,
        /// The code ends inside the cache.
        truncated: bool,
    },
    /// An operand out of range of what it indexes.
    #[error("{name} at {offset} has operand {arg} out of range")]
    Operand {
        /// The instruction's name.
        name: &'static str,
        /// The argument.
        arg: i64,
        /// Instruction offset.
        offset: u32,
    },
    /// A jump outside the code or into the middle of an instruction.
    #[error("{name} at {offset} jumps to {target}, {}", if *.inside { "not an instruction start" } else { "outside the code" })]
    Jump {
        /// The instruction's name.
        name: &'static str,
        /// Instruction offset.
        offset: u32,
        /// The target.
        target: i64,
        /// The target is inside the code.
        inside: bool,
    },
    /// A malformed line table.
    #[error("{0}")]
    LineTable(LineTableError),
    /// A line table that does not cover the code as the compiler writes it.
    #[error("the line table covers {covered} bytes of {len}-byte co_code")]
    LineCoverage {
        /// Bytes the table covers.
        covered: u64,
        /// Length of co_code.
        len: usize,
    },
    /// A malformed exception table.
    #[error("exception table: {0}")]
    ExceptionTable(ExceptionTableError),
    /// `co_stacksize` differs from what the version's compiler computes.
    #[error("co_stacksize is {declared}, the version's compiler computes {computed}")]
    StackSize {
        /// Stored.
        declared: i32,
        /// Computed.
        computed: u32,
    },
    /// The stack walk found code no compiler writes.
    #[error("stack: {what} at {offset}")]
    Stack {
        /// What (underflow, falls off the end, ...).
        what: &'static str,
        /// Instruction offset.
        offset: u32,
    },
    /// An exception-table entry outside the code, with a handler that is no
    /// instruction start, or deeper than the stack.
    #[error("exception table entry {start}-{end} -> {target} (depth {depth}) {problem}")]
    Handler {
        /// Start offset in bytes.
        start: u64,
        /// End offset in bytes.
        end: u64,
        /// Handler offset in bytes.
        target: u64,
        /// Stack depth at the handler.
        depth: u64,
        /// What is wrong.
        problem: &'static str,
    },
}

impl FailureKind {
    /// The check this failure belongs to.
    #[must_use]
    pub fn check(&self) -> Check {
        match self {
            FailureKind::Unreadable(_) | FailureKind::NotCode { .. } => Check::Marshal,
            FailureKind::MarshalType { .. } => Check::MarshalTypes,
            FailureKind::CodeObject(_) => Check::CodeObject,
            FailureKind::OddLength { .. } | FailureKind::Truncated { .. } => Check::CodeLength,
            FailureKind::UnknownOpcode { .. } | FailureKind::RuntimeOpcode { .. } => Check::Opcode,
            FailureKind::ArglessArgument { .. } => Check::Argument,
            FailureKind::ExtendedArg { .. } => Check::ExtendedArg,
            FailureKind::Cache { .. } => Check::Cache,
            FailureKind::Operand { .. } => Check::Operand,
            FailureKind::Jump { .. } => Check::Jump,
            FailureKind::LineTable(_) | FailureKind::LineCoverage { .. } => Check::LineTable,
            FailureKind::ExceptionTable(_) | FailureKind::Handler { .. } => Check::ExceptionTable,
            FailureKind::StackSize { .. } | FailureKind::Stack { .. } => Check::StackDepth,
        }
    }
}

fn printable(code: u8) -> String {
    if code.is_ascii_graphic() { format!(" ({:?})", char::from(code)) } else { String::new() }
}
