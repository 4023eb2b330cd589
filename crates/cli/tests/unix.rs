//! Unix manners: a closed pipe ends the run quietly with a status that
//! still says whether an input failed (never a panic); `--version` names
//! the commit and the CPython versions; completions and a man page come
//! from the command definitions; colour only where asked and never in
//! pipes, respecting NO_COLOR.

use std::path::Path;
use std::process::Command;

mod common;
use common::{TempDir, bin, fixture, fixtures, put, run_within};

/// Runs `script` under bash with `$0` the binary and `$1` `arg`; returns
/// stdout, or `None` without bash.
fn bash(script: &str, arg: &Path) -> Option<String> {
    if Command::new("bash").arg("-c").arg("true").status().is_err() {
        return None;
    }
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script).arg(env!("CARGO_BIN_EXE_bytescope")).arg(arg);
    let out = run_within(&mut cmd, 60);
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // stdout and stderr into one pipe closed after one line: no panic
    // (101), no message; 0 as nothing failed.
    let Some(s) = bash(r#""$0" scan "$1" 2>&1 | head -1 >/dev/null; echo "${PIPESTATUS[0]}""#, &fixtures())
    else {
        return;
    };
    assert_eq!(s, "0\n");
    for cmd in ["dis", "info", "inspect --json", "table linestarts", "dis -j 1", "header"] {
        let script = format!(r#""$0" {cmd} "$1" 2>&1 | head -3 >/dev/null; echo "${{PIPESTATUS[0]}}""#);
        assert_eq!(bash(&script, &fixtures()).unwrap(), "0\n", "{cmd}");
    }
    // Closed before the first item is written: still 0 (not "nothing
    // found", not a failure).
    let big = fixtures().join("3.12/big_function.pyc");
    for j in ["1", "2"] {
        let script = format!(
            r#"sleep 0.2 | "$0" dis -j {j} "$1" "$1" | (exec 0<&-; true); echo "${{PIPESTATUS[1]}}""#
        );
        assert_eq!(bash(&script, &big).unwrap(), "0\n", "-j {j}");
    }
    // The status still says that inputs failed, even when their error
    // lines could not be written.
    let t = TempDir::new();
    let s = bash(r#""$0" dis "$1/nosuch" "$1/nosuch2" 2>&1 | head -0; echo "${PIPESTATUS[0]}""#, &t.path(""))
        .unwrap();
    assert_eq!(s, "1\n");
    put(&t.path("d/a.pyc"), b"junk");
    put(&t.path("d/b.pyc"), &fixture("3.12/args.pyc"));
    let s =
        bash(r#""$0" scan "$1" 2>&1 | head -1 >/dev/null; echo "${PIPESTATUS[0]}""#, &t.path("d")).unwrap();
    assert_eq!(s, "1\n");
    // A closed stderr alone: the output is complete, the status 1.
    let s = bash(r#""$0" dis "$1/nosuch" "$1/d/b.pyc" 2>&- | wc -l; echo "${PIPESTATUS[0]}""#, &t.path(""))
        .unwrap();
    let lines = run_within(bin().arg("dis").arg(t.path("d/b.pyc")), 30)
        .stdout
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    // Two frame lines, one of them for the missing file.
    assert_eq!(s, format!("{}\n1\n", lines + 2));
}

#[test]
fn version_names_commit_and_versions() {
    let out = run_within(bin().arg("--version"), 30);
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    let first = s.lines().next().unwrap();
    assert!(first.starts_with(&format!("bytescope {} (commit ", env!("CARGO_PKG_VERSION"))), "{s}");
    assert!(s.contains("CPython 1.5, 2.0-2.7, 3.0-3.15"), "{s}");
    let out = run_within(bin().arg("-V"), 30);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{first}\n"));
}

#[test]
fn completions_and_man_page() {
    for (shell, mark) in
        [("bash", "_bytescope()"), ("zsh", "#compdef bytescope"), ("fish", "complete -c bytescope")]
    {
        let out = run_within(bin().args(["completions", shell]), 30);
        assert!(out.status.success(), "{shell}");
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains(mark) && s.contains("show-caches") && s.contains("rewrite"), "{shell}");
    }
    let out = run_within(bin().arg("man"), 30);
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains(".TH bytescope 1") && s.contains("completions"), "{s}");
    let out = run_within(bin().args(["man", "dis"]), 30);
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains(".TH bytescope-dis 1") && s.contains("(commit ") && s.contains("show\\-caches"),
        "{s}"
    );
    let out = run_within(bin().args(["man", "nosuch"]), 30);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn colour_only_where_asked() {
    let pyc = fixtures().join("3.12/loops.pyc");
    let plain = run_within(bin().arg("dis").arg(&pyc), 30).stdout;
    assert!(!plain.contains(&0x1b));
    let always = run_within(bin().args(["dis", "--color", "always"]).arg(&pyc), 30).stdout;
    assert!(always.contains(&0x1b));
    let stripped = strip(&String::from_utf8(always).unwrap());
    assert_eq!(stripped.as_bytes(), plain, "colour only adds escapes");
    // Frames too, in parallel runs as in one-job runs.
    let other = fixtures().join("3.8/loops.pyc");
    for j in ["1", "2"] {
        let plain2 = run_within(bin().args(["dis", "-j", j]).arg(&pyc).arg(&other), 30).stdout;
        let c =
            run_within(bin().args(["dis", "--color", "always", "-j", j]).arg(&pyc).arg(&other), 30).stdout;
        let c = String::from_utf8(c).unwrap();
        assert!(c.contains("\x1b[1m==> "), "-j {j}");
        assert_eq!(strip(&c).as_bytes(), plain2, "-j {j}");
    }
    let never = run_within(bin().args(["dis", "--color", "never"]).arg(&pyc), 30).stdout;
    assert_eq!(never, plain);
    // JSON is never coloured.
    let json = run_within(bin().args(["dis", "--json", "--color", "always"]).arg(&pyc), 30).stdout;
    assert!(!json.contains(&0x1b));
    #[cfg(unix)]
    {
        use common::on_terminal_env;
        let auto = on_terminal_env(&["dis"], &pyc, &[]);
        assert!(auto.contains('\x1b'));
        assert_eq!(strip(&auto).as_bytes(), plain);
        let no = on_terminal_env(&["dis"], &pyc, &[("NO_COLOR", "1")]);
        assert_eq!(no.as_bytes(), plain);
    }
}

fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `-`, or no FILE at all, reads standard input, as `python -m dis` does:
/// a pyc, or source (compiled as `<stdin>`).
#[test]
fn standard_input() {
    let pyc = fixtures().join("3.12/args.pyc");
    let from_file = run_within(bin().arg("dis").arg(&pyc), 30);
    for args in [&["dis", "-"][..], &["dis"]] {
        let out = run_within(bin().args(args).stdin(std::fs::File::open(&pyc).unwrap()), 30);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout, from_file.stdout, "{args:?}");
    }
    let out = run_within(bin().args(["header", "--json"]).stdin(std::fs::File::open(&pyc).unwrap()), 30);
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.starts_with(r#"{"path":"-","member":null,"python":"3.12""#), "{s}");
    // Framed among other inputs as <stdin>.
    let out = run_within(bin().args(["header", "-"]).arg(&pyc).stdin(std::fs::File::open(&pyc).unwrap()), 30);
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("==> <stdin> <==\n"));
    // Source text.
    let t = TempDir::new();
    put(&t.path("src.py"), b"x = 1 + y\n");
    let out = run_within(bin().arg("dis").stdin(std::fs::File::open(t.path("src.py")).unwrap()), 120);
    let err = String::from_utf8(out.stderr).unwrap();
    if !err.contains("no CPython interpreter found") {
        assert!(out.status.success(), "{err}");
        assert!(String::from_utf8(out.stdout).unwrap().contains("(y)"));
        assert!(err.starts_with("bytescope: compiling with Python "), "{err}");
    }
}

/// No FILE with standard input on a terminal is a usage error (exit 2)
/// that says how to give input, never a wait for typed bytes.
#[cfg(unix)]
#[test]
fn no_input_on_a_terminal() {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let slave = std::fs::OpenOptions::new().read(true).write(true).open(name.to_str().unwrap()).unwrap();
    for cmd in ["dis", "scan", "header"] {
        let out = run_within(bin().arg(cmd).stdin(slave.try_clone().unwrap()), 30);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("bytescope: no input files:") && err.contains("standard input is a terminal"),
            "{err}"
        );
    }
}
