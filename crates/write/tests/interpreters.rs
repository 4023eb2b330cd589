//! Opt-in: the real interpreters judge what the writer produces.
//!
//! `BYTESCOPE_INTERPRETERS=1 cargo test -p bytescope-write --test interpreters`
//!
//! For every fixture of every version with a local interpreter
//! (`$(pyenv root)/versions/X.Y.*/bin/python`, else `pythonX.Y` on PATH):
//! read → owned → a new .pyc (header from the original's values) → the
//! interpreter checks the header (`importlib`'s own check from 3.7) and loads
//! both files; the code objects must be `==` and agree on every `co_*` field
//! (`co_stacksize`, `co_filename`, `co_qualname`, names, line and exception
//! tables included) and on their constants, type-exact and recursively
//! (`tools/oracle/write_worker.py compare`). Without the variable the test
//! passes without doing anything.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bytescope_marshal::load_pyc;
use bytescope_pyc::{Invalidation, PythonVersion};
use bytescope_write::{CodeObject, HeaderSpec, to_pyc};

fn interpreter(v: PythonVersion) -> Option<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")))?;
    let prefix = format!("{}.{}.", v.major, v.minor);
    if let Ok(dir) = std::fs::read_dir(root.join("versions")) {
        let mut found: Vec<PathBuf> = dir
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .map(|e| e.path().join("bin/python"))
            .filter(|p| p.exists())
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            return Some(p);
        }
    }
    let name = format!("python{}.{}", v.major, v.minor);
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(&name)).find(|p| p.exists()))
}

#[test]
fn interpreters_load_what_we_write() {
    if std::env::var_os("BYTESCOPE_INTERPRETERS").is_none() {
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let worker = repo.join("tools/oracle/write_worker.py");
    let tmp = std::env::temp_dir().join(format!("bytescope-write-{}", std::process::id()));
    let mut versions = 0;
    let mut problems = Vec::new();
    for &v in PythonVersion::ALL {
        let dir = repo.join(format!("tests/fixtures/{v}"));
        let (Some(python), true) = (interpreter(v), dir.is_dir()) else { continue };
        versions += 1;
        let out_dir = tmp.join(v.to_string());
        std::fs::create_dir_all(&out_dir).expect("temp dir");
        let mut pairs = String::new();
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(&dir).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "pyc")) {
            let data = std::fs::read(f).expect("read");
            let pyc = load_pyc(&data, None).expect("loads");
            let code = CodeObject::from_root(&pyc.marshal).expect("owned");
            let spec = match pyc.header.map(|h| h.invalidation) {
                Some(Invalidation::Timestamp { mtime, source_size }) => {
                    HeaderSpec::Timestamp { mtime, source_size: source_size.unwrap_or(0) }
                }
                _ => HeaderSpec::Timestamp { mtime: 0, source_size: 0 },
            };
            let ours = to_pyc(&code, spec).expect("writes");
            let target = out_dir.join(f.file_name().expect("name"));
            std::fs::write(&target, ours).expect("write");
            pairs.push_str(&format!("{}\t{}\n", f.display(), target.display()));
        }
        let mut child = Command::new(&python)
            .args(["-S", &worker.to_string_lossy(), "compare"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("interpreter runs");
        child.stdin.take().expect("stdin").write_all(pairs.as_bytes()).expect("feed");
        let out = child.wait_with_output().expect("finishes");
        assert!(out.status.success(), "{v}: worker failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut n = 0;
        for line in text.lines() {
            let r: serde_json::Value = serde_json::from_str(line).expect("json");
            n += 1;
            let problem = r["problem"].as_str().unwrap_or("?");
            if !problem.is_empty() {
                problems.push(format!("{v} {}: {problem}", r["ours"]));
            }
        }
        assert_eq!(n, pairs.lines().count(), "{v}: one result per file");
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(versions > 0, "no interpreter found");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
