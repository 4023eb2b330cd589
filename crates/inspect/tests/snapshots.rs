//! Snapshots of the text and JSON reports of CPython-compiled fixtures
//! (`tests/fixtures/<version>/<snippet>.pyc`, sources in `tests/snippets/`).
//! Each snapshot was checked by hand against its snippet's source.

use bytescope_inspect::{Inspector, Report, write_text};
use bytescope_marshal::load_pyc;

fn report(version: &str, name: &str) -> Report {
    let path = format!("{}/../../tests/fixtures/{version}/{name}.pyc", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let pyc = load_pyc(&data, None).expect("loads");
    Inspector::new(pyc.version()).expect("table").inspect(&pyc.marshal).expect("inspects")
}

fn text(version: &str, name: &str) -> String {
    let mut s = String::new();
    write_text(&report(version, name), &mut s);
    s
}

fn json(version: &str, name: &str) -> String {
    serde_json::to_string_pretty(&report(version, name)).expect("serializes")
}

macro_rules! snapshots {
    ($($test:ident: $kind:ident($version:literal, $name:literal);)*) => {
        $(
            #[test]
            fn $test() {
                insta::assert_snapshot!($kind($version, $name));
            }
        )*
    };
}

snapshots! {
    text_2_7_py2_classes: text("2.7", "py2_classes");
    text_2_7_py2_misc: text("2.7", "py2_misc");
    json_2_7_py2_misc: json("2.7", "py2_misc");
    text_3_8_classes: text("3.8", "classes");
    text_3_8_closures: text("3.8", "closures");
    json_3_8_closures: json("3.8", "closures");
    text_3_11_async_def: text("3.11", "async_def");
    text_3_11_generators: text("3.11", "generators");
    json_3_11_async_def: json("3.11", "async_def");
    text_3_12_comprehensions: text("3.12", "comprehensions");
    text_3_12_imports: text("3.12", "imports");
    json_3_12_imports: json("3.12", "imports");
    text_3_14_annotations: text("3.14", "annotations");
    text_3_14_type_params: text("3.14", "type_params");
    json_3_14_type_params: json("3.14", "type_params");
}
