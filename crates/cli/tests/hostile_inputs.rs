//! Hostile inputs beyond one file's bytes (issue 17): the kinds of files
//! in a tree, sizes, archive layouts, standard input. Every case is built
//! here at test time (no large files in the repository) and run through
//! the binary with its expected outcome: exact error lines, under 2 s, and
//! a peak RSS under 256 MB (the largest of this test binary's children, as
//! `getrusage(RUSAGE_CHILDREN)` reports it once each child is reaped).
//!
//! A child's peak RSS as the kernel records it includes this process's own
//! peak at the time it was spawned (the child shares its memory until it
//! execs), so the tests here never hold large buffers: outputs that can be
//! large are counted as they arrive, not kept.

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

mod common;
use common::{TempDir, fixture, fixtures, put};

#[path = "../../batch/tests/support/zipgen.rs"]
mod zipgen;
use zipgen::Member;

const SECONDS: f64 = 2.0;
const PEAK_RSS_MB: u64 = 256;

/// Runs the binary with `args` (and `stdin`), checks the time and memory
/// bounds, and returns its output.
fn run(args: &[&OsStr], stdin: Option<&[u8]>) -> Output {
    run_program(Path::new(env!("CARGO_BIN_EXE_bytescope")).as_os_str(), args, stdin)
}

fn run_program(program: &OsStr, args: &[&OsStr], stdin: Option<&[u8]>) -> Output {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let out = child.wait_with_output().unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert!(secs < SECONDS, "{args:?} took {secs:.2} s");
    let peak = peak_rss_mb();
    assert!(peak < PEAK_RSS_MB, "{args:?}: a child's peak RSS reached {peak} MB");
    out
}

/// The largest peak RSS of the children reaped so far, in MB.
#[cfg(unix)]
fn peak_rss_mb() -> u64 {
    use nix::sys::resource::{UsageWho, getrusage};
    let max = getrusage(UsageWho::RUSAGE_CHILDREN).map_or(0, |u| u.max_rss().max(0) as u64);
    // Kilobytes on Linux and the BSDs, bytes on macOS.
    if cfg!(target_os = "macos") { max >> 20 } else { max >> 10 }
}

#[cfg(not(unix))]
fn peak_rss_mb() -> u64 {
    0
}

fn os<S: AsRef<OsStr> + ?Sized>(s: &S) -> &OsStr {
    s.as_ref()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn frames(s: &str) -> Vec<String> {
    s.lines().filter(|l| l.starts_with("==> ")).map(str::to_owned).collect()
}

/// `stderr` with `dir`'s path replaced by `T`.
fn errors(o: &Output, dir: &Path) -> Vec<String> {
    stderr(o)
        .replace(dir.display().to_string().trim_end_matches('/'), "T")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn sparse(path: &Path, size: u64) {
    std::fs::File::create(path).and_then(|f| f.set_len(size)).unwrap();
}

#[cfg(unix)]
#[test]
fn fifos_devices_and_huge_files_in_a_tree() {
    let t = TempDir::new();
    let dir = t.path("tree");
    put(&dir.join("b.pyc"), &fixture("3.12/args.pyc"));
    let status = Command::new("mkfifo").arg(dir.join("a.pyc")).status().unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink("/dev/zero", dir.join("z.pyc")).unwrap();
    sparse(&dir.join("big.pyc"), 8 << 30);
    let want = [
        "bytescope: T/tree/a.pyc: skipped: a FIFO, not a regular file",
        "bytescope: T/tree/big.pyc: too large: 8589934592 bytes, over the limit of 268435456",
        "bytescope: T/tree/z.pyc: skipped: a character device, not a regular file",
    ];
    for jobs in ["1", "2"] {
        for cmd in ["dis", "scan"] {
            let out = run(&[os(cmd), os("-j"), os(jobs), dir.as_os_str()], None);
            assert_eq!(out.status.code(), Some(1), "{cmd} -j {jobs}");
            let errs = errors(&out, &t.path(""));
            let errs: Vec<&String> =
                errs.iter().filter(|l| !l.starts_with("bytescope scan:") && !l.starts_with("  ")).collect();
            assert_eq!(errs, want, "{cmd} -j {jobs}");
            assert!(stdout(&out).contains("b.pyc"), "{cmd} -j {jobs}");
        }
    }
}

#[cfg(unix)]
#[test]
fn explicit_fifos_and_devices_are_one_error() {
    let t = TempDir::new();
    let fifo = t.path("x.pyc");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let good = fixtures().join("3.12/args.pyc");
    let out = run(&[os("header"), fifo.as_os_str(), good.as_os_str()], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        errors(&out, &t.path("")),
        [
            "bytescope: T/x.pyc: not a regular file (a FIFO); only regular files are read (`-` reads standard input)"
        ]
    );
    assert_eq!(frames(&stdout(&out)).len(), 2);
    let refusal =
        "not a regular file (a character device); only regular files are read (`-` reads standard input)";
    let out = run(&[os("rewrite"), os("/dev/zero"), t.path("out").as_os_str()], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), format!("bytescope: /dev/zero: {refusal}\n"));
    let out = run(&[os("header"), os("--source"), os("/dev/zero"), good.as_os_str()], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), format!("bytescope: /dev/zero: {refusal}\n"));
    let out = run(&[os("extract"), fifo.as_os_str()], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        errors(&out, &t.path("")),
        [
            "bytescope: cannot read T/x.pyc: not a regular file (a FIFO); only regular files are read (`-` reads standard input)"
        ]
    );
}

/// Under a 1 GiB address-space limit, a 16 GiB file (allowed by
/// `--max-file-size`) cannot be allocated: one error, and the files after
/// it are still read.
#[cfg(target_os = "linux")]
#[test]
fn a_memory_limit_fails_one_file_not_the_batch() {
    let t = TempDir::new();
    let dir = t.path("d");
    put(&dir.join("a.pyc"), &fixture("3.12/args.pyc"));
    sparse(&dir.join("b.pyc"), 16 << 30);
    put(&dir.join("c.pyc"), &fixture("3.12/loops.pyc"));
    let bin = env!("CARGO_BIN_EXE_bytescope");
    for jobs in ["1", "2"] {
        let script = "ulimit -v 1048576 && exec \"$0\" \"$@\"";
        let args =
            [os("-c"), os(script), os(bin), os("dis"), os("-j"), os(jobs), os("--max-file-size"), os("64G")];
        let out = run_program(os("sh"), &[&args[..], &[dir.as_os_str()]].concat(), None);
        assert_eq!(out.status.code(), Some(1), "-j {jobs}: {}", stderr(&out));
        assert_eq!(
            errors(&out, &t.path("")),
            ["bytescope: T/d/b.pyc: cannot allocate 17179869185 bytes to read it"],
            "-j {jobs}"
        );
        assert_eq!(frames(&stdout(&out)).len(), 3, "-j {jobs}");
        assert!(stdout(&out).contains("c.pyc <=="));
    }
}

#[test]
fn the_overlap_bomb_is_one_line_at_once() {
    let t = TempDir::new();
    let bomb = t.path("bomb.zip");
    put(&bomb, &zipgen::overlap_bomb(65_534, 64 << 20));
    assert!(std::fs::metadata(&bomb).unwrap().len() < 4 << 20);
    for cmd in ["dis", "scan"] {
        let out = run(&[os(cmd), bomb.as_os_str()], None);
        assert_eq!(out.status.code(), Some(1));
        let errs = errors(&out, &t.path(""));
        assert_eq!(
            errs[0],
            "bytescope: T/bomb.zip: bad zip archive: members \"m00000.pyc\" and \"m00001.pyc\" overlap (a zip bomb?) (at offset 0x0)"
        );
        assert!(
            errs[1..].iter().all(|l| l.starts_with("bytescope scan:") || l.starts_with("  ")),
            "{errs:?}"
        );
    }
}

#[test]
fn members_too_large_or_over_the_archive_budget_are_not_inflated() {
    let t = TempDir::new();
    let zeros = |name: &str, n: u64| Member {
        name: name.as_bytes().to_vec(),
        data: zipgen::deflate_zeros(n),
        method: 8,
        size: n,
        crc: 0,
    };
    // Declares 1 GiB (over the file limit) but holds little: never read.
    let huge = Member { size: 1 << 30, ..zeros("huge.pyc", 1000) };
    // 200 MiB of zeros in about 1.3 MB: over 64 times the archive's size.
    let z = zipgen::zip(
        b"",
        &[huge, zeros("big.pyc", 200 << 20), Member::stored("ok.pyc", &fixture("3.12/args.pyc"))],
    );
    let p = t.path("z.whl");
    put(&p, &z);
    let out = run(&[os("header"), p.as_os_str()], None);
    assert_eq!(out.status.code(), Some(1));
    let errs = errors(&out, &t.path(""));
    assert_eq!(
        errs[0],
        "bytescope: T/z.whl:huge.pyc: too large: 1073741824 bytes, over the limit of 268435456"
    );
    assert!(
        errs[1].starts_with("bytescope: T/z.whl:big.pyc: archive inflates to too much: this member's 209715200 bytes exceed what is left"),
        "{}",
        errs[1]
    );
    assert_eq!(errs.len(), 2);
    assert_eq!(frames(&stdout(&out)).len(), 3);
}

#[test]
fn nested_archives_are_opened_to_depth_three() {
    let t = TempDir::new();
    let m = fixture("3.10/imports.pyc");
    let l4 = zipgen::zip(b"", &[Member::stored("deep.pyc", &m)]);
    let l3 = zipgen::zip(b"", &[Member::stored("l3.pyc", &m), Member::stored("l4.zip", &l4)]);
    let l2 = zipgen::zip(b"", &[Member::deflated("l3.zip", &l3), Member::stored("l2.pyc", &m)]);
    let whl = zipgen::zip(b"", &[Member::stored("pkg/inner.zip", &l2)]);
    put(&t.path("dir/x-1.0-py3-none-any.whl"), &whl);
    put(&t.path("dir/sub/found.zip"), &zipgen::zip(b"", &[Member::stored("f.pyc", &m)]));
    for jobs in ["1", "2"] {
        let out = run(&[os("header"), os("-j"), os(jobs), t.path("dir").as_os_str()], None);
        assert_eq!(out.status.code(), Some(1));
        let s = stdout(&out).replace(t.path("").display().to_string().trim_end_matches('/'), "T");
        assert_eq!(
            frames(&s),
            [
                "==> T/dir/sub/found.zip:f.pyc <==",
                "==> T/dir/x-1.0-py3-none-any.whl:pkg/inner.zip:l3.zip:l3.pyc <==",
                "==> T/dir/x-1.0-py3-none-any.whl:pkg/inner.zip:l3.zip:l4.zip <==",
                "==> T/dir/x-1.0-py3-none-any.whl:pkg/inner.zip:l2.pyc <==",
            ]
        );
        assert_eq!(
            errors(&out, &t.path("")),
            [
                "bytescope: T/dir/x-1.0-py3-none-any.whl:pkg/inner.zip:l3.zip:l4.zip: nested archive not opened: archives nest more than 3 deep here"
            ]
        );
    }
}

#[test]
fn zip_errors_are_ours_with_an_offset() {
    let t = TempDir::new();
    let good = zipgen::zip(b"", &[Member::deflated("m/__init__.pyc", &fixture("3.12/args.pyc"))]);
    put(&t.path("trunc.whl"), &good[..good.len() / 2]);
    let mut bad_cd = good.clone();
    let cd = bad_cd.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    bad_cd[cd + 28] = 0xff; // name length runs past the directory
    put(&t.path("badcd.zip"), &bad_cd);
    let out = run(&[os("dis"), t.path("trunc.whl").as_os_str(), t.path("badcd.zip").as_os_str()], None);
    assert_eq!(out.status.code(), Some(1));
    let errs = errors(&out, &t.path(""));
    assert_eq!(
        errs,
        [
            format!(
                "bytescope: T/trunc.whl: bad zip archive: no end-of-central-directory record (truncated, or not a zip archive) (at offset {:#x})",
                good.len() / 2
            ),
            format!(
                "bytescope: T/badcd.zip: bad zip archive: central directory entry 0 runs past the central directory (at offset {cd:#x})"
            ),
        ]
    );
    assert!(!stderr(&out).contains("::"));
}

#[test]
fn duplicate_and_non_utf8_member_names_are_distinct() {
    let t = TempDir::new();
    let z = zipgen::zip(
        b"",
        &[
            Member::stored("a.pyc", &fixture("3.12/args.pyc")),
            Member::stored("a.pyc", &fixture("3.8/classes.pyc")),
            Member::stored(b"\xff.pyc", &fixture("3.12/args.pyc")),
            Member::stored(b"\xfe.pyc", &fixture("3.12/args.pyc")),
        ],
    );
    let p = t.path("dups.zip");
    put(&p, &z);
    let out = run(&[os("header"), p.as_os_str()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out).replace(t.path("").display().to_string().trim_end_matches('/'), "T");
    assert_eq!(
        frames(&s),
        [
            "==> T/dups.zip:a.pyc <==",
            "==> T/dups.zip:a.pyc#2 <==",
            "==> T/dups.zip:\\xff.pyc <==",
            "==> T/dups.zip:\\xfe.pyc <=="
        ]
    );
    assert!(s.contains("version:      3.8"));
    // Each is also an input, by the name the output gives it.
    let second = format!("{}:a.pyc#2", p.display());
    let out = run(&[os("header"), os(&second)], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(frames(&stdout(&out)).is_empty());
    assert!(stdout(&out).contains("version:      3.8"));
    let ff = format!("{}:\\xff.pyc", p.display());
    assert!(run(&[os("header"), os(&ff)], None).status.success());
}

#[test]
fn archive_members_as_inputs() {
    let t = TempDir::new();
    let inner = zipgen::zip(b"", &[Member::deflated("m.pyc", &fixture("3.11/generators.pyc"))]);
    let outer = zipgen::zip(
        b"",
        &[Member::stored("in/inner.zip", &inner), Member::stored("a.pyc", &fixture("3.12/args.pyc"))],
    );
    let p = t.path("outer.whl");
    put(&p, &outer);
    let alone = run(&[os("dis"), fixtures().join("3.11/generators.pyc").as_os_str()], None);
    let nested = format!("{}:in/inner.zip:m.pyc", p.display());
    let out = run(&[os("dis"), os(&nested)], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&alone));
    let missing = format!("{}:in/inner.zip:nosuch.pyc", p.display());
    let out = run(&[os("dis"), os(&missing)], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        errors(&out, &t.path("")),
        ["bytescope: T/outer.whl:in/inner.zip:nosuch.pyc: no such member in the archive"]
    );
}

#[test]
fn inputs_without_pycs_fail_except_in_scan() {
    let t = TempDir::new();
    let pure = t.path("pure-1.0-py3-none-any.whl");
    put(&pure, &zipgen::zip(b"", &[Member::stored("pure/__init__.py", b"x = 1\n")]));
    std::fs::create_dir_all(t.path("empty")).unwrap();
    for cmd in ["dis", "info", "header", "inspect"] {
        let out = run(&[os(cmd), pure.as_os_str(), t.path("empty").as_os_str()], None);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert_eq!(
            errors(&out, &t.path("")),
            [
                "bytescope: T/pure-1.0-py3-none-any.whl: no .pyc or .pyo files in this archive",
                "bytescope: T/empty: no .pyc or .pyo files in this directory"
            ],
            "{cmd}"
        );
    }
    let out = run(&[os("scan"), t.path("empty").as_os_str()], None);
    assert!(out.status.success());
    assert!(stderr(&out).starts_with("bytescope scan: 0 files"));
}

#[test]
fn standard_input() {
    let pyc = fixture("3.12/args.pyc");
    let file = run(&[os("dis"), fixtures().join("3.12/args.pyc").as_os_str()], None);
    let piped = run(&[os("dis"), os("-")], Some(&pyc));
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(stdout(&piped), stdout(&file));
    // Twice: the second is an error.
    let twice = run(&[os("header"), os("-"), os("-")], Some(&pyc));
    assert_eq!(twice.status.code(), Some(1));
    assert_eq!(stderr(&twice), "bytescope: <stdin>: standard input can only be read once\n");
    // A wheel on standard input is opened as one.
    let whl = zipgen::zip(b"", &[Member::deflated("m/__init__.pyc", &pyc)]);
    let out = run(&[os("header"), os("-")], Some(&whl));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(frames(&stdout(&out)), ["==> <stdin>:m/__init__.pyc <=="]);
    // `/dev/stdin` is a file like any other: read when it is a regular
    // file, refused when it is a pipe.
    #[cfg(target_os = "linux")]
    {
        let piped = run(&[os("header"), os("/dev/stdin")], Some(&pyc));
        assert_eq!(piped.status.code(), Some(1));
        assert_eq!(
            stderr(&piped),
            "bytescope: /dev/stdin: not a regular file (a FIFO); only regular files are read (`-` reads standard input)\n"
        );
        let file = std::fs::File::open(fixtures().join("3.12/args.pyc")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_bytescope"))
            .args(["header", "/dev/stdin"])
            .stdin(file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("version:      3.12"));
    }
    // Bounded like a file.
    let out = run(&[os("header"), os("--max-file-size"), os("100"), os("-")], Some(&pyc));
    assert_eq!(stderr(&out), format!("bytescope: <stdin>: too large: 101 bytes, over the limit of 100\n"));
}

#[test]
fn jobs_are_capped_with_a_note() {
    let out = run(&[os("header"), os("-j"), os("65535"), fixtures().join("3.12/args.pyc").as_os_str()], None);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(err.starts_with("bytescope: note: -j 65535 is more than 4 per core; using "), "{err}");
    assert_eq!(err.lines().count(), 1);
}

/// Twenty files whose listings are 11 MB each (the output budget's limit):
/// the parallel window holds a bounded number of bytes of them.
#[test]
fn large_outputs_in_a_parallel_window() {
    let t = TempDir::new();
    let amp = std::fs::read(fixtures().join("../malformed/amplified_const_repr.pyc")).unwrap();
    for i in 0..20 {
        put(&t.path(&format!("d/f{i:02}.pyc")), &amp);
    }
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bytescope"))
        .args([os("dis"), os("-j"), os("2"), t.path("d").as_os_str()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Count the frames as the output streams by (220 MB in all).
    let mut pipe = child.stdout.take().unwrap();
    let (mut frames, mut bytes, mut buf, mut line_start) = (0, 0usize, vec![0u8; 1 << 16], true);
    loop {
        let n = std::io::Read::read(&mut pipe, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            if line_start && b == b'=' {
                frames += 1;
            }
            line_start = b == b'\n';
        }
        bytes += n;
    }
    child.wait().unwrap();
    let secs = started.elapsed().as_secs_f64();
    // 220 MB of output from a debug build: this case is about memory.
    assert!(secs < 4.0 * SECONDS, "took {secs:.2} s");
    assert!(peak_rss_mb() < PEAK_RSS_MB, "peak RSS {} MB", peak_rss_mb());
    assert_eq!(frames, 20);
    assert!(bytes > 200 << 20, "{bytes}");
}

/// Frozen applications over 1 MiB (files that size are otherwise sniffed by
/// their ends): an executable is read whole to be sniffed, and so is a
/// package whose tail holds the PyInstaller cookie.
#[test]
fn large_frozen_applications_are_found() {
    let t = TempDir::new();
    let data = |n: &str| {
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../frozen/tests/data").join(n)).unwrap()
    };
    let mut pkg = vec![0u8; 2 << 20];
    pkg.extend(data("pi4_py38_ctr.bin"));
    put(&t.path("big.pkg"), &pkg);
    let mut elf = data("pi6_py312.elf");
    elf.extend(vec![0u8; 2 << 20]);
    put(&t.path("big.elf"), &elf);
    let out = run(&[os("header"), t.path("big.pkg").as_os_str()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("version:      3.8").count(), 5);
    let out = run(&[os("header"), t.path("big.elf").as_os_str()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(frames(&stdout(&out)).len(), 7);
    // Within the file limit.
    let out = run(&[os("header"), os("--max-file-size"), os("1M"), t.path("big.elf").as_os_str()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("too large: 2103"), "{}", stderr(&out));
}
