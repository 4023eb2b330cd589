//! The body of the `stack` fuzz target, shared by cargo-fuzz (`fuzz/fuzz_targets/stack.rs`)
//! and the `cargo test` smoke run (`crates/analysis/tests/hostile.rs`), both of which include
//! this file with `#[path]`.
//!
//! Input: a `version` byte (indexing [`STACK_VERSIONS`] modulo its length), then headerless
//! marshal data. Every code object gets every analysis: the stack analysis with the
//! symbolic stack, the control-flow graph (with its text, DOT and Mermaid renderings), the
//! consistency checks, and a diff against itself and against the previous code object. Each
//! must return normally (no panic, overflow or hang; the walks are bounded) and agree with
//! itself: one row per instruction, a row has a stack exactly when it has depths, and every
//! depth reached stays within the computed maximum (or the entry depth); the graph's blocks
//! cover every instruction once, in order, its edges join blocks, every block but the entry
//! has an immediate dominator exactly when it is reachable, back edges go to a dominator and
//! loops hold their header; the checks' computed size is the analysis's; a code object
//! diffed with itself is all equal, and any diff's stretches cover both sides in order.

use bytescope_analysis::diff::{DiffOptions, Tag, align, unified};
use bytescope_analysis::render::{self, CfgView};
use bytescope_analysis::{Cfg, Scratch, StackAnalyzer};
use bytescope_code::code_objects;
use bytescope_marshal::{Format, read};
use bytescope_pyc::PythonVersion;

/// The versions with an opcode table, as the `version` byte selects them.
pub const STACK_VERSIONS: &[PythonVersion] = &[
    PythonVersion::PY27,
    PythonVersion::PY30,
    PythonVersion::PY31,
    PythonVersion::PY32,
    PythonVersion::PY33,
    PythonVersion::PY34,
    PythonVersion::PY35,
    PythonVersion::PY36,
    PythonVersion::PY37,
    PythonVersion::PY38,
    PythonVersion::PY39,
    PythonVersion::PY310,
    PythonVersion::PY311,
    PythonVersion::PY312,
    PythonVersion::PY313,
    PythonVersion::PY314,
    PythonVersion::PY315,
    // Transcribed tables, after the others so that existing seeds keep their versions.
    PythonVersion::PY15,
    PythonVersion::PY20,
    PythonVersion::PY21,
    PythonVersion::PY22,
    PythonVersion::PY23,
    PythonVersion::PY24,
    PythonVersion::PY25,
    PythonVersion::PY26,
];

/// `stack`: see the module documentation.
pub fn stack(data: &[u8]) {
    run(data, true);
}

/// The stack analysis alone (the smoke test's cheaper mutants; the fuzz target does not
/// use it).
#[allow(dead_code)]
pub fn stack_only(data: &[u8]) {
    run(data, false);
}

fn run(data: &[u8], all: bool) {
    let Some((&sel, rest)) = data.split_first() else { return };
    let v = STACK_VERSIONS[usize::from(sel) % STACK_VERSIONS.len()];
    let Ok(m) = read(rest, Format::for_version(v), 0) else { return };
    let Ok(analyzer) = StackAnalyzer::new(v) else { return };
    let Ok(codes) = code_objects(&m) else { return };
    let mut previous = None;
    // Working memory kept across the code objects, as a caller analysing many does: what it
    // gives must be what a fresh analysis gives.
    let mut scratch = Scratch::default();
    for code in &codes {
        if all {
            previous = Some(analyses(&analyzer, code, previous.take(), v));
            let fresh = analyzer.analyze(code);
            assert_eq!(analyzer.analyze_with(code, &mut scratch), &fresh, "{v}: kept scratch differs");
        }
        let depths = analyzer.depths(code);
        let (rows, again) = analyzer.rows(code, 12);
        assert_eq!(depths, again, "{v}: depths differ between the two entry points");
        // The fast path (no per-instruction depths) agrees with the general one.
        let quick = analyzer.stacksize(code);
        assert_eq!(
            (quick.stacksize, &quick.problems),
            (depths.stacksize, &depths.problems),
            "{v}: fast path differs"
        );
        assert_eq!(analyzer.stacksize_with(code, &mut scratch), &quick, "{v}: kept scratch differs");
        assert_eq!(rows.len(), depths.insns.len());
        for row in &rows {
            assert_eq!(row.depth_before.is_some(), row.depth_after.is_some());
            if let Some(b) = row.depth_before {
                assert!(
                    b <= depths.stacksize.max(1),
                    "{v}: depth {b} above the maximum {}",
                    depths.stacksize
                );
            }
            assert!(row.stack.len() <= 1024, "{v}: {} slots", row.stack.len());
            assert!(row.stack.iter().all(|s| s.chars().count() <= 12));
        }
    }
}

/// The graph, the checks and the diffs of one code object (see the module documentation).
fn analyses(
    analyzer: &StackAnalyzer,
    code: &bytescope_code::Code<'_, '_>,
    previous: Option<bytescope_analysis::diff::DiffSide>,
    v: PythonVersion,
) -> bytescope_analysis::diff::DiffSide {
    let a = analyzer.analyze(code);
    assert_eq!(a.depths, analyzer.stacksize(code), "{v}: analyze and stacksize differ");
    cfg_invariants(&a.cfg, v);
    let report = analyzer.check(code);
    assert_eq!(report.computed_stacksize, a.depths.stacksize, "{v}: check's size differs");
    for f in &report.findings {
        assert!(!f.message().is_empty());
    }
    let listing = analyzer.listing(code);
    assert_eq!(listing.len(), a.cfg.offsets.len(), "{v}: listing and graph differ");
    let view = CfgView { qualname: "f", firstlineno: 1, cfg: &a.cfg, insns: &listing };
    let mut out = String::new();
    render::text(&view, &mut out);
    render::dot("f", &[view], &mut out);
    render::mermaid(&[view], &mut out);
    // Every option on: offsets, raw arguments, caches, lines.
    let full = analyzer.diff_side(code, DiffOptions { offsets: true, args: true, caches: true, lines: true });
    let side = analyzer.diff_side(code, DiffOptions::default());
    let ops = align(&side.insns, &side.insns);
    assert!(ops.iter().all(|o| o.tag == Tag::Equal), "{v}: a code object differs from itself");
    let mut text = String::new();
    unified(&side.insns, &side.insns, &ops, 3, &mut text);
    assert!(text.is_empty(), "{v}: a diff with itself shows changes");
    if let Some(prev) = &previous {
        let ops = align(&prev.insns, &side.insns);
        let (mut i, mut j) = (0, 0);
        for o in &ops {
            assert_eq!((o.a_start, o.b_start), (i, j), "{v}: diff stretches not contiguous");
            assert!(o.a_end >= o.a_start && o.b_end >= o.b_start);
            if o.tag == Tag::Equal {
                assert_eq!(o.a_end - o.a_start, o.b_end - o.b_start);
            }
            (i, j) = (o.a_end, o.b_end);
        }
        assert_eq!((i, j), (prev.insns.len(), side.insns.len()), "{v}: diff does not cover both sides");
        unified(&prev.insns, &side.insns, &ops, 3, &mut text);
    }
    assert_eq!(full.instructions, side.instructions, "{v}: the options change the instruction count");
    side
}

/// The graph's structural invariants.
fn cfg_invariants(cfg: &Cfg, v: PythonVersion) {
    let n = cfg.blocks.len();
    let mut next = 0u32;
    for (k, b) in cfg.blocks.iter().enumerate() {
        assert_eq!(b.id as usize, k, "{v}: block ids");
        assert_eq!(b.first, next, "{v}: blocks not contiguous");
        assert!(b.len > 0, "{v}: empty block");
        assert_eq!(cfg.offsets.get(b.first as usize), Some(&b.start), "{v}: block start");
        next = b.first + b.len;
        if k == 0 {
            assert!(b.idom.is_none() && b.reachable, "{v}: entry block");
        } else {
            assert_eq!(b.idom.is_some(), b.reachable, "{v}: dominator of block {k}");
        }
        if let Some(d) = b.idom {
            assert!((d as usize) < n);
        }
    }
    assert_eq!(next as usize, cfg.offsets.len(), "{v}: blocks do not cover the code");
    assert!(cfg.offsets.windows(2).all(|w| w[0] < w[1]), "{v}: offsets not ascending");
    let mut last_from = 0;
    for e in &cfg.edges {
        assert!((e.from as usize) < n && (e.to as usize) < n, "{v}: edge outside the graph");
        assert!(e.from >= last_from, "{v}: edges not grouped by block");
        last_from = e.from;
        if e.back {
            // `to` dominates `from`: walk up the dominator tree (at most n steps).
            let mut b = Some(e.from);
            let mut steps = 0;
            while let Some(x) = b
                && x != e.to
                && steps <= n
            {
                b = cfg.blocks[x as usize].idom;
                steps += 1;
            }
            assert_eq!(b, Some(e.to), "{v}: back edge to a block that does not dominate it");
        }
    }
    for l in &cfg.loops {
        assert!(l.blocks.contains(&l.header), "{v}: loop without its header");
        assert!(l.blocks.windows(2).all(|w| w[0] < w[1]));
        if let Some((lo, hi)) = l.per_iteration {
            assert!(lo <= hi);
        }
    }
}
