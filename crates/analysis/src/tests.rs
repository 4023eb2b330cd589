//! The stack analysis against CPython's own `co_stacksize` (every CPython-compiled fixture of
//! every version), snapshots of the symbolic stack, and crafted code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bytescope_code::{Code, code_objects};
use bytescope_marshal::{Value, load_pyc};
use bytescope_pyc::PythonVersion as V;

use super::*;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.pyc` under `dir`'s version directories, sorted.
pub(crate) fn pycs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(dir).expect("dir").flatten().map(|e| e.path()).collect();
    dirs.sort();
    for d in dirs.into_iter().filter(|d| d.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(&d).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        out.extend(files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "pyc")));
    }
    out
}

fn with_codes(data: &[u8], mut f: impl FnMut(&StackAnalyzer, &Code<'_, '_>)) {
    let pyc = load_pyc(data, None).expect("pyc");
    let analyzer = StackAnalyzer::new(pyc.version()).expect("analyzer");
    for code in code_objects(&pyc.marshal).expect("codes") {
        f(&analyzer, &code);
    }
}

/// The stack walk's decoding straight into `Op`s gives what the full decoding gives.
#[test]
fn op_decoding_is_the_full_decodings() {
    let mut files = pycs(&root().join("tests/fixtures"));
    files.extend(pycs(&root().join("crates/analysis/tests/fixtures")));
    let (mut ops, mut jumps) = (Vec::new(), Vec::new());
    for path in files {
        let data = std::fs::read(&path).expect("read");
        with_codes(&data, |a, code| {
            let full: Vec<_> = crate::insn::decode(a.data, code).iter().map(crate::insn::Op::of).collect();
            crate::insn::decode_ops(a.data, code, &mut ops, &mut jumps);
            let lean: Vec<_> = ops.iter().copied().zip(jumps.iter().copied()).collect();
            assert_eq!(full, lean, "{} {}", path.display(), code.name);
        });
    }
}

/// One [`Scratch`] kept across every code object of every fixture (all versions, large
/// and small, one after another) gives what a fresh analysis gives: the reused memory
/// carries nothing over.
#[test]
fn a_kept_scratch_gives_the_fresh_results() {
    let mut files = pycs(&root().join("tests/fixtures"));
    files.extend(pycs(&root().join("crates/analysis/tests/fixtures")));
    let mut scratch = Scratch::default();
    let mut total = 0;
    for path in files {
        let data = std::fs::read(&path).expect("read");
        with_codes(&data, |a, code| {
            total += 1;
            let fresh = a.analyze(code);
            assert_eq!(a.analyze_with(code, &mut scratch), &fresh, "{} {}", path.display(), code.name);
            assert_eq!(a.stacksize_with(code, &mut scratch), &fresh.depths, "{}", path.display());
            assert_eq!(a.stacksize(code), fresh.depths);
        });
    }
    assert!(total > 1500, "{total} code objects");
}

/// Code objects whose `co_stacksize` the final bytecode cannot give back (see
/// docs/analysis.md): `(fixture, code object, CPython's, ours, why)`.
const KNOWN: &[(&str, &str, i32, u32, &str)] = &[(
    "2.7/py2_literals.pyc",
    "<module>",
    9,
    8,
    "`(…, 2 ** 40)`: the peephole folded `2 ** 40` (two pushes) inside the tuple after the depth was counted",
)];

#[test]
fn computed_stacksize_is_cpythons_on_every_fixture() {
    let mut files = pycs(&root().join("tests/fixtures"));
    files.extend(pycs(&root().join("crates/analysis/tests/fixtures")));
    assert!(files.len() > 300, "{} fixtures", files.len());
    let (mut total, mut bad) = (0, Vec::new());
    for path in files {
        let data = std::fs::read(&path).expect("read");
        with_codes(&data, |a, code| {
            total += 1;
            let d = a.depths(code);
            let known = KNOWN.iter().any(|(file, name, theirs, ours, _)| {
                path.ends_with(file)
                    && code.name == *name
                    && code.stacksize() == *theirs
                    && d.stacksize == *ours
            });
            if !known && (i64::from(d.stacksize) != i64::from(code.stacksize()) || !d.problems.is_empty()) {
                bad.push(format!(
                    "{} {}: CPython {}, computed {} {:?}",
                    path.display(),
                    code.name,
                    code.stacksize(),
                    d.stacksize,
                    d.problems
                ));
            }
        });
    }
    assert!(total > 1500, "{total} code objects");
    assert!(bad.is_empty(), "{} of {total} differ:\n{}", bad.len(), bad.join("\n"));
}

fn example(version: &str) -> Vec<u8> {
    std::fs::read(root().join(format!("crates/analysis/tests/fixtures/{version}/stack_example.pyc")))
        .expect("fixture")
}

/// The rows of every code object, as a compact listing.
fn listing(data: &[u8]) -> String {
    let mut out = String::new();
    with_codes(data, |a, code| {
        let (rows, d) = a.rows(code, 40);
        let _ = writeln!(out, "{} stacksize {} (CPython {})", code.name, d.stacksize, code.stacksize());
        for r in rows {
            let depth = match (r.depth_before, r.depth_after) {
                (Some(b), Some(a)) => format!("{b}->{a}"),
                _ => "-".to_owned(),
            };
            let arg = r.arg.map(|a| a.to_string()).unwrap_or_default();
            let line =
                format!("{:>4} {:<26} {arg:>4} {depth:>6}  {}", r.offset, r.opname, r.stack.join(" | "));
            let _ = writeln!(out, "{}", line.trim_end());
        }
    });
    out
}

#[test]
fn symbolic_stack_snapshots() {
    for v in ["2.7", "3.6", "3.8", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"] {
        insta::assert_snapshot!(format!("stack_example_{}", v.replace('.', "_")), listing(&example(v)));
    }
}

#[test]
fn the_issue_example_on_312() {
    let text = listing(&example("3.12"));
    for line in [
        "LOAD_CONST                    1   0->1  0.5",
        "LOAD_GLOBAL                   1   1->3  0.5 | NULL | math",
        "LOAD_ATTR                     2   3->3  0.5 | NULL | math.sqrt",
        "LOAD_FAST                     0   3->4  0.5 | NULL | math.sqrt | x",
        "CALL                          1   4->2  0.5 | math.sqrt(x)",
        "BINARY_OP                     5   2->1  0.5 * math.sqrt(x)",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    // 3.13 puts the NULL above the callable.
    assert!(listing(&example("3.13")).contains("0.5 | math.sqrt | NULL | x"));
}

/// The example file with the `co_code` of the code object named `name` replaced (same
/// length: the rest is NOPs, or `filler`).
fn patched(version: &str, name: &str, code: &[u8], filler: &[u8]) -> Vec<u8> {
    let data = example(version);
    let pyc = load_pyc(&data, None).expect("pyc");
    let m = &pyc.marshal;
    let node = m.codes().iter().find(|c| m.name_str(c.name).as_deref() == Some(name)).expect("code object");
    let bytes = m.node(m.resolve(node.code));
    let Value::Bytes(b) = bytes.value else { panic!("co_code") };
    let start = bytes.offset as usize + 5;
    let mut out = data.clone();
    let region = &mut out[start..start + b.len()];
    for (i, x) in region.iter_mut().enumerate() {
        *x = code.get(i).copied().unwrap_or(filler[(i - code.len().min(i)) % filler.len()]);
    }
    out
}

fn analyze(data: &[u8], name: &str) -> (Vec<StackRow>, StackDepths) {
    let pyc = load_pyc(data, None).expect("pyc");
    let a = StackAnalyzer::new(pyc.version()).expect("analyzer");
    let codes = code_objects(&pyc.marshal).expect("codes");
    let code = codes.iter().find(|c| c.name == name).expect("code");
    a.rows(code, 40)
}

fn op(v: V, name: &str) -> u8 {
    bytescope_opcodes::table(v).and_then(|t| t.opcode(name)).expect(name)
}

#[test]
fn crafted_self_jump_and_growing_loop() {
    let v = V::PY312;
    let nop = [op(v, "NOP"), 0];
    // 0 RESUME; 2 JUMP_BACKWARD 1 (to itself).
    let code = [op(v, "RESUME"), 0, op(v, "JUMP_BACKWARD"), 1];
    let (rows, d) = analyze(&patched("3.12", "scaled", &code, &nop), "scaled");
    assert_eq!(d.stacksize, 0);
    assert_eq!(rows[1].depth_before, Some(0));
    assert!(rows[2..].iter().all(|r| r.depth_before.is_none()), "unreachable after the loop");
    // 2 LOAD_CONST 0; 4 JUMP_BACKWARD 2 (to 2): one more item every round.
    let code = [op(v, "RESUME"), 0, op(v, "LOAD_CONST"), 0, op(v, "JUMP_BACKWARD"), 2];
    let (_, d) = analyze(&patched("3.12", "scaled", &code, &nop), "scaled");
    assert!(d.problems.iter().any(|p| p.kind == ProblemKind::WalkLimit), "{:?}", d.problems);
}

#[test]
fn crafted_bad_targets_huge_args_and_underflow() {
    let v = V::PY312;
    let nop = [op(v, "NOP"), 0];
    let ext = op(v, "EXTENDED_ARG");
    // A forward jump far past the end.
    let code = [op(v, "RESUME"), 0, op(v, "JUMP_FORWARD"), 200];
    let (_, d) = analyze(&patched("3.12", "scaled", &code, &nop), "scaled");
    assert!(
        d.problems.iter().any(|p| matches!(p.kind, ProblemKind::BadJumpTarget { .. })),
        "{:?}",
        d.problems
    );
    // Nothing but no-ops: control runs off the end.
    let (_, d) = analyze(&patched("3.12", "scaled", &[op(v, "RESUME"), 0], &nop), "scaled");
    assert!(d.problems.iter().any(|p| p.kind == ProblemKind::FallsOffEnd), "{:?}", d.problems);
    // BUILD_TUPLE 0xffffffff: takes more than there is.
    let code = [op(v, "RESUME"), 0, ext, 0xff, ext, 0xff, ext, 0xff, op(v, "BUILD_TUPLE"), 0xff];
    let (_, d) = analyze(&patched("3.12", "scaled", &code, &nop), "scaled");
    assert!(d.problems.iter().any(|p| matches!(p.kind, ProblemKind::Underflow { .. })), "{:?}", d.problems);
    // UNPACK_SEQUENCE 0x7fffffff after a load: billions of items, counted, not built.
    let code = [
        op(v, "RESUME"),
        0,
        op(v, "LOAD_CONST"),
        0,
        ext,
        0x7f,
        ext,
        0xff,
        ext,
        0xff,
        op(v, "UNPACK_SEQUENCE"),
        0xff,
    ];
    let (rows, d) = analyze(&patched("3.12", "scaled", &code, &nop), "scaled");
    assert_eq!(d.stacksize, 0x7fff_ffff);
    assert!(rows.iter().all(|r| r.stack.len() <= 1024));
}

#[test]
fn crafted_loops_before_37_end() {
    // 2.7: 0 LOAD_CONST 0; 3 JUMP_ABSOLUTE 0, a loop that grows: the recursive walk stops
    // at the block on its path, as CPython's does.
    let v = V::PY27;
    let code = [op(v, "LOAD_CONST"), 0, 0, op(v, "JUMP_ABSOLUTE"), 0, 0];
    let (rows, d) = analyze(&patched("2.7", "scaled", &code, &[op(v, "NOP")]), "scaled");
    assert_eq!(d.stacksize, 1);
    assert!(d.problems.is_empty(), "{:?}", d.problems);
    assert_eq!(rows[1].depth_before, Some(1));
}

#[test]
fn without_the_fold_rule_the_size_is_the_codes_own_maximum() {
    // 3.8: `def guarded(table, key, default=None)` loads its folded defaults tuple in one step.
    let data = example("3.8");
    let pyc = load_pyc(&data, None).expect("pyc");
    let codes = code_objects(&pyc.marshal).expect("codes");
    let module = &codes[0];
    let compiler = StackAnalyzer::new(V::PY38).expect("analyzer");
    let exact = StackAnalyzer::new(V::PY38)
        .expect("analyzer")
        .with_rules(StackRules { fold: Fold::None, ..StackRules::for_version(V::PY38) });
    let counted = compiler.stacksize(module).stacksize;
    assert_eq!(i64::from(counted), i64::from(module.stacksize()));
    let own = exact.stacksize(module).stacksize;
    assert!(own <= counted, "{own} > {counted}");
    let deepest = exact.depths(module).insns.iter().filter_map(|d| d.after.max(d.before)).max();
    assert_eq!(Some(own), deepest);
}

#[test]
fn rules_are_values_per_version() {
    let r = |v| StackRules::for_version(v);
    assert_eq!(r(V::PY27).walk, Walk::Recursive);
    assert_eq!(r(V::PY36).walk, Walk::Recursive);
    assert_eq!(r(V::PY37).walk, Walk::Worklist);
    assert!(!r(V::PY37).follow_continue);
    assert_eq!(r(V::PY39).fold, Fold::Defaults);
    assert_eq!(r(V::PY310).generator_entry, 1);
    assert_eq!(r(V::PY313).generator_entry, 0);
    assert_eq!(r(V::PY313).minimum, 1);
    assert!(r(V::PY311).dead_handlers && !r(V::PY310).dead_handlers);
}
