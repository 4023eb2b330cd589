//! The lazy path (`decode`, `arg_ref`, `argrepr`) gives exactly what the
//! general path (`instructions`, `bytecode_instructions`) gives, on every
//! instruction of every committed fixture of every version.

use std::path::Path;

use bytescope_code::code_objects;
use bytescope_dis::{ArgRef, ArgVal, ArgreprCache, Disassembler};
use bytescope_marshal::load_pyc;

#[test]
fn lazy_path_matches_general_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root).expect("fixtures").flatten().map(|e| e.path()).collect();
    dirs.sort();
    let mut checked = 0usize;
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(dir).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "pyc")) {
            let data = std::fs::read(path).expect("read");
            let pyc = load_pyc(&data, None).expect("load");
            let dis = Disassembler::new(pyc.version()).expect("table");
            let mut cache = ArgreprCache::default();
            for code in code_objects(&pyc.marshal).expect("codes") {
                for bytecode in [false, true] {
                    let general =
                        if bytecode { dis.bytecode_instructions(&code) } else { dis.instructions(&code) }
                            .expect("instructions");
                    let decoded = dis.decode(&code, bytecode);
                    assert_eq!(decoded.rows.len(), general.len(), "{}", path.display());
                    for (row, ins) in decoded.rows.iter().zip(&general) {
                        let at = format!("{} offset {}", path.display(), ins.offset);
                        assert_eq!(row.offset, ins.offset, "{at}");
                        assert_eq!(row.start_offset, ins.start_offset, "{at}");
                        assert_eq!(
                            (row.opcode, row.deopt, row.size),
                            (ins.opcode, ins.deopt, ins.size),
                            "{at}"
                        );
                        assert_eq!(row.cache_entries, ins.cache_entries, "{at}");
                        assert_eq!(row.arg(), ins.arg, "{at}");
                        assert_eq!(row.starts_line(), ins.starts_line, "{at}");
                        assert_eq!(row.line_number(), ins.line_number, "{at}");
                        assert_eq!(row.is_jump_target(), ins.is_jump_target, "{at}");
                        assert_eq!(decoded.label(row), ins.label, "{at}");
                        assert_eq!(dis.row_jump_target(&code, row), ins.jump_target, "{at}");
                        let argrepr = dis.argrepr(&code, &decoded, row, &mut cache).expect("argrepr");
                        assert_eq!(argrepr, ins.argrepr, "{at}");
                        let name = |i: usize| code.localsplus[i].0.to_string();
                        let got = match dis.arg_ref(&code, row) {
                            ArgRef::Const(i) => ArgVal::Const(code.consts[i]),
                            ArgRef::Name(i) => ArgVal::Name(code.names[i].to_string()),
                            ArgRef::Local(i) => ArgVal::Name(name(i)),
                            ArgRef::Pair(a, b) => ArgVal::Pair(name(a), name(b)),
                            ArgRef::Value(v) => v,
                        };
                        assert_eq!(got, ins.argval, "{at}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 40_000, "{checked} instructions");
}
