//! `bytescope stack`: text, JSON Lines and summaries on CPython-compiled fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../analysis/tests/fixtures/{version}/stack_example.pyc"))
}

fn stack(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bytescope")).arg("stack").args(args).args(paths).output().unwrap()
}

fn text(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn text_listing_shows_depths_and_slots() {
    let out = text(&stack(&[], &[&fixture("3.12")]));
    assert!(out.contains("scaled (line 5): co_stacksize 4, computed the same\n"), "{out}");
    let call = out.lines().find(|l| l.contains(" CALL ") && l.contains("math.sqrt(x)")).expect("CALL line");
    assert!(call.contains("4 → 2"), "{call}");
    assert!(out.contains("LOAD_GLOBAL   1  NULL + math    1 → 3    0.5 | NULL | math"), "{out}");
}

#[test]
fn json_lines_one_record_per_code_object() {
    let a = fixture("3.12");
    let b = fixture("2.7");
    let out = text(&stack(&["--json"], &[&a, &b]));
    let records: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // No `==> PATH <==` lines: every record names its file.
    assert!(records.len() >= 14, "{}", records.len());
    for r in &records {
        assert_eq!(r["co_stacksize"], r["computed_stacksize"], "{r}");
        assert!(r["path"].as_str().unwrap().ends_with("stack_example.pyc"));
        assert!(r["problems"].as_array().unwrap().is_empty());
        for i in r["instructions"].as_array().unwrap() {
            let stack = i["stack"].as_array().unwrap();
            if let Some(after) = i["depth_after"].as_u64() {
                assert_eq!(stack.len() as u64, after, "{i}");
            }
        }
    }
    let scaled = records
        .iter()
        .find(|r| r["qualname"] == "scaled" && r["path"].as_str().unwrap().contains("3.12"))
        .unwrap();
    let call = scaled["instructions"].as_array().unwrap().iter().find(|i| i["opname"] == "CALL").unwrap();
    assert_eq!(call["depth_before"], 4);
    assert_eq!(call["depth_after"], 2);
    assert_eq!(call["stack"], serde_json::json!(["0.5", "math.sqrt(x)"]));
    // 2.7 names the callable the same way, without NULL.
    let scaled27 = records
        .iter()
        .find(|r| r["qualname"] == "scaled" && r["path"].as_str().unwrap().contains("2.7"))
        .unwrap();
    assert!(
        scaled27["instructions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["stack"] == serde_json::json!(["0.5", "math.sqrt(x)"]))
    );
}

#[test]
fn summary_has_no_instructions() {
    let out = text(&stack(&["--summary", "--json"], &[&fixture("3.11")]));
    for line in out.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(r.get("instructions").is_none());
        assert_eq!(r["co_stacksize"], r["computed_stacksize"]);
    }
    let out = text(&stack(&["--summary"], &[&fixture("3.11")]));
    assert!(out.lines().all(|l| l.is_empty() || l.contains("co_stacksize")), "{out}");
}
