#!/usr/bin/env python3
"""Benchmark the write path against the `bytecode` library, paired in one run.

Usage:
    python3 tools/bench_write.py [--python 3.12] [--files 300] [--pairs 3] [--no-build]

1. The file set is tools/bench.py's: that interpreter's whole standard library
   compiled by it into ``.bench/stdlib-X.Y.Z/`` (cached), then every k-th opt-0
   pyc by sorted path, N of them.
2. bytescope (``cargo run --release -p bytescope-write --example bench_roundtrip``),
   single-threaded, timed inside the process with the files already in memory
   (wall, and CPU with ``CLOCK_PROCESS_CPUTIME_ID``; the CPU time of the whole
   process, start-up and file reading included, is reported too):
   for each pyc, read -> owned model (every constant, name and table copied)
   -> every code object lifted to labelled instructions and assembled again
   (jump resolution, EXTENDED_ARG fixpoint, caches, line and exception tables)
   -> the module marshalled again.
3. The `bytecode` library (PyPI, installed into ``.bench/venv-bytecode`` for
   that interpreter), timed inside one interpreter process with the files
   already in memory (wall and ``time.process_time``; start-up and imports not
   counted): ``marshal.loads`` of each pyc, then for every code object (the
   module and every nested one) ``Bytecode.from_code(co).to_code()``.
4. Pairs: each ``bytecode`` run comes right after three bytescope runs, and the
   ratio is the median over pairs of bytecode's time over the median of its
   three bytescope runs (the machine is shared; pairing compares both under
   the same conditions). Floor: 200x, checked on CPU time (a minute-long
   ``bytecode`` run and a sub-second bytescope run see different loads on a
   busy machine; CPU time is what load disturbs least); wall is reported too.

Prints a Markdown report (also ``.bench/write-results.md`` and ``.json``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (tools/bench.py: the stdlib cache and sample)

REPO = bench.REPO
BENCH = bench.BENCH
FLOOR = 200.0

BYTECODE_HELPER = r'''
import json, marshal, sys, time, types
from bytecode import Bytecode, __version__
paths = [l for l in open(sys.argv[1]).read().splitlines() if l]
header = int(sys.argv[2])
data = [open(p, "rb").read() for p in paths]
def walk(co, out):
    out.append(co)
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            walk(c, out)
t0 = time.perf_counter()
c0 = time.process_time()
n = 0
errors = 0
for d in data:
    codes = []
    walk(marshal.loads(d[header:]), codes)
    for co in codes:
        n += 1
        try:
            Bytecode.from_code(co).to_code()
        except Exception:
            errors += 1
dt = time.perf_counter() - t0
cpu = time.process_time() - c0
print(json.dumps({"seconds": dt, "cpu": cpu, "code_objects": n, "errors": errors, "version": __version__}))
'''


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def setup_bytecode(exe):
    venv = BENCH / "venv-bytecode"
    py = venv / "bin" / "python"
    if not py.exists():
        log("creating %s with %s and installing bytecode from PyPI ..." % (venv.relative_to(REPO), exe))
        subprocess.run([exe, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "bytecode"], check=True)
    return py


def run_json(cmd):
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (" ".join(map(str, cmd)), out.stderr[-3000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ours(exe, listfile, *extra):
    """One bytescope run: its JSON (in-process wall time of the work) and the
    CPU time of the whole process (start-up and reading the files included),
    from wait4."""
    proc = subprocess.Popen([str(exe), *extra, str(listfile)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit("bench_roundtrip failed")
    res = json.loads(out.strip().splitlines()[-1])
    res["cpu"] = ru.ru_utime + ru.ru_stime
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default="3.12")
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    exe = bench.find_python(args.python)
    full, stdlib = bench.probe_python(exe)
    root, manifest = bench.compile_stdlib(exe, full, stdlib)
    sample = bench.pick_sample(manifest["pycs"], args.files)
    listfile = BENCH / "write-sample.txt"
    listfile.write_text("".join(str(root / r) + "\n" for r in sample))
    version = tuple(int(x) for x in full.split(".")[:2])
    header = bench.header_size(version)
    py = setup_bytecode(exe)
    helper = BENCH / "bench_bytecode.py"
    helper.write_text(BYTECODE_HELPER)
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "bytescope-write", "--example", "bench_roundtrip"],
                       cwd=REPO, check=True)
    ours_exe = REPO / "target" / "release" / "examples" / "bench_roundtrip"
    pairs = []
    cpu_pairs = []
    ours_all = []
    ours_cpu = []
    theirs_all = []
    theirs_cpu = []
    info = {}
    for k in range(args.pairs):
        bench.warm(root, sample)
        runs = [run_ours(ours_exe, listfile) for _ in range(3)]
        owned_runs = [run_ours(ours_exe, listfile, "--owned-only") for _ in range(3)]
        info.setdefault("owned_only_cpu", []).append(statistics.median(r["cpu_seconds"][0] for r in owned_runs))
        info["ours"] = {kk: runs[0][kk] for kk in ("files", "code_objects", "errors", "first_error")}
        om = statistics.median(r["seconds"][0] for r in runs)
        oc = statistics.median(r["cpu_seconds"][0] for r in runs)
        proc_cpu = statistics.median(r["cpu"] for r in runs)
        theirs = run_json([str(py), str(helper), str(listfile), str(header)])
        info["theirs"] = {kk: theirs[kk] for kk in ("code_objects", "errors", "version")}
        ours_all += [r["seconds"][0] for r in runs]
        ours_cpu += [r["cpu_seconds"][0] for r in runs]
        info.setdefault("process_cpu", []).append(proc_cpu)
        theirs_all.append(theirs["seconds"])
        theirs_cpu.append(theirs["cpu"])
        pairs.append(theirs["seconds"] / om)
        cpu_pairs.append(theirs["cpu"] / oc)
        log("pair %d: bytescope %.3f s wall / %.3f s CPU (medians of 3), bytecode %.2f s wall / %.2f s CPU: "
            "x%.0f wall, x%.0f CPU" % (k + 1, om, oc, theirs["seconds"], theirs["cpu"], pairs[-1], cpu_pairs[-1]))
    ratio = statistics.median(pairs)
    cpu_ratio = statistics.median(cpu_pairs)
    n = info["ours"]["code_objects"]
    report = "\n".join([
        "## Write path: read -> owned -> re-emit vs `bytecode` %s (Python %s, %d pycs, %d code objects)"
        % (info["theirs"]["version"], full, len(sample), n),
        "",
        "| | median wall | median CPU | CPU per code object |",
        "|---|---|---|---|",
        "| bytescope (1 thread) | %.3f s | %.3f s | %.1f us |"
        % (statistics.median(ours_all), statistics.median(ours_cpu), 1e6 * statistics.median(ours_cpu) / n),
        "| bytecode `from_code(co).to_code()` | %.2f s | %.2f s | %.0f us |"
        % (statistics.median(theirs_all), statistics.median(theirs_cpu), 1e6 * statistics.median(theirs_cpu) / n),
        "",
        "Paired ratios (median of %d pairs): **x%.0f CPU**, x%.0f wall (floor x%.0f on CPU time, which the "
        "shared machine's load disturbs least: %s); pairs: %s CPU, %s wall."
        % (len(pairs), cpu_ratio, ratio, FLOOR, "PASS" if cpu_ratio >= FLOOR else "FAIL",
           ", ".join("x%.0f" % p for p in cpu_pairs), ", ".join("x%.0f" % p for p in pairs)),
        "Without lifting and assembling the instructions (read -> owned -> marshal only): %.3f s CPU, "
        "x%.0f against bytecode's median CPU."
        % (statistics.median(info["owned_only_cpu"]),
           statistics.median(theirs_cpu) / statistics.median(info["owned_only_cpu"])),
        "bytescope code objects %d, errors %d; bytecode code objects %d, errors %d. CPU time of the whole "
        "bytescope process (start-up and reading the files included), median: %.3f s."
        % (n, info["ours"]["errors"], info["theirs"]["code_objects"], info["theirs"]["errors"],
           statistics.median(info["process_cpu"])),
        "Machine: %s; %s; git %s." % (bench.cpu_model(), time.strftime("%Y-%m-%d"), bench.git_describe()),
    ])
    print(report)
    (BENCH / "write-results.md").write_text(report + "\n")
    (BENCH / "write-results.json").write_text(json.dumps({
        "pairs": pairs, "cpu_pairs": cpu_pairs, "ratio": ratio, "cpu_ratio": cpu_ratio, "ours": ours_all,
        "ours_cpu": ours_cpu, "theirs": theirs_all, "theirs_cpu": theirs_cpu, "info": info}, indent=1) + "\n")


if __name__ == "__main__":
    main()
