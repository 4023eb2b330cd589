//! The bytescope side of `tools/bench_stack.py`: the stack analysis over every code object of
//! the .pyc files named on stdin (one path per line), single-threaded.
//!
//! Every file is read and parsed first (untimed, as the Python side's `marshal.loads`);
//! then each round times [`StackAnalyzer::stacksize_with`] (decoding, jumps, handlers, depths and
//! the maximum) over all code objects, and then [`StackAnalyzer::analyze_with`] (the same plus the
//! control-flow graph: blocks, edges with exception edges, dominators, loops), which is what
//! the `bytecode` library's side does. Both keep one [`Scratch`] (working memory) across
//! code objects, as a caller analysing many code objects does. Prints one JSON object: code objects, rounds, the
//! seconds (wall and process CPU time) of each round for both, how many computed sizes equal `co_stacksize`, and the
//! graphs' block, edge and loop totals.
#![allow(clippy::print_stdout)]

use std::io::BufRead as _;
use std::time::Instant;

use bytescope_analysis::{Scratch, StackAnalyzer};
use bytescope_code::code_objects;
use bytescope_marshal::load_pyc;

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let paths: Vec<String> =
        std::io::stdin().lock().lines().map_while(Result::ok).filter(|l| !l.is_empty()).collect();
    let files: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap_or_default()).collect();
    let pycs: Vec<_> = files.iter().filter_map(|d| load_pyc(d, None).ok()).collect();
    let analyzers: Vec<StackAnalyzer> = pycs
        .iter()
        .map(|p| StackAnalyzer::new(p.version()).expect("a version with an opcode table"))
        .collect();
    let mut codes = Vec::new();
    for (i, p) in pycs.iter().enumerate() {
        for code in code_objects(&p.marshal).unwrap_or_default() {
            codes.push((i, code));
        }
    }
    let mut scratch = Scratch::default();
    let cpu = || {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
    };
    let mut seconds = Vec::new();
    let mut seconds_cfg = Vec::new();
    let (mut cpu_seconds, mut cpu_seconds_cfg) = (Vec::new(), Vec::new());
    let mut same = 0usize;
    let mut same_cfg = 0usize;
    let (mut blocks, mut edges, mut loops) = (0usize, 0usize, 0usize);
    for round in 0..rounds {
        let (start, c0) = (Instant::now(), cpu());
        let mut matched = 0usize;
        for (i, code) in &codes {
            let d = analyzers[*i].stacksize_with(code, &mut scratch);
            matched += usize::from(i64::from(d.stacksize) == i64::from(code.stacksize()));
        }
        seconds.push(start.elapsed().as_secs_f64());
        cpu_seconds.push(cpu() - c0);
        let (start, c0) = (Instant::now(), cpu());
        let mut matched_cfg = 0usize;
        let (mut b, mut e, mut l) = (0usize, 0usize, 0usize);
        for (i, code) in &codes {
            let a = analyzers[*i].analyze_with(code, &mut scratch);
            matched_cfg += usize::from(i64::from(a.depths.stacksize) == i64::from(code.stacksize()));
            b += a.cfg.blocks.len();
            e += a.cfg.edges.len();
            l += a.cfg.loops.len();
        }
        seconds_cfg.push(start.elapsed().as_secs_f64());
        cpu_seconds_cfg.push(cpu() - c0);
        if round == 0 {
            (same, same_cfg, blocks, edges, loops) = (matched, matched_cfg, b, e, l);
        }
    }
    println!(
        "{{\"files\": {}, \"code_objects\": {}, \"rounds\": {rounds}, \"seconds\": {:?}, \"seconds_cfg\": {:?}, \"cpu_seconds\": {:?}, \"cpu_seconds_cfg\": {:?}, \"identical_stacksize\": {same}, \"identical_stacksize_cfg\": {same_cfg}, \"blocks\": {blocks}, \"edges\": {edges}, \"loops\": {loops}}}",
        pycs.len(),
        codes.len(),
        seconds,
        seconds_cfg,
        cpu_seconds,
        cpu_seconds_cfg
    );
}
