//! PyPy: `bytescope dis` of the pycs PyPy 3.9 compiled from tests/snippets
//! equals what PyPy's own `dis` printed for them (tests/pypy, made by
//! tools/gen_pypy_fixtures.py), code-object addresses aside; the header
//! names the implementation.

use std::path::Path;
use std::process::Command;

fn addresses(s: &str) -> String {
    s.split(" at 0x")
        .enumerate()
        .map(|(i, p)| {
            if i == 0 {
                p.to_owned()
            } else {
                p.trim_start_matches(|c: char| c.is_ascii_hexdigit()).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" at 0x")
}

#[test]
fn pypy_listings_equal_pypys_dis() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/pypy/3.9");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let pyc = entry.unwrap().path();
        if pyc.extension().is_none_or(|e| e != "pyc") {
            continue;
        }
        let want = std::fs::read_to_string(pyc.with_extension("dis.txt")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_bytescope")).arg("dis").arg(&pyc).output().unwrap();
        assert!(out.status.success(), "{}: {}", pyc.display(), String::from_utf8_lossy(&out.stderr));
        let got = String::from_utf8(out.stdout).unwrap();
        assert_eq!(addresses(&got), addresses(&want), "{}", pyc.display());
        seen += 1;
    }
    assert!(seen >= 20, "only {seen} PyPy fixtures");
    let out = Command::new(env!("CARGO_BIN_EXE_bytescope"))
        .args(["header", "--json"])
        .arg(dir.join("closures.pyc"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["implementation"].as_str(), v["version"].as_str(), v["magic"].as_u64()),
        (Some("PyPy"), Some("3.9"), Some(336))
    );
}

#[test]
fn assembly_text_of_pypy_is_a_clear_error() {
    let pyc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/pypy/3.9/closures.pyc");
    let out =
        Command::new(env!("CARGO_BIN_EXE_bytescope")).args(["dis", "--asm"]).arg(&pyc).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a PyPy .pyc: the assembly text is CPython bytecode's"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn inspect_reads_pypys_opcodes_and_stack_says_what_it_models() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/pypy/3.9");
    // CALL_METHOD and LOOKUP_METHOD are PyPy's: calls are found through them.
    let out = Command::new(env!("CARGO_BIN_EXE_bytescope"))
        .arg("inspect")
        .arg(dir.join("imports.pyc"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("imports     os, os.path, collections.abc, json"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_bytescope"))
        .arg("stack")
        .arg(dir.join("classes.pyc"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("analysis of PyPy bytecode is not supported"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
