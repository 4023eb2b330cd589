//! Running a command over several inputs: framing, errors, exit status.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use bytescope_pyc::PythonVersion;

/// Options every file-reading command shares.
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Files to read (.pyc, or raw marshal data with --python-version).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Read input that has no valid .pyc header (stripped or zeroed, as
    /// PyInstaller extractions leave them, or raw marshal data) as this
    /// CPython version, e.g. 3.12. Files with a valid header keep their own.
    #[arg(long, value_name = "X.Y")]
    pub python_version: Option<PythonVersion>,

    /// Stop at the first file that fails.
    #[arg(long)]
    pub fail_fast: bool,
}

/// Runs `render` over every input in order, printing each result (framed by
/// `==> PATH <==` when there are several) and one error line per failure.
pub fn for_each_file(
    args: &InputArgs,
    render: impl Fn(&[u8], &mut Vec<u8>) -> Result<(), String> + Sync,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(!args.files.is_empty(), "no input files (see --help)");
    let many = args.files.len() > 1;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for path in &args.files {
        let mut buf = Vec::new();
        let result = match std::fs::read(path) {
            Ok(data) => render(&data, &mut buf),
            Err(e) => Err(format!("cannot read file: {e}")),
        };
        if many {
            writeln!(out, "==> {} <==", path.display())?;
        }
        out.write_all(&buf)?;
        if let Err(msg) = result {
            out.flush()?;
            eprintln!("bytescope: {}: {msg}", path.display());
            failed = true;
            if args.fail_fast {
                break;
            }
        }
    }
    out.flush()?;
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
