//! The bytescope side of `tools/bench_stack.py`: the stack analysis over every code object of
//! the .pyc files named on stdin (one path per line), single-threaded.
//!
//! Every file is read and parsed first (untimed, as the Python side's `marshal.loads`);
//! then each round times [`StackAnalyzer::depths`] (decoding, jumps, handlers, depths and
//! the maximum) over all code objects. Prints one JSON object: code objects, rounds, the
//! seconds of each round, and how many computed sizes equal `co_stacksize`.
#![allow(clippy::print_stdout)]

use std::io::BufRead as _;
use std::time::Instant;

use bytescope_analysis::StackAnalyzer;
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
        let limit = p.marshal.codes().len().saturating_mul(4).saturating_add(16);
        for code in code_objects(&p.marshal, limit).unwrap_or_default() {
            codes.push((i, code));
        }
    }
    let mut seconds = Vec::new();
    let mut same = 0usize;
    for round in 0..rounds {
        let start = Instant::now();
        let mut matched = 0usize;
        for (i, code) in &codes {
            let d = analyzers[*i].stacksize(code);
            matched += usize::from(i64::from(d.stacksize) == i64::from(code.stacksize()));
        }
        seconds.push(start.elapsed().as_secs_f64());
        if round == 0 {
            same = matched;
        }
    }
    println!(
        "{{\"files\": {}, \"code_objects\": {}, \"rounds\": {rounds}, \"seconds\": {:?}, \"identical_stacksize\": {same}}}",
        pycs.len(),
        codes.len(),
        seconds
    );
}
