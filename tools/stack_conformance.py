#!/usr/bin/env python3
"""Opt-in conformance of the stack analysis: computed co_stacksize against CPython's own.

Usage:
  tools/stack_conformance.py [--python 3.12 ...] [--cli PATH] [--build] [--limit N]
                             [--max-shown 20] [--refresh]

For every interpreter found (2.7 and 3.6-3.13 under pyenv, python3.14, python3.15; or each
--python X.Y), every .py under that interpreter's own standard library (tests included,
site-/dist-packages left out; files that do not compile there are skipped) is compiled by
that interpreter into ``.conformance/stack/<X.Y>/pyc/<relpath>c``. The pycs carry
CPython's co_stacksize for every code object; ``bytescope stack --summary --json`` (one
job, under nice) computes it again from the bytecode alone, and the two are compared per
code object.

Output: a line per version as it finishes, ``.conformance/stack/<X.Y>/differences.txt``
(every code object whose computed size differs: path, qualname, line, CPython's,
bytescope's), ``.conformance/stack/summary.json`` and a Markdown table on stdout, ready
for docs/analysis.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_opcodes  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".conformance" / "stack"
DEFAULT_CLI = REPO / "target" / "release" / "bytescope"

# Runs inside each interpreter (2.7 too): compile the stdlib into OUT.
COMPILE = r'''
import os, sys, py_compile, sysconfig
out, limit = sys.argv[1], int(sys.argv[2])
lib = sysconfig.get_paths()["stdlib"]
files = []
for root, dirs, names in os.walk(lib):
    dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "dist-packages", "__pycache__"))
    for n in sorted(names):
        if n.endswith(".py"):
            files.append(os.path.join(root, n))
files.sort()
if limit:
    files = files[:limit]
ok = bad = 0
for path in files:
    rel = os.path.relpath(path, lib)
    target = os.path.join(out, rel + "c")
    d = os.path.dirname(target)
    if not os.path.isdir(d):
        os.makedirs(d)
    try:
        py_compile.compile(path, cfile=target, dfile=rel, doraise=True)
        ok += 1
    except Exception:
        bad += 1
sys.stdout.write("%d %d\n" % (ok, bad))
'''


def compile_stdlib(minor, exe, limit, refresh):
    vdir = CACHE / minor
    pyc = vdir / "pyc"
    done = vdir / "compiled.json"
    if refresh and vdir.exists():
        shutil.rmtree(vdir)
    if done.exists():
        return json.loads(done.read_text())
    pyc.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["nice", "-n", "10", exe, "-E", "-c", COMPILE, str(pyc), str(limit)],
                       capture_output=True, text=True, timeout=3600)
    if r.returncode != 0:
        raise RuntimeError("%s: compiling the stdlib failed:\n%s" % (minor, r.stderr[-2000:]))
    ok, bad = (int(x) for x in r.stdout.split())
    info = {"files": ok, "not_compiled": bad, "limit": limit}
    done.write_text(json.dumps(info))
    return info


def run_version(minor, cli, max_shown):
    vdir = CACHE / minor
    proc = subprocess.Popen(["nice", "-n", "10", str(cli), "stack", "--summary", "--json", "-j", "1",
                             str(vdir / "pyc")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    total = same = 0
    differences = []
    problems = 0
    for line in proc.stdout:
        rec = json.loads(line)
        total += 1
        if rec["co_stacksize"] == rec["computed_stacksize"]:
            same += 1
        else:
            differences.append(rec)
        if rec["problems"]:
            problems += 1
    err = proc.stderr.read()
    proc.wait()
    failed_files = [l for l in err.splitlines() if l.startswith("bytescope:")]
    with open(vdir / "differences.txt", "w", encoding="utf-8") as f:
        for rec in differences:
            path = os.path.relpath(rec["path"], vdir / "pyc")
            f.write("%s %s (line %d): CPython %d, bytescope %d\n" % (
                path, rec["qualname"], rec["firstlineno"], rec["co_stacksize"], rec["computed_stacksize"]))
    return {
        "code_objects": total,
        "identical": same,
        "different": len(differences),
        "with_problems": problems,
        "files_failed": len(failed_files),
        "shown": [("%s %s: CPython %d, bytescope %d" % (os.path.relpath(r["path"], vdir / "pyc"), r["qualname"],
                                                      r["co_stacksize"], r["computed_stacksize"]))
                  for r in differences[:max_shown]],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", nargs="+", metavar="X.Y", help="versions (default: all found)")
    ap.add_argument("--cli", type=Path, default=DEFAULT_CLI, help="bytescope binary")
    ap.add_argument("--build", action="store_true", help="cargo build --release first")
    ap.add_argument("--limit", type=int, default=0, help="only the first N files of each stdlib")
    ap.add_argument("--max-shown", type=int, default=20, help="differences printed per version")
    ap.add_argument("--refresh", action="store_true", help="compile the stdlibs again")
    args = ap.parse_args()
    if args.build:
        subprocess.run(["nice", "-n", "10", "cargo", "build", "--release", "-j", "1", "-p", "bytescope-cli"],
                       cwd=REPO, check=True)
    found = gen_opcodes.find_interpreters()
    versions = args.python or sorted(found, key=gen_opcodes.sem.vkey)
    summary = {}
    for minor in versions:
        if minor not in found:
            print("%s: no interpreter" % minor, file=sys.stderr)
            continue
        exe, full = found[minor]
        info = compile_stdlib(minor, exe, args.limit, args.refresh)
        res = run_version(minor, args.cli, args.max_shown)
        res.update(info, python=full)
        summary[minor] = res
        pct = 100.0 * res["identical"] / max(res["code_objects"], 1)
        print("%-5s %6d files %7d code objects: %7d identical (%.3f%%), %d different" % (
            minor, info["files"], res["code_objects"], res["identical"], pct, res["different"]),
            file=sys.stderr, flush=True)
        for line in res["shown"]:
            print("      " + line, file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "summary.json").write_text(json.dumps(summary, indent=1))
    print("| version | files | code objects | identical co_stacksize | different |")
    print("|---|---:|---:|---:|---:|")
    for minor, res in summary.items():
        pct = 100.0 * res["identical"] / max(res["code_objects"], 1)
        print("| %s (%s) | %d | %d | %d (%.3f%%) | %d |" % (
            minor, res["python"], res["files"], res["code_objects"], res["identical"], pct, res["different"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
