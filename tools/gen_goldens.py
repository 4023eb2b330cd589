#!/usr/bin/env python3
"""Regenerate tests/fixtures/<X.Y>/ from tests/snippets/ with every CPython found.

Usage: tools/gen_goldens.py [--python 3.12 ...] [--jobs N] [--check]

Runs under any python3 >= 3.8 (stdlib only).  For each interpreter (python2.7 and
python3.X on PATH, every pyenv version; one per X.Y, highest patch release) and each
snippet whose ``# bytescope-snippet: min=X.Y [max=X.Y]`` header admits that version,
tools/oracle/worker.py runs inside that interpreter (PYTHONHASHSEED=0, fixed
environment, ASLR disabled via setarch when possible, one process per snippet so a
fixture never depends on the other snippets) and writes the fixture files described
in tests/fixtures/README.md.  A version's directory is replaced as a whole, so files
of deleted snippets disappear.  Versions without an interpreter are left untouched.

Code-object addresses in the outputs change with the machine and with any edit of
the worker; a regenerated text fixture that differs from the committed one only in
addresses keeps the committed bytes, so re-running gives identical files.

--check regenerates into a scratch directory and reports differences instead of
writing (modulo addresses, as above).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "oracle"))
import common  # noqa: E402

REPO = common.REPO
SNIPPETS = REPO / "tests" / "snippets"
FIXTURES = REPO / "tests" / "fixtures"
FIXED_MTIME = 1700000000
HASH_SNIPPET = "closures"  # gets .hash-checked/.hash-unchecked variants on 3.7+
HEADER_RE = re.compile(r"^# bytescope-snippet: min=(\d+)\.(\d+)(?: max=(\d+)\.(\d+))?\s*$")


def load_snippets():
    snippets = []
    names = {}
    for path in sorted(SNIPPETS.rglob("*.py")):
        with open(path, "rb") as f:
            first = f.readline().decode("utf-8").rstrip("\r\n")
        m = HEADER_RE.match(first)
        if not m:
            raise SystemExit("%s: first line must be '# bytescope-snippet: min=X.Y [max=X.Y]'" % path)
        lo = (int(m.group(1)), int(m.group(2)))
        hi = (int(m.group(3)), int(m.group(4))) if m.group(3) else None
        name = path.stem
        if name in names:
            raise SystemExit("duplicate snippet name %s: %s and %s" % (name, names[name], path))
        names[name] = path
        snippets.append({"name": name, "path": path, "min": lo, "max": hi})
    return snippets


def applies(snip, version):
    return snip["min"] <= version and (snip["max"] is None or version <= snip["max"])


def run_one(interp, snip, outdir: Path):
    job = {
        "outdir": os.path.relpath(outdir, REPO),
        "mtime": FIXED_MTIME,
        "snippets": [{
            "src": str(snip["path"].relative_to(REPO)),
            "name": snip["name"],
            "hash_variants": snip["name"] == HASH_SNIPPET,
        }],
    }
    proc = subprocess.run(common.worker_cmd(interp, "goldens"), input=json.dumps(job).encode(),
                          capture_output=True, cwd=REPO, env=common.worker_env())
    if proc.returncode != 0 or proc.stderr.strip():
        raise RuntimeError("%s on Python %s failed:\n%s%s" % (
            snip["name"], interp.full, proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace")))
    return json.loads(proc.stdout.decode().splitlines()[-1])


def same_but_addresses(a: Path, b: Path) -> bool:
    ta, tb = a.read_bytes(), b.read_bytes()
    if ta == tb:
        return True
    norm = lambda t: common.ADDR_RE.sub(" at 0xADDR", t.decode("utf-8", "surrogateescape"))
    return norm(ta) == norm(tb)


def dir_size(d: Path):
    return sum(p.stat().st_size for p in d.rglob("*") if p.is_file())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", nargs="+", metavar="X.Y|PATH",
                    help="only these versions (or interpreter paths); default: all found")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and diff against tests/fixtures")
    args = ap.parse_args()

    snippets = load_snippets()
    print("discovering interpreters ...", file=sys.stderr)
    interps = common.discover(args.python, verbose=True)
    if not common.setarch_prefix():
        print("warning: setarch -R unavailable: code-object addresses will differ between runs",
              file=sys.stderr)

    # Fixed scratch paths (the worker sees relative paths of constant length, which keeps
    # CPython's allocation pattern, hence the printed addresses, reproducible).
    target = REPO / "target" / "gen-goldens-check" if args.check else FIXTURES
    staging = REPO / "target" / "gen-goldens-staging"
    kept = 0
    for d in ([target] if args.check else []) + [staging]:
        shutil.rmtree(d, ignore_errors=True)
    try:
        tasks = []
        for interp in interps:
            vdir = staging / interp.tag
            vdir.mkdir(parents=True)
            for snip in snippets:
                if applies(snip, interp.version):
                    tasks.append((interp, snip, vdir))
        with ThreadPoolExecutor(max(1, args.jobs)) as ex:
            results = list(ex.map(lambda t: (t[0], run_one(*t)), tasks))

        # Install: replace each generated version directory as a whole, but keep the
        # bytes of an existing fixture that differs only in code-object addresses
        # (they move whenever the worker or the machine changes), so a regeneration
        # only shows real changes.
        target.mkdir(parents=True, exist_ok=True)
        for interp in interps:
            new_dir = staging / interp.tag
            for f in sorted(new_dir.iterdir()):
                old = FIXTURES / interp.tag / f.name
                if old.exists() and f.suffix in (".txt", ".json") and same_but_addresses(old, f):
                    shutil.copyfile(old, f)
                    kept += 1
            dest = target / interp.tag
            if dest.exists():
                shutil.rmtree(dest)
            shutil.move(str(new_dir), str(dest))
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    # index.json: provenance + which snippets exist per version (merged with versions
    # that were not regenerated this time).
    index_path = target / "index.json"
    old_index = FIXTURES / "index.json"
    index = json.loads(old_index.read_text()) if old_index.exists() else {}
    index.setdefault("versions", {})
    index["generator"] = "tools/gen_goldens.py"
    index["mtime"] = FIXED_MTIME
    index["hash_snippet"] = HASH_SNIPPET
    index["snippets"] = {
        s["name"]: {
            "path": str(s["path"].relative_to(REPO)),
            "min": "%d.%d" % s["min"],
            "max": ("%d.%d" % s["max"]) if s["max"] else None,
        } for s in snippets
    }
    for interp in interps:
        names = sorted(r["name"] for i, r in results if i is interp)
        index["versions"][interp.tag] = {
            "python": interp.full,
            "views": common.views_for(interp.version),
            "snippets": names,
        }
    index["versions"] = dict(sorted(index["versions"].items(), key=lambda kv: tuple(map(int, kv[0].split(".")))))
    index = {k: index[k] for k in ("generator", "mtime", "hash_snippet", "versions", "snippets")}
    index_path.write_text(json.dumps(index, indent=1) + "\n")

    print("\n%-6s %-9s %8s %6s %10s" % ("python", "full", "snippets", "files", "bytes"))
    total = 0
    for interp in interps:
        d = target / interp.tag
        nfiles = sum(1 for p in d.iterdir())
        size = dir_size(d)
        total += size
        nsnip = sum(1 for i, _ in results if i is interp)
        print("%-6s %-9s %8d %6d %10d" % (interp.tag, interp.full, nsnip, nfiles, size))
    print("total fixture size (all versions present): %.2f MB" % (dir_size(target) / 1e6))
    print("%d regenerated text files differed from the committed ones only in addresses "
          "(committed bytes kept)" % kept)

    if args.check:
        diffs = []
        for interp in interps:
            a, b = FIXTURES / interp.tag, target / interp.tag
            names = sorted({p.name for p in a.glob("*")} | {p.name for p in b.glob("*")})
            for n in names:
                pa, pb = a / n, b / n
                if not pa.exists() or not pb.exists() or pa.read_bytes() != pb.read_bytes():
                    # (address-only differences were already folded into the old bytes)
                    diffs.append("%s/%s" % (interp.tag, n))
        shutil.rmtree(target, ignore_errors=True)
        if diffs:
            print("%d fixture files differ:" % len(diffs))
            for d in diffs[:50]:
                print("  " + d)
            sys.exit(1)
        print("fixtures are up to date")


if __name__ == "__main__":
    main()
