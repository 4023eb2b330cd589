//! Every fixture pyc read and written back is the same bytes.

use std::path::Path;

use bytescope_marshal::{load_pyc, write};
use bytescope_pyc::write_header;

#[test]
fn rewrite_is_byte_identical() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    let mut n = 0;
    for dir in dirs.into_iter().filter(|d| d.is_dir()) {
        for pyc in std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()) {
            if pyc.extension().is_none_or(|e| e != "pyc") {
                continue;
            }
            let data = std::fs::read(&pyc).unwrap();
            let p = load_pyc(&data, None).unwrap_or_else(|e| panic!("{}: {e}", pyc.display()));
            let mut out = write_header(p.header.as_ref().unwrap());
            out.extend(write(&p.marshal));
            assert!(out == data, "{}: rewrite differs", pyc.display());
            n += 1;
        }
    }
    assert!(n > 250);
}
