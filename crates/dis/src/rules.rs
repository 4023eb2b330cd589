//! How each CPython version's `dis` decodes and prints.
//!
//! Everything version-dependent in this crate is decided here, once, from the
//! [`PythonVersion`]; the decoder and printers only read these fields. What a
//! version's opcode table already says (argument kinds, cache sizes, which
//! special opcodes exist) is not repeated here.

use bytescope_pyc::PythonVersion;

/// Which `dis` output layout a version uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layout {
    /// 2.7: Python 2 `print x,` fields (soft spaces, no trailing strip).
    Py27,
    /// 3.0–3.3: `print(x, end=' ')` fields, each followed by a space.
    Py30,
    /// 3.4–3.6: `Instruction._disassemble`, fixed widths (lineno 3, offset 4).
    Py34,
    /// 3.7–3.12: widths grow with the largest line number and offset.
    Py37,
    /// 3.13+: `Formatter` with `L1:` labels, optional offsets and positions.
    Py313,
}

/// Which opcodes count as backward jumps (their argument is negated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backward {
    /// No backward relative jumps (≤3.10).
    None,
    /// `'JUMP_BACKWARD' in opname` (3.11–3.12).
    NameContains,
    /// An explicit list (3.13+).
    Names(&'static [&'static str]),
}

/// Where `NULL`/`NULL|self` markers go in LOAD_GLOBAL/LOAD_ATTR argreprs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullMarker {
    /// `NULL + name` (3.11–3.12).
    Prefix,
    /// `name + NULL` (3.13+).
    Suffix,
}

/// The decoding and printing rules of one version.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::struct_excessive_bools)]
pub struct Rules {
    /// The version.
    pub version: PythonVersion,
    /// Output layout.
    pub layout: Layout,
    /// 2-byte instructions (3.6+); otherwise 1 byte, or 3 with an argument.
    pub wordcode: bool,
    /// EXTENDED_ARG state is cleared by argument-less instructions (3.10+).
    pub ext_reset_argless: bool,
    /// The extended argument wraps like a C int (3.11+).
    pub ext_wrap_i32: bool,
    /// Jump arguments count code units (3.10+) rather than bytes.
    pub jump_in_units: bool,
    /// Absolute jumps print `to N` (3.10+).
    pub jabs_argrepr: bool,
    /// Backward jump detection.
    pub backward: Backward,
    /// Relative jump targets skip the jump's own inline caches (3.12+).
    pub jump_skips_caches: bool,
    /// Exception-table targets are marked `>>` (3.11–3.12).
    pub exc_targets_are_labels: bool,
    /// Only LOAD_CONST resolves its constant (3.11; 3.12+ resolve every
    /// `hasconst` opcode, e.g. KW_NAMES, RETURN_CONST).
    pub only_load_const_resolves: bool,
    /// LOAD_ATTR's low bit marks a method load (3.12+).
    pub attr_null_bit: bool,
    /// NULL marker placement (3.11+).
    pub null_marker: Option<NullMarker>,
    /// COMPARE_OP argument: `cmp_op[arg >> shift]`.
    pub compare_shift: u8,
    /// COMPARE_OP bit 16 prints `bool(op)` (3.13+).
    pub compare_bool_bit: bool,
    /// IS_OP/CONTAINS_OP print `is`/`is not`/`in`/`not in` (3.14+).
    pub is_contains_argrepr: bool,
    /// IMPORT_NAME carries lazy/eager bits below the name index (3.15+).
    pub import_name_flags: bool,
    /// Ops whose jump argrepr says `from` instead of `to` (3.14+).
    pub from_ops: &'static [&'static str],
    /// `dis.dis(code)` recurses into nested code objects (3.7+).
    pub recurse: bool,
    /// Line-number width grows past 3 digits and offsets past 4 (3.7+).
    pub dynamic_widths: bool,
    /// The line column is shown only when there is line info (3.10+);
    /// before, whenever a line-start table exists.
    pub lineno_needs_starts: bool,
    /// 3.11 names cache fields only for quickened instructions.
    pub cache_names_only_quickened: bool,
    /// 3.13's cache_info reads every field from the first cache unit.
    pub cache_info_same_offset: bool,
    /// `show_caches` exists (3.11+).
    pub has_show_caches: bool,
    /// `show_offsets` exists (3.13+).
    pub has_show_offsets: bool,
    /// `show_positions` exists (3.14+).
    pub has_show_positions: bool,
    /// `code_info` prints `Positional-only arguments` (3.8+).
    pub code_info_posonly: bool,
    /// CALL_FUNCTION-style `hasnargs` ops describe their argument (3.4–3.5).
    pub nargs_argrepr: bool,
    /// Local and cell operands index `localsplusnames`, and code objects
    /// carry a location table and an exception table (3.11+).
    pub localsplus: bool,
    /// `dis.Instruction` has `positions` (3.11+).
    pub instruction_positions: bool,
    /// `dis.Instruction` has 3.13's fields (`start_offset`, boolean
    /// `starts_line`, `line_number`, `label`, `cache_info`).
    pub instruction_fields_313: bool,
    /// The line table attribute's name: `co_lnotab` up to 3.9,
    /// `co_linetable` from 3.10.
    pub linetable_attr: &'static str,
}

impl Rules {
    /// The rules of `v`.
    #[must_use]
    pub fn for_version(v: PythonVersion) -> Rules {
        use PythonVersion as V;
        let layout = match v {
            _ if v >= V::PY313 => Layout::Py313,
            _ if v >= V::PY37 => Layout::Py37,
            _ if v >= V::PY34 => Layout::Py34,
            _ if v >= V::PY30 => Layout::Py30,
            _ => Layout::Py27,
        };
        Rules {
            version: v,
            layout,
            wordcode: v >= V::PY36,
            ext_reset_argless: v >= V::PY310,
            ext_wrap_i32: v >= V::PY311,
            jump_in_units: v >= V::PY310,
            jabs_argrepr: v >= V::PY310,
            backward: match v {
                _ if v >= V::PY314 => {
                    Backward::Names(&["JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "END_ASYNC_FOR"])
                }
                _ if v >= V::PY313 => Backward::Names(&["JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"]),
                _ if v >= V::PY311 => Backward::NameContains,
                _ => Backward::None,
            },
            jump_skips_caches: v >= V::PY312,
            exc_targets_are_labels: v >= V::PY311 && v < V::PY313,
            only_load_const_resolves: v == V::PY311,
            attr_null_bit: v >= V::PY312,
            null_marker: match v {
                _ if v >= V::PY313 => Some(NullMarker::Suffix),
                _ if v >= V::PY311 => Some(NullMarker::Prefix),
                _ => None,
            },
            compare_shift: match v {
                _ if v >= V::PY313 => 5,
                _ if v >= V::PY312 => 4,
                _ => 0,
            },
            compare_bool_bit: v >= V::PY313,
            is_contains_argrepr: v >= V::PY314,
            import_name_flags: v >= V::PY315,
            from_ops: if v >= V::PY314 { &["END_ASYNC_FOR"] } else { &[] },
            recurse: v >= V::PY37,
            dynamic_widths: v >= V::PY37,
            lineno_needs_starts: v >= V::PY310,
            cache_names_only_quickened: v == V::PY311,
            cache_info_same_offset: v == V::PY313,
            has_show_caches: v >= V::PY311,
            has_show_offsets: v >= V::PY313,
            has_show_positions: v >= V::PY314,
            code_info_posonly: v >= V::PY38,
            nargs_argrepr: v >= V::PY34 && v < V::PY36,
            localsplus: v >= V::PY311,
            instruction_positions: v >= V::PY311,
            instruction_fields_313: v >= V::PY313,
            linetable_attr: if v >= V::PY310 { "co_linetable" } else { "co_lnotab" },
        }
    }
}
