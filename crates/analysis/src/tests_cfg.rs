//! The control-flow graph on every CPython-compiled fixture of every version: its
//! invariants, every jump and every exception-table entry as edges, and loops.

use bytescope_code::exceptions::parse_exception_table;
use bytescope_code::{Code, code_objects};
use bytescope_marshal::load_pyc;
use bytescope_opcodes::{Action, Block as SetupBlock, Flow};

use super::*;
use crate::tests::{pycs, root};

/// Checks the graph of `code` against the instruction stream; returns what is wrong.
pub(crate) fn invariants(a: &StackAnalyzer, code: &Code<'_, '_>, cfg: &Cfg) -> Vec<String> {
    let mut bad = Vec::new();
    let insns = insn::decode(a.data, code);
    let sems: Vec<_> = insns.iter().map(|i| a.table.semantics(i.opcode)).collect();
    let index_of = |t: i64| insns.iter().position(|i| i64::from(i.offset) == t);
    let n = insns.len();
    // Every instruction in exactly one block, blocks in order and contiguous.
    let mut next = 0u32;
    for (k, b) in cfg.blocks.iter().enumerate() {
        if b.id as usize != k || b.first != next || b.len == 0 {
            bad.push(format!("block {k} does not follow on: {b:?} (expected first {next})"));
        }
        next = b.first + b.len;
    }
    if next as usize != n || cfg.offsets.len() != n {
        bad.push(format!("blocks cover {next} of {n} instructions"));
    }
    // Jump targets and handlers.
    let mut targets = vec![false; n];
    let mut handlers = vec![false; n];
    for (i, insn) in insns.iter().enumerate() {
        if sems[i].flow.jumps()
            && let Some(t) = insn::target(insn).and_then(index_of)
        {
            targets[t] = true;
            if let Action::Setup(kind) = sems[i].action
                && kind != SetupBlock::Loop
            {
                handlers[t] = true;
            }
        }
    }
    let table = if a.rules.exception_table {
        parse_exception_table(code.exceptiontable).unwrap_or_default()
    } else {
        Vec::new()
    };
    for e in &table {
        if let Some(t) = i64::try_from(e.target).ok().and_then(index_of) {
            handlers[t] = true;
        }
    }
    // Every block starts at the entry, a jump target, a handler, or after a terminator.
    for b in &cfg.blocks {
        let i = b.first as usize;
        let after_terminator = i > 0 && !matches!(sems[i - 1].flow, Flow::Next | Flow::Setup | Flow::Link);
        if !(i == 0 || targets[i] || handlers[i] || after_terminator) {
            bad.push(format!("block {} at {} starts at no leader", b.id, b.start));
        }
        // ...and no leader hides inside a block.
        for j in i + 1..i + b.len as usize {
            let after = !matches!(sems[j - 1].flow, Flow::Next | Flow::Setup | Flow::Link);
            if targets[j] || handlers[j] || after {
                bad.push(format!("block {} holds a leader at {}", b.id, insns[j].offset));
            }
        }
    }
    let has_edge = |from: u32, to: u32, kind: EdgeKind| {
        cfg.successors(from).iter().any(|e| e.to == to && e.kind == kind)
    };
    // Every jump is an edge of its kind (Compiler Explorer's #8010 was a JUMP_FORWARD without
    // one); fall-through likewise.
    for b in &cfg.blocks {
        let last = (b.first + b.len - 1) as usize;
        let flow = sems[last].flow;
        let to_target = insn::target(&insns[last]).and_then(index_of).and_then(|t| cfg.block_of(t as u32));
        let to_next = (last + 1 < n).then(|| b.id + 1);
        let expect: &[(Option<u32>, EdgeKind)] = match flow {
            Flow::Jump | Flow::Continue => &[(to_target, EdgeKind::Jump)],
            Flow::Branch => &[(to_target, EdgeKind::BranchTaken), (to_next, EdgeKind::BranchNotTaken)],
            Flow::CallFinally => &[(to_target, EdgeKind::Jump), (to_next, EdgeKind::Fallthrough)],
            Flow::Next | Flow::Setup | Flow::Link => &[(to_next, EdgeKind::Fallthrough)],
            _ => &[],
        };
        for &(to, kind) in expect {
            if let Some(to) = to
                && !has_edge(b.id, to, kind)
            {
                bad.push(format!("block {} at {}: no {kind:?} edge to block {to}", b.id, b.start));
            }
        }
    }
    // Every exception-table entry: an edge from every block holding an instruction it covers,
    // with the entry's depth and lasti.
    for e in &table {
        let Some(h) = i64::try_from(e.target).ok().and_then(index_of).and_then(|t| cfg.block_of(t as u32))
        else {
            continue;
        };
        let depth = u32::try_from(e.depth).ok();
        for (i, insn) in insns.iter().enumerate() {
            let at = u64::from(insn.offset);
            if at < e.start || at >= e.end {
                continue;
            }
            // The first entry covering the instruction is the one that applies.
            if table.iter().position(|x| at >= x.start && at < x.end) != table.iter().position(|x| x == e) {
                continue;
            }
            let Some(b) = cfg.block_of(i as u32) else { continue };
            let ok = cfg.successors(b).iter().any(|x| {
                x.to == h && x.kind == EdgeKind::Exception && x.depth == depth && x.lasti == Some(e.lasti)
            });
            if !ok {
                bad.push(format!("entry {e:?}: no exception edge from block {b} (offset {at})"));
            }
        }
    }
    // Before 3.11: the instruction after every reached SETUP_EXCEPT/FINALLY/WITH is in a block
    // with an exception edge to its handler.
    if !a.rules.exception_table {
        for (i, insn) in insns.iter().enumerate() {
            let Action::Setup(kind) = sems[i].action else { continue };
            if kind == SetupBlock::Loop || i + 1 >= n {
                continue;
            }
            let Some(b) = cfg.block_of(i as u32) else { continue };
            if !cfg.blocks[b as usize].reachable {
                continue;
            }
            let Some(h) = insn::target(insn).and_then(index_of).and_then(|t| cfg.block_of(t as u32)) else {
                continue;
            };
            let after = cfg.block_of(i as u32 + 1).unwrap_or(b);
            if !cfg.successors(after).iter().any(|x| x.to == h && x.kind == EdgeKind::Exception) {
                bad.push(format!("SETUP at {}: no exception edge from block {after} to {h}", insn.offset));
            }
        }
    }
    // Back edges go to a dominator.
    for e in &cfg.edges {
        if e.back {
            let mut d = Some(e.from);
            while let Some(x) = d
                && x != e.to
            {
                d = cfg.blocks[x as usize].idom;
            }
            if d != Some(e.to) {
                bad.push(format!("back edge {e:?} to a block that does not dominate its source"));
            }
        }
    }
    for l in &cfg.loops {
        if !l.blocks.contains(&l.header) || l.latches.iter().any(|x| !l.blocks.contains(x)) {
            bad.push(format!("loop {l:?} misses its header or latches"));
        }
    }
    bad
}

#[test]
fn cfg_invariants_on_every_fixture() {
    let mut files = pycs(&root().join("tests/fixtures"));
    files.extend(pycs(&root().join("crates/analysis/tests/fixtures")));
    let (mut codes, mut blocks, mut exception_edges, mut loops) = (0, 0, 0, 0);
    let mut bad = Vec::new();
    for path in &files {
        let data = std::fs::read(path).expect("read");
        let pyc = load_pyc(&data, None).expect("pyc");
        let a = StackAnalyzer::new(pyc.version()).expect("analyzer");
        for code in code_objects(&pyc.marshal).expect("codes") {
            let cfg = a.cfg(&code);
            codes += 1;
            blocks += cfg.blocks.len();
            exception_edges += cfg.edges.iter().filter(|e| e.kind == EdgeKind::Exception).count();
            loops += cfg.loops.len();
            for b in invariants(&a, &code, &cfg) {
                bad.push(format!("{} {}: {b}", path.display(), code.name));
            }
        }
    }
    assert!(bad.is_empty(), "{} problems:\n{}", bad.len(), bad[..bad.len().min(40)].join("\n"));
    assert!(
        codes > 1500 && blocks > 5000 && exception_edges > 1000 && loops > 300,
        "{codes} {blocks} {exception_edges} {loops}"
    );
}

/// The text rendering of every code object of a fixture.
pub(crate) fn cfg_text(rel: &str) -> String {
    let data = std::fs::read(root().join(rel)).expect("read");
    let pyc = load_pyc(&data, None).expect("pyc");
    let a = StackAnalyzer::new(pyc.version()).expect("analyzer");
    let mut out = String::new();
    for code in code_objects(&pyc.marshal).expect("codes") {
        let cfg = a.cfg(&code);
        let insns = a.listing(&code);
        let name = code.qualname.as_ref().unwrap_or(&code.name).to_string();
        render::text(
            &render::CfgView { qualname: &name, firstlineno: code.firstlineno(), cfg: &cfg, insns: &insns },
            &mut out,
        );
    }
    out
}

#[test]
#[ignore = "prints a fixture's graph: BYTESCOPE_CFG=tests/fixtures/3.12/loops.pyc"]
#[allow(clippy::print_stdout)]
fn show() {
    let rel = std::env::var("BYTESCOPE_CFG").unwrap_or_else(|_| "tests/fixtures/3.12/loops.pyc".to_owned());
    println!("{}", cfg_text(&rel));
}
