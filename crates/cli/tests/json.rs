//! JSON that composes: every `--json` command (and `table`, `scan`) prints
//! JSON Lines, one record per line, each naming its file; every record
//! matches its committed schema (`docs/schemas/`); and the records still
//! hold exactly what CPython computes (`dis.get_instructions()`, the
//! `co_*` attributes, the tables), compared field by field with the
//! fixtures made by the real interpreters.

use std::collections::BTreeMap;
use std::io::{Cursor, Write as _};
use std::path::{Path, PathBuf};

use serde_json::Value;
use zip::write::SimpleFileOptions;

mod common;
use common::{TempDir, bin, fixture, fixtures, put, run_within};

fn schema(name: &str) -> jsonschema::Validator {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas").join(format!("{name}.schema.json"));
    let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    jsonschema::meta::validate(&v).unwrap_or_else(|e| panic!("{name}: not a valid schema: {e}"));
    jsonschema::validator_for(&v).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every line of `stdout` as JSON; fails on anything else.
fn records(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            assert!(v.is_object(), "{l}");
            v
        })
        .collect()
}

/// A zip holding two fixtures, for records of archive members.
fn corpus() -> TempDir {
    let t = TempDir::new();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, rel) in [("pkg/a.pyc", "3.12/closures.pyc"), ("pkg/b.pyc", "2.7/py2_classes.pyc")] {
        w.start_file(name, SimpleFileOptions::default()).unwrap();
        w.write_all(&fixture(rel)).unwrap();
    }
    put(&t.path("app.zip"), &w.finish().unwrap().into_inner());
    t
}

fn run(args: &[&str], inputs: &[PathBuf]) -> Vec<Value> {
    let out = run_within(bin().args(args).args(inputs), 60);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    records(&out.stdout)
}

/// Every command's records over every fixture (2.7, 3.6-3.15) and an
/// archive match their schema, and carry path and member.
#[test]
fn records_match_their_schemas() {
    let t = corpus();
    let inputs = vec![fixtures(), t.path("app.zip")];
    let cases: &[(&[&str], &str)] = &[
        (&["dis", "--json"], "dis"),
        (&["info", "--json"], "info"),
        (&["inspect", "--json"], "inspect"),
        (&["header", "--json"], "header"),
        (&["table", "lines"], "table"),
        (&["table", "linestarts"], "table"),
        (&["scan"], "scan"),
        (&["scan", "--select", "all"], "scan"),
        (&["scan", "--find", "os.path", "--select", "path,qualname,matches"], "scan"),
        (&["scan", "--grep", "[a-z]{4}", "--grep-bytes", r"\x00"], "scan"),
    ];
    for (args, name) in cases {
        let validator = schema(name);
        let recs = run(args, &inputs);
        assert!(
            recs.len() > 100 || args[0] == "header" || args.contains(&"--find"),
            "{args:?}: {}",
            recs.len()
        );
        let mut members = 0;
        for r in &recs {
            if let Err(e) = validator.validate(r) {
                panic!("{args:?}: {e} at {}\n{r}", e.instance_path());
            }
            if r.get("type").is_none_or(|t| t == "file") && r.get("path").is_some() {
                assert!(r["path"].is_string(), "{r}");
                members += usize::from(r["member"].is_string());
            }
        }
        assert!(members > 0 || args.contains(&"--find"), "{args:?}: no archive member records");
    }
    // Headerless input: the detected version and its candidates.
    let bare = t.path("bare");
    std::fs::write(&bare, &std::fs::read(fixtures().join("3.12/args.pyc")).unwrap()[16..]).unwrap();
    for r in run(&["header", "--json"], &[bare]) {
        assert!(schema("header").is_valid(&r), "{r}");
        assert_eq!(r["version_detected"], true);
    }
    // The tables only some versions have, over the versions that have them.
    for kind in ["positions", "exceptions"] {
        let validator = schema("table");
        for r in run(&["table", kind], &[fixtures().join("3.11"), fixtures().join("3.14")]) {
            assert!(validator.is_valid(&r), "{r}");
        }
    }
    // extract's records over the frozen test applications.
    let validator = schema("extract");
    let mut apps = 0;
    let frozen = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frozen/tests/data");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&frozen).unwrap().flatten().map(|e| e.path()).collect();
    names.sort();
    for app in names {
        let out = run_within(bin().args(["extract", "--json"]).arg(&app), 60);
        for r in records(&out.stdout) {
            if let Err(e) = validator.validate(&r) {
                panic!("extract {}: {e} at {}\n{r}", app.display(), e.instance_path());
            }
            apps += usize::from(r["type"] == "app");
        }
    }
    assert!(apps > 3, "{apps} apps");
    // Header records with a source check.
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for r in run(
        &["header", "--json", "--source", ex.join("hello.py").to_str().unwrap()],
        &[ex.join("hello.cpython-312.pyc")],
    ) {
        assert!(schema("header").is_valid(&r), "{r}");
        assert_eq!(r["source_check"]["status"], "up_to_date");
    }
}

/// One rule for one input and for many: JSON Lines, never framed, and
/// records of different files are told apart by their path.
#[test]
fn several_inputs_compose() {
    let a = fixtures().join("3.12/args.pyc");
    let b = fixtures().join("3.8/closures.pyc");
    for args in
        [&["dis", "--json"][..], &["info", "--json"], &["table", "linestarts"], &["inspect", "--json"]]
    {
        let one = run(args, std::slice::from_ref(&a));
        let two = run(args, &[a.clone(), b.clone()]);
        assert_eq!(two[..one.len()], one[..], "{args:?}");
        let paths: Vec<&str> = two.iter().map(|r| r["path"].as_str().unwrap()).collect();
        assert!(paths[one.len()..].iter().all(|p| p.ends_with("3.8/closures.pyc")), "{args:?}");
        // index runs 0.. per file; qualname and firstlineno everywhere.
        for recs in [&two[..one.len()], &two[one.len()..]] {
            for (i, r) in recs.iter().enumerate() {
                assert_eq!(r["index"], i, "{args:?}");
                assert!(r["qualname"].is_string() && r["firstlineno"].is_i64(), "{args:?}: {r}");
            }
        }
    }
    // The per-code-object records of different commands line up by index.
    let dis = run(&["dis", "--json"], std::slice::from_ref(&b));
    let table = run(&["table", "linestarts"], std::slice::from_ref(&b));
    let inspect = run(&["inspect", "--json"], std::slice::from_ref(&b));
    assert_eq!(dis.len(), table.len());
    for ((d, t), i) in dis.iter().zip(&table).zip(&inspect) {
        for key in ["index", "qualname", "firstlineno", "offset"] {
            assert_eq!(d[key], t[key], "{key}");
            assert_eq!(d[key], i[key], "{key}");
        }
    }
    // Pre-3.11 qualnames are derived (CPython has no co_qualname there).
    assert!(dis.iter().any(|r| r["qualname"] == "make_counter.<locals>.increment"), "{dis:?}");
}

/// Replaces ` at 0x<hex>` in every string of `v` (code-object addresses).
fn normalise(v: &mut Value) {
    match v {
        Value::String(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find(" at 0x") {
                out.push_str(&rest[..i]);
                out.push_str(" at 0xADDR");
                let tail = &rest[i + 6..];
                rest = &tail[tail.bytes().take_while(u8::is_ascii_hexdigit).count()..];
            }
            out.push_str(rest);
            *s = out;
        }
        Value::Array(a) => a.iter_mut().for_each(normalise),
        Value::Object(o) => o.values_mut().for_each(normalise),
        _ => {}
    }
}

/// The records of every fixture pyc, grouped by file.
fn by_file(args: &[&str]) -> BTreeMap<String, Vec<Value>> {
    let mut map: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in run(args, &[fixtures()]) {
        map.entry(r["path"].as_str().unwrap().to_owned()).or_default().push(r);
    }
    map
}

/// For every fixture with `suffix` (a JSON array per code object, made by
/// CPython), `pick(record)` equals the fixture's entry, field by field.
fn matches_cpython(args: &[&str], suffix: &str, pick: impl Fn(&Value) -> Value) {
    let mut compared = 0;
    for (path, recs) in by_file(args) {
        let expected = PathBuf::from(path.strip_suffix(".pyc").unwrap()).with_extension(suffix);
        let Ok(text) = std::fs::read_to_string(&expected) else { continue };
        let mut theirs: Value = serde_json::from_str(&text).unwrap();
        normalise(&mut theirs);
        let theirs = theirs.as_array().unwrap().clone();
        assert_eq!(recs.len(), theirs.len(), "{}: code objects", expected.display());
        for (r, t) in recs.iter().zip(&theirs) {
            let mut ours = pick(r);
            normalise(&mut ours);
            if ours != *t {
                let (o, t) = (ours.as_array(), t.as_array());
                let first = o.zip(t).and_then(|(o, t)| o.iter().zip(t).find(|(a, b)| a != b));
                panic!("{}: record {} differs from CPython: {first:?}", expected.display(), r["index"]);
            }
        }
        compared += 1;
    }
    assert!(compared > 100, "{suffix}: {compared} files compared");
}

#[test]
fn dis_json_is_get_instructions() {
    matches_cpython(&["dis", "--json"], "instructions.json", |r| r["instructions"].clone());
}

#[test]
fn table_records_are_cpythons_tables() {
    matches_cpython(&["table", "linestarts"], "linestarts.json", |r| r["rows"].clone());
    matches_cpython(&["table", "lines"], "lines.json", |r| r["rows"].clone());
}

#[test]
fn info_json_is_cpythons_attributes() {
    let own = ["path", "member", "index", "qualname", "firstlineno", "offset"];
    matches_cpython(&["info", "--json"], "attrs.json", |r| {
        let mut o = r.as_object().unwrap().clone();
        for k in own {
            o.shift_remove(k);
        }
        Value::Object(o)
    });
}
