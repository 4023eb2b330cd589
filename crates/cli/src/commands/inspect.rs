//! `bytescope inspect` (in progress).

use std::process::ExitCode;

/// (in progress)
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Inputs.
    #[arg(required = true)]
    files: Vec<std::path::PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
