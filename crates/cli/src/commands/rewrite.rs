//! `bytescope rewrite`: read a .pyc and write it back.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bytescope_marshal::{load_pyc, write};
use bytescope_pyc::{Invalidation, PycHeader, PythonVersion, write_header};

/// Read a .pyc and write it back (byte-identical: proof nothing is lost)
///
/// Reads the header and marshal data into bytescope's object model and
/// writes them back out. The output is byte-identical to the input for every
/// .pyc CPython writes, which proves the reader loses nothing; a difference
/// means the input holds something CPython would not write (e.g. trailing
/// bytes, which are dropped).
///
/// Header repair: with `--python-version X.Y`, input whose header is missing
/// or zeroed (as PyInstaller extractions leave pycs) is written with the
/// header a final X.Y release writes (its magic number; a timestamp header
/// with mtime and source size 0), so other tools can read it.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .pyc to read.
    input: PathBuf,
    /// Where to write the result.
    output: PathBuf,
    /// Read headerless or zeroed-header input as this version, and write it
    /// with a correct header for that version.
    #[arg(long, value_name = "X.Y")]
    python_version: Option<PythonVersion>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let data = std::fs::read(&args.input).with_context(|| format!("cannot read {}", args.input.display()))?;
    let pyc = load_pyc(&data, args.python_version).with_context(|| args.input.display().to_string())?;
    let header = match (pyc.header, args.python_version) {
        (Some(h), _) => Some(h),
        // load_pyc only reads headerless input with a version.
        (None, v) => v.and_then(|v| {
            PycHeader::for_version(v, Invalidation::Timestamp { mtime: 0, source_size: Some(0) })
        }),
    };
    let header = header
        .with_context(|| format!("{}: no .pyc header is known for that version", args.input.display()))?;
    let mut out = write_header(&header);
    out.extend(write(&pyc.marshal));
    std::fs::write(&args.output, &out).with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(ExitCode::SUCCESS)
}
