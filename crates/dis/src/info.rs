//! `dis.code_info()` text.

use std::fmt::Write;

use bytescope_code::Code;
use bytescope_opcodes::OpcodeTable;
use bytescope_pyrepr::{ReprError, ReprOptions, repr_object};

use crate::rules::Rules;

/// `dis.pretty_flags`: names of the set bits in ascending order, `hex()` for
/// unnamed ones, and CPython's for-else quirk (`0x0` for no flags).
#[must_use]
pub fn pretty_flags(flags: i64, table: &OpcodeTable) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut rest = flags;
    let mut finished = false;
    for i in 0..32 {
        let flag: i64 = 1 << i;
        if rest & flag != 0 {
            match table.compiler_flag_names.iter().find(|(b, _)| i64::from(*b) == flag) {
                Some((_, n)) => names.push((*n).to_owned()),
                None => names.push(py_hex(flag)),
            }
            rest ^= flag;
            if rest == 0 {
                finished = true;
                break;
            }
        }
    }
    if !finished {
        names.push(py_hex(rest));
    }
    names.join(", ")
}

/// Python's `hex()`.
fn py_hex(v: i64) -> String {
    if v < 0 { format!("-{:#x}", v.unsigned_abs()) } else { format!("{v:#x}") }
}

/// Writes `dis.code_info(code)` (no trailing newline, as CPython returns it).
/// Returns `true` when it stopped early because the output passed `limit`.
///
/// # Errors
/// A constant whose repr CPython could not produce.
pub(crate) fn code_info(
    out: &mut String,
    code: &Code<'_, '_>,
    table: &OpcodeTable,
    rules: &Rules,
    repr: ReprOptions,
    limit: usize,
) -> Result<bool, ReprError> {
    let _ = writeln!(out, "Name:              {}", code.name);
    let _ = writeln!(out, "Filename:          {}", code.filename);
    let _ = writeln!(out, "Argument count:    {}", code.argcount());
    if rules.code_info_posonly {
        let _ = writeln!(out, "Positional-only arguments: {}", code.posonlyargcount());
    }
    if rules.version.major >= 3 {
        let _ = writeln!(out, "Kw-only arguments: {}", code.kwonlyargcount());
    }
    let _ = writeln!(out, "Number of locals:  {}", code.nlocals());
    let _ = writeln!(out, "Stack size:        {}", code.stacksize());
    let _ = write!(out, "Flags:             {}", pretty_flags(i64::from(code.raw().flags), table));
    if !code.consts.is_empty() {
        out.push_str("\nConstants:");
        for (i, &c) in code.consts.iter().enumerate() {
            let before = out.len();
            let _ = write!(out, "\n{i:4}: ");
            if let Err(e) = repr_object(out, code.marshal(), c, repr) {
                // No partial constant line.
                out.truncate(before);
                return Err(e);
            }
            // Past the output budget: drop this line, the caller reports it.
            if out.len() > limit {
                out.truncate(before);
                return Ok(true);
            }
        }
    }
    for (title, list) in [
        ("Names", &code.names),
        ("Variable names", &code.varnames),
        ("Free variables", &code.freevars),
        ("Cell variables", &code.cellvars),
    ] {
        if !list.is_empty() {
            let _ = write!(out, "\n{title}:");
            for (i, n) in list.iter().enumerate() {
                let _ = write!(out, "\n{i:4}: {n}");
            }
        }
    }
    Ok(false)
}
