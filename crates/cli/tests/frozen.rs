//! Frozen applications through the CLI: `extract` (listing, writing,
//! manifest, hostile member names, output directory rules) and direct input
//! to every command through the batch layer (`scan APP`, `dis APP:MEMBER`).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{TempDir, put};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bytescope"))
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frozen/tests/data").join(name)
}

fn run(cmd: &mut Command) -> (String, String, i32) {
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn extract_writes_every_entry_with_a_manifest() {
    let tmp = TempDir::new();
    let out = tmp.path("out");
    let (stdout, stderr, code) =
        run(bin().args(["extract", "-o"]).arg(&out).arg("--json").arg(data("pi6_py312.elf")));
    assert_eq!(code, 0, "{stderr}");
    let records: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records[0]["type"], "app");
    assert_eq!(records[0]["freezer"], "PyInstaller");
    assert_eq!(records[0]["version"], "3.12");
    assert_eq!(records[0]["magic"], 3531);
    assert_eq!(records.len(), 1 + 14);
    let inner = records.iter().find(|r| r["name"] == "mypkg.inner").unwrap();
    assert_eq!(inner["kind"], "module");
    assert_eq!(inner["archive"], "pyz");
    assert_eq!(inner["output"], "PYZ.pyz_extracted/mypkg/inner.pyc");
    let written = std::fs::read(out.join("PYZ.pyz_extracted/mypkg/inner.pyc")).unwrap();
    assert_eq!(&written[..4], b"\xcb\x0d\x0d\x0a");
    assert_eq!(inner["size"], written.len());
    assert_eq!(inner["sha256"].as_str().unwrap().len(), 64);
    let option = records.iter().find(|r| r["kind"] == "option").unwrap();
    assert_eq!(option["output"], serde_json::Value::Null);
    // Every output that is a pyc disassembles.
    let (_, stderr, code) = run(bin().arg("dis").arg(out.join("hello.pyc")));
    assert_eq!(code, 0, "{stderr}");
    // A second run into the same directory is refused.
    let (_, stderr, code) = run(bin().args(["extract", "-o"]).arg(&out).arg(data("pi6_py312.elf")));
    assert_eq!(code, 1);
    assert!(stderr.contains("not empty"), "{stderr}");
}

#[test]
fn listing_and_errors() {
    let (stdout, _, code) = run(bin().arg("extract").arg(data("pi3_py37_cfb8.bin")));
    assert_eq!(code, 0);
    assert!(stdout.starts_with(&format!(
        "{}: PyInstaller (raw), Python 3.7 (magic 3394, from the PYZ magic), PYZ encrypted (AES-128-CFB8, key \"k3y\"), 5 entries",
        data("pi3_py37_cfb8.bin").display()
    )), "{stdout}");
    assert!(stdout.contains("module             0 ze"), "{stdout}");
    let (_, stderr, code) = run(bin().arg("extract").arg(data("nuitka.bin")));
    assert_eq!(code, 1);
    assert!(stderr.contains("Nuitka-compiled application") && stderr.lines().count() == 1, "{stderr}");
    let (_, stderr, code) = run(bin().arg("extract").arg(data("expected.json")));
    assert_eq!(code, 1);
    assert!(stderr.contains("not a frozen Python application"), "{stderr}");
}

/// A package with hostile member names (a 6.x-style CArchive, uncompressed).
fn hostile_names() -> Vec<u8> {
    let names = ["../../escape.txt", "/abs/olute", "C:\\win\\x", "dup", "DUP", "dir", "dir/inner", "a\0b"];
    let mut body = Vec::new();
    let mut toc = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let payload = format!("payload {i}");
        let off = body.len() as u32;
        body.extend(payload.as_bytes());
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        let mut len = 18 + n.len();
        len += (16 - len % 16) % 16;
        n.resize(len - 18, 0);
        toc.extend((len as u32).to_be_bytes());
        toc.extend(off.to_be_bytes());
        toc.extend((payload.len() as u32).to_be_bytes());
        toc.extend((payload.len() as u32).to_be_bytes());
        toc.extend([0, b'x']);
        toc.extend(n);
    }
    let toc_off = body.len() as u32;
    body.extend(&toc);
    let pkg_len = body.len() as u32 + 88;
    body.extend(b"MEI\x0c\x0b\x0a\x0b\x0e");
    for v in [pkg_len, toc_off, toc.len() as u32, 312] {
        body.extend(v.to_be_bytes());
    }
    let mut lib = b"libpython3.12.so.1.0".to_vec();
    lib.resize(64, 0);
    body.extend(lib);
    body
}

#[test]
fn hostile_member_names_stay_inside_the_output_directory() {
    let tmp = TempDir::new();
    let app = tmp.path("app.bin");
    put(&app, &hostile_names());
    let out = tmp.path("deep/out");
    let (stdout, stderr, code) = run(bin().args(["extract", "--json", "-o"]).arg(&out).arg(&app));
    assert_eq!(code, 0, "{stderr}");
    let outputs: Vec<String> = stdout
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["output"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        outputs,
        ["__/__/escape.txt", "abs/olute", "C_/win/x", "dup", "DUP~1", "dir", "dir~1/inner", "a"]
    );
    for (i, rel) in outputs.iter().enumerate() {
        assert_eq!(std::fs::read_to_string(out.join(rel)).unwrap(), format!("payload {i}"));
    }
    assert!(!tmp.path("deep/escape.txt").exists() && !tmp.path("escape.txt").exists());
}

#[test]
fn commands_take_frozen_apps_directly() {
    let app = data("pi6_py312.elf");
    let (stdout, stderr, code) = run(bin().args(["scan", "--select", "type,member,version,error"]).arg(&app));
    assert_eq!(code, 0, "{stderr}");
    let members: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["type"] == "file")
        .map(|r| r["member"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        members,
        ["struct", "pyimod01_archive", "pyiboot01_bootstrap", "hello", "mymod", "mypkg", "mypkg.inner"]
    );
    let mut member = app.clone().into_os_string();
    member.push(":mypkg.inner");
    let (stdout, stderr, code) = run(bin().arg("dis").arg(&member));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("RESUME"), "{stdout}");
    let mut missing = app.into_os_string();
    missing.push(":nope");
    let (_, stderr, code) = run(bin().arg("dis").arg(&missing));
    assert_eq!(code, 1);
    assert!(stderr.contains("no entry \"nope\" in this PyInstaller application"), "{stderr}");
    // Encrypted PYZ modules, decrypted on the way.
    let (stdout, stderr, code) = run(bin().arg("header").arg(data("pi4_py38_ctr.bin")));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.matches("version:      3.8").count(), 5, "{stdout}");
}

#[test]
fn raw_marshal_holding_the_cookie_bytes_is_still_read() {
    // PyInstaller's own archive reader, extracted headerless, holds the
    // cookie magic as a constant: it must still be read as marshal data.
    let tmp = TempDir::new();
    let pyc = common::fixture("3.12/imports.pyc");
    let mut raw = pyc[16..].to_vec();
    raw.extend(b"MEI\x0c\x0b\x0a\x0b\x0e trailing");
    let path = tmp.path("pyimod01_archive");
    put(&path, &raw);
    let (stdout, stderr, code) = run(bin().args(["dis", "--python-version", "3.12"]).arg(&path));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("IMPORT_NAME"), "{stdout}");
}
