//! `bytescope cfg`, `check` and `diff` (and `FILE::QUALNAME` on them and on `stack`) on the
//! CPython-compiled analysis fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../analysis/tests/fixtures/{version}/stack_example.pyc"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bytescope")).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    stdout(out).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn cfg_formats_and_the_exception_edge_on_313() {
    let f = fixture("3.13");
    let sel = format!("{}::guarded", f.display());
    let out = run(&["cfg", &sel]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.starts_with("guarded (line "), "{text}");
    assert!(text.contains(" exception"), "{text}");
    let recs = json_lines(&run(&["cfg", "--json", &sel]));
    assert_eq!(recs.len(), 1, "{recs:?}");
    let edges = recs[0]["edges"].as_array().unwrap();
    let exc: Vec<_> = edges.iter().filter(|e| e["kind"] == "exception").collect();
    assert!(
        !exc.is_empty() && exc.iter().all(|e| e["depth"].is_u64() && e["lasti"].is_boolean()),
        "{edges:?}"
    );
    assert!(stdout(&run(&["cfg", "--format", "dot", &sel])).starts_with("digraph"));
    assert!(stdout(&run(&["cfg", "--format", "mermaid", &sel])).starts_with("flowchart"));
    assert!(stdout(&run(&["cfg", "--format", "svg", &sel])).contains("<svg"));
}

#[test]
fn check_is_quiet_on_compiled_code_of_every_version() {
    for v in ["2.7", "3.6", "3.8", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"] {
        let f = fixture(v);
        let out = run(&["check", f.to_str().unwrap()]);
        assert!(out.status.success() && out.stdout.is_empty(), "{v}: {}", stdout(&out));
        let recs = json_lines(&run(&["check", "--json", f.to_str().unwrap()]));
        assert!(recs.len() >= 7, "{v}");
        for r in &recs {
            for key in ["path", "qualname", "firstlineno", "co_stacksize", "computed_stacksize", "findings"] {
                assert!(r.get(key).is_some(), "{v}: {key} missing in {r}");
            }
        }
    }
}

#[test]
fn diff_manual_loop_against_comprehension() {
    for v in ["3.6", "3.11", "3.12", "3.15"] {
        let f = fixture(v);
        let (a, b) = (format!("{}::manual", f.display()), format!("{}::comprehension", f.display()));
        let out = run(&["diff", &a, &b]);
        assert_eq!(out.status.code(), Some(1), "{v}: {}", String::from_utf8_lossy(&out.stderr));
        let text = stdout(&out);
        assert!(
            text.contains("append") && text.contains("+LIST_APPEND ") && text.contains("summary:"),
            "{v}: {text}"
        );
        let same = run(&["diff", &a, &a]);
        assert_eq!(same.status.code(), Some(0), "{v}");
    }
}

#[test]
fn qualname_selection_on_stack_check_and_cfg() {
    let f = fixture("3.12");
    let recs = json_lines(&run(&["stack", "--json", &format!("{}::scaled", f.display())]));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["qualname"], "scaled");
    let recs = json_lines(&run(&["check", "--json", "--function", "manual", f.to_str().unwrap()]));
    assert_eq!(recs.len(), 1);
    // 3.12 inlines the comprehension; a nested code object comes with its parent.
    let f = fixture("3.8");
    let recs = json_lines(&run(&["cfg", "--json", &format!("{}::comprehension", f.display())]));
    let names: Vec<_> = recs.iter().map(|r| r["qualname"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["comprehension", "comprehension.<locals>.<listcomp>"]);
    let out = run(&["cfg", &format!("{}::nothing", f.display())]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no code object named nothing"));
}

fn schema(name: &str) -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas").join(format!("{name}.schema.json"));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::meta::validate(&v).unwrap_or_else(|e| panic!("{name}: not a valid schema: {e}"));
    jsonschema::validator_for(&v).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn records_match_their_schemas() {
    let (cfg, check, diff) = (schema("cfg"), schema("check"), schema("diff"));
    for v in ["2.7", "3.8", "3.12", "3.13", "3.15"] {
        let f = fixture(v);
        let f = f.to_str().unwrap();
        for r in json_lines(&run(&["cfg", "--json", f])) {
            assert!(
                cfg.is_valid(&r),
                "{v}: {:?}",
                cfg.iter_errors(&r).map(|e| e.to_string()).collect::<Vec<_>>()
            );
        }
        for r in json_lines(&run(&["check", "--json", f])) {
            assert!(
                check.is_valid(&r),
                "{v}: {:?}",
                check.iter_errors(&r).map(|e| e.to_string()).collect::<Vec<_>>()
            );
        }
        let out = run(&["diff", "--json", &format!("{f}::manual"), &format!("{f}::comprehension")]);
        let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            diff.is_valid(&d),
            "{v}: {:?}",
            diff.iter_errors(&d).map(|e| e.to_string()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn diff_reads_inputs_as_every_command_does() {
    // Headerless data (the 3.12 fixture without its 16-byte header): detected and named on
    // stderr; a wrong --python-version fails unless --force; archive members and stdin work;
    // a directory of several files asks for one.
    let f = fixture("3.12");
    let data = std::fs::read(&f).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("bare.bin");
    std::fs::write(&bare, &data[16..]).unwrap();
    let (a, b) = (format!("{}::manual", f.display()), format!("{}::manual", bare.display()));
    let out = run(&["diff", &a, &b]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("detected Python 3.12"));
    let out = run(&["diff", "--python-version", "3.13", &a, &b]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not Python 3.13"));
    let out = run(&["diff", "--python-version", "3.12", &a, &b]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let zip_path = dir.path().join("a.zip");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("m.pyc", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut w, &data).unwrap();
    let zip = w.finish().unwrap().into_inner();
    std::fs::write(&zip_path, &zip).unwrap();
    let member = format!("{}:m.pyc::manual", zip_path.display());
    let out = run(&["diff", &member, &a]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout(&out).starts_with(&format!("--- {}:m.pyc::manual", zip_path.display())),
        "{}",
        stdout(&out)
    );

    std::fs::copy(&f, dir.path().join("b.pyc")).unwrap();
    let out = run(&["diff", dir.path().to_str().unwrap(), &a]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("names several files"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
