//! `bytescope inspect` through the CLI: text, --json, several files, errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(rel)
}

fn inspect(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bytescope")).arg("inspect").args(args).args(paths).output().unwrap()
}

#[test]
fn text_report() {
    let out = inspect(&[], &[&fixture("3.12/closures.pyc")]);
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.starts_with(
        "closures.py: Python 3.12, 15 code objects, 39 constants\n\n<module> (module, closures.py:1)\n"
    ));
    assert!(s.contains(
        "\nmake_counter.<locals>.increment (function, closures.py:8)\n  arguments   (step)\n  free        count\n"
    ));
    assert!(s.contains("\n<lambda> (lambda, closures.py:34)\n  arguments   (*a, k, **kw)\n"));
}

#[test]
fn json_report() {
    let out = inspect(&["--json"], &[&fixture("2.7/py2_classes.pyc")]);
    assert!(out.status.success());
    // JSON Lines: one record per code object, naming its file.
    let codes: Vec<serde_json::Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert!(codes.len() > 3);
    for (i, c) in codes.iter().enumerate() {
        assert_eq!(c["version"], "2.7");
        assert_eq!(c["path"], fixture("2.7/py2_classes.pyc").display().to_string());
        assert_eq!(c["member"], serde_json::Value::Null);
        assert_eq!(c["index"], i);
    }
    let method = codes.iter().find(|c| c["qualname"] == "NewStyle.__init__").unwrap();
    assert_eq!(method["kind"], "function");
    assert_eq!(method["method"], true);
    assert_eq!(method["qualname_source"], "derived");
    assert_eq!(method["arguments"]["positional"], serde_json::json!(["self", "a"]));
    let class = &codes[method["parent"].as_u64().unwrap() as usize];
    assert_eq!(class["kind"], "class");
}

#[test]
fn several_files_and_a_broken_one() {
    let dir = std::env::temp_dir().join(format!("bytescope-cli-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.pyc");
    let mut data = std::fs::read(fixture("3.11/async_def.pyc")).unwrap();
    data.truncate(100);
    std::fs::write(&broken, &data).unwrap();
    let good = fixture("3.11/async_def.pyc");
    let out = inspect(&[], &[&good, &broken, &fixture("3.14/slices.pyc")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8(out.stdout).unwrap();
    let frames: Vec<&str> = s.lines().filter(|l| l.starts_with("==> ")).collect();
    assert_eq!(frames.len(), 3);
    assert!(frames[1].ends_with("broken.pyc <=="));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1);
    assert!(
        err.starts_with(&format!("bytescope: {}: ", broken.display())) && err.contains("(at offset 0x"),
        "{err}"
    );
}
