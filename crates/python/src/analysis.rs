//! `bytescope.analysis`: the analyses of `crates/analysis` over one code
//! object, as the records the CLI writes (`bytescope stack`, `cfg`, `check`
//! and `diff --json`; the records are `crates/analysis`'s).

use bytescope_analysis::diff::{self, DiffCode, DiffOptions};
use bytescope_analysis::{CfgRecord, CheckRecord, DiffRecord, DiffSideRecord, StackAnalyzer, StackRecord};
use bytescope_code::{Code, CodeEntry, code_tree, subtree_end};
use bytescope_dis::Disassembler;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::code::PyCode;
use crate::error::file_error;
use crate::file::File;

/// The stack analysis of `code` as JSON (`bytescope.analysis.stack` makes
/// it Python data): the `bytescope stack --json` record of the code object.
#[pyfunction]
#[pyo3(signature = (code, summary=false, width=bytescope_analysis::DEFAULT_SLOT_WIDTH))]
pub(crate) fn stack_json(
    py: Python<'_>,
    code: &Bound<'_, PyCode>,
    summary: bool,
    width: usize,
) -> PyResult<String> {
    let pc = code.get();
    let file = &pc.file;
    let v = file.version();
    let fail = |e: &dyn std::fmt::Display| file_error(&file.label, &e.to_string());
    let analyzer = StackAnalyzer::new(v).map_err(|e| fail(&e))?;
    let dis = Disassembler::new(v).map_err(|e| fail(&e))?;
    let width = width.max(2);
    py.detach(|| {
        // Named and numbered as the CLI names them (the file's code tree).
        let (_, tree) = subtree(file, pc)?;
        let entry = &tree[0];
        let c = Code::new(file.marshal(), entry.node).map_err(|e| e.to_string())?;
        let (rows, depths) =
            if summary { (Vec::new(), analyzer.depths(&c)) } else { analyzer.rows(&c, width) };
        let reprs = if summary { Vec::new() } else { bytescope_analysis::argreprs(&dis, &c, &rows) };
        let rows = (!summary).then_some((rows.as_slice(), reprs.as_slice()));
        let record = StackRecord::new(&entry.qualname, c.firstlineno(), c.stacksize(), &depths, rows);
        serde_json::to_string(&record).map_err(|e| e.to_string())
    })
    .map_err(|e| fail(&e))
}

/// Where code object `pc` sits in its file's code tree (pre-order, as the
/// CLI numbers and names code objects): its position, and the entries of
/// it and every code object nested in it.
fn subtree<'m>(file: &'m File, pc: &PyCode) -> Result<(usize, Vec<CodeEntry<'m>>), String> {
    let m = file.marshal();
    let node = file.raw(pc.index);
    let mut tree = code_tree(m);
    let at = tree
        .iter()
        .position(|e| std::ptr::eq(e.node, node))
        .ok_or_else(|| "the code object cannot be found in its file's code tree".to_owned())?;
    tree.truncate(subtree_end(&tree, at));
    Ok((at, tree.split_off(at)))
}

/// The control-flow graph of `code` as JSON: the `bytescope cfg --json`
/// record of the code object (without `path` and `member`).
#[pyfunction]
pub(crate) fn cfg_json(py: Python<'_>, code: &Bound<'_, PyCode>) -> PyResult<String> {
    let pc = code.get();
    let file = &pc.file;
    py.detach(|| {
        let m = file.marshal();
        let analyzer = StackAnalyzer::for_marshal(m).map_err(|e| e.to_string())?;
        let (index, tree) = subtree(file, pc)?;
        let entry = &tree[0];
        let c = Code::new(m, entry.node).map_err(|e| e.to_string())?;
        let cfg = analyzer.cfg(&c);
        let record = CfgRecord::new(index, &entry.qualname, c.firstlineno(), &cfg);
        serde_json::to_string(&record).map_err(|e| e.to_string())
    })
    .map_err(|e| file_error(&file.label, &e))
}

/// The consistency checks of `code` as JSON: the `bytescope check --json`
/// record of the code object (without `path` and `member`).
#[pyfunction]
pub(crate) fn check_json(py: Python<'_>, code: &Bound<'_, PyCode>) -> PyResult<String> {
    let pc = code.get();
    let file = &pc.file;
    py.detach(|| {
        let m = file.marshal();
        let analyzer = StackAnalyzer::for_marshal(m).map_err(|e| e.to_string())?;
        let (index, tree) = subtree(file, pc)?;
        let entry = &tree[0];
        let c = Code::new(m, entry.node).map_err(|e| e.to_string())?;
        let report = analyzer.check(&c);
        let record = CheckRecord::new(index, &entry.qualname, c.firstlineno(), c.stacksize(), &report);
        serde_json::to_string(&record).map_err(|e| e.to_string())
    })
    .map_err(|e| file_error(&file.label, &e))
}

/// One side of a diff: `code` and the code objects nested in it, named
/// relative to it.
fn diff_codes(file: &File, pc: &PyCode, opts: DiffOptions) -> Result<Vec<DiffCode>, String> {
    let m = file.marshal();
    let analyzer = StackAnalyzer::for_marshal(m).map_err(|e| e.to_string())?;
    let (_, tree) = subtree(file, pc)?;
    let prefix = format!("{}.", tree[0].qualname);
    let mut out: Vec<DiffCode> = Vec::with_capacity(tree.len());
    for (k, e) in tree.iter().enumerate() {
        // Names relative to the root, as the CLI's FILE::QUALNAME pairs them
        // (a nested code object outside the root's name keeps its own).
        let rel = if k == 0 {
            String::new()
        } else {
            e.qualname.strip_prefix(&prefix).unwrap_or(&e.qualname).to_owned()
        };
        let c = Code::new(m, e.node).map_err(|e| e.to_string())?;
        out.push(DiffCode { rel, qualname: e.qualname.clone(), side: analyzer.diff_side(&c, opts) });
    }
    Ok(out)
}

/// `a` and `b` (and the code objects nested in each) compared, as JSON:
/// the `bytescope diff --json` record. `a_named`/`b_named`: the side was
/// picked as a code object (its `qualname` is given), not as a whole file.
#[pyfunction]
#[pyo3(signature = (a, b, a_named, b_named, offsets=false, args=false, caches=false, lines=false))]
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
pub(crate) fn diff_json(
    py: Python<'_>,
    a: &Bound<'_, PyCode>,
    b: &Bound<'_, PyCode>,
    a_named: bool,
    b_named: bool,
    offsets: bool,
    args: bool,
    caches: bool,
    lines: bool,
) -> PyResult<String> {
    let (pa, pb) = (a.get(), b.get());
    let opts = DiffOptions { offsets, args, caches, lines };
    py.detach(|| {
        let ca = diff_codes(&pa.file, pa, opts).map_err(|e| file_error(&pa.file.label, &e))?;
        let cb = diff_codes(&pb.file, pb, opts).map_err(|e| file_error(&pb.file.label, &e))?;
        let cmp = diff::compare(&ca, &cb);
        let side = |f: &File, named: bool, codes: &[DiffCode]| -> (String, Option<String>, String) {
            let q = named.then(|| codes.first().map(|c| c.qualname.clone()).unwrap_or_default());
            (f.label.clone(), q, f.version().to_string())
        };
        let (sa, sb) = (side(&pa.file, a_named, &ca), side(&pb.file, b_named, &cb));
        let record = DiffRecord::new(
            DiffSideRecord { path: &sa.0, qualname: sa.1.as_deref(), version: sa.2 },
            DiffSideRecord { path: &sb.0, qualname: sb.1.as_deref(), version: sb.2 },
            &ca,
            &cb,
            &cmp,
        );
        serde_json::to_string(&record).map_err(|e| PyValueError::new_err(e.to_string()))
    })
}
