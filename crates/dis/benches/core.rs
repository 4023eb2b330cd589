//! Criterion benchmarks of the core of `bytescope dis`, per input file:
//!
//! - `load_pyc`: header + marshal read (zero-copy object table),
//! - `code_objects`: every code object checked and its names decoded,
//! - `dis`: `dis.dis()` text (what `bytescope dis FILE` prints),
//! - `code_info`: `dis.code_info()` text of every code object,
//! - `end_to_end`: all of the above that `bytescope dis` does, from bytes.
//!
//! Inputs: committed 3.12 and 3.14 fixtures (small, feature-dense) and one
//! large stdlib pyc (`benches/data/typing.cpython-312.pyc`). Throughput is
//! in input bytes. Run with `cargo bench -p bytescope-dis --bench core`
//! (`-- --quick` for a fast pass); `cargo test` does not build it.
//! Whole-program comparisons with CPython and other tools: `tools/bench.py`.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use bytescope_code::code_objects;
use bytescope_dis::{DisOptions, Disassembler};
use bytescope_marshal::load_pyc;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// (label, path) of every input.
fn inputs() -> Vec<(String, PathBuf)> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = here.join("../../tests/fixtures");
    let mut v = Vec::new();
    for version in ["3.12", "3.14"] {
        for name in ["big_function", "classes", "comprehensions"] {
            v.push((format!("{version}/{name}"), fixtures.join(version).join(format!("{name}.pyc"))));
        }
    }
    v.push(("3.12/typing (stdlib)".to_owned(), here.join("benches/data/typing.cpython-312.pyc")));
    v
}

fn core(c: &mut Criterion) {
    let files: Vec<(String, Vec<u8>)> = inputs()
        .into_iter()
        .map(|(label, path)| {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (label, data)
        })
        .collect();

    let mut g = c.benchmark_group("load_pyc");
    for (label, data) in &files {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(label), data, |b, data| {
            b.iter(|| load_pyc(black_box(data), None).expect("pyc"));
        });
    }
    g.finish();

    let mut g = c.benchmark_group("code_objects");
    for (label, data) in &files {
        let pyc = load_pyc(data, None).expect("pyc");
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| code_objects(black_box(&pyc.marshal)).expect("code").len());
        });
    }
    g.finish();

    let mut g = c.benchmark_group("dis");
    for (label, data) in &files {
        let pyc = load_pyc(data, None).expect("pyc");
        let dis = Disassembler::new(pyc.version()).expect("version");
        let mut out = Vec::new();
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| {
                out.clear();
                dis.dis(black_box(&pyc.marshal), DisOptions::default(), &mut out).expect("dis");
                out.len()
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("code_info");
    for (label, data) in &files {
        let pyc = load_pyc(data, None).expect("pyc");
        let dis = Disassembler::new(pyc.version()).expect("version");
        let mut out = String::new();
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| {
                out.clear();
                dis.code_info(black_box(&pyc.marshal), &mut out).expect("code_info");
                out.len()
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("end_to_end");
    for (label, data) in &files {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(label), data, |b, data| {
            b.iter(|| {
                let pyc = load_pyc(black_box(data), None).expect("pyc");
                let dis = Disassembler::new(pyc.version()).expect("version");
                let mut out = Vec::new();
                dis.dis(&pyc.marshal, DisOptions::default(), &mut out).expect("dis");
                out.len()
            });
        });
    }
    g.finish();
}

criterion_group!(benches, core);
criterion_main!(benches);
