//! How each CPython version encodes instructions and their arguments.
//!
//! Everything version-dependent about decoding is decided here, once, from
//! the [`PythonVersion`]; the decoder only reads these fields. What a
//! version's opcode table already says (argument kinds, cache sizes, which
//! special opcodes exist) is not repeated here. How a version's `dis`
//! *prints* is the printers' business (`bytescope-dis`).

use bytescope_pyc::PythonVersion;

/// The decoding rules of one version.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::struct_excessive_bools)]
pub struct Rules {
    /// The version.
    pub version: PythonVersion,
    /// 2-byte instructions (3.6+); otherwise 1 byte, or 3 with an argument.
    pub wordcode: bool,
    /// EXTENDED_ARG state is cleared by argument-less instructions (3.10+).
    pub ext_reset_argless: bool,
    /// The extended argument wraps like a C int (3.11+).
    pub ext_wrap_i32: bool,
    /// Jump arguments count code units (3.10+) rather than bytes.
    pub jump_in_units: bool,
    /// Relative jump targets skip the jump's own inline caches (3.12+).
    pub jump_skips_caches: bool,
    /// `dis.findlabels` reads a specialised opcode as its base (3.12+): 3.11's
    /// looks at the stored opcode, so in `_co_code_adaptive` a specialised
    /// jump (`JUMP_BACKWARD_QUICK`) marks no target. (Before 3.11 no opcode
    /// is specialised.)
    pub labels_deoptimise: bool,
    /// LOAD_GLOBAL's low bit pushes a `NULL` (3.11+).
    pub global_null_bit: bool,
    /// LOAD_ATTR's low bit marks a method load (3.12+).
    pub attr_null_bit: bool,
    /// COMPARE_OP argument: `cmp_op[arg >> shift]`.
    pub compare_shift: u8,
    /// COMPARE_OP bit 16 converts the result to `bool` (3.13+).
    pub compare_bool_bit: bool,
    /// IMPORT_NAME carries lazy/eager bits below the name index (3.15+).
    pub import_name_flags: bool,
    /// CALL_FUNCTION-style (`hasnargs`) arguments are two counts, positional
    /// in the low byte and keyword pairs in the high byte (before 3.6).
    pub split_nargs: bool,
    /// Local and cell operands index `localsplusnames`, and code objects
    /// carry a location table and an exception table (3.11+).
    pub localsplus: bool,
}

impl Rules {
    /// The rules of `v`.
    #[must_use]
    pub fn for_version(v: PythonVersion) -> Rules {
        use PythonVersion as V;
        Rules {
            version: v,
            wordcode: v >= V::PY36,
            ext_reset_argless: v >= V::PY310,
            ext_wrap_i32: v >= V::PY311,
            jump_in_units: v >= V::PY310,
            jump_skips_caches: v >= V::PY312,
            labels_deoptimise: v >= V::PY312,
            global_null_bit: v >= V::PY311,
            attr_null_bit: v >= V::PY312,
            compare_shift: match v {
                _ if v >= V::PY313 => 5,
                _ if v >= V::PY312 => 4,
                _ => 0,
            },
            compare_bool_bit: v >= V::PY313,
            import_name_flags: v >= V::PY315,
            split_nargs: v < V::PY36,
            localsplus: v >= V::PY311,
        }
    }
}
