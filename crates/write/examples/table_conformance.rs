//! Re-encodes the line and exception tables of every code object in the
//! given .pyc files and directories from their decoded form, and counts how
//! many come out byte-identical to what CPython wrote.
//!
//! `cargo run --release -p bytescope-write --example table_conformance -- [--show N] PATH...`
//!
//! Prints one JSON object: per version, the number of code objects and of
//! identical line tables (`co_lnotab` ≤3.9, `co_linetable` 3.10, location
//! table 3.11+) and exception tables (3.11+), of code objects that
//! `lift` then `assemble` reproduce (`co_code`, and the tables from 3.10),
//! and the first N differences.
//! `tools/write_conformance.py` runs it over each interpreter's standard
//! library.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytescope_code::code_objects;
use bytescope_code::exceptions::parse_exception_table;
use bytescope_marshal::load_pyc;
use bytescope_pyc::PythonVersion;
use bytescope_write::tables::{encode_exception_table, reencode_line_table};
use bytescope_write::{CodeObject, assemble, lift};

#[derive(Default)]
struct Stats {
    files: usize,
    objects: usize,
    line_identical: usize,
    exc_identical: usize,
    errors: usize,
    asm_identical: usize,
    diffs: Vec<String>,
    asm_diffs: Vec<String>,
}

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

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut show = 5usize;
    if args.first().is_some_and(|a| a == "--show") && args.len() > 1 {
        show = args[1].parse().unwrap_or(5);
        args.drain(..2);
    }
    let mut files = Vec::new();
    for a in &args {
        walk(Path::new(a), &mut files);
    }
    let mut stats: BTreeMap<PythonVersion, Stats> = BTreeMap::new();
    for f in files {
        let Ok(data) = std::fs::read(&f) else { continue };
        let Ok(pyc) = load_pyc(&data, None) else { continue };
        let v = pyc.version();
        let s = stats.entry(v).or_default();
        s.files += 1;
        let Ok(codes) = code_objects(&pyc.marshal) else {
            s.errors += 1;
            continue;
        };
        // lift → assemble reproduces co_code (and the 3.10+ tables).
        if let Ok(owned) = CodeObject::from_root(&pyc.marshal) {
            for c in owned.preorder() {
                let same =
                    lift(c).ok().and_then(|items| assemble(v, c.firstlineno, &items).ok()).is_some_and(|a| {
                        a.code == c.code
                            && a.exceptiontable == c.exceptiontable
                            && (v < PythonVersion::PY310 || a.linetable == c.linetable)
                    });
                if same {
                    s.asm_identical += 1;
                } else if s.asm_diffs.len() < show {
                    let why = match lift(c) {
                        Err(e) => format!("lift: {e}"),
                        Ok(items) => match assemble(v, c.firstlineno, &items) {
                            Err(e) => format!("assemble: {e}"),
                            Ok(a) => format!("cpython {} ours {}", hex(&c.code), hex(&a.code)),
                        },
                    };
                    s.asm_diffs.push(format!("{} {}: {why}", f.display(), c.name));
                }
            }
        }
        for c in codes {
            s.objects += 1;
            match reencode_line_table(v, c.code, c.firstlineno(), c.linetable) {
                Ok(t) if t == c.linetable => s.line_identical += 1,
                Ok(t) => {
                    if s.diffs.len() < show {
                        s.diffs.push(format!(
                            "{} {} line {}: cpython {} ours {}",
                            f.display(),
                            c.name,
                            c.firstlineno(),
                            hex(c.linetable),
                            hex(&t)
                        ));
                    }
                }
                Err(e) => {
                    s.errors += 1;
                    if s.diffs.len() < show {
                        s.diffs.push(format!("{} {}: {e}", f.display(), c.name));
                    }
                }
            }
            if v >= PythonVersion::PY311 {
                match parse_exception_table(c.exceptiontable) {
                    Ok(e) if encode_exception_table(&e) == c.exceptiontable => s.exc_identical += 1,
                    _ => {
                        if s.diffs.len() < show {
                            s.diffs.push(format!(
                                "{} {}: exception table {}",
                                f.display(),
                                c.name,
                                hex(c.exceptiontable)
                            ));
                        }
                    }
                }
            }
        }
    }
    let mut out = serde_json::Map::new();
    for (v, s) in stats {
        out.insert(
            v.to_string(),
            serde_json::json!({
                "files": s.files,
                "code_objects": s.objects,
                "line_identical": s.line_identical,
                "exception_identical": if v >= PythonVersion::PY311 { Some(s.exc_identical) } else { None },
                "errors": s.errors,
                "asm_identical": s.asm_identical,
                "diffs": s.diffs,
                "asm_diffs": s.asm_diffs,
            }),
        );
    }
    println!("{}", serde_json::to_string_pretty(&serde_json::Value::Object(out)).unwrap_or_default());
}
