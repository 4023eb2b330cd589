//! The write path's benchmark body: for each .pyc, read → owned model →
//! every code object lifted to instructions and assembled again (co_code,
//! line and exception tables) → the module marshalled again. Single thread;
//! the files are read into memory before the clock starts.
//!
//! `cargo run --release -p bytescope-write --example bench_roundtrip -- [--repeat N] [--owned-only] [--no-cpu-clock] LISTFILE|PYC...`
//!
//! `--owned-only` leaves out lifting and assembling the instructions (read →
//! owned → marshal).
//!
//! `--no-cpu-clock` reports wall time only (`cpu_seconds` is then 0): the
//! vDSO process-CPU clock crashes under valgrind, so profile with
//! `valgrind --tool=callgrind target/release/examples/bench_roundtrip --no-cpu-clock LISTFILE`.
//!
//! Prints one JSON object: files, code objects, and the wall and CPU
//! seconds of each repetition (`tools/bench_write.py` pairs it with the
//! `bytecode` library).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use bytescope_marshal::{Storage, load_pyc_in};
use bytescope_write::{Assembled, Assembler, CodeObject, Item, Lifter, Object, dumps_code};

/// Working memory shared by every code object of the run.
#[derive(Default)]
struct Work {
    lifter: Lifter,
    assembler: Assembler,
    items: Vec<Item>,
}

fn reassemble(code: &mut CodeObject, count: &mut usize, w: &mut Work) -> Result<(), String> {
    *count += 1;
    w.lifter.lift_into(code, &mut w.items).map_err(|e| e.to_string())?;
    // Re-encoded into the code object's own buffers (their memory reused).
    let mut out = Assembled {
        code: std::mem::take(&mut code.code),
        linetable: std::mem::take(&mut code.linetable),
        exceptiontable: std::mem::take(&mut code.exceptiontable),
    };
    let r = w.assembler.assemble_into(code.version, code.firstlineno, &w.items, &mut out);
    (code.code, code.linetable, code.exceptiontable) = (out.code, out.linetable, out.exceptiontable);
    r.map_err(|e| e.to_string())?;
    for c in &mut code.consts {
        if let Object::Code(inner) = c {
            reassemble(inner, count, w)?;
        }
    }
    Ok(())
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeat = 1usize;
    if args.first().is_some_and(|a| a == "--repeat") && args.len() > 1 {
        repeat = args[1].parse().unwrap_or(1);
        args.drain(..2);
    }
    // --owned-only: read -> owned -> marshal, without lifting and
    // assembling the instructions.
    let mut owned_only = false;
    let mut cpu_clock = true;
    while let Some(a) = args.first() {
        match a.as_str() {
            "--owned-only" => owned_only = true,
            "--no-cpu-clock" => cpu_clock = false,
            _ => break,
        }
        args.remove(0);
    }
    let mut paths = Vec::new();
    for a in &args {
        if a.ends_with(".pyc") {
            paths.push(a.clone());
        } else if let Ok(list) = std::fs::read_to_string(a) {
            paths.extend(list.lines().filter(|l| !l.is_empty()).map(str::to_owned));
        }
    }
    let data: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    let mut seconds = Vec::new();
    let mut cpu_seconds = Vec::new();
    let cpu = || {
        if !cpu_clock {
            return 0.0;
        }
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
    };
    let (mut objects, mut bytes_out, mut errors) = (0usize, 0usize, Vec::new());
    let mut work = Work::default();
    // The reader's arena is reused from file to file, as bytescope's batch
    // layer does.
    let mut storage = Some(Storage::default());
    for _ in 0..repeat {
        (objects, bytes_out) = (0, 0);
        errors.clear();
        let t0 = Instant::now();
        let c0 = cpu();
        for d in &data {
            let result = (|| -> Result<usize, String> {
                let pyc =
                    load_pyc_in(d, None, storage.take().unwrap_or_default()).map_err(|e| e.to_string())?;
                let code = CodeObject::from_root(&pyc.marshal);
                storage = Some(pyc.marshal.into_storage());
                let mut code = code.map_err(|e| e.to_string())?;
                if owned_only {
                    objects += code.preorder().len();
                } else {
                    reassemble(&mut code, &mut objects, &mut work)?;
                }
                Ok(dumps_code(&code).map_err(|e| e.to_string())?.len())
            })();
            match result {
                Ok(n) => bytes_out += n,
                Err(e) => errors.push(e),
            }
        }
        seconds.push(t0.elapsed().as_secs_f64());
        cpu_seconds.push(cpu() - c0);
    }
    println!(
        "{}",
        serde_json::json!({
            "files": data.len(),
            "code_objects": objects,
            "bytes_out": bytes_out,
            "errors": errors.len(),
            "first_error": errors.first(),
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
        })
    );
}
