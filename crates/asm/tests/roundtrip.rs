//! print → parse gives back every fixture module exactly (every field of
//! every code object, tables byte for byte), for every version.

use std::path::Path;

use bytescope_asm::{Header, Module, parse, print};
use bytescope_marshal::load_pyc;
use bytescope_pyc::Invalidation;
use bytescope_write::CodeObject;

pub fn module_of(data: &[u8]) -> Module {
    let pyc = load_pyc(data, None).expect("loads");
    let header = match pyc.header.map(|h| h.invalidation) {
        None => Header::None,
        Some(Invalidation::Timestamp { mtime, source_size }) => {
            Header::Timestamp { mtime, source_size: source_size.unwrap_or(0) }
        }
        Some(Invalidation::CheckedHash { hash }) => Header::CheckedHash(hash),
        Some(Invalidation::UncheckedHash { hash }) => Header::UncheckedHash(hash),
    };
    Module { version: pyc.version(), header, code: CodeObject::from_root(&pyc.marshal).expect("owned") }
}

#[test]
fn print_then_parse_is_identity_on_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root).expect("fixtures").flatten().map(|e| e.path()).collect();
    dirs.sort();
    let mut n = 0;
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(dir).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "pyc")) {
            let data = std::fs::read(f).expect("read");
            let m = module_of(&data);
            let text = print(&m).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let back = parse(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", f.display()));
            if back != m {
                // Find the first differing code object for the message.
                for (a, b) in m.code.preorder().iter().zip(back.code.preorder()) {
                    assert_eq!(**a, *b, "{}", f.display());
                }
                assert_eq!(back, m, "{}", f.display());
            }
            n += 1;
        }
    }
    assert!(n > 300, "{n} files");
}

#[test]
#[ignore = "prints a sample"]
fn show() {
    let f = std::env::var("ASM_SHOW").unwrap_or_default();
    let data = std::fs::read(&f).expect("read");
    let text = print(&module_of(&data)).expect("prints");
    std::fs::write("/tmp/probe/show.pyasm", text).expect("write");
}
