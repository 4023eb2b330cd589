//! `bytescope rewrite`: read a .pyc and write it back.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bytescope_marshal::{load_pyc, write};
use bytescope_pyc::{PythonVersion, write_header};

/// Read a .pyc and write it back (byte-identical: proof nothing is lost)
///
/// Reads the header and marshal data into bytescope's object model and
/// writes them back out. The output is byte-identical to the input for every
/// .pyc CPython writes, which proves the reader loses nothing; a difference
/// means the input holds something CPython would not write (e.g. trailing
/// bytes, which are dropped).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .pyc to read.
    input: PathBuf,
    /// Where to write the result.
    output: PathBuf,
    /// Read headerless input as this version (see `bytescope header --help`).
    #[arg(long, value_name = "X.Y")]
    python_version: Option<PythonVersion>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let data = bytescope_batch::read_file(&args.input, &bytescope_batch::Limits::default())
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let pyc = load_pyc(&data, args.python_version).with_context(|| args.input.display().to_string())?;
    let mut out = pyc.header.as_ref().map(write_header).unwrap_or_default();
    if pyc.header.is_none() {
        // Keep a zeroed header as it was.
        out.extend_from_slice(&data[..pyc.marshal_offset]);
    }
    out.extend(write(&pyc.marshal));
    std::fs::write(&args.output, &out).with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(ExitCode::SUCCESS)
}
