//! Writes every .pyc under SRC again through the owned model (read → owned
//! → marshal → .pyc with the original header's values) into the same path
//! under OUT, for the interpreters to compare (`tools/write_conformance.py
//! roundtrip`).
//!
//! `cargo run --release -p bytescope-write --example roundtrip_dir -- SRC OUT`
//!
//! Prints one JSON object: files read, files written, and the first errors.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use bytescope_marshal::load_pyc;
use bytescope_pyc::Invalidation;
use bytescope_write::{CodeObject, HeaderSpec, to_pyc};

fn walk(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut entries: Vec<_> =
            std::fs::read_dir(p).into_iter().flatten().flatten().map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            walk(&e, out);
        }
    } else if p.extension().is_some_and(|e| e == "pyc") {
        out.push(p.to_path_buf());
    }
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [src, out] = args.as_slice() else {
        println!("{{\"error\": \"usage: roundtrip_dir SRC OUT\"}}");
        return;
    };
    let mut files = Vec::new();
    walk(src, &mut files);
    let (mut written, mut errors) = (0usize, Vec::new());
    for f in &files {
        let result = (|| -> Result<Vec<u8>, String> {
            let data = std::fs::read(f).map_err(|e| e.to_string())?;
            let pyc = load_pyc(&data, None).map_err(|e| e.to_string())?;
            let code = CodeObject::from_root(&pyc.marshal).map_err(|e| e.to_string())?;
            let spec = match pyc.header.map(|h| h.invalidation) {
                Some(Invalidation::Timestamp { mtime, source_size }) => {
                    HeaderSpec::Timestamp { mtime, source_size: source_size.unwrap_or(0) }
                }
                _ => HeaderSpec::Timestamp { mtime: 0, source_size: 0 },
            };
            to_pyc(&code, spec).map_err(|e| e.to_string())
        })();
        match result {
            Ok(bytes) => {
                let target = out.join(f.strip_prefix(src).unwrap_or(f));
                if let Some(parent) = target.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                if std::fs::write(&target, bytes).is_ok() {
                    written += 1;
                }
            }
            Err(e) => errors.push(format!("{}: {e}", f.display())),
        }
    }
    let errors_shown: Vec<&String> = errors.iter().take(20).collect();
    println!(
        "{}",
        serde_json::json!({"files": files.len(), "written": written, "errors": errors.len(), "first_errors": errors_shown})
    );
}
