#!/usr/bin/env python3
"""Conformance of bytescope's write path against CPython over whole standard libraries.

Usage:
  tools/write_conformance.py [--python 3.12 ...] [--limit N] [--build] [--show N] [tables] [roundtrip]

For every interpreter found (or each --python X.Y), every .py under that
interpreter's own Lib directory is compiled by that interpreter into
``.conformance/<X.Y>/pyc/<relpath>c``: the same files, scheme and cache as
tools/conformance.py (it is reused for the compiling).

tables     the table encoders: ``cargo run --release -p bytescope-write --example
           table_conformance`` re-encodes every code object's line table
           (co_lnotab from dis.findlinestarts up to 3.9, the 3.10 co_linetable
           from co_lines(), the 3.11+ location table from its entries) and 3.11+
           exception table from their decoded form, and counts byte-identical
           results.
roundtrip  read -> owned -> write of every pyc (``--example roundtrip_dir``), then the
           interpreter loads both and compares the code objects (tools/oracle/
           write_worker.py compare): ==, co_stacksize, co_filename, co_qualname,
           names, line tables and constants, recursively.
asm        the same through the assembly text: ``dis --asm`` text, then ``asm`` (the
           bytescope-asm example ``asm_dir``).

Prints a Markdown table per check (for docs/write.md) and writes
``.conformance/write-summary.json``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "oracle"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import conformance  # noqa: E402

REPO = common.REPO
CACHE = REPO / ".conformance"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_pycs(interp, limit):
    """Compiles the missing pycs with the oracle worker (no views: only the
    compile step of tools/conformance.py's oracle, same paths and scheme)."""
    args = types.SimpleNamespace(views=["header"], site_packages=False, limit=limit, refresh=False)
    v = conformance.Version(interp, args)
    v.prepare()
    todo = [rel for rel in v.files if not (REPO / v.pyc_rel(rel)).exists()]
    if todo:
        log("[%s] compiling %d of %d files ..." % (interp.tag, len(todo), len(v.files)))
        lines = "".join("%s\t%s\t%s\n" % (v.lib / rel, v.pyc_rel(rel), rel) for rel in todo)
        subprocess.run(common.worker_cmd(interp, "oracle", ""), input=lines.encode("utf-8"),
                       stdout=subprocess.DEVNULL, cwd=REPO, env=common.worker_env(), check=False)
    return v


def run_example(name, *argv, package="bytescope-write"):
    cmd = ["cargo", "run", "-q", "--release", "-p", package, "--example", name, "--", *argv]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (" ".join(cmd), out.stderr[-3000:]))
    return json.loads(out.stdout)


def pct(a, b):
    return "%.2f%%" % (100.0 * a / b) if b else "-"


def tables(versions, show):
    rows = []
    summary = {}
    for v in versions:
        res = run_example("table_conformance", "--show", str(show), str(v.pycdir))
        r = res.get(v.interp.tag)
        if not r:
            continue
        summary[v.interp.tag] = r
        n = r["code_objects"]
        line = "%d / %d (%s)" % (r["line_identical"], n, pct(r["line_identical"], n))
        exc = "-" if r["exception_identical"] is None else "%d / %d (%s)" % (
            r["exception_identical"], n, pct(r["exception_identical"], n))
        kind = "co_lnotab" if v.interp.version < (3, 10) else (
            "co_linetable" if v.interp.version == (3, 10) else "locations")
        asm = "%d / %d (%s)" % (r["asm_identical"], n, pct(r["asm_identical"], n))
        rows.append("| %s | %d | %s | %s | %s | %s |" % (v.interp.tag, r["files"], kind, line, exc, asm))
        for d in r["diffs"]:
            log("[%s] %s" % (v.interp.tag, d[:400]))
    print("| version | files | line table | identical | exception table identical | lift + assemble identical |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return summary


def roundtrip(versions, via_asm=False):
    rows = []
    summary = {}
    for v in versions:
        out_dir = v.dir / ("write-asm" if via_asm else "write-roundtrip")
        if via_asm:
            res = run_example("asm_dir", str(v.pycdir), str(out_dir), package="bytescope-asm")
        else:
            res = run_example("roundtrip_dir", str(v.pycdir), str(out_dir))
        pairs = []
        for rel in v.files:
            src = REPO / v.pyc_rel(rel)
            ours = out_dir / (rel + "c")
            if src.exists() and ours.exists():
                pairs.append("%s\t%s\n" % (src, ours))
        proc = subprocess.run([v.interp.path, "-S", str(REPO / "tools" / "oracle" / "write_worker.py"), "compare"],
                              input="".join(pairs).encode("utf-8"), capture_output=True, env=common.worker_env(),
                              cwd=REPO, check=False)
        equal = identical = 0
        problems = []
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            r = json.loads(line)
            if not r["problem"]:
                equal += 1
            elif len(problems) < 10:
                problems.append("%s: %s" % (r["ours"], r["problem"][:300]))
            identical += bool(r["identical"])
        n = res["files"]
        summary[v.interp.tag] = {"files": n, "written": res["written"], "write_errors": res["errors"],
                                 "loaded_equal": equal, "byte_identical": identical, "problems": problems}
        for p in problems + res["first_errors"]:
            log("[%s] %s" % (v.interp.tag, p))
        rows.append("| %s | %d | %s | %s |" % (v.interp.tag, n, "%d (%s)" % (equal, pct(equal, n)),
                                               "%d (%s)" % (identical, pct(identical, n))))
    print("| version | pycs | loaded equal | byte-identical |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checks", nargs="*", default=["tables"])
    ap.add_argument("--python", action="append", default=[])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show", type=int, default=5)
    ap.add_argument("--build", action="store_true", help="cargo build --release first")
    args = ap.parse_args()
    if args.build:
        subprocess.run(["cargo", "build", "--release", "-p", "bytescope-write", "--examples"], cwd=REPO, check=True)
    interps = common.discover(args.python or None, verbose=True)
    versions = [ensure_pycs(i, args.limit) for i in interps]
    summary = {}
    if "tables" in args.checks:
        summary["tables"] = tables(versions, args.show)
    if "roundtrip" in args.checks:
        summary["roundtrip"] = roundtrip(versions)
    if "asm" in args.checks:
        summary["asm"] = roundtrip(versions, via_asm=True)
    CACHE.mkdir(exist_ok=True)
    (CACHE / "write-summary.json").write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
