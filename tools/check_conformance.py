#!/usr/bin/env python3
"""Opt-in run of `bytescope check` and `bytescope cfg` over whole standard libraries.

Usage:
  tools/check_conformance.py [--python 3.12 ...] [--cli PATH] [--build] [--max-shown 10]

For every interpreter found (2.7 and 3.6-3.13 under pyenv, python3.14, python3.15; or each
--python X.Y), the standard library as tools/stack_conformance.py compiles it
(``.conformance/stack/<X.Y>/pyc``, compiled here if missing) is checked:

- ``bytescope check --json`` must report nothing for these unmodified files: every finding
  is counted by kind and listed in ``.conformance/check/<X.Y>/findings.txt``;
- ``bytescope cfg --json``: block and edge counts, exception edges, loops, unreachable
  blocks (the dead code the compiler leaves, which check does not report), and the graph
  invariants (blocks cover every instruction once, in order; edge ends are blocks).

Prints a Markdown table for docs/analysis.md and writes ``.conformance/check/summary.json``.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_opcodes  # noqa: E402
import stack_conformance  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".conformance" / "check"
DEFAULT_CLI = REPO / "target" / "release" / "bytescope"


def run_check(cli, pyc_dir, out_dir, max_shown):
    proc = subprocess.Popen(["nice", "-n", "10", str(cli), "check", "--json", "-j", "1", str(pyc_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    codes = 0
    kinds = collections.Counter()
    shown = []
    with open(out_dir / "findings.txt", "w", encoding="utf-8") as f:
        for line in proc.stdout:
            rec = json.loads(line)
            codes += 1
            for x in rec["findings"]:
                kinds[x["kind"]] += 1
                text = "%s %s (line %d) at %s: %s" % (os.path.relpath(rec["path"], pyc_dir), rec["qualname"],
                                                     rec["firstlineno"], x["offset"], x["message"])
                f.write(text + "\n")
                if len(shown) < max_shown:
                    shown.append(text)
    err = proc.stderr.read()
    proc.wait()
    failed = [l for l in err.splitlines() if l.startswith("bytescope:")]
    return {"code_objects": codes, "findings": dict(kinds), "files_failed": len(failed), "shown": shown}


def run_cfg(cli, pyc_dir):
    proc = subprocess.Popen(["nice", "-n", "10", str(cli), "cfg", "--json", "-j", "1", str(pyc_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    s = collections.Counter()
    bad = []
    for line in proc.stdout:
        rec = json.loads(line)
        s["code_objects"] += 1
        blocks = rec["blocks"]
        s["blocks"] += len(blocks)
        s["unreachable_blocks"] += sum(1 for b in blocks if not b["reachable"])
        s["edges"] += len(rec["edges"])
        s["exception_edges"] += sum(1 for e in rec["edges"] if e["kind"] == "exception")
        s["back_edges"] += sum(1 for e in rec["edges"] if e["back"])
        s["loops"] += len(rec["loops"])
        s["loops_truncated"] += int(rec["loops_truncated"])
        # Invariants: blocks in order, contiguous, every offset once; edges between blocks.
        seen = []
        for k, b in enumerate(blocks):
            if b["id"] != k or not b["offsets"] or b["offsets"][0] != b["start"]:
                bad.append((rec["path"], rec["qualname"], "block %d" % k))
            seen.extend(b["offsets"])
        if seen != sorted(set(seen)):
            bad.append((rec["path"], rec["qualname"], "offsets"))
        n = len(blocks)
        if any(not (0 <= e["from"] < n and 0 <= e["to"] < n) for e in rec["edges"]):
            bad.append((rec["path"], rec["qualname"], "edge"))
    proc.stderr.read()
    proc.wait()
    s = dict(s)
    s["invariant_failures"] = len(bad)
    s["invariant_examples"] = bad[:5]
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", nargs="+", metavar="X.Y", help="versions (default: all found)")
    ap.add_argument("--cli", type=Path, default=DEFAULT_CLI, help="bytescope binary")
    ap.add_argument("--build", action="store_true", help="cargo build --release first")
    ap.add_argument("--max-shown", type=int, default=10, help="findings printed per version")
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
        info = stack_conformance.compile_stdlib(minor, exe, 0, False)
        pyc_dir = stack_conformance.CACHE / minor / "pyc"
        out_dir = CACHE / minor
        out_dir.mkdir(parents=True, exist_ok=True)
        res = {"python": full, "files": info["files"]}
        res["check"] = run_check(args.cli, pyc_dir, out_dir, args.max_shown)
        res["cfg"] = run_cfg(args.cli, pyc_dir)
        summary[minor] = res
        c, g = res["check"], res["cfg"]
        print("%-5s %5d files %6d code objects: %d findings %s; %d blocks (%d unreachable), %d exception edges, "
              "%d loops, %d invariant failures" % (
                  minor, info["files"], c["code_objects"], sum(c["findings"].values()), c["findings"],
                  g.get("blocks", 0), g.get("unreachable_blocks", 0), g.get("exception_edges", 0),
                  g.get("loops", 0), g["invariant_failures"]), file=sys.stderr, flush=True)
        for line in c["shown"]:
            print("      " + line, file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "summary.json").write_text(json.dumps(summary, indent=1))
    print("| version | files | code objects | check findings | blocks | unreachable blocks (compiler's dead code) "
          "| exception edges | loops | invariant failures |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for minor, r in summary.items():
        c, g = r["check"], r["cfg"]
        print("| %s (%s) | %d | %d | %d | %d | %d | %d | %d | %d |" % (
            minor, r["python"], r["files"], c["code_objects"], sum(c["findings"].values()), g.get("blocks", 0),
            g.get("unreachable_blocks", 0), g.get("exception_edges", 0), g.get("loops", 0),
            g["invariant_failures"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
