//! `bytescope check`: consistency checks of pycs of unknown origin.

use std::fmt::Write as _;
use std::process::ExitCode;

use bytescope_analysis::{CheckRecord, StackAnalyzer};

use crate::commands::cfg::{code_objects_named, select};
use crate::output::{Format, InputArgs, for_each_file};
use crate::records;
use crate::select::SelectArgs;

/// Consistency checks: what CPython's compiler always gets right and hand-edited bytecode
/// gets wrong
///
/// For every code object: co_stacksize against the deepest the code's stack goes (too
/// small: the interpreter would write past the frame) and against what the version's
/// compiler computes (3.7+, where that count is exact); jump targets outside the code or
/// inside an instruction; unknown (or runtime-only instrumented) opcodes; arguments out
/// of range of co_consts, co_names, the locals or the cell and free variables; exception
/// tables (3.11+) that cannot be read, ranges that do not cover whole instructions in
/// order, handlers not at an instruction; line tables that are malformed or do not cover
/// the code; unreachable code (3.10+: earlier compilers leave dead code themselves);
/// stack underflow; control running off the end.
///
/// One line per finding:
///
///   PATH: QUALNAME (line N) at OFFSET: what is wrong
///
/// Nothing is printed for a clean file. Exit status 1 when anything is found (or a file
/// cannot be read). --json prints one JSON Lines record per code object, findings or not:
/// path, member, index, qualname, firstlineno, co_stacksize, computed_stacksize,
/// needed_stacksize, findings (offset, kind, message, and the kind's fields) — schema in
/// docs/schemas/check.schema.json.
///
/// FILE::QUALNAME (or --function QUALNAME) picks that code object and those nested in it.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    /// Print JSON Lines (one object per code object) instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (input, selections) = args.select.split(&args.input);
    // Every line names its file, as JSON Lines records do: no `==> PATH <==` frames.
    for_each_file(&input, Format::Json, |source, data, out, ctx| {
        let pyc = args.input.load(source, data, bytescope_marshal::Storage::default(), ctx)?;
        let analyzer = StackAnalyzer::for_marshal(&pyc.marshal).map_err(|e| e.to_string())?;
        let shown = crate::text::source(source);
        let mut text = String::new();
        let codes = code_objects_named(&pyc.marshal)?;
        for a in select(&pyc.marshal, codes, selections.for_source(source).as_ref())? {
            let report = analyzer.check(&a.code);
            ctx.unhappy |= !report.findings.is_empty();
            if args.json {
                let rec =
                    CheckRecord::new(a.index, &a.qualname, a.code.firstlineno(), a.code.stacksize(), &report);
                let object = serde_json::to_string(&rec).map_err(|e| e.to_string())?;
                records::per_file(out, source, &object);
                continue;
            }
            let name = crate::text::message(&a.qualname);
            for f in &report.findings {
                let _ = write!(text, "{shown}: {name} (line {})", a.code.firstlineno());
                if let Some(o) = f.offset {
                    let _ = write!(text, " at {o}");
                }
                let _ = writeln!(text, ": {}", f.message());
            }
        }
        out.extend_from_slice(text.as_bytes());
        Ok(())
    })
}
