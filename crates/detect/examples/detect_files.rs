//! Detection over .pyc files with their headers stripped, for the
//! conformance and speed runs of `tools/detect_conformance.py`.
//!
//! `detect_files [--json] PATH...` (or paths on stdin, one per line): for
//! each .pyc, the header's version is the truth; the data after the header
//! is detected. One JSON line per file: path, version, verdict, the clean
//! versions, and the true version's failures if it has any. Then a summary
//! line with the detection time (header parsing and file reading excluded).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::BufRead as _;
use std::time::{Duration, Instant};

use bytescope_detect::{Limits, Verdict, detect};
use bytescope_pyc::parse_header;

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        paths = std::io::stdin().lock().lines().map_while(Result::ok).collect();
    }
    let limits = Limits::default();
    let mut spent = Duration::ZERO;
    let mut bytes = 0usize;
    for path in &paths {
        let Ok(data) = std::fs::read(path) else {
            eprintln!("{path}: cannot read");
            continue;
        };
        let Ok(header) = parse_header(&data) else {
            eprintln!("{path}: no header");
            continue;
        };
        let truth = header.version();
        let body = &data[header.len..];
        bytes += body.len();
        let t = Instant::now();
        let d = detect(body, &limits);
        spent += t.elapsed();
        let (verdict, versions) = match d.verdict() {
            Verdict::Unique(v) => ("unique", vec![v]),
            Verdict::Tie(vs) => ("tie", vs),
            Verdict::Unclean(v) => ("unclean", vec![v]),
            Verdict::Unreadable => ("unreadable", vec![]),
        };
        let own = d.candidate(truth);
        let line = serde_json::json!({
            "path": path,
            "truth": truth.to_string(),
            "verdict": verdict,
            "versions": versions.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "best": d.version().map(|v| v.to_string()),
            "own_failures": own.map(|c| c.failures.iter().map(ToString::to_string).collect::<Vec<_>>()),
            "own_failed": own.map(|c| c.failed),
            "own_notes": own.map(|c| c.notes.clone()),
        });
        println!("{line}");
    }
    let summary = serde_json::json!({
        "summary": true,
        "files": paths.len(),
        "bytes": bytes,
        "seconds": spent.as_secs_f64(),
    });
    println!("{summary}");
}
