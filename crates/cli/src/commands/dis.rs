//! `bytescope dis`: what `dis.dis()` of the file's CPython prints.

use std::io::Write as _;
use std::process::ExitCode;

use bytescope_dis::{DisOptions, Disassembler};
use bytescope_marshal::load_pyc;

use crate::output::{InputArgs, for_each_file};

/// Disassemble .pyc files exactly as `dis.dis()` of the CPython version that
/// wrote them does (2.7, 3.0-3.15), without that Python installed.
///
/// The text is byte-identical to CPython's output for the module code object,
/// including whether nested code objects are listed (from 3.7), line numbers,
/// `>>` markers or `L1:` labels, column widths and the ExceptionTable. The one
/// difference: where CPython prints a code object's memory address
/// (`<code object f at 0x7f…>`), bytescope prints its offset in the file.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,

    /// One CACHE line per inline cache entry (3.11+), as dis(show_caches=True).
    #[arg(long, short = 'C')]
    show_caches: bool,

    /// Show instruction offsets (3.13+), as dis(show_offsets=True).
    #[arg(long, short = 'O')]
    show_offsets: bool,

    /// Show source positions instead of line numbers (3.14+), as
    /// dis(show_positions=True).
    #[arg(long, short = 'P')]
    show_positions: bool,

    /// Print JSON instead: an array with one line per code object (pre-order)
    /// `{"name", "qualname", "filename", "firstlineno", "offset",
    /// "instructions"}`, each instruction with exactly the fields of that
    /// version's dis.Instruction (`opname, opcode, arg, argval, argrepr,
    /// offset, starts_line, is_jump_target`, plus `positions` from 3.11; 3.13+:
    /// `start_offset, line_number, label, cache_info`). argval is JSON when
    /// JSON can hold it (None, bool, 64-bit int, finite float, str), else
    /// `{"repr": "..."}`; operands out of range are `{"invalid": "..."}`.
    #[arg(long, conflicts_with_all = ["show_caches", "show_offsets", "show_positions"])]
    json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let opts = DisOptions {
        show_caches: args.show_caches,
        show_offsets: args.show_offsets,
        show_positions: args.show_positions,
    };
    for_each_file(&args.input, |data, out| {
        let pyc = load_pyc(data, args.input.python_version).map_err(|e| e.to_string())?;
        let dis = Disassembler::new(pyc.version()).map_err(|e| e.to_string())?;
        let mut text = String::new();
        let result = if args.json {
            dis.instructions_json(&pyc.marshal, &mut text)
        } else {
            dis.dis(&pyc.marshal, opts, &mut text)
        };
        out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        result.map_err(|e| e.to_string())
    })
}
