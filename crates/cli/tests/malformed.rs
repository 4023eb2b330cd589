//! Runs the CLI over the corpus of hostile and broken files in
//! `tests/malformed/` (made by `tools/gen_malformed.py` from real CPython
//! output plus byte surgery; see `tests/malformed/README.md`).
//!
//! For every `NAME.pyc`, `bytescope dis NAME.pyc` and `bytescope info
//! NAME.pyc` run inside `tests/malformed/` with a time limit and, on Linux, a
//! cap on virtual memory. Both must print exactly `NAME.err` on stderr: one
//! line `bytescope: NAME.pyc: message (…)` and exit status 1, or nothing and
//! exit status 0 when the file is shown (`dis` stdout must then equal
//! `NAME.out`; out-of-range operands print `<invalid …>` markers). `header`
//! must not fail in any other way than one error line.
//!
//! Inputs too large to commit (10^6-deep nesting) are generated here.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall-clock limit per run (debug build, shared machine: generous).
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Virtual-memory cap per run, in KiB (`ulimit -v`); inputs are ≤ 5 MB.
/// Virtual, not resident: thread stacks count, so glibc's per-thread malloc
/// arenas (64 MiB of address space each) are limited to one.
const MEMORY_LIMIT_KB: u64 = 512 * 1024;

/// Cases where bytescope is known to be wrong: each is checked by its own
/// `#[ignore]`d test, not by the corpus loop. (None at the moment: the bugs
/// this corpus found are fixed and their tests below are regressions.)
const KNOWN_BUGS: &[&str] = &[];

fn malformed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed")
}

struct Run {
    status: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    elapsed: Duration,
}

/// Runs `bytescope ARGS` in `dir` under the time and memory limits.
fn run(dir: &Path, args: &[&str]) -> Run {
    run_capped(dir, args, MEMORY_LIMIT_KB)
}

/// [`run`] with a virtual-memory cap of `limit_kb` KiB (Linux only).
fn run_capped(dir: &Path, args: &[&str], limit_kb: u64) -> Run {
    let exe = env!("CARGO_BIN_EXE_bytescope");
    let mut cmd = if cfg!(target_os = "linux") {
        let mut c = Command::new("sh");
        c.arg("-c").arg(format!("ulimit -v {limit_kb} && exec \"$0\" \"$@\"")).arg(exe);
        c
    } else {
        Command::new(exe)
    };
    let mut child = cmd
        .args(args)
        .current_dir(dir)
        .env("MALLOC_ARENA_MAX", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bytescope");
    let start = Instant::now();
    // Drain the pipes on threads so a large output cannot block the child.
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("bytescope {args:?} in {} took longer than {TIME_LIMIT:?}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let stdout = out_t.join().expect("stdout thread");
    let stderr = String::from_utf8_lossy(&err_t.join().expect("stderr thread")).into_owned();
    Run { status: status.code(), stdout, stderr, elapsed }
}

/// Whether an expected stderr means the file is shown (exit 0): nothing,
/// or the note naming the version detected for headerless data.
fn shown(err: &str) -> bool {
    err.is_empty() || err.contains(": no .pyc header: ")
}

/// Checks one file against its expectations (`dis` stderr, `info` stderr,
/// `dis` stdout); returns the problems.
fn check_file(
    dir: &Path,
    name: &str,
    dis_err: &str,
    info_err: &str,
    expected_out: Option<&[u8]>,
) -> Vec<String> {
    let file = format!("{name}.pyc");
    let mut problems = Vec::new();
    for (cmd, expected_err) in [("dis", dis_err), ("info", info_err)] {
        let r = run(dir, &[cmd, &file]);
        let want_status = if shown(expected_err) { 0 } else { 1 };
        if r.status != Some(want_status) {
            problems.push(format!(
                "{cmd} {file}: exit {:?}, want {want_status} (stderr: {})",
                r.status,
                r.stderr.trim_end()
            ));
        }
        if r.stderr != expected_err {
            problems
                .push(format!("{cmd} {file}: stderr\n  got:  {:?}\n  want: {:?}", r.stderr, expected_err));
        }
        if cmd == "dis"
            && let Some(out) = expected_out
            && r.stdout != out
        {
            problems.push(format!("dis {file}: stdout differs from {name}.out"));
        }
        if r.elapsed > Duration::from_secs(5) {
            problems.push(format!("{cmd} {file}: took {:?}", r.elapsed));
        }
    }
    let r = run(dir, &["header", &file]);
    let one_line = r.stderr.is_empty()
        || (r.stderr.starts_with(&format!("bytescope: {file}: ")) && r.stderr.lines().count() == 1);
    if !matches!(r.status, Some(0 | 1)) || !one_line {
        problems.push(format!("header {file}: exit {:?}, stderr {:?}", r.status, r.stderr));
    }
    problems
}

#[test]
fn malformed_corpus() {
    let dir = malformed_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/malformed")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "pyc").then(|| p.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    assert!(names.len() >= 40, "only {} files in tests/malformed", names.len());
    let mut problems = Vec::new();
    for name in names.iter().filter(|n| !KNOWN_BUGS.contains(&n.as_str())) {
        let err = std::fs::read_to_string(dir.join(format!("{name}.err")))
            .unwrap_or_else(|e| panic!("{name}.err: {e} (run tools/gen_malformed.py --bless)"));
        if !err.is_empty() {
            assert!(
                err.starts_with(&format!("bytescope: {name}.pyc: ")) && err.lines().count() == 1,
                "{name}.err must be one error line"
            );
        }
        let info_err =
            std::fs::read_to_string(dir.join(format!("{name}.info.err"))).unwrap_or_else(|_| err.clone());
        if !info_err.is_empty() {
            assert!(
                info_err.starts_with(&format!("bytescope: {name}.pyc: ")) && info_err.lines().count() == 1,
                "{name}.info.err must be one error line"
            );
        }
        let out = std::fs::read(dir.join(format!("{name}.out"))).ok();
        if shown(&err) {
            assert!(out.is_some(), "{name}: exit 0 expected but no {name}.out");
        }
        problems.extend(check_file(&dir, name, &err, &info_err, out.as_deref()));
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// The out-of-range operand cases are shown, with `<invalid …>` markers;
/// jumps out of the code are shown as they are.
#[test]
fn invalid_operands_are_marked() {
    let dir = malformed_dir();
    for (name, marker) in [
        ("operand_const_out_of_range", "(<invalid const index 200>)"),
        ("operand_name_out_of_range", "(<invalid name index 201>)"),
        ("operand_local_out_of_range", "(<invalid local index 77>)"),
        ("operand_const_out_of_range_2.7", "(<invalid const index 300>)"),
        ("operand_name_out_of_range_3.6", "(<invalid name index 99>)"),
        // Jumps past the end are shown as CPython shows them: an offset up to
        // 3.12, and from 3.13 a label that no instruction carries.
        ("jump_outside_code", "FOR_ITER               250 (to 522)"),
        ("jump_outside_code_3.13", "FOR_ITER               250 (to L3)"),
    ] {
        let out = std::fs::read_to_string(dir.join(format!("{name}.out"))).expect(name);
        assert!(out.contains(marker), "{name}.out lacks {marker}");
    }
}

/// Where CPython's `dis` stops at a constant it cannot repr, bytescope
/// prints the same lines first (`NAME.cpython.txt`, CPython's own output up
/// to its exception; code-object addresses aside): among them a loop head
/// whose `>>` comes from a jump after the failing line.
#[test]
fn partial_listings_match_cpython() {
    let dir = malformed_dir();
    let addresses = |s: &str| -> String {
        // "at 0x7f…," → "at 0x…,": CPython prints memory addresses.
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find(" at 0x") {
            out.push_str(&rest[..i + 6]);
            rest = rest[i + 6..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
            out.push('…');
        }
        out.push_str(rest);
        out
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/malformed") {
        let path = entry.expect("entry").path();
        let Some(name) =
            path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".cpython.txt"))
        else {
            continue;
        };
        let expected = std::fs::read_to_string(&path).expect("cpython.txt");
        let r = run(&dir, &["dis", &format!("{name}.pyc")]);
        assert_eq!(r.status, Some(1), "{name}: {}", r.stderr);
        let got = String::from_utf8(r.stdout).expect("UTF-8");
        assert_eq!(addresses(&got), addresses(&expected), "{name}");
        assert!(expected.contains(">>"), "{name}: the case needs a `>>` line");
        seen += 1;
    }
    assert!(seen > 0, "no NAME.cpython.txt in tests/malformed");
}

/// Stripped and zeroed headers: the version is detected (and named), and
/// `--python-version` of that version reads the file without a note.
#[test]
fn suggested_python_version_reads_headerless() {
    let dir = malformed_dir();
    for name in ["zero_header.pyc", "stripped_header.pyc"] {
        let err = run(&dir, &["dis", name]);
        assert!(err.stderr.contains("no .pyc header: detected Python 3.12"), "{name}: {}", err.stderr);
        let r = run(&dir, &["dis", "--python-version", "3.12", name]);
        assert!(r.stderr.is_empty(), "{name}: {}", r.stderr);
        assert_eq!(r.status, Some(0), "{name}: {}", r.stderr);
        let text = String::from_utf8_lossy(&r.stdout);
        assert!(text.contains("LOAD_CONST               0 ('MARKER_A')"), "{name}: {text}");
    }
}

/// A .pyc header followed by `body`, written to a fresh temporary directory.
fn generated(name: &str, header_of: &str, body: &[u8]) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(header_of);
    let pyc = std::fs::read(&fixture).expect("fixture");
    let header_len = bytescope_pyc::parse_header(&pyc).expect("fixture header").len;
    let dir = std::env::temp_dir().join(format!("bytescope-malformed-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut data = pyc[..header_len].to_vec();
    data.extend_from_slice(body);
    std::fs::write(dir.join(format!("{name}.pyc")), data).expect("write");
    dir
}

/// 10^6-deep nesting (too large to commit): small tuples in 3.12, lists in
/// 2.7 and code objects' tuples; all stop at CPython's 2000 levels.
#[test]
fn million_deep_nesting() {
    let cases: [(&str, &str, Vec<u8>, &str); 3] = [
        (
            "deep_small_tuples",
            "3.12/constants.pyc",
            [&b")\x01".repeat(1_000_000)[..], b"N"].concat(),
            "bytescope: deep_small_tuples.pyc: bad marshal data: nesting deeper than 2000 levels (CPython's limit) (at offset 0xfb0)\n",
        ),
        (
            "deep_lists",
            "2.7/py2_literals.pyc",
            [&b"[\x01\x00\x00\x00".repeat(1_000_000)[..], b"N"].concat(),
            "bytescope: deep_lists.pyc: bad marshal data: nesting deeper than 2000 levels (CPython's limit) (at offset 0x2718)\n",
        ),
        (
            "deep_frozensets",
            "3.12/constants.pyc",
            [&b">\x01\x00\x00\x00".repeat(1_000_000)[..], b"N"].concat(),
            "bytescope: deep_frozensets.pyc: bad marshal data: nesting deeper than 2000 levels (CPython's limit) (at offset 0x2720)\n",
        ),
    ];
    let mut problems = Vec::new();
    for (name, header_of, body, err) in cases {
        let dir = generated(name, header_of, &body);
        problems.extend(check_file(&dir, name, err, err, None));
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Regression (crates/dis `text.rs`, found by fuzzing, fixed in 5c399fe): an
/// exception-table entry ending at byte 2^63 made the 3.11–3.12 printer
/// compute `end as i64 - 2`, which overflowed. CPython prints
/// `9223372036854775808 to 9223372036854775806 -> 0 [0]`.
#[test]
fn exception_table_huge_offsets() {
    let r = run(&malformed_dir(), &["dis", "exception_table_huge_offsets.pyc"]);
    assert_eq!(r.status, Some(0), "stderr: {}", r.stderr);
    assert_eq!(r.stderr, "");
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(
        out.contains("ExceptionTable:\n  9223372036854775808 to 9223372036854775806 -> 0 [0]\n"),
        "{out}"
    );
}

/// Regression (crates/dis, fixed in 5c399fe by an output budget): one
/// 2000-element tuple constant loaded by 8000 LOAD_CONSTs (42 KB) made `dis`
/// build ~90 MB of text in memory (105 KB: 579 MB, 1.1 GB peak, 64 s). Now
/// output stops at 256 bytes per input byte + 1 MiB with an error.
#[test]
fn amplified_const_repr() {
    let dir = malformed_dir();
    let input = std::fs::metadata(dir.join("amplified_const_repr.pyc")).expect("file").len() as usize;
    for cmd in ["dis", "info"] {
        let r = run(&dir, &[cmd, "amplified_const_repr.pyc"]);
        let bound = 256 * input + (1 << 20);
        assert!(r.stdout.len() <= bound, "{cmd}: {} bytes of output from {input}", r.stdout.len());
        assert!(r.elapsed < Duration::from_secs(5), "{cmd}: took {:?}", r.elapsed);
    }
}

/// Regression (crates/pyrepr set order emulation, fixed in 5c399fe by a
/// probe budget): a frozenset of 5000 ints that all hash to 0 (multiples of
/// 2^61 - 1; 75 KB) took `info` 17 s in a debug build, 20000 of them over
/// 300 s (CPython's own unmarshal is quadratic here too).
#[test]
fn frozenset_hash_collisions() {
    let r = run(&malformed_dir(), &["info", "frozenset_hash_collisions.pyc"]);
    assert_eq!(r.status, Some(0), "stderr: {}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(5), "took {:?}", r.elapsed);
}

/// Regression (crates/dis, crates/marshal, fixed in 5c399fe): 500 code
/// objects sharing one 10000-element co_consts tuple (50 KB) made `info`
/// print ~55 MB (8 s, 116 MB peak in a debug build) and `dis` walk the
/// shared tuple once per code object (1.5 s).
#[test]
fn shared_consts_amplification() {
    let dir = malformed_dir();
    let input = std::fs::metadata(dir.join("shared_consts_amplification.pyc")).expect("file").len() as usize;
    for cmd in ["dis", "info"] {
        let r = run(&dir, &[cmd, "shared_consts_amplification.pyc"]);
        let bound = 256 * input + (1 << 20);
        assert!(r.stdout.len() <= bound, "{cmd}: {} bytes of output from {input}", r.stdout.len());
        assert!(r.elapsed < Duration::from_secs(5), "{cmd}: took {:?}", r.elapsed);
    }
}

/// Regression (crates/dis `listing.rs`, fixed in 5c399fe): `dis
/// --show-positions` (3.14+) expanded `co_positions()` to one row per code
/// unit, 8 per table byte: a 100 KB location table of `0xff` bytes cost
/// ~25 MB (1 MB: 318 MB peak). The debug binary needs about 24 MiB of
/// address space for a small file; this allows 40.
#[test]
fn positions_amplification() {
    let r = run_capped(&malformed_dir(), &["dis", "-P", "positions_amplification_3.14.pyc"], 40 * 1024);
    assert_eq!(r.status, Some(0), "stderr: {}", r.stderr);
}
