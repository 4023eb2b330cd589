//! `bytescope`: open CPython bytecode of every version.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// Doc comments here are `--help` text, where `<dis>` and `<locals>` are
// literal names, not HTML.
#![allow(rustdoc::invalid_html_tags)]

mod commands;
mod files;
mod interpreters;
mod output;
mod records;
mod text;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Open CPython bytecode of every version: .pyc headers, marshal data and code
/// objects from CPython 2.7 and 3.0-3.15, shown exactly as that version's own
/// tools show them, with no Python installed.
///
/// Every command takes one or more FILEs (directories and zip archives too).
/// Text output with several inputs frames each file's output with a line
/// `==> PATH <==`; JSON output (--json, table, scan) is JSON Lines: one record
/// per line naming its file ("path", "member"), never framed (schemas in
/// docs/schemas/). A file that fails prints one line `bytescope: PATH: error
/// (at offset 0x…)` on stderr, the others go on, and the exit status is 1.
/// Full conventions: docs/cli.md.
#[derive(Parser, Debug)]
#[command(name = "bytescope", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Dis(commands::dis::Args),
    Info(commands::info::Args),
    Inspect(commands::inspect::Args),
    Table(commands::table::Args),
    Header(commands::header::Args),
    Scan(commands::scan::Args),
    Rewrite(commands::rewrite::Args),
}

/// Arguments that name existing files are files, never options: a shell
/// glob (`bytescope dis *.py`) may expand to `-c.py` or `--python=2.7.py`.
/// Each such argument after the subcommand (up to `--`) is passed to the
/// parser as `./NAME`, and given back as `NAME` after parsing. Returns the
/// arguments and the names to give back.
fn files_are_files(args: Vec<OsString>) -> (Vec<OsString>, HashMap<PathBuf, PathBuf>) {
    let mut back = HashMap::new();
    let mut seen_command = false;
    let out = args
        .into_iter()
        .enumerate()
        .scan(false, |done, (i, a)| {
            if i == 0 || *done {
                return Some(a);
            }
            if a == "--" {
                *done = true;
                return Some(a);
            }
            let dashed = a.as_encoded_bytes().first() == Some(&b'-') && a != "-";
            if !dashed {
                seen_command = true;
                return Some(a);
            }
            if seen_command && Path::new(&a).symlink_metadata().is_ok() {
                let mut p = OsString::from("./");
                p.push(&a);
                back.insert(PathBuf::from(&p), PathBuf::from(&a));
                return Some(p);
            }
            Some(a)
        })
        .collect();
    (out, back)
}

impl Command {
    /// Gives back the names [`files_are_files`] protected.
    fn restore(&mut self, back: &HashMap<PathBuf, PathBuf>) {
        if back.is_empty() {
            return;
        }
        let fix = |p: &mut PathBuf| {
            if let Some(orig) = back.get(p) {
                p.clone_from(orig);
            }
        };
        let files = match self {
            Command::Dis(a) => &mut a.input.files,
            Command::Info(a) => &mut a.input.files,
            Command::Inspect(a) => &mut a.input.files,
            Command::Table(a) => &mut a.input.files,
            Command::Header(a) => {
                if let Some(s) = &mut a.source {
                    fix(s);
                }
                &mut a.input.files
            }
            Command::Scan(a) => &mut a.input.files,
            Command::Rewrite(a) => {
                fix(&mut a.input);
                fix(&mut a.output);
                return;
            }
        };
        files.iter_mut().for_each(fix);
    }
}

fn main() -> ExitCode {
    let (args, back) = files_are_files(std::env::args_os().collect());
    let mut cli = Cli::parse_from(args);
    cli.command.restore(&back);
    let result = match cli.command {
        Command::Dis(a) => commands::dis::run(&a),
        Command::Info(a) => commands::info::run(&a),
        Command::Inspect(a) => commands::inspect::run(&a),
        Command::Table(a) => commands::table::run(&a),
        Command::Header(a) => commands::header::run(&a),
        Command::Scan(a) => commands::scan::run(&a),
        Command::Rewrite(a) => commands::rewrite::run(&a),
    };
    match result {
        Ok(status) => status,
        Err(e) => {
            text::stderr_line(&format!("bytescope: {}", text::message(&format!("{e:#}"))));
            ExitCode::FAILURE
        }
    }
}
