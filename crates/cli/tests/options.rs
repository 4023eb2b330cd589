//! Options that cannot be mixed up, mixed versions, and checks scripts can
//! rely on: `--python` / `--python-version` on the wrong input name the
//! right option; `-C` over 3.8 and 3.12 pycs lists both and says once what
//! it skipped; `-S`/`--adaptive` list `_co_code_adaptive` as CPython does; `header --source` exits 1
//! when stale and says how CPython treats unchecked-hash pycs.

mod common;
use common::{TempDir, bin, fixture, fixtures, put, run_within};

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn python_and_python_version_name_each_other() {
    let pyc = fixtures().join("3.12/args.pyc");
    let out = run_within(bin().args(["dis", "--python", "3.12"]).arg(&pyc), 30);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("--python chooses the interpreter that compiles source")
            && err.contains("--python-version")
    );
    assert!(out.stdout.is_empty());

    let t = TempDir::new();
    put(&t.path("a.py"), b"x = 1\n");
    let out = run_within(bin().args(["dis", "--python-version", "3.12"]).arg(t.path("a.py")), 30);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("--python-version X.Y is for .pyc or marshal input") && err.contains("use --python X.Y")
    );
    let out = run_within(bin().args(["dis", "--python-version", "3.12", "-c", "x"]), 30);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn show_caches_over_mixed_versions() {
    let t = TempDir::new();
    put(&t.path("d/a38.pyc"), &fixture("3.8/loops.pyc"));
    put(&t.path("d/b312.pyc"), &fixture("3.12/loops.pyc"));
    put(&t.path("d/c27.pyc"), &fixture("2.7/py2_misc.pyc"));
    for j in ["1", "2"] {
        let out = run_within(bin().args(["dis", "-C", "-j", j]).arg(t.path("d")), 30);
        let err = text(&out.stderr);
        assert!(out.status.success(), "{err}");
        let s = text(&out.stdout);
        // The 3.8 and 2.7 files are listed (as without -C), the 3.12 one
        // with its caches.
        let alone = run_within(bin().arg("dis").arg(fixtures().join("3.8/loops.pyc")), 30);
        assert!(s.contains(&text(&alone.stdout)));
        assert!(s.split("b312.pyc <==").nth(1).unwrap().contains("CACHE"));
        let d = t.path("d").display().to_string();
        assert_eq!(
            err,
            format!(
                "bytescope: note: --show-caches exists from Python 3.11; 2 older files listed without it: {d}/a38.pyc, {d}/c27.pyc\n"
            )
        );
    }
    // No input has the option: the listings are still printed, and the
    // run fails saying so.
    let out = run_within(
        bin()
            .args(["dis", "--show-offsets"])
            .arg(fixtures().join("3.8/loops.pyc"))
            .arg(fixtures().join("3.12/loops.pyc")),
        30,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .starts_with("bytescope: --show-offsets needs Python 3.13 or later, and no input is")
    );
    // A single input keeps the plain error.
    let out = run_within(bin().args(["dis", "-C"]).arg(fixtures().join("3.8/loops.pyc")), 30);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--show-caches needs Python 3.11 or later, but this file is Python 3.8")
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn tables_over_mixed_versions() {
    let a = fixtures().join("3.8/loops.pyc");
    let b = fixtures().join("3.12/loops.pyc");
    let out = run_within(bin().args(["table", "positions"]).arg(&a).arg(&b), 30);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(s.lines().all(|l| l.contains("3.12/loops.pyc")), "{s}");
    assert!(
        text(&out.stderr)
            .starts_with("bytescope: note: table positions exists from Python 3.11; 1 older file left out")
    );
}

/// `0x` and hex digits as `0x?` (code object addresses).
fn without_addresses(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i + 2]);
        rest = rest[i + 2..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        out.push('?');
    }
    out.push_str(rest);
    out
}

#[test]
fn specialized_and_adaptive_list_co_code_adaptive() {
    // What `dis.disassemble(co, adaptive=True, show_caches=True)` prints for each
    // code object of the `loops` fixture, by each real interpreter 3.11+
    // (crates/python/tests/adaptive.json, from tools/gen_python_adaptive.py;
    // the Python package's tests use it too).
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../python/tests/adaptive.json");
    let golden: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(golden).unwrap()).unwrap();
    for v in ["3.11", "3.12", "3.13", "3.14", "3.15"] {
        let pyc = fixtures().join(format!("{v}/loops.pyc"));
        let want: Vec<&str> =
            golden[v]["listing"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        for flag in ["-S", "--specialized", "--adaptive"] {
            let out = run_within(bin().args(["dis", "-C", flag]).arg(&pyc), 30);
            assert!(out.status.success(), "{v} {flag}");
            let got = without_addresses(&text(&out.stdout));
            let mut listings = vec![];
            let mut rest = got.as_str();
            while let Some(i) = rest.find("\nDisassembly of ") {
                listings.push(&rest[..i]);
                let after = &rest[i + 1..];
                rest = &after[after.find(":\n").unwrap() + 2..];
            }
            listings.push(rest);
            assert_eq!(listings, want, "{v} {flag}");
            let err = text(&out.stderr);
            assert!(
                err.contains("a .pyc holds no specialised") && err.contains("running interpreter"),
                "{err}"
            );
        }
    }
    // Nothing is quickened before 3.11: the listing is the plain one.
    let pyc = fixtures().join("3.10/loops.pyc");
    let plain = run_within(bin().arg("dis").arg(&pyc), 30);
    let out = run_within(bin().args(["dis", "--adaptive"]).arg(&pyc), 30);
    assert!(out.status.success());
    assert_eq!(out.stdout, plain.stdout);
}

#[test]
fn header_source_is_scriptable() {
    let t = TempDir::new();
    let ex = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let pyc = std::fs::read(ex.join("hello.cpython-312.pyc")).unwrap();
    let src = std::fs::read(ex.join("hello.py")).unwrap();
    put(&t.path("hello.pyc"), &pyc);
    put(&t.path("hello.py"), &src);
    let mut changed = src.clone();
    changed.extend_from_slice(b"\n# edited\n");
    put(&t.path("edited.py"), &changed);
    // A checked-hash pyc: fresh exits 0, stale 1.
    let check = |pyc: &str, py: &str, json: bool| {
        let mut cmd = bin();
        cmd.arg("header");
        if json {
            cmd.arg("--json");
        }
        run_within(cmd.arg("--source").arg(t.path(py)).arg(t.path(pyc)), 30)
    };
    let out = check("hello.pyc", "hello.py", false);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("source:       up to date (source hash match)\n"));
    let out = check("hello.pyc", "edited.py", false);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("source:       stale ("));
    assert!(out.stderr.is_empty(), "stale is an answer, not an error");
    let out = check("hello.pyc", "edited.py", true);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source_check"]["status"], "stale");
    assert_eq!(v["source_check"]["cpython_checks"], true);
    // The same pyc made unchecked-hash (flags 0b01): still compared, and
    // the report says CPython loads it without checking.
    let mut unchecked = pyc.clone();
    unchecked[4..8].copy_from_slice(&1u32.to_le_bytes());
    put(&t.path("unchecked.pyc"), &unchecked);
    let out = check("unchecked.pyc", "edited.py", false);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(
        s.contains("stale (") && s.contains("unchecked-hash pyc: CPython loads it anyway, without checking"),
        "{s}"
    );
    let out = check("unchecked.pyc", "hello.py", true);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source_check"]["status"], "up_to_date");
    assert_eq!(v["source_check"]["cpython_checks"], false);
    assert_eq!(v["invalidation"], "unchecked-hash");
}
