//! `dis.code_info()` text.

use std::fmt::Write;

use bytescope_code::Code;
use bytescope_opcodes::OpcodeTable;
use bytescope_pyrepr::{ReprError, ReprOptions, repr_object};

use crate::budget::Limit;
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

/// Writes `dis.code_info(code)` (no trailing newline, as CPython returns it)
/// into `out`, line by line within `limit`.
///
/// # Errors
/// [`InfoStop::Repr`] for a constant whose repr CPython could not produce
/// (its line is not written), [`InfoStop::Limit`] once the budget is spent.
pub(crate) fn code_info(
    out: &mut Vec<u8>,
    code: &Code<'_, '_>,
    table: &OpcodeTable,
    rules: &Rules,
    limit: &mut Limit<'_>,
) -> Result<(), InfoStop> {
    let mut s = String::new();
    let _ = writeln!(s, "Name:              {}", code.name);
    let _ = writeln!(s, "Filename:          {}", code.filename);
    let _ = writeln!(s, "Argument count:    {}", code.argcount());
    if rules.code_info_posonly {
        let _ = writeln!(s, "Positional-only arguments: {}", code.posonlyargcount());
    }
    if rules.version.major >= 3 {
        let _ = writeln!(s, "Kw-only arguments: {}", code.kwonlyargcount());
    }
    let _ = writeln!(s, "Number of locals:  {}", code.nlocals());
    let _ = writeln!(s, "Stack size:        {}", code.stacksize());
    let _ = write!(s, "Flags:             {}", pretty_flags(i64::from(code.raw().flags), table));
    line(out, &mut s, limit)?;
    if !code.consts.is_empty() {
        s.push_str("\nConstants:");
        for (i, &c) in code.consts.iter().enumerate() {
            let _ = write!(s, "\n{i:4}: ");
            // A repr longer than what is left of the budget stops there.
            let max_len = limit.at.saturating_sub(out.len() + s.len());
            match repr_object(&mut s, code.marshal(), c, ReprOptions { max_len }) {
                Ok(()) => line(out, &mut s, limit)?,
                Err(ReprError::TooLarge { .. }) => return Err(InfoStop::Limit),
                Err(e) => return Err(InfoStop::Repr(e)),
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
            let _ = write!(s, "\n{title}:");
            for (i, n) in list.iter().enumerate() {
                let _ = write!(s, "\n{i:4}: {n}");
                line(out, &mut s, limit)?;
            }
        }
    }
    Ok(())
}

/// Moves the line in `s` to `out`, checked against the budget as it is made.
fn line(out: &mut Vec<u8>, s: &mut String, limit: &mut Limit<'_>) -> Result<(), InfoStop> {
    let mark = out.len();
    out.extend_from_slice(s.as_bytes());
    s.clear();
    limit.check(out, mark).map_err(|_| InfoStop::Limit)
}

/// Why [`code_info`] stopped.
pub(crate) enum InfoStop {
    /// A constant CPython could not repr.
    Repr(ReprError),
    /// The output budget is spent.
    Limit,
}
