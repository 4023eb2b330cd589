//! `bytescope table`: line, position and exception tables as JSON.

use std::process::ExitCode;

use bytescope_dis::{Disassembler, TableKind};
use bytescope_marshal::load_pyc;

use crate::output::{DRAIN_AT, InputArgs, for_each_file_draining};

/// Print line, position or exception tables as JSON
///
/// One JSON array, one line per code object (pre-order), exactly as the
/// file's CPython computes the table:
///
///   lines       co_lines() as [start, end, line|null]            (3.10+)
///   positions   co_positions() as [line, end_line, col, end_col]  (3.11+)
///   exceptions  the exception table as [start, end, target, depth, lasti],
///               byte offsets, end exclusive (dis._parse_exception_table)  (3.11+)
///   linestarts  dis.findlinestarts() as [offset, line]            (all versions)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which table.
    #[arg(value_enum)]
    kind: Kind,

    #[command(flatten)]
    input: InputArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Kind {
    Lines,
    Positions,
    Exceptions,
    Linestarts,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let kind = match args.kind {
        Kind::Lines => TableKind::Lines,
        Kind::Positions => TableKind::Positions,
        Kind::Exceptions => TableKind::Exceptions,
        Kind::Linestarts => TableKind::Linestarts,
    };
    for_each_file_draining(&args.input, |data, out, drain| {
        let pyc = load_pyc(data, args.input.python_version).map_err(|e| e.to_string())?;
        let dis = Disassembler::new(pyc.version()).map_err(|e| e.to_string())?;
        // Written as it is made (with -j 1), within the output budget.
        dis.table_json_draining(&pyc.marshal, kind, out, DRAIN_AT, |part| drain(part))
            .map_err(|e| e.to_string())
    })
}
