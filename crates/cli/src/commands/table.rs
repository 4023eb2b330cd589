//! `bytescope table`: line, position and exception tables as JSON.

use std::process::ExitCode;

use bytescope_dis::{Disassembler, TableKind};
use bytescope_marshal::Storage;

use crate::output::{DRAIN_AT, Format, InputArgs, Skips, for_each_file};
use crate::records::{self, View};

/// Print line, position or exception tables as JSON Lines
///
/// One record per code object (pre-order), exactly as the file's CPython
/// computes the table: {"path", "member", "index", "name", "qualname",
/// "filename", "firstlineno", "offset", "table", "rows"} (schema:
/// docs/schemas/table.schema.json). KIND is one of:
///
///   lines       co_lines() as [start, end, line|null]              (3.10+)
///   positions   co_positions() as [line, end_line, col, end_col]   (3.11+)
///   exceptions  the exception table as [start, end, target, depth, lasti],
///               byte offsets, end exclusive                         (3.11+)
///   linestarts  dis.findlinestarts() as [offset, line]             (all)
///
/// With several inputs, files whose version lacks the table are left out
/// and named once on stderr.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Which table.
    #[arg(value_enum)]
    kind: Kind,

    #[command(flatten)]
    pub input: InputArgs,
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
    let skips = Skips::default();
    let status = for_each_file(&args.input, Format::Json, |source, data, out, ctx| {
        let pyc = args.input.load(source, data, Storage::default(), ctx)?;
        let dis = Disassembler::for_pyc(&pyc).map_err(|e| e.to_string())?;
        if let Some(since) = kind.since().filter(|s| pyc.version() < *s)
            && args.input.framed(source)
        {
            // One of several inputs: left out, named once at the end.
            skips.skipped(option_name(kind), since, source);
            return Ok(());
        }
        skips.applied(option_name(kind));
        // Written as it is made (with -j 1), within the output budget.
        records::dis_view(
            out,
            source,
            &pyc.marshal,
            View::Table(kind.name()),
            None,
            &mut |o| ctx.drain(o),
            |buf, piece| dis.table_json_draining(&pyc.marshal, kind, buf, DRAIN_AT, piece),
        )
    })?;
    let none = skips.report("left out");
    Ok(if none { ExitCode::FAILURE } else { status })
}

/// The table as named in notes.
fn option_name(kind: TableKind) -> &'static str {
    match kind {
        TableKind::Lines => "table lines",
        TableKind::Positions => "table positions",
        TableKind::Exceptions => "table exceptions",
        TableKind::Linestarts => "table linestarts",
    }
}
