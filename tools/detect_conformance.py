#!/usr/bin/env python3
"""Version detection over headerless copies of every interpreter's standard library.

Usage:
  tools/detect_conformance.py [--python 3.12 ...] [--limit N] [--build]
                              [--via cli|example] [--markdown] [--show N] [--refresh]

For every CPython found (tools/oracle/common.py: pyenv 2.7 and 3.6-3.13, python3.14
and python3.15 on PATH; or each --python X.Y / path), every .py under its Lib
directory (tests included, site-packages left out) is compiled by that interpreter
into ``.detect/<X.Y>/pyc/<relpath>c``; files that do not compile there are skipped.
Each pyc's header gives the truth; a copy without the header goes to
``.detect/<X.Y>/stripped/``.

Then detection runs on the headerless data:
  --via cli      (default) ``bytescope header --json`` over the stripped copies, in
                 chunks: its ``version``, ``version_detected`` and ranked
                 ``candidates`` (the versions passing every check are ``clean``).
  --via example  the library directly (crates/detect/examples/detect_files.rs), on
                 the pycs with headers (it strips them itself); also reports the
                 failures of the true version, for diagnosis.

Outcomes per file:
  unique          one version passes every check, and it is the right one
  tie             several pass every check and the right one is among them
  unclean-right   none passes every check; the best is the right one
  wrong-unclean   none passes every check; the best is another version
  wrong-tie       several pass, the right one not among them
  wrong-unique    one passes, and it is not the right one (confidently wrong)
  unreadable      no version reads the data

"Right" is unique + tie + unclean-right (the floor: >= 99% per version, and no
wrong-unique anywhere). The table goes to stdout (--markdown for docs/triage.md),
with the detection time per file; ``.detect/summary.json`` keeps the counts and
``.detect/<X.Y>/misses.txt`` lists every file that was not unique with what
happened (--show N prints the first N of them).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "oracle"))
import common  # noqa: E402

REPO = common.REPO
CACHE = REPO / ".detect"
CLI = REPO / "target" / "release" / "bytescope"
EXAMPLE = REPO / "target" / "release" / "examples" / "detect_files"
ARG_BUDGET = 96 * 1024
SKIP_DIRS = {"__pycache__", "site-packages", "dist-packages"}
OUTCOMES = ["unique", "tie", "unclean-right", "wrong-unclean", "wrong-tie", "wrong-unique", "unreadable"]

# Runs inside each interpreter (2.7 and 3.x): compile "SRC\tPYC\tNAME" lines.
COMPILER = r"""
import sys, py_compile, os
ok = bad = 0
for line in sys.stdin:
    src, pyc, name = line.rstrip("\n").split("\t")
    d = os.path.dirname(pyc)
    if not os.path.isdir(d):
        os.makedirs(d)
    try:
        py_compile.compile(src, cfile=pyc, dfile=name, doraise=True)
        ok += 1
    except Exception:
        bad += 1
sys.stdout.write("%d %d\n" % (ok, bad))
"""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def lib_dir(interp):
    out = subprocess.run(
        [interp.path, "-S", "-c",
         "import os,sys; sys.stdout.write(os.path.dirname(os.path.abspath(os.__file__)))"],
        capture_output=True, text=True, env=common.worker_env(), check=True)
    return Path(out.stdout.strip())


def header_len(data: bytes) -> int:
    """The header length of the pyc's version: 8 up to 3.2, 12 for 3.3-3.6, then 16."""
    v = tuple(int(x) for x in MAGIC_TO_VERSION[int.from_bytes(data[:2], "little")].split("."))
    return 8 if v < (3, 3) else 12 if v < (3, 7) else 16


def prepare(interp, args):
    root = CACHE / interp.tag
    pycdir, stripdir = root / "pyc", root / "stripped"
    stamp = root / "python.txt"
    if args.refresh or not stamp.exists() or stamp.read_text() != interp.full:
        shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    lib = lib_dir(interp)
    srcs = []
    for r, dirs, names in os.walk(lib):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for n in sorted(names):
            if n.endswith(".py"):
                srcs.append(os.path.relpath(os.path.join(r, n), lib))
    srcs.sort()
    if args.limit:
        srcs = srcs[: args.limit]
    todo = [rel for rel in srcs if not (pycdir / (rel + "c")).exists()]
    if todo:
        t0 = time.time()
        lines = "".join("%s\t%s\t%s\n" % (lib / rel, pycdir / (rel + "c"), rel) for rel in todo)
        out = subprocess.run([interp.path, "-c", COMPILER], input=lines, capture_output=True,
                             text=True, env=common.worker_env())
        log("[%s] compiled %d files in %.0fs (%s)" % (
            interp.tag, len(todo), time.time() - t0, out.stdout.strip() or out.stderr[-300:]))
    stamp.write_text(interp.full)
    pairs = []
    for rel in srcs:
        pyc = pycdir / (rel + "c")
        if not pyc.exists():
            continue
        stripped = stripdir / (rel + "c")
        if not stripped.exists():
            data = pyc.read_bytes()
            stripped.parent.mkdir(parents=True, exist_ok=True)
            stripped.write_bytes(data[header_len(data):])
        pairs.append((pyc, stripped))
    return pairs


def chunks(paths):
    chunk, size = [], 0
    for p in paths:
        n = len(str(p)) + 1
        if chunk and size + n > ARG_BUDGET:
            yield chunk
            chunk, size = [], 0
        chunk.append(p)
        size += n
    if chunk:
        yield chunk


def run_cli(stripped, jobs):
    """header --json over the stripped copies: {path: record}."""
    out = {}
    spent = 0.0
    for chunk in chunks(stripped):
        t0 = time.time()
        proc = subprocess.run([str(CLI), "header", "--json", "-j", str(jobs)] + [str(p) for p in chunk],
                              capture_output=True, env=common.worker_env())
        spent += time.time() - t0
        records, current = {}, None
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            if line.startswith("==> ") and line.endswith(" <=="):
                current = line[4:-4]
                continue
            if line.strip():
                rec = json.loads(line)
                records[current if len(chunk) > 1 else str(chunk[0])] = rec
        for p in chunk:
            out[str(p)] = records.get(str(p))
    return out, spent


def classify_cli(truth, rec):
    if rec is None or rec.get("version") is None:
        return "unreadable", [], None
    cands = rec.get("candidates") or []
    clean = [c["version"] for c in cands if c.get("clean")]
    best = rec["version"]
    return classify(truth, clean, best), clean, best


def classify(truth, clean, best):
    if len(clean) == 1:
        return "unique" if clean[0] == truth else "wrong-unique"
    if len(clean) > 1:
        return "tie" if truth in clean else "wrong-tie"
    if best is None:
        return "unreadable"
    return "unclean-right" if best == truth else "wrong-unclean"


def version_of(pyc: Path) -> str:
    magic = int.from_bytes(pyc.read_bytes()[:2], "little")
    return MAGIC_TO_VERSION.get(magic, "?")


MAGIC_TO_VERSION = {}


def load_magics():
    for line in (REPO / "tools" / "data" / "magic_numbers.tsv").read_text().splitlines():
        if line.startswith("#") or line.startswith("magic\t") or not line.strip():
            continue
        cols = line.split("\t")
        MAGIC_TO_VERSION[int(cols[0])] = cols[1]


def run_version(interp, args):
    pairs = prepare(interp, args)
    counts = {k: 0 for k in OUTCOMES}
    misses = []
    tie_sets = {}
    if args.via == "cli":
        results, spent = run_cli([s for _, s in pairs], args.jobs)
        for pyc, stripped in pairs:
            truth = version_of(pyc)
            outcome, clean, best = classify_cli(truth, results.get(str(stripped)))
            counts[outcome] += 1
            if outcome == "tie":
                key = " ".join(clean)
                tie_sets[key] = tie_sets.get(key, 0) + 1
            if outcome != "unique":
                misses.append("%s\t%s\t%s\tbest=%s" % (outcome, stripped.relative_to(REPO), " ".join(clean), best))
    else:
        t0 = time.time()
        proc = subprocess.run([str(EXAMPLE)], input="".join("%s\n" % p for p, _ in pairs),
                              capture_output=True, text=True)
        spent = None
        for line in proc.stdout.splitlines():
            rec = json.loads(line)
            if rec.get("summary"):
                spent = rec["seconds"]
                continue
            truth = rec["truth"]
            v = rec["verdict"]
            clean = rec["versions"] if v in ("unique", "tie") else []
            outcome = classify(truth, clean, rec["best"])
            counts[outcome] += 1
            if outcome == "tie":
                key = " ".join(clean)
                tie_sets[key] = tie_sets.get(key, 0) + 1
            if outcome != "unique":
                misses.append("%s\t%s\t%s\tbest=%s\town=%s %s" % (
                    outcome, rec["path"], " ".join(clean), rec["best"], rec["own_failures"], rec["own_notes"]))
        if spent is None:
            spent = time.time() - t0
    root = CACHE / interp.tag
    (root / "misses.txt").write_text("".join(m + "\n" for m in misses))
    total = sum(counts.values())
    right = counts["unique"] + counts["tie"] + counts["unclean-right"]
    res = {"python": interp.full, "files": total, "counts": counts, "ties": tie_sets,
           "right": right, "right_pct": 100.0 * right / total if total else 0.0,
           "unique_pct": 100.0 * counts["unique"] / total if total else 0.0,
           "seconds": spent, "via": args.via}
    log("[%s] %d files: right %.2f%% (unique %.2f%%), %s; %.2fs" % (
        interp.tag, total, res["right_pct"], res["unique_pct"],
        ", ".join("%s %d" % (k, n) for k, n in counts.items() if n), spent))
    for m in misses[: args.show]:
        log("   " + m)
    return res


def table(results, markdown):
    head = ["Python", "files", "right", "unique", "tie", "unclean, right", "wrong, unclean",
            "wrong, confident", "unreadable", "ms/file"]
    rows = []
    for tag, r in results.items():
        c = r["counts"]
        rows.append([
            "%s (%s)" % (tag, r["python"]), str(r["files"]),
            "%.2f%%" % r["right_pct"], "%.2f%%" % r["unique_pct"], str(c["tie"]),
            str(c["unclean-right"]), str(c["wrong-unclean"]),
            str(c["wrong-unique"] + c["wrong-tie"]), str(c["unreadable"]),
            "%.3f" % (1000.0 * r["seconds"] / r["files"]) if r["files"] else "-",
        ])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    else:
        widths = [max(len(x) for x in col) for col in zip(head, *rows)]
        lines = ["  ".join(x.ljust(w) for x, w in zip(row, widths)) for row in [head] + rows]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", action="append", help="X.Y or interpreter path (repeatable)")
    ap.add_argument("--limit", type=int, default=0, help="first N files per version")
    ap.add_argument("--via", choices=["cli", "example"], default="cli")
    ap.add_argument("--jobs", type=int, default=1, help="-j for the CLI (default 1: timing)")
    ap.add_argument("--build", action="store_true", help="cargo build --release first")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--show", type=int, default=0, help="print the first N misses per version")
    ap.add_argument("--refresh", action="store_true", help="recompile the pycs")
    args = ap.parse_args()
    load_magics()
    if args.build:
        cmd = ["cargo", "build", "--release"]
        cmd += ["-p", "bytescope-cli"] if (REPO / "crates" / "cli" / "Cargo.toml").read_text().find(
            'name = "bytescope-cli"') >= 0 else ["-p", "bytescope"]
        if args.via == "example":
            cmd = ["cargo", "build", "--release", "-p", "bytescope-detect", "--example", "detect_files"]
        subprocess.run(cmd, cwd=REPO, check=True)
    interps = common.discover(args.python, verbose=True)
    results = {}
    for interp in interps:
        results[interp.tag] = run_version(interp, args)
    CACHE.mkdir(exist_ok=True)
    (CACHE / "summary.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(table(results, args.markdown))
    bad = [t for t, r in results.items() if r["right_pct"] < 99.0
           or r["counts"]["wrong-unique"] + r["counts"]["wrong-tie"] > 0]
    if bad:
        log("below the floor (>= 99% right, never confidently wrong): " + ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
