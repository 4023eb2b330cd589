//! `bytescope scan`: JSON Lines records, --select, --find, the summary,
//! errors, and order independent of -j.

use std::io::{Cursor, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use zip::write::SimpleFileOptions;

mod common;
use common::{TempDir, fixture, fixtures, put};

fn unhex(lines: &[&str]) -> Vec<u8> {
    let s: String = lines.concat();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn scan(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bytescope")).arg("scan").args(args).args(paths).output().unwrap()
}

fn records(o: &Output) -> Vec<Value> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// `triage.py`, compiled by CPython 3.8.18 and 3.12.1 (`compile(src,
/// "triage.py", "exec")`, timestamp pyc with mtime 1700000000):
///
/// ```python
/// import os, subprocess as sp
/// from marshal import loads
///
///
/// def run(cmd):
///     os.system(cmd)
///     sp.call(cmd)
///     return eval(compile(cmd, "<x>", "exec"))
///
///
/// def load(blob):
///     return loads(blob)
///
///
/// class Loader:
///     def go(self, name):
///         return __import__(name).path.join("a")
/// ```
const TRIAGE_38: &[&str] = &[
    "550d0d0a0000000000f1536517010000e3000000000000000000000000000000000300000040000000733e0000006400",
    "64016c005a00640064016c015a02640064026c036d045a0401006403640484005a056405640684005a06470064076408",
    "8400640883025a07640153002909e9000000004ea901da056c6f61647363010000000000000000000000010000000500",
    "00004300000073240000007400a0017c00a10101007402a0037c00a1010100740474057c006401640283038301530029",
    "034e7a033c783eda04657865632906da026f73da0673797374656dda0273705a0463616c6cda046576616cda07636f6d",
    "70696c652901da03636d64a900720b000000fa097472696167652e7079da0372756e05000000730600000000010a010a",
    "01720d00000063010000000000000000000000010000000200000043000000730800000074007c008301530029014e72",
    "0200000029015a04626c6f62720b000000720b000000720c000000da046c6f61640b00000073020000000001720e0000",
    "0063000000000000000000000000000000000200000040000000731400000065005a0164005a026401640284005a0364",
    "0353002904da064c6f6164657263020000000000000000000000020000000300000043000000731000000074007c0183",
    "016a01a0026401a101530029024eda01612903da0a5f5f696d706f72745f5fda0470617468da046a6f696e2902da0473",
    "656c66da046e616d65720b000000720b000000720c000000da02676f10000000730200000000017a094c6f616465722e",
    "676f4e2904da085f5f6e616d655f5fda0a5f5f6d6f64756c655f5fda0c5f5f7175616c6e616d655f5f7216000000720b",
    "000000720b000000720b000000720c000000720f0000000f00000073020000000801720f00000029087205000000da0a",
    "73756270726f636573737207000000da076d61727368616c7203000000720d000000720e000000720f000000720b0000",
    "00720b000000720b000000720c000000da083c6d6f64756c653e01000000730800000010010c0308060804",
];

/// The same source compiled by CPython 3.12.1.
const TRIAGE_312: &[&str] = &[
    "cb0d0d0a0000000000f1536517010000e30000000000000000000000000400000000000000f340000000970064006401",
    "6c005a00640064016c015a02640064026c036d045a040100640384005a05640484005a0602004700640584006406ab02",
    "0000000000005a0779012907e9000000004ea901da056c6f616473630100000000000000000000000700000003000000",
    "f3820000009700740100000000000000006a020000000000000000000000000000000000007c00ab0100000000000001",
    "00740500000000000000006a060000000000000000000000000000000000007c00ab0100000000000001007409000000",
    "0000000000740b00000000000000007c0064016402ab03000000000000ab01000000000000530029034e7a033c783eda",
    "04657865632906da026f73da0673797374656dda027370da0463616c6cda046576616cda07636f6d70696c652901da03",
    "636d64730100000020fa097472696167652e7079da0372756e720f00000005000000732c0000008000dc040687498149",
    "8863844edc0406874781478843844cdc0b0f940798039855a046d3102bd30b2cd0042cf3000000006301000000000000",
    "00000000000300000003000000f3180000009700740100000000000000007c00ab01000000000000530029014e720300",
    "00002901da04626c6f62730100000020720e000000da046c6f616472130000000b000000730c0000008000dc0b109014",
    "8b3bd004167210000000630000000000000000000000000100000000000000f312000000970065005a0164005a026401",
    "84005a0379022903da064c6f61646572630200000000000000000000000300000003000000f34a000000970074010000",
    "0000000000007c01ab010000000000006a020000000000000000000000000000000000006a0500000000000000000000",
    "00000000000000006401ab01000000000000530029024eda01612903da0a5f5f696d706f72745f5fda0470617468da04",
    "6a6f696e2902da0473656c66da046e616d6573020000002020720e000000da02676f7a094c6f616465722e676f100000",
    "00731e0000008000dc0f199824d30f1fd70f24d10f24d70f29d10f29a823d30f2ed0082e72100000004e2904da085f5f",
    "6e616d655f5fda0a5f5f6d6f64756c655f5fda0c5f5f7175616c6e616d655f5f721d000000a9007210000000720e0000",
    "00721500000072150000000f00000073070000008400f30201052f7210000000721500000029087207000000da0a7375",
    "6270726f636573737209000000da076d61727368616c7204000000720f00000072130000007215000000722100000072",
    "10000000720e000000fa083c6d6f64756c653e722400000001000000731f000000f003010101df001bdd0019f2060301",
    "2df20c010117f70802012ff20002012f7210000000",
];

fn triage_dir() -> TempDir {
    let t = TempDir::new();
    put(&t.path("t/triage.cpython-38.pyc"), &unhex(TRIAGE_38));
    put(&t.path("t/triage.cpython-312.pyc"), &unhex(TRIAGE_312));
    t
}

#[test]
fn records_for_every_file_and_code_object() {
    let dir = fixtures().join("3.12");
    let out = scan(&[], &[&dir]);
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = records(&out);
    let files: Vec<&Value> = recs.iter().filter(|r| r["type"] == "file").collect();
    let pycs = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pyc"))
        .count();
    assert_eq!(files.len(), pycs);
    let f = files[0];
    assert_eq!(
        keys(f),
        ["type", "path", "member", "version", "version_detected", "magic", "header", "code_objects", "error"]
    );
    assert_eq!(f["version_detected"], false);
    assert_eq!(f["version"], "3.12");
    assert_eq!(f["magic"], 3531);
    assert_eq!(f["header"]["invalidation"], "timestamp");
    assert_eq!(f["header"]["mtime"], 1_700_000_000);
    assert!(f["error"].is_null() && f["member"].is_null());
    // Each file record is followed by its code_objects code records.
    let mut i = 0;
    while i < recs.len() {
        assert_eq!(recs[i]["type"], "file");
        let n = recs[i]["code_objects"].as_u64().unwrap() as usize;
        for c in &recs[i + 1..=i + n] {
            assert_eq!(c["type"], "code");
            assert_eq!(c["path"], recs[i]["path"]);
        }
        i += n + 1;
    }
    let code = recs
        .iter()
        .find(|r| r["type"] == "code" && r["qualname"] == "make_counter.<locals>.increment")
        .unwrap();
    assert_eq!(
        keys(code),
        [
            "type",
            "path",
            "member",
            "qualname",
            "firstlineno",
            "kind",
            "flags",
            "argcount",
            "posonlyargcount",
            "kwonlyargcount",
            "globals",
            "attributes",
            "imports",
            "references",
            "opcodes",
            "nested",
            "code_size"
        ]
    );
    assert_eq!(code["kind"], "function");
    assert_eq!(code["flags"], serde_json::json!(["OPTIMIZED", "NEWLOCALS", "NESTED"]));
    assert_eq!(code["argcount"], 1);
    assert_eq!(code["opcodes"]["RETURN_VALUE"], 1);
    let summary = stderr(&out);
    assert!(summary.starts_with(&format!("bytescope scan: {pycs} files, ")), "{summary}");
    assert!(summary.contains(&format!("versions: 3.12 ({pycs})")), "{summary}");
    // No progress output when stderr is not a terminal: summary lines only.
    assert_eq!(summary.lines().count(), 2, "{summary}");
}

#[test]
fn select_picks_fields_and_record_kinds() {
    let p = fixtures().join("3.8/closures.pyc");
    let out = scan(&["--select", "qualname,kind,nested"], &[&p]);
    let recs = records(&out);
    assert!(recs.iter().all(|r| r["type"] == "code"), "file records have none of the fields");
    assert_eq!(keys(&recs[0]), ["type", "qualname", "kind", "nested"]);
    assert_eq!(recs[0]["nested"], 10);
    let out = scan(&["--select", "path,version,error"], &[&p]);
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(keys(&recs[0]), ["type", "path", "version", "error"]);
    let out = scan(&["--select", "all"], &[&p]);
    let recs = records(&out);
    assert!(keys(&recs[1]).contains(&"arguments") && keys(&recs[1]).contains(&"stores"));
    let out = scan(&["--select", "qualname,bogus"], &[&p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown field \"bogus\""), "{}", stderr(&out));
}

#[test]
fn find_reports_suspicious_uses() {
    let t = triage_dir();
    let queries = ["os.system", "subprocess", "marshal.loads", "eval", "compile", "__import__", "ctypes"];
    let mut args = vec!["--select", "path,qualname,matches"];
    for q in &queries {
        args.extend(["--find", q]);
    }
    let out = scan(&args, &[&t.path("t")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Vec<(String, String, Vec<String>)> = records(&out)
        .iter()
        .map(|r| {
            let path = r["path"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
            let m = r["matches"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
            (path, r["qualname"].as_str().unwrap().to_owned(), m)
        })
        .collect();
    let expect_one = |file: &str| {
        vec![
            (
                file.to_owned(),
                "<module>".to_owned(),
                vec!["subprocess".to_owned(), "marshal.loads".to_owned()],
            ),
            (
                file.to_owned(),
                "run".to_owned(),
                ["os.system", "subprocess", "eval", "compile"].map(str::to_owned).to_vec(),
            ),
            (file.to_owned(), "load".to_owned(), vec!["marshal.loads".to_owned()]),
            (file.to_owned(), "Loader.go".to_owned(), vec!["__import__".to_owned()]),
        ]
    };
    let mut expected = expect_one("triage.cpython-312.pyc");
    expected.extend(expect_one("triage.cpython-38.pyc"));
    assert_eq!(got, expected);
    let summary = stderr(&out);
    assert!(summary.contains("found: 8 code objects in 2 files"), "{summary}");

    // Opcodes: Python 2's exec statement.
    let out = scan(&["--find", "EXEC_STMT", "--select", "qualname"], &[&fixtures().join("2.7")]);
    let q: Vec<Value> =
        records(&out).into_iter().filter(|r| r["type"] == "code").map(|r| r["qualname"].clone()).collect();
    assert_eq!(q, ["<module>", "func_exec"]);
}

#[test]
fn errors_become_file_records_and_exit_status_1() {
    let t = TempDir::new();
    put(&t.path("d/a.pyc"), &fixture("3.12/args.pyc"));
    put(&t.path("d/b.pyc"), b"\x00\x01garbage, not a pyc at all");
    put(&t.path("d/c.pyc"), &fixture("3.12/loops.pyc"));
    let out = scan(&["--select", "path,error"], &[&t.path("d")]);
    assert_eq!(out.status.code(), Some(1));
    let files: Vec<Value> = records(&out).into_iter().filter(|r| r["type"] == "file").collect();
    assert_eq!(files.len(), 3);
    assert!(files[0]["error"].is_null() && files[2]["error"].is_null());
    let msg = files[1]["error"].as_str().unwrap();
    let err = stderr(&out);
    assert!(err.starts_with(&format!("bytescope: {}: {msg}\n", t.path("d/b.pyc").display())), "{err}");
    assert!(err.contains("files, ") && err.contains("1 error"), "{err}");

    let out = scan(&["--select", "path,error", "--fail-fast"], &[&t.path("d")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(records(&out).iter().filter(|r| r["type"] == "file").count(), 2);
}

#[test]
fn archives_and_order_do_not_depend_on_jobs() {
    let t = triage_dir();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in [("x/b.pyc", fixture("3.13/classes.pyc")), ("x/a.pyc", unhex(TRIAGE_312))] {
        w.start_file(name, SimpleFileOptions::default()).unwrap();
        w.write_all(&data).unwrap();
    }
    let mut app = b"#!/usr/bin/python3\n".to_vec();
    app.extend(w.finish().unwrap().into_inner());
    put(&t.path("app.pyz"), &app);
    let inputs = [t.path("t"), t.path("app.pyz"), fixtures().join("3.15")];
    let paths: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let one = scan(&["-j", "1"], &paths);
    let two = scan(&["-j", "2"], &paths);
    assert!(one.status.success());
    assert_eq!(one.stdout, two.stdout);
    let members: Vec<Value> = records(&one)
        .into_iter()
        .filter(|r| r["type"] == "file" && !r["member"].is_null())
        .map(|r| r["member"].clone())
        .collect();
    assert_eq!(members, ["x/b.pyc", "x/a.pyc"]);
}

/// --grep and --grep-bytes: constant records after the code records of the
/// code objects with matching constants; only those are printed.
#[test]
fn grep_reports_constants_and_their_loads() {
    let file = fixtures().join("3.12/constants.pyc");
    let out = scan(&["--grep", "hello", "--grep-bytes", r"\xff"], &[&file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = records(&out);
    let consts: Vec<&Value> = recs.iter().filter(|r| r["type"] == "constant").collect();
    let hello = consts.iter().find(|r| r["pattern"] == "hello").expect("hello");
    assert_eq!(hello["value"], "hello world");
    assert_eq!(hello["const_kind"], "str");
    assert_eq!(hello["match"], "hello");
    assert!(!hello["loads"].as_array().unwrap().is_empty());
    let ff = consts.iter().find(|r| r["pattern"] == r"\xff").expect("bytes");
    assert_eq!(ff["const_kind"], "bytes");
    assert_eq!(ff["value"], "\u{0}\\xff");
    // Code records only for the code objects that matched.
    assert!(
        recs.iter()
            .filter(|r| r["type"] == "code")
            .all(|r| r["matches"].as_array().is_some_and(|m| !m.is_empty()))
    );
    // A bad pattern is a usage error.
    let out = scan(&["--grep", "("], &[&file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--grep \"(\""), "{}", stderr(&out));
}
