//! `bytescope rewrite`: read a .pyc and write it back.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bytescope_marshal::{load_pyc, write};
use bytescope_pyc::{Invalidation, PycHeader, PythonVersion, write_header};

use crate::text;

/// Read a .pyc and write it back (byte-identical: proof nothing is lost)
///
/// Reads the header and marshal data into bytescope's object model and
/// writes them back out. The output is byte-identical to the input for every
/// .pyc CPython writes, which proves the reader loses nothing.
///
/// Bytes after the marshal data (CPython ignores them; CPython never writes
/// them) are not part of the object model: rewrite refuses such a file
/// unless told to keep them (--keep-trailing, appended unchanged) or drop
/// them (--drop-trailing).
///
/// OUT is written through a temporary file in its directory, renamed into
/// place once complete, so OUT is never left half-written and IN may be OUT.
/// OUT `-` writes to stdout; an existing OUT that is not a regular file (a
/// FIFO, /dev/null) is written to directly.
///
/// Header repair: with `--python-version X.Y`, input whose header is missing
/// or zeroed (as PyInstaller extractions leave pycs) is written with the
/// header a final X.Y release writes (its magic number; a timestamp header
/// with mtime and source size 0), so other tools can read it.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .pyc to read (`-`: standard input).
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Where to write the result (`-`: standard output).
    #[arg(value_name = "OUT")]
    pub output: PathBuf,
    /// Read headerless or zeroed-header input as this version, and write it
    /// with a correct header for that version.
    #[arg(long, value_name = "X.Y")]
    python_version: Option<PythonVersion>,
    /// Keep bytes after the marshal data: write them after it, unchanged.
    #[arg(long, conflicts_with = "drop_trailing")]
    keep_trailing: bool,
    /// Drop bytes after the marshal data.
    #[arg(long)]
    drop_trailing: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let shown = text::path(&args.input);
    // `-` is standard input; only regular files, within the size limit.
    let data = bytescope_batch::read_file(&args.input, &bytescope_batch::Limits::default())
        .map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let pyc = load_pyc(&data, args.python_version).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let trailing = pyc.trailing;
    if !trailing.is_empty() && !args.keep_trailing && !args.drop_trailing {
        anyhow::bail!(
            "{shown}: {} byte{} after the marshal data (at offset {:#x}), which rewrite would not \
             write back; pass --keep-trailing to keep them or --drop-trailing to drop them",
            trailing.len(),
            if trailing.len() == 1 { "" } else { "s" },
            data.len() - trailing.len()
        );
    }
    let header = match (pyc.header, args.python_version) {
        (Some(h), _) => Some(h),
        // load_pyc only reads headerless input with a version.
        (None, v) => v.and_then(|v| {
            PycHeader::for_version(v, Invalidation::Timestamp { mtime: 0, source_size: Some(0) })
        }),
    };
    let header = header.with_context(|| format!("{shown}: no .pyc header is known for that version"))?;
    let mut out = write_header(&header);
    out.extend(write(&pyc.marshal));
    if args.keep_trailing {
        out.extend_from_slice(trailing);
    }
    if args.output == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        return match stdout.write_all(&out).and_then(|()| stdout.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
            r => r.map(|()| ExitCode::SUCCESS).context("cannot write output"),
        };
    }
    bytescope_batch::write_atomically(&args.output, &out)
        .with_context(|| format!("cannot write {}", text::path(&args.output)))?;
    Ok(ExitCode::SUCCESS)
}
