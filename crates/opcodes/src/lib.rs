//! Per-version CPython opcode tables.
//!
//! One [`OpcodeTable`] per minor version drives both instruction decoding and
//! printing (as one operator list drives wasmparser and wasmprinter). The
//! tables in `generated/` are written by `tools/gen_opcodes.py` from the real
//! interpreters' `opcode`/`dis` modules (3.0–3.5 from CPython's `Lib/opcode.py`
//! at those tags); do not edit them by hand.
#![deny(missing_docs)]

use bytescope_pyc::PythonVersion;

mod generated;

/// Facts about one opcode number in one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    /// `opcode.opname[op]`, e.g. `"LOAD_CONST"`, or `"<N>"` for unused numbers
    /// (exactly as that version's `dis` prints them).
    pub name: &'static str,
    /// Whether this number is a real opcode of this version (including
    /// specialized/instrumented ones).
    pub defined: bool,
    /// Whether it takes an argument (`op >= HAVE_ARGUMENT` before 3.12; membership
    /// in `opcode.hasarg` from 3.12).
    pub has_arg: bool,
    /// Argument kind flags (`dis.hasconst` … membership), see [`ArgFlags`].
    pub flags: ArgFlags,
    /// Inline cache entries (code units) following the instruction (3.11+).
    pub cache_entries: u8,
    /// For specialized/instrumented opcodes, the base opcode (`dis.deoptmap`/
    /// `_PyOpcode_Deopt`); otherwise the opcode itself.
    pub deopt: u8,
}

/// Bit set of the `dis.has*` lists an opcode belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ArgFlags(pub u16);

impl ArgFlags {
    /// `hasconst`
    pub const CONST: u16 = 1 << 0;
    /// `hasname`
    pub const NAME: u16 = 1 << 1;
    /// `hasjrel`
    pub const JREL: u16 = 1 << 2;
    /// `hasjabs`
    pub const JABS: u16 = 1 << 3;
    /// `haslocal`
    pub const LOCAL: u16 = 1 << 4;
    /// `hasfree`
    pub const FREE: u16 = 1 << 5;
    /// `hascompare`
    pub const COMPARE: u16 = 1 << 6;
    /// `hasnargs` (3.6–3.11)
    pub const NARGS: u16 = 1 << 7;
    /// `hasexc` (3.12+)
    pub const EXC: u16 = 1 << 8;
    /// `hasjump` (3.13+; union of jrel/jabs before)
    pub const JUMP: u16 = 1 << 9;

    /// Whether all bits of `mask` are set.
    #[must_use]
    pub const fn has(self, mask: u16) -> bool {
        self.0 & mask == mask
    }
}

/// A named field of an opcode's inline cache (`opcode._cache_format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheField {
    /// Field name, e.g. `"counter"`.
    pub name: &'static str,
    /// Size in code units.
    pub size: u8,
}

/// Everything `dis` of one CPython minor version knows about its bytecode.
#[derive(Debug)]
pub struct OpcodeTable {
    /// The version these tables were extracted from.
    pub version: PythonVersion,
    /// `opcode.HAVE_ARGUMENT`.
    pub have_argument: u8,
    /// `opcode.EXTENDED_ARG` (`dis.EXTENDED_ARG`).
    pub extended_arg: u8,
    /// Indexed by opcode byte; all 256 entries present.
    pub ops: [OpInfo; 256],
    /// `opcode.cmp_op`.
    pub cmp_op: &'static [&'static str],
    /// `[symbol for name, symbol in opcode._nb_ops]` (3.11+), e.g. `"+="`.
    pub binary_ops: &'static [&'static str],
    /// `opcode._intrinsic_1_descs` (3.12+).
    pub intrinsic1: &'static [&'static str],
    /// `opcode._intrinsic_2_descs` (3.12+).
    pub intrinsic2: &'static [&'static str],
    /// `opcode._special_method_names` (3.14+).
    pub special_method_names: &'static [&'static str],
    /// `opcode._common_constants` (3.14+) as `dis` shows them: a type or
    /// builtin function by its `__name__`, anything else by its repr.
    pub common_constants: &'static [&'static str],
    /// `(opname, fields)` from `opcode._cache_format` (3.11+), in the order
    /// `dis` walks them.
    pub cache_format: &'static [(&'static str, &'static [CacheField])],
    /// `dis.COMPILER_FLAG_NAMES` as `(bit, name)`, ascending bit (3.x).
    pub compiler_flag_names: &'static [(u32, &'static str)],
    /// `dis.MAKE_FUNCTION_FLAGS` (3.8+; `FUNCTION_ATTR_FLAGS` in 3.13+).
    pub function_flags: &'static [&'static str],
}

impl OpcodeTable {
    /// The entry for opcode byte `op`.
    #[must_use]
    pub fn op(&self, op: u8) -> &OpInfo {
        &self.ops[op as usize]
    }

    /// The opcode number of a name, if this version has it.
    #[must_use]
    pub fn opcode(&self, name: &str) -> Option<u8> {
        self.ops
            .iter()
            .position(|o| o.defined && o.name == name)
            .and_then(|i| u8::try_from(i).ok())
    }

    /// The cache fields `dis` prints for `opname` (3.11+).
    #[must_use]
    pub fn cache_fields(&self, opname: &str) -> &'static [CacheField] {
        self.cache_format
            .iter()
            .find(|(n, _)| *n == opname)
            .map_or(&[], |(_, f)| f)
    }
}

/// The table for `version`, if bytescope has one.
#[must_use]
pub fn table(version: PythonVersion) -> Option<&'static OpcodeTable> {
    generated::table(version)
}
