//! Batch input through the CLI: several files, directories, zip archives
//! (with a prefix too), framing, per-file errors, `--fail-fast`, and output
//! that does not depend on `-j`.

use std::io::{Cursor, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use zip::write::SimpleFileOptions;

mod common;
use common::{TempDir, fixture, fixtures, put};

fn zip_with_prefix(prefix: &[u8], members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    let mut out = prefix.to_vec();
    out.extend(w.finish().unwrap().into_inner());
    out
}

fn bytescope(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bytescope")).args(args).args(paths).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The `==> … <==` lines of an output.
fn frames(s: &str) -> Vec<String> {
    s.lines().filter(|l| l.starts_with("==> ")).map(str::to_owned).collect()
}

/// A tree of good pycs in several versions, a zipapp with a shebang prefix
/// and a wheel, plus the expected framing order.
struct Corpus {
    dir: TempDir,
}

impl Corpus {
    fn new() -> Self {
        let dir = TempDir::new();
        put(&dir.path("tree/b/__pycache__/closures.cpython-312.pyc"), &fixture("3.12/closures.pyc"));
        put(&dir.path("tree/a.pyc"), &fixture("3.8/classes.pyc"));
        put(&dir.path("tree/b/old.pyo"), &fixture("2.7/py2_misc.pyc"));
        put(&dir.path("tree/b/readme.txt"), b"not a pyc");
        put(&dir.path("tree/c/deep/er/x.pyc"), &fixture("3.14/slices.pyc"));
        let app = zip_with_prefix(
            b"#!/usr/bin/env python3\n",
            &[
                ("__main__.py", b"import pkg"),
                ("pkg/z.pyc", &fixture("3.11/generators.pyc")),
                ("pkg/a.pyc", &fixture("3.13/closures.pyc")),
            ],
        );
        put(&dir.path("app.pyz"), &app);
        let wheel = zip_with_prefix(b"", &[("m/__init__.pyc", &fixture("3.10/imports.pyc"))]);
        put(&dir.path("m-1.0-py3-none-any.whl"), &wheel);
        Corpus { dir }
    }

    fn inputs(&self) -> Vec<PathBuf> {
        vec![self.dir.path("tree"), self.dir.path("app.pyz"), self.dir.path("m-1.0-py3-none-any.whl")]
    }

    fn expected_frames(&self) -> Vec<String> {
        let p = |rel: &str| self.dir.path(rel).display().to_string();
        vec![
            format!("==> {} <==", p("tree/a.pyc")),
            format!("==> {} <==", p("tree/b/__pycache__/closures.cpython-312.pyc")),
            format!("==> {} <==", p("tree/b/old.pyo")),
            format!("==> {} <==", p("tree/c/deep/er/x.pyc")),
            format!("==> {}:pkg/z.pyc <==", p("app.pyz")),
            format!("==> {}:pkg/a.pyc <==", p("app.pyz")),
            format!("==> {}:m/__init__.pyc <==", p("m-1.0-py3-none-any.whl")),
        ]
    }
}

#[test]
fn directories_and_archives_in_order_for_every_command() {
    let c = Corpus::new();
    let inputs = c.inputs();
    let paths: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    for cmd in ["dis", "info", "inspect", "header"] {
        let one = bytescope(&[cmd, "-j", "1"], &paths);
        assert!(one.status.success(), "{cmd}: {}", stderr(&one));
        assert_eq!(frames(&stdout(&one)), c.expected_frames(), "{cmd}");
        let two = bytescope(&[cmd, "-j", "2"], &paths);
        assert_eq!(stdout(&one), stdout(&two), "{cmd}: -j 2 differs from -j 1");
        assert_eq!(stderr(&two), "");
    }
}

#[test]
fn archive_members_show_what_the_file_shows() {
    let c = Corpus::new();
    let alone = bytescope(&["dis"], &[&fixtures().join("3.11/generators.pyc")]);
    let zipped = bytescope(&["dis"], &[&c.dir.path("app.pyz")]);
    let text = stdout(&zipped);
    let first = text.split("==> ").nth(1).unwrap();
    let body = first.split_once('\n').unwrap().1;
    // Only the code objects' file offsets (where CPython prints addresses)
    // could differ, and they do not: the member is the same file.
    assert_eq!(body, stdout(&alone));
}

#[test]
fn a_single_file_is_not_framed_a_single_directory_is() {
    let c = Corpus::new();
    let one = bytescope(&["header"], &[&c.dir.path("tree/a.pyc")]);
    assert!(frames(&stdout(&one)).is_empty());
    let dir = bytescope(&["header"], &[&c.dir.path("tree/c")]);
    assert_eq!(frames(&stdout(&dir)), [format!("==> {} <==", c.dir.path("tree/c/deep/er/x.pyc").display())]);
}

#[test]
fn pyinstaller_style_appended_zip_is_found_by_its_end_record() {
    let t = TempDir::new();
    let mut exe = b"\x7fELF\x02\x01\x01".to_vec();
    exe.extend(std::iter::repeat_n(0x90u8, 5000));
    let z = zip_with_prefix(&exe, &[("PYZ/mod.pyc", &fixture("3.9/loops.pyc")), ("data.bin", b"\0\0")]);
    put(&t.path("app.exe"), &z);
    let out = bytescope(&["header", "--json"], &[&t.path("app.exe")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(frames(&s).is_empty(), "JSON Lines are never framed");
    assert_eq!(s.lines().count(), 1);
    let prefix =
        format!("{{\"path\":{:?},\"member\":\"PYZ/mod.pyc\",", t.path("app.exe").display().to_string());
    assert!(s.starts_with(&prefix), "{s}");
    assert!(s.contains("\"python\":\"3.9\""), "{s}");
}

#[test]
fn a_broken_pyc_among_good_ones() {
    let t = TempDir::new();
    put(&t.path("d/1.pyc"), &fixture("3.12/args.pyc"));
    let mut broken = fixture("3.12/closures.pyc");
    broken.truncate(200);
    put(&t.path("d/2.pyc"), &broken);
    put(&t.path("d/3.pyc"), &fixture("3.12/loops.pyc"));
    let dir = t.path("d");

    let out = bytescope(&["dis", "-j", "2"], &[&dir]);
    assert_eq!(out.status.code(), Some(1));
    let s = stdout(&out);
    assert_eq!(frames(&s).len(), 3, "the run goes on after the broken file");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    let line = err.lines().next().unwrap();
    let prefix = format!("bytescope: {}: ", t.path("d/2.pyc").display());
    assert!(line.starts_with(&prefix) && line.contains("(at offset 0x"), "{line}");

    let ff = bytescope(&["dis", "-j", "2", "--fail-fast"], &[&dir]);
    assert_eq!(ff.status.code(), Some(1));
    let s = stdout(&ff);
    assert_eq!(frames(&s).len(), 2, "--fail-fast stops at the broken file");
    assert!(!s.contains("3.pyc"));
    assert_eq!(stderr(&ff), err);
}

/// With one job, long listings are written in pieces while the file is
/// disassembled; the output is the same as with two jobs, broken files
/// included.
#[test]
fn one_job_streams_the_same_output() {
    let t = TempDir::new();
    // Over 16 KiB of listing, so it goes out in pieces.
    put(&t.path("d/1.pyc"), &fixture("3.12/big_function.pyc"));
    let mut broken = fixture("3.12/big_function.pyc");
    broken.truncate(broken.len() - 300);
    put(&t.path("d/2.pyc"), &broken);
    put(&t.path("d/3.pyc"), &fixture("3.10/big_function.pyc"));
    let dir = t.path("d");
    for extra in [&[][..], &["--fail-fast"][..]] {
        let one = bytescope(&[&["dis", "-j", "1"][..], extra].concat(), &[&dir]);
        let two = bytescope(&[&["dis", "-j", "2"][..], extra].concat(), &[&dir]);
        assert_eq!(one.status.code(), Some(1));
        assert_eq!(stdout(&one), stdout(&two), "{extra:?}");
        assert_eq!(stderr(&one), stderr(&two), "{extra:?}");
        assert!(stdout(&one).len() > 26_000);
    }
}

#[test]
fn unreadable_inputs_and_bad_archives_are_one_line_each() {
    let t = TempDir::new();
    let mut bad = zip_with_prefix(b"", &[("a.pyc", &fixture("3.12/args.pyc"))]);
    let cd = bad.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bad[cd] = b'X';
    put(&t.path("bad.whl"), &bad);
    let good = fixtures().join("3.12/args.pyc");
    let out = bytescope(&["header"], &[&t.path("missing.pyc"), &t.path("bad.whl"), &good]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with(&format!("bytescope: {}: cannot read file:", t.path("missing.pyc").display()))
    );
    assert!(lines[1].starts_with(&format!("bytescope: {}: bad zip archive:", t.path("bad.whl").display())));
    assert_eq!(frames(&stdout(&out)).len(), 3);
}

#[test]
fn many_files_keep_their_order() {
    let t = TempDir::new();
    let sources = ["3.6/loops.pyc", "3.12/big_function.pyc", "2.7/py2_literals.pyc", "3.15/closures.pyc"];
    for i in 0..120 {
        put(&t.path(&format!("many/f{i:03}.pyc")), &fixture(sources[i % sources.len()]));
    }
    let dir = t.path("many");
    let one = bytescope(&["info", "-j", "1"], &[&dir]);
    let two = bytescope(&["info", "-j", "2"], &[&dir]);
    let four = bytescope(&["info", "--jobs", "4"], &[&dir]);
    assert!(one.status.success());
    assert_eq!(stdout(&one), stdout(&two));
    assert_eq!(stdout(&one), stdout(&four));
    let f = frames(&stdout(&one));
    assert_eq!(f.len(), 120);
    assert!(f.windows(2).all(|w| w[0] < w[1]), "path order");
}
