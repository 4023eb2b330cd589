//! Opt-in: the real interpreters judge what the writer produces.
//!
//! `BYTESCOPE_INTERPRETERS=1 cargo test -p bytescope-write --test interpreters`
//!
//! For every fixture of every version with a local interpreter
//! (`$(pyenv root)/versions/X.Y.*/bin/python`, else `pythonX.Y` on PATH):
//! read → owned → a new .pyc (header from the original's values) → the
//! interpreter checks the header (`importlib`'s own check from 3.7) and loads
//! both files; the code objects must be `==` and agree on every `co_*` field
//! (`co_stacksize`, `co_filename`, `co_qualname`, names, line and exception
//! tables included) and on their constants, type-exact and recursively
//! (`tools/oracle/write_worker.py compare`). Without the variable the test
//! passes without doing anything.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bytescope_marshal::load_pyc;
use bytescope_pyc::{Invalidation, PythonVersion};
use bytescope_write::{CodeObject, HeaderSpec, to_pyc};

fn interpreter(v: PythonVersion) -> Option<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")))?;
    let prefix = format!("{}.{}.", v.major, v.minor);
    if let Ok(dir) = std::fs::read_dir(root.join("versions")) {
        let mut found: Vec<PathBuf> = dir
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .map(|e| e.path().join("bin/python"))
            .filter(|p| p.exists())
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            return Some(p);
        }
    }
    let name = format!("python{}.{}", v.major, v.minor);
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(&name)).find(|p| p.exists()))
}

#[test]
fn interpreters_load_what_we_write() {
    if std::env::var_os("BYTESCOPE_INTERPRETERS").is_none() {
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let worker = repo.join("tools/oracle/write_worker.py");
    let tmp = std::env::temp_dir().join(format!("bytescope-write-{}", std::process::id()));
    let mut versions = 0;
    let mut problems = Vec::new();
    for &v in PythonVersion::ALL {
        let dir = repo.join(format!("tests/fixtures/{v}"));
        let (Some(python), true) = (interpreter(v), dir.is_dir()) else { continue };
        versions += 1;
        let out_dir = tmp.join(v.to_string());
        std::fs::create_dir_all(&out_dir).expect("temp dir");
        let mut pairs = String::new();
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(&dir).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "pyc")) {
            let data = std::fs::read(f).expect("read");
            let pyc = load_pyc(&data, None).expect("loads");
            let code = CodeObject::from_root(&pyc.marshal).expect("owned");
            let spec = match pyc.header.map(|h| h.invalidation) {
                Some(Invalidation::Timestamp { mtime, source_size }) => {
                    HeaderSpec::Timestamp { mtime, source_size: source_size.unwrap_or(0) }
                }
                _ => HeaderSpec::Timestamp { mtime: 0, source_size: 0 },
            };
            let ours = to_pyc(&code, spec).expect("writes");
            let target = out_dir.join(f.file_name().expect("name"));
            std::fs::write(&target, ours).expect("write");
            pairs.push_str(&format!("{}\t{}\n", f.display(), target.display()));
        }
        let mut child = Command::new(&python)
            .args(["-S", &worker.to_string_lossy(), "compare"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("interpreter runs");
        child.stdin.take().expect("stdin").write_all(pairs.as_bytes()).expect("feed");
        let out = child.wait_with_output().expect("finishes");
        assert!(out.status.success(), "{v}: worker failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut n = 0;
        for line in text.lines() {
            let r: serde_json::Value = serde_json::from_str(line).expect("json");
            n += 1;
            let problem = r["problem"].as_str().unwrap_or("?");
            if !problem.is_empty() {
                problems.push(format!("{v} {}: {problem}", r["ours"]));
            }
        }
        assert_eq!(n, pairs.lines().count(), "{v}: one result per file");
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(versions > 0, "no interpreter found");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

const EDIT_SOURCE: &str = "\
def add(a, b):
    return a + b

def const():
    return 41

def loop(n):
    total = 0
    for i in range(n):
        if i % 2:
            total += i
        else:
            total -= 1
    while total > 100:
        total -= 7
    return total

def safe(x):
    try:
        return 1.0 / x
    except ZeroDivisionError:
        return -1
";

/// Compiles `source` with `python` into a .pyc (its importlib header).
fn compile_with(python: &Path, source: &str, dir: &Path) -> Vec<u8> {
    let src = dir.join("edit_src.py");
    let out = dir.join("edit_src.pyc");
    std::fs::write(&src, source).expect("write source");
    let script = "import sys, py_compile; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)";
    let st = Command::new(python).args(["-S", "-c", script]).arg(&src).arg(&out).status().expect("runs");
    assert!(st.success());
    std::fs::read(&out).expect("pyc")
}

/// Runs the module of a .pyc in `python` and returns what `results` printed.
fn run_module(python: &Path, pyc: &Path) -> String {
    let script = "import sys, marshal, json\n\
        d = open(sys.argv[1], 'rb').read()\n\
        h = 16 if sys.version_info >= (3, 7) else 12 if sys.version_info >= (3, 3) else 8\n\
        ns = {}\n\
        exec(marshal.loads(d[h:]), ns)\n\
        r = [ns['add'](2, 3), ns['const'](), ns['loop'](10), ns['safe'](0), ns['safe'](2)]\n\
        r.append(list(ns['add'].__code__.co_varnames))\n\
        sys.stdout.write(json.dumps(r))\n";
    let out = Command::new(python).args(["-S", "-c", script]).arg(pyc).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Deliberate edits run as expected in each interpreter: an operator
/// changed (`a + b` becomes `a * b`: BINARY_ADD → BINARY_MULTIPLY, or
/// BINARY_OP's `+` → `*` from 3.11), locals renamed, a constant changed (from
/// 3.14 `LOAD_SMALL_INT`'s argument), and
/// a NOP inserted at the top of functions with loops and a try/except (every
/// jump, EXTENDED_ARG and exception-table entry re-resolved by `assemble`).
#[test]
fn edited_code_runs() {
    use bytescope_write::{Item, Object, Operand, PyStr, Replace, assemble, lift};
    if std::env::var_os("BYTESCOPE_INTERPRETERS").is_none() {
        return;
    }
    let tmp = std::env::temp_dir().join(format!("bytescope-edit-{}", std::process::id()));
    let mut versions = 0;
    for &v in PythonVersion::ALL {
        let Some(python) = interpreter(v) else { continue };
        let dir = tmp.join(v.to_string());
        std::fs::create_dir_all(&dir).expect("dir");
        let data = compile_with(&python, EDIT_SOURCE, &dir);
        let pyc = load_pyc(&data, None).expect("loads");
        let module = CodeObject::from_root(&pyc.marshal).expect("owned");
        assert_eq!(
            run_module(&python, &dir.join("edit_src.pyc")),
            "[5, 41, 20, -1, 0.5, [\"a\", \"b\"]]",
            "{v}"
        );
        let table = bytescope_opcodes::table(v).expect("opcodes");
        let edit = |code: &CodeObject, f: &dyn Fn(&mut Vec<Item>)| -> CodeObject {
            let mut items = lift(code).expect("lifts");
            f(&mut items);
            let asm = assemble(v, code.firstlineno, &items).expect("assembles");
            code.replace(Replace {
                code: Some(asm.code),
                linetable: Some(asm.linetable),
                exceptiontable: (v >= PythonVersion::PY311).then_some(asm.exceptiontable),
                ..Replace::default()
            })
            .expect("replaces")
        };
        let nop = table.opcode("NOP").expect("NOP");
        let insert_nop = |items: &mut Vec<Item>| {
            let first = items.iter().position(|i| matches!(i, Item::Instr(_))).expect("an instruction");
            items.insert(first + 1, Item::Instr(bytescope_write::Instruction::new(nop, Operand::None)));
        };
        let mut consts = module.consts.clone();
        for c in &mut consts {
            let Object::Code(f) = c else { continue };
            let new = match f.name.as_str() {
                Some("add") => {
                    let times = edit(f, &|items| {
                        for it in items.iter_mut() {
                            let Item::Instr(ins) = it else { continue };
                            match table.op(ins.opcode).name {
                                "BINARY_ADD" => ins.opcode = table.opcode("BINARY_MULTIPLY").expect("*"),
                                "BINARY_OP" => {
                                    let mul = table.binary_ops.iter().position(|s| *s == "*").expect("*");
                                    ins.operand = Operand::Arg(u32::try_from(mul).expect("small"));
                                }
                                _ => {}
                            }
                        }
                    });
                    let renamed: Vec<PyStr> =
                        times.varnames().iter().map(|n| PyStr::from(format!("{n}_renamed"))).collect();
                    times.replace(Replace { varnames: Some(renamed), ..Replace::default() }).expect("renames")
                }
                Some("const") => {
                    // 3.14+ load small ints from the argument (41 stays in
                    // co_consts too).
                    let g = edit(f, &|items| {
                        for it in items.iter_mut() {
                            if let Item::Instr(ins) = it
                                && table.op(ins.opcode).name == "LOAD_SMALL_INT"
                            {
                                ins.operand = Operand::Arg(42);
                            }
                        }
                    });
                    let cs = g
                        .consts
                        .iter()
                        .map(|k| if *k == Object::int(41) { Object::int(42) } else { k.clone() });
                    g.replace(Replace { consts: Some(cs.collect()), ..Replace::default() }).expect("const")
                }
                Some("loop" | "safe") => edit(f, &insert_nop),
                _ => continue,
            };
            **f = new;
        }
        let edited = module.replace(Replace { consts: Some(consts), ..Replace::default() }).expect("module");
        let path = dir.join("edited.pyc");
        std::fs::write(
            &path,
            to_pyc(&edited, HeaderSpec::Timestamp { mtime: 0, source_size: 0 }).expect("writes"),
        )
        .expect("write");
        assert_eq!(
            run_module(&python, &path),
            "[6, 42, 20, -1, 0.5, [\"a_renamed\", \"b_renamed\"]]",
            "{v}: edited module"
        );
        versions += 1;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(versions > 0, "no interpreter found");
}
