//! `bytescope`: open CPython bytecode of every version.
#![allow(clippy::print_stdout, clippy::print_stderr)]
// Doc comments here are `--help` text, where `<dis>` and `<locals>` are
// literal names, not HTML.
#![allow(rustdoc::invalid_html_tags)]

mod color;
mod commands;
mod interpreters;
mod output;
mod records;
mod select;
mod text;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Open CPython bytecode of every version: .pyc headers, marshal data and code
/// objects from CPython 1.5, 2.0-2.7 and 3.0-3.15, shown as that version's own
/// tools show them, with no Python installed.
///
/// Every command takes FILEs: pycs, directories, zip archives, or standard
/// input (`-`, or no FILE). Text output with several inputs frames each
/// file's output with a line `==> PATH <==`; JSON output (--json, table,
/// scan) is JSON Lines: one record per line naming its file ("path",
/// "member"), never framed (schemas in docs/schemas/). A file that fails
/// prints one line `bytescope: PATH: error (at offset 0x…)` on stderr, the
/// others go on, and the exit status is 1 (2 for a usage error). Full
/// conventions: docs/cli.md.
#[derive(Parser, Debug)]
#[command(name = "bytescope", max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Colour listings on a terminal: auto (when stdout is a terminal and
    /// NO_COLOR is not set), always, never. Pipes and files get plain text
    /// unless `always`.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    color: output::ColorChoice,
}

#[derive(Subcommand, Debug)]
enum Command {
    Dis(commands::dis::Args),
    Info(commands::info::Args),
    Inspect(commands::inspect::Args),
    Table(commands::table::Args),
    Header(commands::header::Args),
    Scan(commands::scan::Args),
    Stack(commands::stack::Args),
    Cfg(commands::cfg::Args),
    Check(commands::check::Args),
    Diff(commands::diff::Args),
    Rewrite(commands::rewrite::Args),
    Extract(commands::extract::Args),
    Asm(commands::asm::Args),
    Completions(Completions),
    Man(Man),
}

/// Print a shell completion script (bash, zsh, fish, elvish, powershell)
///
/// For example `bytescope completions bash > ~/.local/share/bash-completion/completions/bytescope`,
/// or `bytescope completions zsh > "${fpath[1]}/_bytescope"`, or
/// `bytescope completions fish > ~/.config/fish/completions/bytescope.fish`.
#[derive(clap::Args, Debug)]
struct Completions {
    /// The shell.
    shell: clap_complete::Shell,
}

/// Print the man page (roff), of bytescope or of one command
///
/// For example `bytescope man | man -l -`, or `bytescope man dis > bytescope-dis.1`.
#[derive(clap::Args, Debug)]
struct Man {
    /// The command whose page to print (default: bytescope's own page).
    command: Option<String>,
}

/// The CPython versions this build reads and lists, e.g. `2.7, 3.0-3.15`.
fn supported_versions() -> String {
    let listed: Vec<bytescope_pyc::PythonVersion> = bytescope_pyc::PythonVersion::ALL
        .iter()
        .copied()
        .filter(|v| bytescope_opcodes::table(*v).is_some())
        .collect();
    let mut runs: Vec<(bytescope_pyc::PythonVersion, bytescope_pyc::PythonVersion)> = Vec::new();
    for v in listed {
        match runs.last_mut() {
            Some((_, end)) if end.major == v.major && end.minor + 1 == v.minor => *end = v,
            _ => runs.push((v, v)),
        }
    }
    runs.iter()
        .map(|(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The clap command with its version texts (`-V`: version and commit;
/// `--version`: also the CPython versions supported).
fn command() -> clap::Command {
    let short = format!("{} (commit {})", env!("CARGO_PKG_VERSION"), env!("BYTESCOPE_COMMIT"));
    let long = format!(
        "{short}\nreads and lists the bytecode of CPython {}\n\
         listings verified against the real interpreters 2.7 and 3.6-3.15 (docs/conformance.md)",
        supported_versions()
    );
    // Made once per run; clap keeps &'static strs.
    <Cli as clap::CommandFactory>::command().version(short.leak() as &str).long_version(long.leak() as &str)
}

/// `bytescope completions SHELL`.
fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "bytescope", &mut out);
    write_stdout(&out)
}

/// `bytescope man [COMMAND]`.
fn man(which: Option<&str>) -> ExitCode {
    let mut cmd = command();
    cmd.build();
    let page = match which {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => {
                let version = cmd.get_version().unwrap_or_default().to_owned();
                sub.clone().name(format!("bytescope-{name}").leak() as &str).version(version.leak() as &str)
            }
            None => {
                text::report("man", &format!("no command {name:?}"));
                return ExitCode::from(2);
            }
        },
    };
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(page).render(&mut out) {
        text::report("man", &e.to_string());
        return ExitCode::FAILURE;
    }
    write_stdout(&out)
}

/// Writes `bytes` to stdout; a closed pipe is not an error.
fn write_stdout(bytes: &[u8]) -> ExitCode {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            text::report("cannot write output", &e.to_string());
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
    }
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
            Command::Stack(a) => &mut a.input.files,
            Command::Cfg(a) => &mut a.input.files,
            Command::Check(a) => &mut a.input.files,
            Command::Diff(a) => &mut a.files,
            Command::Rewrite(a) => {
                fix(&mut a.input);
                fix(&mut a.output);
                return;
            }
            Command::Extract(a) => {
                fix(&mut a.app);
                if let Some(o) = &mut a.output {
                    fix(o);
                }
                return;
            }
            Command::Asm(a) => {
                fix(&mut a.input);
                fix(&mut a.output);
                return;
            }
            Command::Completions(_) | Command::Man(_) => return,
        };
        files.iter_mut().for_each(fix);
    }
}

fn main() -> ExitCode {
    let (args, back) = files_are_files(std::env::args_os().collect());
    let matches = command().get_matches_from(args);
    let mut cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.command.restore(&back);
    output::set_color(cli.color);
    let stdin = match &mut cli.command {
        Command::Dis(a) if a.code.is_some() => Ok(()),
        Command::Dis(a) => a.input.or_stdin(),
        Command::Info(a) => a.input.or_stdin(),
        Command::Inspect(a) => a.input.or_stdin(),
        Command::Table(a) => a.input.or_stdin(),
        Command::Header(a) => a.input.or_stdin(),
        Command::Scan(a) => a.input.or_stdin(),
        Command::Stack(a) => a.input.or_stdin(),
        Command::Cfg(a) => a.input.or_stdin(),
        Command::Check(a) => a.input.or_stdin(),
        Command::Diff(_)
        | Command::Rewrite(_)
        | Command::Extract(_)
        | Command::Asm(_)
        | Command::Completions(_)
        | Command::Man(_) => Ok(()),
    };
    if let Err(e) = stdin {
        text::stderr_line(&format!("bytescope: {e}"));
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Dis(a) => commands::dis::run(&a),
        Command::Info(a) => commands::info::run(&a),
        Command::Inspect(a) => commands::inspect::run(&a),
        Command::Table(a) => commands::table::run(&a),
        Command::Header(a) => commands::header::run(&a),
        Command::Scan(a) => commands::scan::run(&a),
        Command::Stack(a) => commands::stack::run(&a),
        Command::Cfg(a) => commands::cfg::run(&a),
        Command::Check(a) => commands::check::run(&a),
        Command::Diff(a) => commands::diff::run(&a),
        Command::Rewrite(a) => commands::rewrite::run(&a),
        Command::Extract(a) => commands::extract::run(&a),
        Command::Asm(a) => commands::asm::run(&a),
        Command::Completions(c) => return completions(c.shell),
        Command::Man(m) => return man(m.command.as_deref()),
    };
    match result {
        Ok(status) => status,
        // A closed stdout ends a command quietly (see output::finish).
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            text::stderr_line(&format!("bytescope: {}", text::message(&format!("{e:#}"))));
            ExitCode::FAILURE
        }
    }
}
