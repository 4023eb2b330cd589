//! `types.CodeType(...)` and `code.replace(...)` against what each CPython
//! did with the same changes (vectors from `tools/gen_write_vectors.py
//! replace`): the same exception and message, or the same resulting fields.

use std::path::Path;

use bytescope_marshal::{Format, read};
use bytescope_pyc::PythonVersion;
use bytescope_write::{CodeArgs, CodeObject, Object, PyErrorKind, PyStr, Replace};
use serde_json::{Map, Value, json};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn name(v: &Value) -> PyStr {
    PyStr::from(v["str"].as_str().expect("a str"))
}

fn names(v: &Value) -> Vec<PyStr> {
    v["tuple"].as_array().expect("a tuple").iter().map(name).collect()
}

fn int(v: &Value) -> i32 {
    i32::try_from(v["int"].as_i64().expect("an int")).expect("i32")
}

fn obj(v: &Value, py2: bool) -> Object {
    if v.get("none").is_some() {
        Object::None
    } else if let Some(i) = v.get("int") {
        Object::int(i.as_i64().expect("int"))
    } else if let Some(s) = v.get("str") {
        let s = s.as_str().expect("str");
        if py2 { Object::Bytes(s.as_bytes().to_vec()) } else { Object::str(s) }
    } else {
        panic!("unsupported constant {v}")
    }
}

/// The worker's `summary` of a code object.
fn summary(co: &CodeObject) -> Map<String, Value> {
    let strs = |v: Vec<&PyStr>| v.iter().map(|s| s.to_string_lossy()).collect::<Vec<_>>();
    let mut m = Map::new();
    m.insert("argcount".into(), json!(co.argcount));
    m.insert("posonlyargcount".into(), json!(co.posonlyargcount));
    m.insert("kwonlyargcount".into(), json!(co.kwonlyargcount));
    m.insert("nlocals".into(), json!(co.nlocals()));
    m.insert("stacksize".into(), json!(co.stacksize));
    m.insert("flags".into(), json!(co.flags));
    m.insert("code".into(), json!(to_hex(&co.code)));
    m.insert("nconsts".into(), json!(co.consts.len()));
    m.insert("names".into(), json!(strs(co.names.iter().collect())));
    m.insert("varnames".into(), json!(strs(co.varnames())));
    m.insert("cellvars".into(), json!(strs(co.cellvars())));
    m.insert("freevars".into(), json!(strs(co.freevars())));
    m.insert("filename".into(), json!(co.filename.to_string_lossy()));
    m.insert("name".into(), json!(co.name.to_string_lossy()));
    m.insert("qualname".into(), json!(co.qualname.as_ref().map(PyStr::to_string_lossy)));
    m.insert("firstlineno".into(), json!(co.firstlineno));
    m.insert("linetable".into(), json!(to_hex(&co.linetable)));
    m.insert("exceptiontable".into(), json!(to_hex(&co.exceptiontable)));
    if co.version >= PythonVersion::PY311 {
        let kinds: Vec<u8> = co.localsplus().iter().map(|(_, k)| *k).collect();
        m.insert("kinds".into(), json!(to_hex(&kinds)));
    }
    m
}

fn changes(base: &CodeObject, ch: &Map<String, Value>) -> (Replace, CodeArgs) {
    let py2 = base.version.major < 3;
    let mut r = Replace::default();
    let owned = |v: Vec<&PyStr>| v.into_iter().cloned().collect::<Vec<_>>();
    let mut a = CodeArgs {
        argcount: base.argcount,
        posonlyargcount: base.posonlyargcount,
        kwonlyargcount: base.kwonlyargcount,
        nlocals: base.nlocals(),
        stacksize: base.stacksize,
        flags: base.flags,
        code: base.code.clone(),
        consts: base.consts.clone(),
        names: base.names.clone(),
        varnames: owned(base.varnames()),
        freevars: owned(base.freevars()),
        cellvars: owned(base.cellvars()),
        filename: base.filename.clone(),
        name: base.name.clone(),
        qualname: base.qualname.clone(),
        firstlineno: base.firstlineno,
        linetable: base.linetable.clone(),
        exceptiontable: base.exceptiontable.clone(),
    };
    for (k, v) in ch {
        match k.as_str() {
            "co_argcount" => (r.argcount, a.argcount) = (Some(int(v)), int(v)),
            "co_posonlyargcount" => (r.posonlyargcount, a.posonlyargcount) = (Some(int(v)), int(v)),
            "co_kwonlyargcount" => (r.kwonlyargcount, a.kwonlyargcount) = (Some(int(v)), int(v)),
            "co_nlocals" => (r.nlocals, a.nlocals) = (Some(int(v)), int(v)),
            "co_stacksize" => (r.stacksize, a.stacksize) = (Some(int(v)), int(v)),
            "co_flags" => (r.flags, a.flags) = (Some(int(v)), int(v)),
            "co_firstlineno" => (r.firstlineno, a.firstlineno) = (Some(int(v)), int(v)),
            "co_code" => {
                let b = hex(v["bytes"].as_str().expect("bytes"));
                (r.code, a.code) = (Some(b.clone()), b);
            }
            "co_lnotab" | "co_linetable" => {
                let b = hex(v["bytes"].as_str().expect("bytes"));
                // Replace maps `linetable` to the version's keyword: the
                // other one is the unknown-keyword case, handled by the
                // caller.
                (r.linetable, a.linetable) = (Some(b.clone()), b);
            }
            "co_exceptiontable" => {
                let b = hex(v["bytes"].as_str().expect("bytes"));
                (r.exceptiontable, a.exceptiontable) = (Some(b.clone()), b);
            }
            "co_consts" => {
                let c: Vec<Object> =
                    v["tuple"].as_array().expect("tuple").iter().map(|x| obj(x, py2)).collect();
                (r.consts, a.consts) = (Some(c.clone()), c);
            }
            "co_names" => (r.names, a.names) = (Some(names(v)), names(v)),
            "co_varnames" => (r.varnames, a.varnames) = (Some(names(v)), names(v)),
            "co_cellvars" => (r.cellvars, a.cellvars) = (Some(names(v)), names(v)),
            "co_freevars" => (r.freevars, a.freevars) = (Some(names(v)), names(v)),
            "co_filename" => (r.filename, a.filename) = (Some(name(v)), name(v)),
            "co_name" => (r.name, a.name) = (Some(name(v)), name(v)),
            "co_qualname" => {
                let q = PyStr::from(v["str"].as_str().unwrap_or("q"));
                (r.qualname, a.qualname) = (Some(q.clone()), Some(q));
            }
            other => panic!("unexpected change {other}"),
        }
    }
    (r, a)
}

#[test]
fn constructor_and_replace_match_cpython() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/replace");
    let mut checked = 0;
    for v in PythonVersion::ALL {
        let path = dir.join(format!("{v}.json"));
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let doc: Value = serde_json::from_str(&text).expect("json");
        let bases: Vec<CodeObject> = doc["bases"]
            .as_array()
            .expect("bases")
            .iter()
            .map(|h| {
                let data = hex(h.as_str().expect("hex"));
                let m = read(&data, Format::for_version(*v), 0).expect("marshal");
                CodeObject::from_root(&m).expect("owned")
            })
            .collect();
        for case in doc["cases"].as_array().expect("cases") {
            let base = &bases[case["base"].as_u64().expect("base") as usize];
            let ch = case["changes"].as_object().expect("changes");
            let label = format!("{v} base {} {} via {}", case["base"], case["case"], case["via"]);
            // An unknown keyword that Replace has no field for.
            if ch.contains_key("co_localsplusnames") {
                continue;
            }
            let wrong_linetable = ch
                .keys()
                .any(|k| (k == "co_lnotab" || k == "co_linetable") && k != base.rules().linetable_keyword);
            let (r, a) = changes(base, ch);
            let got = if wrong_linetable {
                // Replace cannot name the other keyword; emulate it.
                let want = case["error"].as_array().expect("an error");
                assert_eq!(want[0], "TypeError", "{label}");
                continue;
            } else if case["via"] == "replace" {
                base.replace(r)
            } else {
                CodeObject::new(*v, a)
            };
            match (case.get("error"), got) {
                (Some(err), Err(e)) => {
                    let (kind, msg) = (err[0].as_str().expect("kind"), err[1].as_str().expect("message"));
                    assert_eq!(e.kind.name(), kind, "{label}: {e}");
                    match e.kind {
                        // CPython prefixes its C file and line.
                        PyErrorKind::SystemError => {
                            assert!(msg.ends_with(&e.message), "{label}: {msg} vs {e}")
                        }
                        // 3.13+ may add ". Did you mean ...?".
                        PyErrorKind::TypeError => {
                            assert!(msg.starts_with(&e.message), "{label}: {msg} vs {e}")
                        }
                        _ => assert_eq!(e.message, msg, "{label}"),
                    }
                }
                (None, Ok(co)) => {
                    let mut want = summary(base);
                    for (k, val) in case["result"].as_object().expect("result") {
                        want.insert(k.clone(), val.clone());
                    }
                    let mut got = summary(&co);
                    // Consts are compared by count; values are ours.
                    got.insert("nconsts".into(), json!(co.consts.len()));
                    assert_eq!(Value::Object(got), Value::Object(want), "{label}");
                }
                (Some(err), Ok(_)) => panic!("{label}: CPython raised {err}, we accepted"),
                (None, Err(e)) => panic!("{label}: CPython accepted, we raised {e}"),
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked} cases");
}
