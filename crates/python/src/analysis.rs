//! `bytescope.analysis`: the analyses of `crates/analysis` over one code
//! object, as the records the CLI writes (`bytescope stack --json`).

use bytescope_analysis::{StackAnalyzer, StackRecord};
use bytescope_dis::Disassembler;
use bytescope_inspect::Inspector;
use pyo3::prelude::*;

use crate::code::PyCode;
use crate::error::file_error;

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
        file.with_code(pc.index, |c| {
            // Qualified names as `inspect` derives them (co_qualname exists
            // only from 3.11), as the CLI names them.
            let qualname = match &c.qualname {
                Some(q) => q.to_string(),
                None => Inspector::new(v)
                    .ok()
                    .and_then(|i| i.inspect(c.marshal()).ok())
                    .and_then(|r| r.code_objects.into_iter().find(|o| o.offset == c.offset()))
                    .map_or_else(|| c.name.to_string(), |o| o.qualname),
            };
            let (rows, depths) =
                if summary { (Vec::new(), analyzer.depths(c)) } else { analyzer.rows(c, width) };
            let reprs: Vec<String> = if summary {
                Vec::new()
            } else {
                let instructions = dis.instructions(c).unwrap_or_default();
                let mut by_offset = instructions.into_iter().peekable();
                rows.iter()
                    .map(|r| {
                        while by_offset.peek().is_some_and(|i| i.offset < r.offset) {
                            by_offset.next();
                        }
                        match by_offset.peek() {
                            Some(i) if i.offset == r.offset => i.argrepr.clone(),
                            _ => String::new(),
                        }
                    })
                    .collect()
            };
            let rows = (!summary).then_some((rows.as_slice(), reprs.as_slice()));
            let record = StackRecord::new(&qualname, c.firstlineno(), c.stacksize(), &depths, rows);
            serde_json::to_string(&record).map_err(|e| e.to_string())
        })
    })
    .and_then(|r| r)
    .map_err(|e| fail(&e))
}
