//! `bytescope info`: `dis.code_info()` of every code object.

use std::process::ExitCode;

use bytescope_dis::Disassembler;
use bytescope_marshal::Storage;

use crate::output::{DRAIN_AT, Format, InputArgs, for_each_file};
use crate::records::{self, View};
use crate::select::SelectArgs;

/// Print dis.code_info() of every code object, as the file's CPython does
///
/// The module first, then each nested code object in co_consts order,
/// recursively; each followed by one blank line.
///
/// Name, filename, argument counts (positional-only from 3.8), number of
/// locals, stack size, flags by name, and the constants, names, variable
/// names, free and cell variables. Constants are shown with that version's
/// repr(): its string escapes, float formatting and frozenset order.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    /// Print every co_* attribute of every code object as JSON Lines instead:
    /// one record per code object (pre-order; schema:
    /// docs/schemas/info.schema.json) with path, member, index, qualname,
    /// firstlineno, offset, then the keys the version has, in this order: co_argcount, co_posonlyargcount (3.8+),
    /// co_kwonlyargcount (3.0+), co_nlocals, co_stacksize, co_flags, co_code
    /// (hex), co_consts ([{"type", "repr"}]), co_names, co_varnames,
    /// co_freevars, co_cellvars, co_filename, co_name, co_qualname (3.11+),
    /// co_firstlineno, co_lnotab (hex, up to 3.9) or co_linetable (hex, 3.10+),
    /// co_exceptiontable (hex, 3.11+).
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (input, selections) = args.select.split(&args.input);
    for_each_file(&input, if args.json { Format::Json } else { Format::Text }, |source, data, out, ctx| {
        let pyc = args.input.load(source, data, Storage::default(), ctx)?;
        let dis = Disassembler::for_pyc(&pyc).map_err(|e| e.to_string())?;
        let selection = selections.for_source(source);
        let m = &pyc.marshal;
        // Written as it is made (with -j 1), within the output budget.
        if args.json {
            return records::dis_view(
                out,
                source,
                m,
                View::Attributes,
                selection.as_ref(),
                &mut |o| ctx.drain(o),
                |buf, piece| match &selection {
                    Some(sel) => dis.attrs_json_selected_draining(m, sel, buf, DRAIN_AT, piece),
                    None => dis.attrs_json_draining(m, buf, DRAIN_AT, piece),
                },
            );
        }
        match &selection {
            Some(sel) => dis.code_info_selected_draining(m, sel, out, DRAIN_AT, |part| ctx.drain(part)),
            None => dis.code_info_draining(m, out, DRAIN_AT, |part| ctx.drain(part)),
        }
        .map_err(|e| e.to_string())
    })
}
