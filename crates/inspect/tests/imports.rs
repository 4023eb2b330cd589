//! Imports inside functions resolve like module-level ones (issue 17, item
//! 10): `def f(): import os; os.system(...)` references `os.system`, also
//! through `from … import … as …`, dotted `import a.b`, the 3.13+ paired
//! local opcodes, and closures that read an imported cell. Checked on
//! `tests/fixtures/<version>/func_imports.pyc` (snippet
//! `tests/snippets/func_imports.py`), compiled by every CPython here.

use bytescope_inspect::{Inspector, Query, Report};
use bytescope_marshal::load_pyc;

const VERSIONS: &[&str] =
    &["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"];

fn report(version: &str) -> Report {
    let path = format!("{}/../../tests/fixtures/{version}/func_imports.pyc", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let pyc = load_pyc(&data, None).expect("loads");
    Inspector::new(pyc.version()).expect("table").inspect(&pyc.marshal).expect("inspects")
}

/// The qualified names of the code objects that match `query`.
fn matching(r: &Report, query: &str) -> Vec<String> {
    let q = Query::parse(query);
    r.code_objects.iter().filter(|c| c.matches(&q)).map(|c| c.qualname.clone()).collect()
}

#[test]
fn function_level_imports_are_followed() {
    for v in VERSIONS {
        let r = report(v);
        let refs = |name: &str| {
            r.code_objects
                .iter()
                .find(|c| c.qualname == name)
                .unwrap_or_else(|| panic!("{v}: no {name}"))
                .references
                .clone()
        };
        assert_eq!(refs("f"), ["os.system"], "{v}");
        assert_eq!(refs("oneline"), ["os.system"], "{v}");
        assert_eq!(refs("pair"), ["os.sep", "os.path.join", "sys.argv"], "{v}");
        assert_eq!(refs("g"), ["subprocess.call"], "{v}");
        assert_eq!(refs("h"), ["os.path.join"], "{v}");
        let aliased = refs("aliased");
        for want in ["os.system", "os.popen", "xml.etree.ElementTree.parse"] {
            assert!(aliased.iter().any(|x| x == want), "{v}: {want} not in {aliased:?}");
        }
        // The closure reads the outer function's imported cells.
        assert_eq!(refs("outer.<locals>.inner"), ["subprocess.Popen", "socket.create_connection"], "{v}");
        assert_eq!(refs("outer.<locals>.deeper.<locals>.deepest"), ["subprocess.check_output"], "{v}");
        // Building the closures is not a use (3.13+ load the cells with LOAD_FAST).
        assert!(refs("outer").is_empty(), "{v}: {:?}", refs("outer"));
        assert_eq!(refs("C"), ["pickle.loads"], "{v}");
        assert_eq!(refs("C.method"), ["marshal.loads"], "{v}");

        assert_eq!(matching(&r, "os.system"), ["f", "oneline", "aliased"], "{v}");
        assert_eq!(
            matching(&r, "subprocess.call"),
            ["g"],
            "{v}: `subprocess.call` is not `subprocess.check_output`"
        );
        assert_eq!(
            matching(&r, "subprocess"),
            ["g", "outer", "outer.<locals>.inner", "outer.<locals>.deeper.<locals>.deepest"],
            "{v}"
        );
    }
}
