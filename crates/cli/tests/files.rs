//! Files are never lost and file names are never options: `rewrite` writes
//! through a temporary file (in place too) and never drops trailing bytes
//! silently; a missing input is one error line and the run goes on;
//! arguments naming existing files are files even when they start with
//! `-`; `--` ends the options.

use std::path::Path;

mod common;
use common::{TempDir, bin, fixture, fixtures, put, run_within};

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn rewrite_in_place_keeps_the_file() {
    let t = TempDir::new();
    let pyc = fixture("3.12/args.pyc");
    put(&t.path("d/a.pyc"), &pyc);
    let out = run_within(bin().current_dir(t.path("d")).args(["rewrite", "a.pyc", "a.pyc"]), 30);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(t.path("d/a.pyc")).unwrap(), pyc);
    assert_eq!(names_in(&t.path("d")), ["a.pyc"], "no temporary file left");
}

#[test]
fn rewrite_refuses_trailing_bytes_unless_told() {
    let t = TempDir::new();
    let mut pyc = fixture("3.12/args.pyc");
    let clean = pyc.clone();
    pyc.extend_from_slice(b"TRAILING");
    put(&t.path("d/a.pyc"), &pyc);
    let a = t.path("d/a.pyc");
    let out = run_within(bin().arg("rewrite").arg(&a).arg(&a), 30);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("8 bytes after the marshal data (at offset {:#x})", clean.len()))
            && err.contains("--keep-trailing")
            && err.contains("--drop-trailing"),
        "{err}"
    );
    assert_eq!(std::fs::read(&a).unwrap(), pyc, "the input is untouched");

    let kept = t.path("d/kept.pyc");
    let out = run_within(bin().args(["rewrite", "--keep-trailing"]).arg(&a).arg(&kept), 30);
    assert!(out.status.success());
    assert_eq!(std::fs::read(&kept).unwrap(), pyc);

    let out = run_within(bin().args(["rewrite", "--drop-trailing"]).arg(&a).arg(&a), 30);
    assert!(out.status.success());
    assert_eq!(std::fs::read(&a).unwrap(), clean);
    assert_eq!(names_in(&t.path("d")), ["a.pyc", "kept.pyc"], "no temporary file left");
}

#[test]
fn rewrite_errors_leave_files_alone() {
    let t = TempDir::new();
    let pyc = fixture("3.8/classes.pyc");
    put(&t.path("d/a.pyc"), &pyc);
    // Into a directory that does not exist.
    let out = run_within(bin().arg("rewrite").arg(t.path("d/a.pyc")).arg(t.path("nowhere/b.pyc")), 30);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("bytescope: cannot write ") && err.lines().count() == 1, "{err}");
    // Onto a directory.
    let out = run_within(bin().arg("rewrite").arg(t.path("d/a.pyc")).arg(t.path("d")), 30);
    assert_eq!(out.status.code(), Some(1));
    // From a broken input: the output is not created or touched.
    put(&t.path("d/broken.pyc"), &pyc[..pyc.len() / 2]);
    put(&t.path("d/out.pyc"), b"precious");
    let out = run_within(bin().arg("rewrite").arg(t.path("d/broken.pyc")).arg(t.path("d/out.pyc")), 30);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(t.path("d/out.pyc")).unwrap(), b"precious");
    assert_eq!(std::fs::read(t.path("d/a.pyc")).unwrap(), pyc);
    assert_eq!(names_in(&t.path("d")), ["a.pyc", "broken.pyc", "out.pyc"]);
}

#[test]
fn rewrite_reads_and_writes_the_standard_streams() {
    let pyc = fixture("3.10/closures.pyc");
    let out = run_within(bin().args(["rewrite"]).arg(fixtures().join("3.10/closures.pyc")).arg("-"), 30);
    assert!(out.status.success());
    assert_eq!(out.stdout, pyc, "OUT - is stdout");
    let t = TempDir::new();
    let o = t.path("o.pyc");
    let input = std::fs::File::open(fixtures().join("3.10/closures.pyc")).unwrap();
    let out = run_within(bin().args(["rewrite", "-"]).arg(&o).stdin(input), 30);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&o).unwrap(), pyc, "IN - is stdin");
    // A device is written to, never renamed over.
    let out = run_within(bin().arg("rewrite").arg(fixtures().join("3.10/closures.pyc")).arg("/dev/null"), 30);
    assert!(out.status.success());
    assert!(Path::new("/dev/null").metadata().is_ok_and(|m| !m.is_file()));
}

/// A directory an attacker shares: a link planted at OUT's name is replaced, not
/// followed into the file it names, and a FIFO nobody reads is one error line, not a
/// hang.
#[cfg(unix)]
#[test]
fn rewrite_into_a_planted_link_or_fifo() {
    let t = TempDir::new();
    let pyc = fixture("3.12/args.pyc");
    put(&t.path("d/victim"), b"precious");
    std::os::unix::fs::symlink(t.path("d/victim"), t.path("d/out.pyc")).unwrap();
    let out =
        run_within(bin().arg("rewrite").arg(fixtures().join("3.12/args.pyc")).arg(t.path("d/out.pyc")), 30);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(t.path("d/victim")).unwrap(), b"precious");
    assert_eq!(std::fs::read(t.path("d/out.pyc")).unwrap(), pyc);
    assert!(std::fs::symlink_metadata(t.path("d/out.pyc")).unwrap().is_file());

    let fifo = t.path("d/fifo.pyc");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return;
    }
    let out = run_within(bin().arg("rewrite").arg(fixtures().join("3.12/args.pyc")).arg(&fifo), 30);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("bytescope: cannot write ") && err.contains("No such device or address"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_missing_input_is_one_error_and_the_run_goes_on() {
    let t = TempDir::new();
    put(&t.path("a.pyc"), &fixture("3.12/args.pyc"));
    put(&t.path("c.pyc"), &fixture("3.8/classes.pyc"));
    for j in ["1", "2"] {
        let out = run_within(
            bin().current_dir(t.path("")).args(["dis", "-j", j, "a.pyc", "missing.pyc", "c.pyc"]),
            30,
        );
        assert_eq!(out.status.code(), Some(1));
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains("==> a.pyc <==") && s.contains("==> c.pyc <=="), "{s}");
        assert!(s.split("==> c.pyc <==").nth(1).is_some_and(|l| l.contains("LOAD_CONST")), "{s}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err, "bytescope: missing.pyc: cannot read file: No such file or directory (os error 2)\n");
    }
}

/// The same for sources, when an interpreter is installed.
#[test]
fn a_missing_source_is_one_error_and_the_run_goes_on() {
    let t = TempDir::new();
    put(&t.path("a.py"), b"x = 1\n");
    put(&t.path("c.py"), b"y = 2\n");
    let out = run_within(bin().current_dir(t.path("")).args(["dis", "a.py", "missing.py", "c.py"]), 120);
    let err = String::from_utf8(out.stderr).unwrap();
    if err.contains("no CPython interpreter found") {
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{err}");
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("==> a.py <==") && s.contains("(x)") && s.contains("==> c.py <==") && s.contains("(y)")
    );
    let errors: Vec<&str> = err.lines().filter(|l| !l.starts_with("bytescope: compiling with")).collect();
    assert_eq!(errors, ["bytescope: missing.py: cannot read file: No such file or directory (os error 2)"]);
}

/// Files named like options, as a shell glob hands them over, are files;
/// `--` ends the options.
#[test]
fn file_names_are_never_options() {
    let t = TempDir::new();
    let pyc = fixture("3.12/args.pyc");
    for name in ["-c.pyc", "--python-version=2.7.pyc", "-j1.pyc", "--json", "b.pyc"] {
        put(&t.path(name), &pyc);
    }
    // What `bytescope header *` gets from the shell.
    let out = run_within(
        bin().current_dir(t.path("")).args(["header", "--python-version=2.7.pyc", "--json", "-c.pyc"]),
        30,
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(s.lines().filter(|l| *l == "version:      3.12").count(), 3, "{s}");
    for name in ["--python-version=2.7.pyc", "--json", "-c.pyc"] {
        assert!(s.contains(&format!("==> {name} <==")), "{name} is a file: {s}");
    }
    // An option that names no file is still an option.
    let out = run_within(bin().current_dir(t.path("")).args(["dis", "-j", "1", "-j1.pyc", "b.pyc"]), 30);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8(out.stdout).unwrap().contains("==> -j1.pyc <=="));
    // After `--`, everything is a file, existing or not.
    let out = run_within(bin().current_dir(t.path("")).args(["dis", "--", "-c.pyc", "--nosuch"]), 30);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().contains("==> -c.pyc <=="));
    assert!(String::from_utf8(out.stderr).unwrap().starts_with("bytescope: --nosuch: cannot read file"));
}

/// Inputs that hold no pyc at all (an empty folder, a pure-Python wheel)
/// say so and fail, instead of printing nothing with status 0.
#[test]
fn no_pycs_found_is_an_error() {
    let t = TempDir::new();
    put(&t.path("d/sub/readme.txt"), b"text");
    put(&t.path("d/mod.py"), b"x = 1\n");
    for cmd in ["dis", "info", "inspect", "header", "table"] {
        let mut c = bin();
        c.arg(cmd);
        if cmd == "table" {
            c.arg("linestarts");
        }
        let out = run_within(c.arg(t.path("d")), 30);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            err,
            format!("bytescope: {}: no .pyc or .pyo files in this directory\n", t.path("d").display()),
            "{cmd}"
        );
    }
}
