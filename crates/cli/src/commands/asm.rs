//! `bytescope asm` and `bytescope dis --asm`: the assembly text of a .pyc
//! and back (`bytescope-asm`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use bytescope_asm::{Header, Module};
use bytescope_marshal::Storage;
use bytescope_pyc::{Implementation, Invalidation, PythonVersion};
use bytescope_write::CodeObject;

/// Assemble bytescope assembly text into a .pyc
///
/// Reads the text `bytescope dis --asm` prints (the format is described in
/// docs/write.md and the bytescope-asm crate), possibly edited, and writes
/// the .pyc it describes: jumps resolved from labels, EXTENDED_ARG prefixes
/// and inline caches placed, line and exception tables encoded, and every
/// code object checked as its version's marshal.loads would check it.
/// Errors name the line and column.
///
/// Editing a .pyc: `bytescope dis --asm f.pyc > f.pyasm`, change the text,
/// `bytescope asm f.pyasm -o f.pyc`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The assembly text.
    pub input: PathBuf,
    /// Where to write the .pyc.
    #[arg(short, long, value_name = "OUT.pyc")]
    pub output: PathBuf,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let module = bytescope_asm::parse(&text).with_context(|| args.input.display().to_string())?;
    let bytes =
        module.to_pyc().map_err(anyhow::Error::msg).with_context(|| args.input.display().to_string())?;
    std::fs::write(&args.output, bytes).with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// `dis --asm`: prints the assembly text of each file.
pub fn print_files(
    files: &[PathBuf],
    version: Option<PythonVersion>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let mut status = ExitCode::SUCCESS;
    let mut out = std::io::stdout().lock();
    for (i, f) in files.iter().enumerate() {
        if files.len() > 1 {
            writeln!(out, "{}==> {} <==", if i > 0 { "\n" } else { "" }, f.display())?;
        }
        match text_of(f, version, force) {
            Ok(text) => out.write_all(text.as_bytes())?,
            Err(e) => {
                out.flush()?;
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("bytescope: {e:#}");
                }
                status = ExitCode::FAILURE;
            }
        }
    }
    Ok(status)
}

fn text_of(f: &Path, version: Option<PythonVersion>, force: bool) -> anyhow::Result<String> {
    let data = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
    // Headerless input is detected or checked as every other command does.
    let limits = bytescope_detect::Limits::default();
    let resolved = bytescope_detect::resolve(&data, version, force, &limits, Storage::default())
        .with_context(|| f.display().to_string())?;
    if let Some(note) = resolved.origin.note() {
        crate::text::stderr_line(&format!("bytescope: {}: {note}", f.display()));
    }
    let pyc = resolved.pyc;
    let implementation = pyc.marshal.format().implementation;
    if implementation != Implementation::CPython {
        anyhow::bail!(
            "{}: a {implementation} .pyc: the assembly text is CPython bytecode's (bytescope dis lists it)",
            f.display()
        );
    }
    let header = match pyc.header.map(|h| h.invalidation) {
        None => Header::None,
        Some(Invalidation::Timestamp { mtime, source_size }) => {
            Header::Timestamp { mtime, source_size: source_size.unwrap_or(0) }
        }
        Some(Invalidation::CheckedHash { hash }) => Header::CheckedHash(hash),
        Some(Invalidation::UncheckedHash { hash }) => Header::UncheckedHash(hash),
    };
    let code = CodeObject::from_root(&pyc.marshal).with_context(|| f.display().to_string())?;
    let module = Module { version: pyc.version(), header, code };
    bytescope_asm::print(&module).map_err(anyhow::Error::msg).with_context(|| f.display().to_string())
}
