//! `compute_stacksize` against what CPython stored, on every fixture code
//! object: equal from 3.10 (CPython's count is of the code it wrote); up
//! to 3.9 at most CPython's (its peephole folded constants after counting,
//! so the written code needs no more), and never a problem.

use std::path::Path;

use bytescope_marshal::load_pyc;
use bytescope_pyc::PythonVersion;
use bytescope_write::CodeObject;

#[test]
fn computed_stacksize_matches_cpython() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root).expect("fixtures").flatten().map(|e| e.path()).collect();
    dirs.sort();
    let mut n = 0;
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(dir).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "pyc")) {
            let data = std::fs::read(f).expect("read");
            let pyc = load_pyc(&data, None).expect("loads");
            let root = CodeObject::from_root(&pyc.marshal).expect("owned");
            for code in root.preorder() {
                let s = code.compute_stacksize().expect("computes");
                let what = format!("{} {}", f.display(), code.name);
                assert!(s.problems.is_empty(), "{what}: {:?}", s.problems);
                if code.version >= PythonVersion::PY310 {
                    assert_eq!(s.stacksize, code.stacksize, "{what}");
                } else {
                    assert!(s.stacksize <= code.stacksize, "{what}: {} > {}", s.stacksize, code.stacksize);
                }
                n += 1;
            }
        }
    }
    assert!(n > 1500, "{n}");
}
