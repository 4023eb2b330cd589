//! Encoders for the line, position and exception tables: each the inverse
//! of a decoder in `bytescope-code`, and each choosing its bytes the way
//! that version's compiler does.
//!
//! | table | versions | input | module |
//! |---|---|---|---|
//! | `co_lnotab` | 2.x–3.9 | line events `(offset, line)` | [`lnotab`] |
//! | `co_linetable` (PEP 626) | 3.10 | `co_lines()` ranges | [`linetable`] |
//! | location table | 3.11+ | positions per instruction | [`locations`] |
//! | `co_exceptiontable` | 3.11+ | `dis._parse_exception_table` entries | [`exceptions`] |
//!
//! [`encode_line_table`] picks the version's line encoder from the decoded
//! form [`LineInput`].

pub mod exceptions;
pub mod linetable;
pub mod lnotab;
pub mod locations;

use bytescope_pyc::PythonVersion;

pub use exceptions::{ExceptionTableBuilder, encode_exception_table, encode_exception_table_into};
pub use linetable::encode_linetable_310;
pub use lnotab::encode_lnotab;
pub use locations::{PositionRun, encode_locations};

/// A table that cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// Line events must come in increasing offset order.
    #[error("line event at offset {offset} comes after offset {previous}")]
    OffsetsNotIncreasing {
        /// The event's offset.
        offset: u64,
        /// The previous event's offset.
        previous: u64,
    },
    /// Up to 3.5 a line number can only grow (`co_lnotab` line deltas are
    /// unsigned).
    #[error(
        "line {line} at offset {offset} is before line {previous}: Python {version}'s co_lnotab cannot go back"
    )]
    LineGoesBack {
        /// The event's line.
        line: i64,
        /// The previous line.
        previous: i64,
        /// The event's offset.
        offset: u64,
        /// The version.
        version: PythonVersion,
    },
    /// A line number or offset outside what the format's C `int`s hold.
    #[error("{what} {value} does not fit the table format")]
    OutOfRange {
        /// What.
        what: &'static str,
        /// The value.
        value: i64,
    },
    /// The table kind does not exist in this version.
    #[error("Python {version} has no {what}")]
    WrongVersion {
        /// Which table.
        what: &'static str,
        /// The version.
        version: PythonVersion,
    },
}

/// The decoded form of a line table, per version family.
#[derive(Clone, Debug, PartialEq)]
pub enum LineInput<'a> {
    /// 2.x–3.9: `(offset, line)` events in offset order.
    Events(&'a [(u64, i64)]),
    /// 3.10: `co_lines()` ranges.
    Ranges(&'a [bytescope_code::lines::LineRange]),
    /// 3.11+: positions per instruction (3.11) or per run (3.12+ merge
    /// equal neighbours anyway).
    Positions(&'a [PositionRun]),
}

/// Encodes a line table for `version` from its decoded form.
///
/// # Errors
/// [`TableError::WrongVersion`] when the input's family is not the
/// version's, or the encoder's own error.
pub fn encode_line_table(
    version: PythonVersion,
    firstlineno: i32,
    input: &LineInput<'_>,
) -> Result<Vec<u8>, TableError> {
    let wrong = |what| Err(TableError::WrongVersion { what, version });
    match input {
        LineInput::Events(e) if version < PythonVersion::PY310 => encode_lnotab(version, firstlineno, e),
        LineInput::Ranges(r) if version == PythonVersion::PY310 => encode_linetable_310(firstlineno, r),
        LineInput::Positions(p) if version >= PythonVersion::PY311 => {
            Ok(encode_locations(version, firstlineno, p))
        }
        LineInput::Events(_) => wrong("co_lnotab"),
        LineInput::Ranges(_) => wrong("PEP 626 co_linetable"),
        LineInput::Positions(_) => wrong("location table"),
    }
}

/// The sizes, in code units, of the instructions of wordcode `code` (3.6+)
/// as CPython's assembler counts them: `EXTENDED_ARG` prefixes, the opcode
/// and its inline caches (3.11+) make one instruction. A truncated last
/// instruction counts only the units that exist.
#[must_use]
pub fn instruction_units(version: PythonVersion, code: &[u8]) -> Vec<u32> {
    let Some(table) = bytescope_opcodes::table(version) else { return Vec::new() };
    let units = code.len() / 2;
    let mut out = Vec::with_capacity(units);
    let mut i = 0usize;
    while i < units {
        let start = i;
        while i < units && code[2 * i] == table.extended_arg {
            i += 1;
        }
        if i < units {
            let caches = usize::from(table.op(code[2 * i]).cache_entries);
            i = (i + 1 + caches).min(units);
        }
        out.push(u32::try_from(i - start).unwrap_or(u32::MAX));
    }
    out
}

/// The location runs a 3.11+ location table describes, in the form
/// [`encode_locations`] takes: for 3.11 one run per instruction of `code`
/// (each with its first unit's positions), for 3.12+ one per table entry.
#[must_use]
pub fn position_runs(
    version: PythonVersion,
    code: &[u8],
    firstlineno: i32,
    table: &[u8],
) -> Vec<PositionRun> {
    use bytescope_code::lines::{co_positions, position_ranges};
    if version >= PythonVersion::PY312 {
        return position_ranges(version, code.len(), firstlineno, table)
            .into_iter()
            .map(|r| PositionRun { units: (r.end - r.start) / 2, positions: r.positions })
            .collect();
    }
    position_runs_by_instruction(
        &instruction_units(version, code),
        &co_positions(version, code.len(), firstlineno, table),
    )
}

/// 3.11's runs: one per instruction (`sizes` in code units, as
/// [`instruction_units`] gives them), each with its first unit's positions
/// (`per_unit`, as `co_positions()` gives them).
#[must_use]
pub fn position_runs_by_instruction(
    sizes: &[u32],
    per_unit: &[bytescope_code::lines::Positions],
) -> Vec<PositionRun> {
    let mut out = Vec::with_capacity(sizes.len());
    let mut at = 0usize;
    for &n in sizes {
        let Some(&positions) = per_unit.get(at) else { break };
        let n = n.min(u32::try_from(per_unit.len() - at).unwrap_or(u32::MAX));
        out.push(PositionRun { units: n, positions });
        at += n as usize;
    }
    out
}

/// Re-encodes a version's line table from its decoded form, as the
/// conformance runs do: `co_lnotab` from `dis.findlinestarts`, the 3.10
/// table from `co_lines()`, the 3.11+ table from [`position_runs`].
///
/// # Errors
/// The encoder's [`TableError`].
pub fn reencode_line_table(
    version: PythonVersion,
    code: &[u8],
    firstlineno: i32,
    table: &[u8],
) -> Result<Vec<u8>, TableError> {
    use bytescope_code::lines::{co_lines, findlinestarts};
    if version >= PythonVersion::PY311 {
        Ok(encode_locations(version, firstlineno, &position_runs(version, code, firstlineno, table)))
    } else if version >= PythonVersion::PY310 {
        encode_linetable_310(firstlineno, &co_lines(version, code.len(), firstlineno, table))
    } else {
        let events: Vec<(u64, i64)> = findlinestarts(version, code.len(), firstlineno, table)
            .into_iter()
            .filter_map(|(off, line)| Some((u64::from(off), line?)))
            .collect();
        encode_lnotab(version, firstlineno, &events)
    }
}
