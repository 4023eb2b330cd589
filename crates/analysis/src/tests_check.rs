//! The checks and the diff on CPython-compiled fixtures: nothing found on unmodified code of
//! any version, the classic tampering found, and the loop-against-comprehension diff.

use bytescope_code::{Code, code_objects};
use bytescope_marshal::load_pyc;

use super::*;
use crate::diff::{DiffOptions, Tag, align};
use crate::tests::{pycs, root};

#[test]
fn check_reports_nothing_on_every_fixture() {
    let mut files = pycs(&root().join("tests/fixtures"));
    files.extend(pycs(&root().join("crates/analysis/tests/fixtures")));
    let (mut codes, mut bad) = (0, Vec::new());
    for path in &files {
        let data = std::fs::read(path).expect("read");
        let pyc = load_pyc(&data, None).expect("pyc");
        let a = StackAnalyzer::new(pyc.version()).expect("analyzer");
        for code in code_objects(&pyc.marshal).expect("codes") {
            codes += 1;
            let r = a.check(&code);
            for f in &r.findings {
                bad.push(format!("{} {} at {:?}: {}", path.display(), code.name, f.offset, f.message()));
            }
        }
    }
    assert!(codes > 1500, "{codes} code objects");
    assert!(
        bad.is_empty(),
        "{} findings (false positives):\n{}",
        bad.len(),
        bad[..bad.len().min(40)].join("\n")
    );
}

/// `stack_example.pyc` of `version` with `edit` applied to the `co_code` of function `name`.
fn tampered(version: &str, name: &str, edit: impl Fn(&StackAnalyzer, &[u8], &mut [u8])) -> Vec<u8> {
    let path = root().join(format!("crates/analysis/tests/fixtures/{version}/stack_example.pyc"));
    let data = std::fs::read(path).expect("fixture");
    let mut out = data.clone();
    let pyc = load_pyc(&data, None).expect("pyc");
    let a = StackAnalyzer::new(pyc.version()).expect("analyzer");
    let codes = code_objects(&pyc.marshal).expect("codes");
    let code = codes.iter().find(|c| c.name == name).expect("function");
    let at = code.code.as_ptr() as usize - data.as_ptr() as usize;
    edit(&a, code.code, &mut out[at..at + code.code.len()]);
    out
}

/// Every finding of every code object of `data`, as `(function, message)`.
fn findings(data: &[u8]) -> Vec<(String, String)> {
    let pyc = load_pyc(data, None).expect("pyc");
    let a = StackAnalyzer::new(pyc.version()).expect("analyzer");
    let mut out = Vec::new();
    for code in code_objects(&pyc.marshal).expect("codes") {
        for f in a.check(&code).findings {
            out.push((code.name.to_string(), f.message()));
        }
    }
    out
}

/// Index in `co_code` of the first wordcode instruction named `op`.
fn first(a: &StackAnalyzer, code: &[u8], op: &str) -> usize {
    (0..code.len()).step_by(2).find(|&k| a.table.op(code[k]).name == op).expect("opcode")
}

#[test]
fn check_finds_a_changed_operand_and_a_jump_out_of_the_code() {
    for v in ["3.6", "3.8", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"] {
        // `scaled`'s constant 0.5 made to index past co_consts.
        let data = tampered(v, "scaled", |a, code, out| out[first(a, code, "LOAD_CONST") + 1] = 200);
        let got = findings(&data);
        assert!(
            got.iter().any(|(f, m)| f == "scaled" && m.contains("consts")),
            "{v}: no operand finding in {got:?}"
        );
        // `manual`'s FOR_ITER made to jump past the end of the code.
        let data = tampered(v, "manual", |a, code, out| out[first(a, code, "FOR_ITER") + 1] = 0xff);
        let got = findings(&data);
        assert!(got.iter().any(|(f, _)| f == "manual"), "{v}: no jump finding in {got:?}");
    }
}

/// The most instructions one iteration of `code`'s (only) loop runs.
fn iteration(a: &StackAnalyzer, code: &Code<'_, '_>) -> u32 {
    let side = a.diff_side(code, DiffOptions::default());
    assert_eq!(side.loops.len(), 1, "{}: {:?}", code.name, side.loops);
    side.loops[0].per_iteration.expect("a path round the loop").1
}

#[test]
fn diff_manual_loop_against_comprehension() {
    for v in ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"] {
        let path = root().join(format!("crates/analysis/tests/fixtures/{v}/stack_example.pyc"));
        let data = std::fs::read(path).expect("fixture");
        let pyc = load_pyc(&data, None).expect("pyc");
        let a = StackAnalyzer::new(pyc.version()).expect("analyzer");
        let codes = code_objects(&pyc.marshal).expect("codes");
        let named = |n: &str| codes.iter().find(|c| c.name == n).expect("code object");
        let manual = named("manual");
        // Up to 3.11 the comprehension's loop is its own code object; from 3.12 it is inlined.
        let comp = codes.iter().find(|c| c.name == "<listcomp>").unwrap_or_else(|| named("comprehension"));
        let (m, c) = (iteration(&a, manual), iteration(&a, comp));
        assert!(c < m, "{v}: comprehension {c} instructions per iteration, manual loop {m}");
        // The aligned loop bodies: the manual loop's `out.append(...)` call is what goes.
        let (sa, sb) =
            (a.diff_side(manual, DiffOptions::default()), a.diff_side(comp, DiffOptions::default()));
        let ops = align(&sa.insns, &sb.insns);
        let deleted: Vec<&str> = ops
            .iter()
            .filter(|o| o.tag == Tag::Delete)
            .flat_map(|o| &sa.insns[o.a_start..o.a_end])
            .map(|i| i.text.as_str())
            .collect();
        assert!(deleted.iter().any(|t| t.contains("append")), "{v}: {deleted:?}");
        assert!(ops.iter().any(|o| o.tag == Tag::Equal), "{v}: nothing in common");
    }
}
