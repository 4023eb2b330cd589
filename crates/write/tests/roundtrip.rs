//! read → owned → write → read gives the same owned object, for every
//! fixture of every version (CPython-written pycs).

use std::path::{Path, PathBuf};

use bytescope_marshal::{Format, load_pyc, read};
use bytescope_write::{CodeObject, dumps_code};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("fixtures") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("version dir") {
            let f = f.expect("entry").path();
            if f.extension().is_some_and(|e| e == "pyc") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn owned_round_trip_every_fixture() {
    let files = fixtures();
    assert!(files.len() > 300, "{} fixtures", files.len());
    for f in files {
        let data = std::fs::read(&f).expect("read");
        let pyc = load_pyc(&data, None).expect("loads");
        let code = CodeObject::from_root(&pyc.marshal).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let bytes = dumps_code(&code).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let m = read(&bytes, Format::for_version(code.version), 0)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let back = CodeObject::from_root(&m).expect("owned again");
        assert_eq!(back, code, "{}", f.display());
    }
}
