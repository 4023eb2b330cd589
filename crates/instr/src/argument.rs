//! What an instruction's argument means, resolved by its version's rules.

use bytescope_marshal::ObjId;

/// An instruction's argument, resolved: what the oparg refers to, typed,
/// borrowing names from the code object. Nothing here is display text: the
/// `&'static str`s are entries of the version's own tables (`cmp_op`,
/// `_nb_ops`, intrinsic and special-method names, common constants).
///
/// The raw oparg is [`Instruction::arg`](crate::Instruction::arg); with it
/// and the opcode the instruction re-encodes exactly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Argument<'c> {
    /// No argument (the opcode takes none).
    None,
    /// The oparg itself, with no further meaning (counts, flags, depths,
    /// `LOAD_SMALL_INT`'s value…).
    Plain(i64),
    /// A constant: the `co_consts` entry's object.
    Const(ObjId),
    /// A `co_names` entry (global, attribute, import, …), with what the
    /// low bits of the oparg add.
    Name {
        /// The name.
        name: &'c str,
        /// What the oparg's low bits add to the name.
        marker: NameMarker,
    },
    /// A fast local (`haslocal`).
    Local(&'c str),
    /// A cell or free variable (`hasfree`).
    Free(&'c str),
    /// Two fast locals in one oparg (3.13+ `LOAD_FAST_LOAD_FAST` and
    /// friends: high nibble, low nibble); `Err(index)` when out of range.
    LocalPair(Result<&'c str, i64>, Result<&'c str, i64>),
    /// A jump to this byte offset (the version's units and directions
    /// already applied; may lie outside the code in crafted files).
    Jump(i64),
    /// A comparison operator (`cmp_op` entry).
    Compare {
        /// The operator, e.g. `"<"`.
        op: &'static str,
        /// Bit 16 (3.13+): the result is converted to `bool`.
        to_bool: bool,
    },
    /// `BINARY_OP`'s operator (`_nb_ops` symbol, e.g. `"+="`).
    BinaryOp(&'static str),
    /// `CALL_INTRINSIC_1`/`_2`'s function, e.g. `"INTRINSIC_PRINT"`.
    Intrinsic(&'static str),
    /// `LOAD_SPECIAL`'s method (3.14+), e.g. `"__enter__"`.
    SpecialMethod(&'static str),
    /// `LOAD_COMMON_CONSTANT`'s value (3.14+), as `dis` names it (a type
    /// by its name, anything else by its repr), e.g. `"AssertionError"`.
    CommonConstant(&'static str),
    /// `IS_OP`: `is`, or `is not` when inverted.
    Is {
        /// `is not`.
        invert: bool,
    },
    /// `CONTAINS_OP`: `in`, or `not in` when inverted.
    Contains {
        /// `not in`.
        invert: bool,
    },
    /// `FORMAT_VALUE`: the conversion and whether a format spec is on the
    /// stack.
    FormatValue {
        /// The conversion.
        conversion: Conversion,
        /// A format spec follows.
        with_spec: bool,
    },
    /// `CONVERT_VALUE`'s conversion.
    Convert(Conversion),
    /// `MAKE_FUNCTION` / `SET_FUNCTION_ATTRIBUTE` flag bits (3.8+; the names
    /// are [`OpcodeTable::function_flags`](bytescope_opcodes::OpcodeTable::function_flags)).
    FunctionFlags(i64),
    /// `CALL_FUNCTION`-style counts before 3.6 (the two bytes of the
    /// argument).
    CallCounts {
        /// Positional arguments (low byte).
        positional: u8,
        /// Keyword pairs (high byte).
        keyword: u8,
    },
    /// An operand out of range of what it indexes.
    Invalid {
        /// What it indexes.
        operand: Operand,
        /// The index.
        index: i64,
    },
}

impl Argument<'_> {
    /// The jump target, for jumps.
    #[must_use]
    pub fn jump_target(&self) -> Option<i64> {
        match self {
            Argument::Jump(t) => Some(*t),
            _ => None,
        }
    }

    /// The name a name, local or free operand refers to.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        match self {
            Argument::Name { name, .. } | Argument::Local(name) | Argument::Free(name) => Some(name),
            _ => None,
        }
    }
}

/// What the low bits of a name operand add (3.11+).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameMarker {
    /// Nothing.
    None,
    /// `LOAD_GLOBAL` also pushes a `NULL` (3.11+).
    Null,
    /// `LOAD_ATTR` / `LOAD_SUPER_ATTR` load a method: `NULL|self` (3.12+).
    Method,
    /// `IMPORT_NAME` of a lazy import (3.15+).
    Lazy,
    /// `IMPORT_NAME` of an import marked eager (3.15+).
    Eager,
}

/// A `FORMAT_VALUE` / `CONVERT_VALUE` conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversion {
    /// None (`FORMAT_VALUE` 0).
    None,
    /// `!s`
    Str,
    /// `!r`
    Repr,
    /// `!a`
    Ascii,
}

impl Conversion {
    /// The conversion of the low two bits of `bits`.
    #[must_use]
    pub fn from_bits(bits: i64) -> Self {
        match bits & 3 {
            0 => Conversion::None,
            1 => Conversion::Str,
            2 => Conversion::Repr,
            _ => Conversion::Ascii,
        }
    }

    /// Its number (0–3).
    #[must_use]
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// What an operand out of range indexes ([`Argument::Invalid`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// `co_consts`.
    Const,
    /// `co_names`.
    Name,
    /// Fast locals.
    Local,
    /// Cell and free variables.
    Free,
    /// `cmp_op`.
    Comparison,
    /// `CONVERT_VALUE`'s conversions.
    Conversion,
    /// `BINARY_OP`'s operators.
    BinaryOp,
    /// Intrinsic functions.
    Intrinsic,
    /// `LOAD_SPECIAL`'s methods.
    SpecialMethod,
    /// `LOAD_COMMON_CONSTANT`'s constants.
    CommonConstant,
}
