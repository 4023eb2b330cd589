//! Code objects in the layouts of 1.5, 2.1 and the pre-release magics whose
//! field lists differ from their final release (3.0 before 3030, 3.8a1,
//! the 3.11 alphas): tests/layouts, made by tools/gen_layout_fixtures.py
//! from real interpreters' code objects. Each file reads with the field list
//! its magic names, every code object has the donor's fields, and writing
//! the stream back gives the same bytes.

use std::path::Path;

use bytescope_code::code_objects;
use bytescope_marshal::{load_pyc, write};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/layouts"))
}

#[test]
fn every_layout_reads_and_rewrites() {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("expected.json")).unwrap()).unwrap();
    let cases = expected.as_object().unwrap();
    assert_eq!(cases.len(), 9);
    for (name, case) in cases {
        let data = std::fs::read(root().join(format!("{name}.pyc"))).unwrap();
        let pyc = load_pyc(&data, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(u64::from(pyc.header.unwrap().magic.magic), case["magic"].as_u64().unwrap(), "{name}");
        assert!(pyc.trailing.is_empty(), "{name}");
        let codes = code_objects(&pyc.marshal).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = case["codes"].as_array().unwrap();
        assert_eq!(codes.len(), want.len(), "{name}");
        for (c, w) in codes.iter().zip(want) {
            let at = format!("{name}: {}", c.name);
            assert_eq!(c.name, w["name"].as_str().unwrap(), "{at}");
            let int = |k: &str| {
                i64::from(match k {
                    "argcount" => c.argcount(),
                    "posonlyargcount" => c.posonlyargcount(),
                    "kwonlyargcount" => c.kwonlyargcount(),
                    "nlocals" => c.nlocals(),
                    "stacksize" => c.stacksize(),
                    "firstlineno" => c.firstlineno(),
                    _ => i32::try_from(c.flags()).unwrap(),
                })
            };
            for k in [
                "argcount",
                "posonlyargcount",
                "kwonlyargcount",
                "nlocals",
                "stacksize",
                "flags",
                "firstlineno",
            ] {
                assert_eq!(int(k), w[k].as_i64().unwrap(), "{at} {k}");
            }
            let names = |v: &[std::borrow::Cow<'_, str>]| v.iter().map(|n| n.to_string()).collect::<Vec<_>>();
            let list = |k: &str| -> Vec<String> {
                w[k].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
            };
            assert_eq!(names(&c.names), list("names"), "{at}");
            assert_eq!(names(&c.varnames), list("varnames"), "{at}");
            assert_eq!(names(&c.freevars), list("freevars"), "{at}");
            assert_eq!(names(&c.cellvars), list("cellvars"), "{at}");
            assert_eq!(c.qualname.as_deref(), w["qualname"].as_str(), "{at}");
            let hex: String = c.code.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, w["code"].as_str().unwrap(), "{at}");
        }
        let off = pyc.marshal_offset;
        assert_eq!(write(&pyc.marshal), &data[off..], "{name}: rewrite");
    }
}
