//! The `bytescope` binary against what real CPython printed, on one fixture
//! per version and every text view: the commands wire the library's printers to
//! the terminal faithfully. The printers themselves are tested on every
//! fixture where they live (`crates/dis/tests/goldens.rs`, and the header
//! and rewrite tests of `crates/pyc` and `crates/marshal`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// The first fixture pyc of each version that has every view.
fn samples() -> Vec<PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(fixtures()).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs.into_iter().filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
        files.sort();
        if let Some(f) = files.into_iter().find(|f| {
            f.extension().is_some_and(|e| e == "pyc") && f.with_extension("instructions.json").exists()
        }) {
            out.push(f);
        }
    }
    assert!(out.len() >= 10, "{out:?}");
    out
}

/// Replaces ` at 0x<hex>` (code-object addresses, or bytescope's offsets).
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i]);
        out.push_str(" at 0xADDR");
        let tail = &rest[i + 6..];
        let n = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

/// Fails with the first differing line, addresses normalised.
fn same(ours: &str, theirs: &str, what: &str) {
    let (a, b) = (normalise(ours), normalise(theirs));
    if a != b {
        let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
        panic!("{what}: differs from CPython at line {line:?}");
    }
}

fn run(args: &[&str], file: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bytescope")).args(args).arg(file).output().unwrap();
    assert!(out.status.success(), "{args:?} {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_view_matches_cpython() {
    // The text views; the JSON views' records (JSON Lines naming their
    // file) are checked against the fixtures in tests/json.rs.
    let views: [(&[&str], &str); 5] = [
        (&["dis"], "dis.txt"),
        (&["dis", "--show-caches"], "dis-caches.txt"),
        (&["dis", "--show-offsets"], "dis-offsets.txt"),
        (&["dis", "--show-positions"], "dis-positions.txt"),
        (&["info"], "info.txt"),
    ];
    let mut checked = 0;
    for pyc in samples() {
        for (args, suffix) in views {
            let Ok(expected) = std::fs::read_to_string(pyc.with_extension(suffix)) else { continue };
            same(&run(args, &pyc), &expected, &format!("{args:?} {}", pyc.display()));
            checked += 1;
        }
    }
    assert!(checked > 25, "{checked}");
}

/// `FILE::QUALNAME` and `--function` pick code objects; a name that picks
/// nothing is an error naming it.
#[test]
fn function_selection() {
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello.cpython-312.pyc");
    let spec = format!("{}::Counter::add", hello.display());
    let out = Command::new(env!("CARGO_BIN_EXE_bytescope")).args(["dis", &spec]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(" 17           0 RESUME                   0\n"), "{text}");
    assert!(!text.contains("Disassembly of"));
    let out = Command::new(env!("CARGO_BIN_EXE_bytescope"))
        .args(["info", "--function", "greet", "--function", "Counter.__init__"])
        .arg(&hello)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("Name:              ")).collect();
    assert_eq!(names, ["greet", "__init__"]);
    let out = Command::new(env!("CARGO_BIN_EXE_bytescope"))
        .args(["dis", "--function", "missing"])
        .arg(&hello)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no code object named missing"));
    // The JSON records of a selection name the picked code objects (their
    // pre-order index, qualname and offset), not the module's.
    // (`dis` shows the code objects nested in a picked one too.)
    for (cmd, want) in [
        ("info", &[(2, "Counter"), (4, "Counter.add")][..]),
        ("dis", &[(2, "Counter"), (3, "Counter.__init__"), (4, "Counter.add")]),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_bytescope"))
            .args([cmd, "--json", "--function", "Counter.add", "--function", "Counter"])
            .arg(&hello)
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd}");
        let got: Vec<(u64, String)> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (v["index"].as_u64().unwrap(), v["qualname"].as_str().unwrap().to_owned())
            })
            .collect();
        let want: Vec<(u64, String)> = want.iter().map(|&(i, q)| (i, q.to_owned())).collect();
        assert_eq!(got, want, "{cmd}");
    }
}
