//! `bytescope`: open CPython bytecode of every version.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// Doc comments here are `--help` text, where `<dis>` and `<locals>` are
// literal names, not HTML.
#![allow(rustdoc::invalid_html_tags)]

mod commands;
mod interpreters;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Open CPython bytecode of every version: .pyc headers, marshal data and code
/// objects from CPython 2.7 and 3.0-3.15, shown exactly as that version's own
/// tools show them, with no Python installed.
///
/// Every command takes one or more FILEs. With several, each file's output is
/// preceded by a line `==> PATH <==`. A file that fails prints one line
/// `bytescope: PATH: error (at offset 0x…)` on stderr, the others go on, and
/// the exit status is 1.
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
    Extract(commands::extract::Args),
    Asm(commands::asm::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dis(a) => commands::dis::run(&a),
        Command::Info(a) => commands::info::run(&a),
        Command::Inspect(a) => commands::inspect::run(&a),
        Command::Table(a) => commands::table::run(&a),
        Command::Header(a) => commands::header::run(&a),
        Command::Scan(a) => commands::scan::run(&a),
        Command::Rewrite(a) => commands::rewrite::run(&a),
        Command::Extract(a) => commands::extract::run(&a),
        Command::Asm(a) => commands::asm::run(&a),
    };
    match result {
        Ok(status) => status,
        Err(e) => {
            eprintln!("bytescope: {e:#}");
            ExitCode::FAILURE
        }
    }
}
