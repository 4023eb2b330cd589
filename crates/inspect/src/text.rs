//! The report as text for people.

use std::fmt::Write;

use crate::{CodeReport, Kind, Report};

/// Lines are wrapped to this many columns (long names may exceed it).
const WIDTH: usize = 100;
/// Where values start: two spaces, then the label padded to 12.
const INDENT: usize = 14;

/// Writes `report` as text:
///
/// ```text
/// closures.py: Python 3.12, 14 code objects, 60 constants
///
/// <module> (module, closures.py:1)
///   stores      counter_total, make_counter, bump_global, three_levels, make_adders,
///               identity, varargs, conditional, no_args, default_lambda
///   nested      make_counter (function), bump_global (function), …
///   size        stack 3, 13 constants (60 with nested), 45 instructions in 90 bytes
///
/// make_counter.<locals>.increment (function, closures.py:8)
///   arguments   (step)
///   free        count
///   …
/// ```
///
/// One block per code object in pre-order, separated by blank lines. The
/// heading is the qualified name, the kind and `file:line`; then one row per
/// non-empty item: `arguments` (as a parameter list without defaults),
/// `locals`, `hidden` (inlined comprehension locals, 3.12+), `cells`, `free`,
/// `globals`, `attributes`, `imports`, `references`, `stores`, `nested`
/// (name and kind of each nested code object), `size` and `flags`.
pub fn write_text(report: &Report, out: &mut String) {
    let n = report.code_objects.len();
    let _ = writeln!(
        out,
        "{}: Python {}, {n} code object{}, {} constant{}",
        report.filename,
        report.version,
        plural(n),
        report.constants_total(),
        plural(report.constants_total()),
    );
    for c in &report.code_objects {
        out.push('\n');
        write_code(report, c, out);
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn write_code(report: &Report, c: &CodeReport, out: &mut String) {
    let _ = writeln!(out, "{} ({}, {}:{})", c.qualname, c.kind_label(), c.filename, c.firstlineno);
    if !matches!(c.kind, Kind::Module | Kind::Class) {
        row(out, "arguments", &[c.arguments.signature()]);
    }
    row(out, "locals", &c.locals);
    row(out, "hidden", &c.hidden_locals);
    row(out, "cells", &c.cellvars);
    row(out, "free", &c.freevars);
    row(out, "globals", &c.globals);
    row(out, "attributes", &c.attributes);
    row(out, "imports", &c.imports);
    row(out, "references", &c.references);
    row(out, "stores", &c.stores);
    let nested: Vec<String> = c
        .nested
        .iter()
        .filter_map(|&i| report.code_objects.get(i))
        .map(|k| format!("{} ({})", k.name, k.kind_label()))
        .collect();
    row(out, "nested", &nested);
    let mut size = format!("stack {}, {} constant{}", c.stacksize, c.constants, plural(c.constants));
    if c.constants_total != c.constants {
        let _ = write!(size, " ({} with nested)", c.constants_total);
    }
    let _ =
        write!(size, ", {} instruction{} in {} bytes", c.instructions, plural(c.instructions), c.code_size);
    row(out, "size", &[size]);
    row(out, "flags", &c.flag_names);
}

/// `  label       a, b, c` wrapped at [`WIDTH`]; nothing for an empty list.
fn row(out: &mut String, label: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(out, "  {label:<width$}", width = INDENT - 2);
    let mut col = INDENT;
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        let piece_len = item.chars().count() + usize::from(!last);
        if i > 0 {
            if col + 1 + piece_len > WIDTH {
                out.push('\n');
                out.push_str(&" ".repeat(INDENT));
                col = INDENT;
            } else {
                out.push(' ');
                col += 1;
            }
        }
        out.push_str(item);
        if !last {
            out.push(',');
        }
        col += piece_len;
    }
    out.push('\n');
}
