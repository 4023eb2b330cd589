#!/usr/bin/env python3
"""Benchmark the Python package against CPython's own marshal + dis, paired in one run.

Usage:
    python3 tools/bench_python.py [--python 3.12] [--files 300] [--rounds 5] [--wheel PATH]

From Python X.Y (default 3.12, found in pyenv or on PATH), over N stdlib pycs of that
version (the sample of tools/bench.py: the whole standard library compiled by that
interpreter into .bench/stdlib-X.Y.Z/, opt-0 pycs sorted by path, every k-th), lists every
code object's instructions:

- bytescope: ``pyc = bytescope.load(path)``, then for every code object of
  ``pyc.code.walk()`` every ``bytescope.dis.get_instructions(code)`` named tuple;
- CPython:   ``marshal.loads(data[16:])`` of the file's bytes, then for every code object
  (pre-order through ``co_consts``) every ``dis.get_instructions(code)`` named tuple.

Both run in one interpreter process (the one with the wheel installed in
.bench/venv-python-X.Y), alternating, ``--rounds`` times; each round times both over all the
files, the ratio is CPython's time over bytescope's in the same round, and the report gives the
median ratio (floor: 20x). The floor is checked on CPU time (``time.process_time``; both sides
run on the one thread, bytescope starts no threads here): this machine's 2 cores are shared,
and wall time there measures the neighbours. Wall-time ratios are shown too. Instruction and code-object counts
must agree. The wheel is built with ``maturin build --release`` unless ``--wheel`` is given.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the stdlib sample of tools/bench.py)

REPO = bench.REPO
FLOOR = 20.0

WORKER = r'''
import dis, marshal, statistics, sys, time, json
import bytescope
import bytescope.dis as bdis

files, rounds = json.loads(sys.argv[1]), int(sys.argv[2])

def walk(co):
    out, stack = [], [co]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(reversed([k for k in c.co_consts if hasattr(k, "co_code")]))
    return out

def cpython():
    codes = ins = 0
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for co in walk(marshal.loads(data[16:])):
            codes += 1
            for _ in dis.get_instructions(co):
                ins += 1
    return codes, ins

def ours():
    codes = ins = 0
    for path in files:
        for co in bytescope.load(path).code.walk():
            codes += 1
            for _ in bdis.get_instructions(co):
                ins += 1
    return codes, ins

rows = []
for r in range(rounds):
    w0, c0 = time.perf_counter(), time.process_time(); a = ours()
    w1, c1 = time.perf_counter(), time.process_time(); b = cpython()
    w2, c2 = time.perf_counter(), time.process_time()
    if a != b:
        sys.exit("counts differ: bytescope %r, CPython %r" % (a, b))
    rows.append({"bytescope": c1 - c0, "cpython": c2 - c1, "ratio": (c2 - c1) / (c1 - c0),
                 "bytescope_wall": w1 - w0, "cpython_wall": w2 - w1, "ratio_wall": (w2 - w1) / (w1 - w0)})
med = lambda k: statistics.median(r[k] for r in rows)
print(json.dumps({"python": sys.version.split()[0], "code_objects": a[0], "instructions": a[1], "rounds": rows,
                  "median_ratio": med("ratio"), "median_bytescope": med("bytescope"), "median_cpython": med("cpython"),
                  "median_ratio_wall": med("ratio_wall")}))
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default="3.12")
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--wheel", help="an already built wheel (default: maturin build --release)")
    args = ap.parse_args()

    exe = bench.find_python(args.python)
    full, stdlib = bench.probe_python(exe)
    root, manifest = bench.compile_stdlib(exe, full, stdlib)
    sample = [str(root / p) for p in bench.pick_sample(manifest["pycs"], args.files)]

    venv = bench.BENCH / f"venv-python-{args.python}"
    if not (venv / "bin" / "python").exists():
        subprocess.run([exe, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    wheel = args.wheel
    if not wheel:
        subprocess.run([py, "-m", "pip", "install", "-q", "maturin"], check=True)
        out = bench.BENCH / "wheels"
        subprocess.run([str(venv / "bin" / "maturin"), "build", "--release", "-q", "-m",
                        str(REPO / "crates" / "python" / "Cargo.toml"), "-o", str(out), "-i", py], check=True)
        wheel = str(max(out.glob("bytescope-*.whl"), key=lambda p: p.stat().st_mtime))
    subprocess.run([py, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", wheel], check=True)
    helper = bench.write_helper("bench_python_worker.py", WORKER)
    res = subprocess.run([py, str(helper), json.dumps(sample), str(args.rounds)], capture_output=True, text=True,
                         cwd=str(bench.HELPERS))
    if res.returncode != 0:
        sys.exit(res.stderr or res.stdout)
    r = json.loads(res.stdout)
    lines = [
        f"# bytescope (Python) vs CPython {r['python']} marshal + dis.get_instructions",
        "",
        f"{len(sample)} stdlib pycs, {r['code_objects']:,} code objects, {r['instructions']:,} instructions, "
        f"{len(r['rounds'])} paired rounds in one process.",
        "",
        "| round | bytescope CPU | CPython CPU | ratio (CPU) | bytescope wall | CPython wall | ratio (wall) |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, row in enumerate(r["rounds"], 1):
        lines.append(f"| {i} | {row['bytescope']:.3f} s | {row['cpython']:.3f} s | x{row['ratio']:.1f} | "
                     f"{row['bytescope_wall']:.3f} s | {row['cpython_wall']:.3f} s | x{row['ratio_wall']:.1f} |")
    verdict = "PASS" if r["median_ratio"] >= FLOOR else "FAIL"
    lines += ["", f"median CPU: bytescope {r['median_bytescope']:.3f} s, CPython {r['median_cpython']:.3f} s, "
                  f"ratio **x{r['median_ratio']:.1f}** CPU (floor x{FLOOR:.0f}: {verdict}); wall x{r['median_ratio_wall']:.1f}"]
    text = "\n".join(lines) + "\n"
    (bench.BENCH / f"results-python-{args.python}.md").write_text(text)
    print(text)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
