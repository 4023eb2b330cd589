#!/usr/bin/env python3
"""Benchmark the stack analysis against the `bytecode` library (PyPI), paired in one run.

Usage:
    python3 tools/bench_stack.py [--python 3.12] [--files N] [--rounds 5] [--no-build]

1. The pycs: every .pyc of the chosen interpreter's whole standard library as
   tools/stack_conformance.py compiles it (``.conformance/stack/X.Y/pyc``; compiled
   here if missing), or every k-th of them with --files N.
2. bytescope: ``cargo build --release --example stack_bench`` (crates/analysis), then the
   example reads and parses every file (untimed) and times, --rounds times, single-threaded,
   ``StackAnalyzer::stacksize`` (the stack analysis) and ``StackAnalyzer::analyze`` (the
   stack analysis and the control-flow graph: blocks, edges, exception edges, dominators,
   loops) over every code object.
3. The bytecode library, in its own venv (``.bench/venv-bytecode-X.Y``, made with that
   interpreter and ``pip install bytecode``): one process reads every file,
   ``marshal.loads`` each (untimed), then times, for every code object (nested ones
   included), ``ControlFlowGraph.from_bytecode(Bytecode.from_code(co))`` and
   ``cfg.compute_stacksize()``. Code objects it raises on are counted, not timed again.
4. Pairing: bytescope runs right before and right after the Python run (each its
   --rounds rounds); the ratios are the Python time over the median bytescope round of the
   two runs, for the stack analysis alone and for stack + CFG (issue 12's floor: ×200 for
   stack + CFG), in wall time and (``cpu``) in process CPU time, which a busy shared
   machine disturbs least. Everything under ``nice``, one process at a time.

Prints a JSON summary and writes it to ``.bench/stack.json``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_opcodes  # noqa: E402
import stack_conformance  # noqa: E402

ROOT = gen_opcodes.ROOT
BENCH = os.path.join(ROOT, ".bench")

PY_SIDE = r'''
import sys, marshal, time, json
from bytecode import Bytecode, ControlFlowGraph
paths = [l.strip() for l in sys.stdin if l.strip()]
codes = []
def walk(co):
    codes.append(co)
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            walk(c)
for p in paths:
    data = open(p, "rb").read()
    walk(marshal.loads(data[16:]))
failed = 0
same = 0
start = time.perf_counter()
cpu_start = time.process_time()
for co in codes:
    try:
        cfg = ControlFlowGraph.from_bytecode(Bytecode.from_code(co))
        size = cfg.compute_stacksize()
        same += size == co.co_stacksize
    except Exception:
        failed += 1
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu_start
print(json.dumps({"code_objects": len(codes), "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "failed": failed,
                  "identical_stacksize": same}))
'''


def venv_python(minor, exe):
    venv = os.path.join(BENCH, "venv-bytecode-%s" % minor)
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([exe, "-m", "venv", venv], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "bytecode"], check=True)
    version = subprocess.run([py, "-c", "import bytecode; print(bytecode.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    return py, version


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default="3.12")
    ap.add_argument("--files", type=int, default=0, help="every k-th pyc, N of them (default: all)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    found = gen_opcodes.find_interpreters()
    exe, full = found[args.python]
    stack_conformance.compile_stdlib(args.python, exe, 0, False)
    pyc_dir = os.path.join(stack_conformance.CACHE, args.python, "pyc")
    paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(pyc_dir) for f in fs if f.endswith(".pyc"))
    if args.files:
        step = max(1, len(paths) // args.files)
        paths = paths[::step][:args.files]
    listing = "\n".join(paths) + "\n"
    if not args.no_build:
        subprocess.run(["nice", "-n", "10", "cargo", "build", "--release", "-p", "bytescope-analysis",
                        "--example", "stack_bench"], cwd=ROOT, check=True)
    bench_bin = os.path.join(ROOT, "target", "release", "examples", "stack_bench")
    py, bc_version = venv_python(args.python, exe)

    def ours():
        r = subprocess.run(["nice", "-n", "10", bench_bin, str(args.rounds)], input=listing,
                           capture_output=True, text=True, check=True)
        return json.loads(r.stdout)

    def theirs():
        r = subprocess.run(["nice", "-n", "10", py, "-c", PY_SIDE], input=listing,
                           capture_output=True, text=True, check=True)
        return json.loads(r.stdout)

    before = ours()
    python = theirs()
    after = ours()
    rounds = before["seconds"] + after["seconds"]
    median = statistics.median(rounds)
    rounds_cfg = before["seconds_cfg"] + after["seconds_cfg"]
    median_cfg = statistics.median(rounds_cfg)
    cpu_median = statistics.median(before["cpu_seconds"] + after["cpu_seconds"])
    cpu_median_cfg = statistics.median(before["cpu_seconds_cfg"] + after["cpu_seconds_cfg"])
    summary = {
        "python": full,
        "bytecode_version": bc_version,
        "files": len(paths),
        "code_objects": before["code_objects"],
        "bytescope_seconds_median": median,
        "bytescope_rounds": rounds,
        "bytescope_identical_stacksize": before["identical_stacksize"],
        "bytecode_seconds": python["seconds"],
        "bytecode_code_objects": python["code_objects"],
        "bytecode_failed": python["failed"],
        "bytecode_identical_stacksize": python["identical_stacksize"],
        "ratio": python["seconds"] / median,
        "bytescope_cfg_seconds_median": median_cfg,
        "bytescope_cfg_rounds": rounds_cfg,
        "bytescope_cfg_identical_stacksize": before["identical_stacksize_cfg"],
        "blocks": before["blocks"],
        "edges": before["edges"],
        "loops": before["loops"],
        "ratio_stack_cfg": python["seconds"] / median_cfg,
        "cpu": {"bytescope_seconds_median": cpu_median,
                "bytescope_cfg_seconds_median": cpu_median_cfg,
                "bytecode_seconds": python["cpu_seconds"],
                "ratio": python["cpu_seconds"] / cpu_median,
                "ratio_stack_cfg": python["cpu_seconds"] / cpu_median_cfg},
        "per_code_object_us": {"bytescope": 1e6 * median / max(before["code_objects"], 1),
                               "bytescope_stack_cfg": 1e6 * median_cfg / max(before["code_objects"], 1),
                               "bytecode": 1e6 * python["seconds"] / max(python["code_objects"], 1)},
    }
    os.makedirs(BENCH, exist_ok=True)
    with open(os.path.join(BENCH, "stack.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
