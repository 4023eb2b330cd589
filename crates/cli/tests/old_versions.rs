//! CPython 1.5 and 2.1–2.6 (and PyPy 2.7's own opcodes): hand-assembled pycs (tests/old, made by
//! tools/gen_old_fixtures.py from the transcribed opcode tables, no interpreter of these
//! versions being available) list as that version's `dis` printed them, pass `check` with
//! the compiler's stack count, go through `stack`, `cfg` and `info`, and rewrite byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CASES: [&str; 6] = ["py15", "py21", "py22", "py23", "py25", "py26"];

fn fixture(name: &str, ext: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/old/{name}.{ext}"))
}

fn run(args: &[&str], pyc: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bytescope")).args(args).arg(pyc).output().unwrap()
}

/// Code-object addresses: CPython prints the object's address, bytescope its file offset.
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
fn listings_follow_each_versions_dis() {
    for name in CASES.into_iter().chain(["pypy27"]) {
        let pyc = fixture(name, "pyc");
        let out = run(&["dis"], &pyc);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let want = std::fs::read_to_string(fixture(name, "dis.txt")).unwrap();
        assert_eq!(addresses(&String::from_utf8(out.stdout).unwrap()), addresses(&want), "{name}");
    }
}

#[test]
fn check_finds_nothing_and_counts_the_compilers_stack() {
    for name in CASES {
        let pyc = fixture(name, "pyc");
        let out = run(&["check", "--json"], &pyc);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stdout));
        let want: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture(name, "stacksize")).unwrap()).unwrap();
        let mut seen = 0;
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let rec: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(rec["findings"].as_array().map(Vec::len), Some(0), "{name}: {rec}");
            let short = rec["qualname"].as_str().unwrap().rsplit('.').next().unwrap().to_owned();
            assert_eq!(rec["co_stacksize"], want[&short], "{name} {short}");
            assert_eq!(rec["computed_stacksize"], want[&short], "{name} {short}");
            seen += 1;
        }
        assert_eq!(seen, want.as_object().unwrap().len(), "{name}");
    }
}

#[test]
fn stack_cfg_info_and_rewrite_work() {
    for name in CASES {
        let pyc = fixture(name, "pyc");
        for cmd in ["stack", "cfg", "info", "header"] {
            let out = run(&[cmd], &pyc);
            assert!(out.status.success(), "{name} {cmd}: {}", String::from_utf8_lossy(&out.stderr));
            assert!(!out.stdout.is_empty(), "{name} {cmd}");
        }
        let out =
            Command::new(env!("CARGO_BIN_EXE_bytescope")).arg("rewrite").arg(&pyc).arg("-").output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout, std::fs::read(&pyc).unwrap(), "{name}: rewrite");
    }
    // 1.5 names the loop opcode of its day; SET_LINENO starts each paragraph.
    let out = run(&["dis"], &fixture("py15", "pyc"));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("    >>   42 FOR_LOOP           14 (to 59)\n"), "{text}");
    assert!(text.contains("\n\n         48 SET_LINENO          6\n"), "{text}");
}

/// `dis --asm` then `asm` builds the file again: byte for byte up to 2.3 (16-bit fields up to
/// 2.2, no free or cell variables in 1.5), the same listing in 2.5-2.6 (whose names the writer
/// interns as those versions' marshal did; the fixtures write them plain).
#[test]
fn assembly_text_builds_the_file_again() {
    let dir = std::env::temp_dir().join(format!("bytescope-old-asm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in CASES {
        let pyc = fixture(name, "pyc");
        let text = run(&["dis", "--asm"], &pyc);
        assert!(text.status.success(), "{name}: {}", String::from_utf8_lossy(&text.stderr));
        let src = dir.join(format!("{name}.s"));
        let built = dir.join(format!("{name}.pyc"));
        std::fs::write(&src, &text.stdout).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_bytescope"))
            .arg("asm")
            .arg(&src)
            .arg("-o")
            .arg(&built)
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        if ["py15", "py21", "py22", "py23"].contains(&name) {
            assert_eq!(std::fs::read(&built).unwrap(), std::fs::read(&pyc).unwrap(), "{name}");
        }
        assert_eq!(run(&["dis"], &built).stdout, run(&["dis"], &pyc).stdout, "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// PyPy 2.7: CPython 2.7's table plus PyPy's opcodes (lib-python/2.7/opcode.py), no `<N>`.
#[test]
fn pypy27_has_its_own_opcodes() {
    let pyc = fixture("pypy27", "pyc");
    let out = run(&["header", "--json"], &pyc);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["implementation"].as_str(), v["version"].as_str()), (Some("PyPy"), Some("2.7")));
    let text = String::from_utf8(run(&["dis"], &pyc).stdout).unwrap();
    for name in
        ["JUMP_IF_NOT_DEBUG       12 (to 15)", "LOOKUP_METHOD            3 (m)", "CALL_METHOD            257"]
    {
        assert!(text.contains(name), "{text}");
    }
    assert!(!text.contains(" <2"), "{text}");
    let out =
        Command::new(env!("CARGO_BIN_EXE_bytescope")).arg("rewrite").arg(&pyc).arg("-").output().unwrap();
    assert_eq!(out.stdout, std::fs::read(&pyc).unwrap());
}

#[test]
fn versions_without_a_table_say_so() {
    // 1.6's .pyc header reads; its bytecode has no transcribed table.
    let mut data = std::fs::read(fixture("py15", "pyc")).unwrap();
    data[..2].copy_from_slice(&50428u16.to_le_bytes());
    let dir = std::env::temp_dir().join(format!("bytescope-old-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pyc = dir.join("py16.pyc");
    std::fs::write(&pyc, &data).unwrap();
    let out = run(&["dis"], &pyc);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("disassembly of Python 1.6 bytecode is not supported"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = run(&["header"], &pyc);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}
