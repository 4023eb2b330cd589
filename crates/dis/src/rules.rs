//! How each CPython version's `dis` prints.
//!
//! Everything version-dependent about printing is decided here, once, from
//! the [`PythonVersion`]; the printers only read these fields. How a version
//! *encodes* instructions is the instruction model's
//! ([`bytescope_instr::Rules`]); what its opcode table says (argument kinds,
//! cache sizes) is not repeated here either.

use bytescope_pyc::PythonVersion;

/// Which `dis` output layout a version uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layout {
    /// 1.5–2.7: Python `print x,` fields (soft spaces, no trailing strip).
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

/// Where `NULL`/`NULL|self` markers go in LOAD_GLOBAL/LOAD_ATTR argreprs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullMarker {
    /// `NULL + name` (3.11–3.12).
    Prefix,
    /// `name + NULL` (3.13+).
    Suffix,
}

/// The printing rules of one version.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::struct_excessive_bools)]
pub struct Rules {
    /// The version.
    pub version: PythonVersion,
    /// Output layout.
    pub layout: Layout,
    /// The listing has a line-number column from the line table (2.3+). Before, `dis`
    /// prints none and starts a paragraph before each `SET_LINENO` instead.
    pub line_column: bool,
    /// `ljust` width of the opcode name: 15 in 1.5's `dis`, 20 from 2.0.
    pub opname_width: usize,
    /// Absolute jumps print `to N` (3.10+).
    pub jabs_argrepr: bool,
    /// Exception-table targets are marked `>>` (3.11–3.12).
    pub exc_targets_are_labels: bool,
    /// Only LOAD_CONST resolves its constant (3.11; 3.12+ resolve every
    /// `hasconst` opcode, e.g. KW_NAMES, RETURN_CONST).
    pub only_load_const_resolves: bool,
    /// NULL marker placement (3.11+).
    pub null_marker: Option<NullMarker>,
    /// IS_OP/CONTAINS_OP print `is`/`is not`/`in`/`not in` (3.14+).
    pub is_contains_argrepr: bool,
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
    /// LOAD_COMMON_CONSTANT's `argval` is the constant (3.15+), not the
    /// argument.
    pub common_constant_argval: bool,
    /// `code_info` prints `Positional-only arguments` (3.8+).
    pub code_info_posonly: bool,
    /// CALL_FUNCTION-style `hasnargs` ops describe their argument (3.4–3.5).
    pub nargs_argrepr: bool,
    /// `dis.Instruction` has `positions` (3.11+).
    pub instruction_positions: bool,
    /// `dis.Instruction` has 3.13's fields (`start_offset`, boolean
    /// `starts_line`, `line_number`, `label`, `cache_info`).
    pub instruction_fields_313: bool,
    /// The line table attribute's name: `co_lnotab` up to 3.9,
    /// `co_linetable` from 3.10.
    pub linetable_attr: &'static str,
    /// `lasti` marks the instruction whose inline caches it points into
    /// (3.12 without `show_caches`, 3.13+), not only the one at `lasti`.
    pub lasti_spans_caches: bool,
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
            line_column: v >= V::PY23,
            opname_width: if v >= V::PY20 { 20 } else { 15 },
            jabs_argrepr: v >= V::PY310,
            exc_targets_are_labels: v >= V::PY311 && v < V::PY313,
            only_load_const_resolves: v == V::PY311,
            null_marker: match v {
                _ if v >= V::PY313 => Some(NullMarker::Suffix),
                _ if v >= V::PY311 => Some(NullMarker::Prefix),
                _ => None,
            },
            is_contains_argrepr: v >= V::PY314,
            recurse: v >= V::PY37,
            dynamic_widths: v >= V::PY37,
            lineno_needs_starts: v >= V::PY310,
            cache_names_only_quickened: v == V::PY311,
            cache_info_same_offset: v == V::PY313,
            has_show_caches: v >= V::PY311,
            has_show_offsets: v >= V::PY313,
            has_show_positions: v >= V::PY314,
            common_constant_argval: v >= V::PY315,
            code_info_posonly: v >= V::PY38,
            nargs_argrepr: v >= V::PY34 && v < V::PY36,
            instruction_positions: v >= V::PY311,
            instruction_fields_313: v >= V::PY313,
            linetable_attr: if v >= V::PY310 { "co_linetable" } else { "co_lnotab" },
            lasti_spans_caches: v >= V::PY312,
        }
    }
}
