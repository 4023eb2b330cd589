//! lift → assemble gives back every fixture code object's `co_code` byte
//! for byte (jump arguments, EXTENDED_ARG sizing, inline caches), its 3.10+
//! line table and 3.11+ exception table byte for byte, and its ≤3.9 line
//! starts.

use std::path::Path;

use bytescope_code::lines::findlinestarts;
use bytescope_marshal::load_pyc;
use bytescope_pyc::PythonVersion;
use bytescope_write::{CodeObject, assemble, lift};

#[test]
fn lift_then_assemble_is_identity_on_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut n = 0;
    let mut dirs: Vec<_> = std::fs::read_dir(&root).expect("fixtures").flatten().map(|e| e.path()).collect();
    dirs.sort();
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(dir).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "pyc")) {
            let data = std::fs::read(f).expect("read");
            let pyc = load_pyc(&data, None).expect("loads");
            let root = CodeObject::from_root(&pyc.marshal).expect("owned");
            for code in root.preorder() {
                let what = format!("{} {}", f.display(), code.name);
                let items = lift(code).unwrap_or_else(|e| panic!("{what}: {e}"));
                let asm = assemble(code.version, code.firstlineno, &items)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(asm.code, code.code, "{what}: co_code");
                if code.version >= PythonVersion::PY310 {
                    assert_eq!(asm.linetable, code.linetable, "{what}: line table");
                } else {
                    let n = code.code.len();
                    assert_eq!(
                        findlinestarts(code.version, n, code.firstlineno, &asm.linetable),
                        findlinestarts(code.version, n, code.firstlineno, &code.linetable),
                        "{what}: line starts"
                    );
                }
                assert_eq!(asm.exceptiontable, code.exceptiontable, "{what}: exception table");
                n += 1;
            }
        }
    }
    assert!(n > 1500, "{n} code objects");
}
