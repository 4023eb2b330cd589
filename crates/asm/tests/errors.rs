//! Errors in assembly text name the line and column, and editing works
//! through symbolic operands.

use bytescope_asm::{Header, parse, print};

const BASE: &str = "\
.python 3.12
.header none
.code 0
.name '<module>'
.qualname '<module>'
.filename 'x.py'
.firstlineno 1
.argcount 0
.posonlyargcount 0
.kwonlyargcount 0
.stacksize 1
.flags 0x0
.names ()
.locals ()
.consts (None,)
@1
    RESUME 0
    RETURN_CONST 0 (None)
.end
";

fn error_of(text: &str) -> (usize, usize, String) {
    let e = parse(text).expect_err("an error");
    (e.line, e.column, e.message)
}

#[test]
fn a_minimal_module_assembles() {
    let m = parse(BASE).expect("parses");
    assert_eq!(m.header, Header::None);
    assert_eq!(m.code.code, [151, 0, 121, 0]);
    // And prints back to text that parses to the same module.
    assert_eq!(parse(&print(&m).expect("prints")).expect("parses"), m);
}

#[test]
fn errors_point_at_line_and_column() {
    let (l, c, msg) = error_of(&BASE.replace("    RESUME 0", "    RESUME_X 0"));
    assert_eq!((l, c), (17, 5), "{msg}");
    assert!(msg.contains("RESUME_X"), "{msg}");
    let (l, _, msg) = error_of(&BASE.replace(".consts (None,)", ".consts (None,"));
    assert_eq!(l, 15, "{msg}");
    let (l, c, msg) = error_of(&BASE.replace(".consts (None,)", ".consts (None, 'a\\q')"));
    assert_eq!((l, c), (15, 18), "{msg}");
    let (l, _, msg) = error_of(&BASE.replace("    RETURN_CONST 0 (None)", "    JUMP_FORWARD L9"));
    assert!(msg.contains("label") && l >= 3, "{l}: {msg}");
    let (l, _, msg) = error_of(&BASE.replace(".argcount 0\n", ""));
    assert!(msg.contains(".argcount") && l == 3, "{l}: {msg}");
    let (l, c, _) = error_of(&BASE.replace("@1", "@x"));
    assert_eq!((l, c), (16, 2));
    let (l, _, msg) = error_of(".python 9.9\n");
    assert_eq!(l, 1, "{msg}");
}

#[test]
fn symbolic_operands_edit_the_tables() {
    let text = BASE.replace(
        "    RETURN_CONST 0 (None)",
        "    LOAD_CONST ('hello')\n    STORE_NAME (greeting)\n    LOAD_NAME (greeting)\n    RETURN_VALUE",
    );
    // Without `.stacksize`, the stack analysis computes it: 1 (the constant).
    let m = parse(&text.replace(".stacksize 1\n", "")).expect("parses");
    assert_eq!(m.code.stacksize, 1);
    assert_eq!(m.code.consts.len(), 2);
    assert_eq!(m.code.consts[1], bytescope_write::Object::str("hello"));
    assert_eq!(m.code.names, vec![bytescope_write::PyStr::from("greeting")]);
    // RESUME 0; LOAD_CONST 1; STORE_NAME 0; LOAD_NAME 0; RETURN_VALUE
    assert_eq!(m.code.code, [151, 0, 100, 1, 90, 0, 101, 0, 83, 0]);
}
