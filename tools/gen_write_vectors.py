#!/usr/bin/env python3
"""Generate the write path's test vectors from real CPythons.

Usage:
    python3 tools/gen_write_vectors.py [--check] [--python X.Y ...] [replace] [tables]

replace   ``crates/write/tests/data/replace/<X.Y>.json``: for 2.7 and 3.6-3.15,
          what ``types.CodeType(...)`` and (3.8+) ``code.replace(...)`` do with a
          fixed list of changes to three code objects (the worker's ``replace``
          mode, tools/oracle/write_worker.py): the exception with its message, or
          the fields of the result that differ from the base. Replayed without
          Python by ``crates/write/tests/replace.rs``.
tables    ``crates/write/tests/data/tables/<X.Y>.json``: line and exception
          tables CPython wrote, for the encoders' byte-for-byte tests
          (``crates/write/tests/tables.rs``): every code object of every 7th
          module (sorted paths) of the interpreter's own standard library,
          compiled by it, up to about 150 KB per version: firstlineno, the
          length of co_code, the tables, and (3.11) the instruction sizes.

Each file records the interpreter and its generator. ``--check`` regenerates
in memory and fails if a committed file differs (versions without a local
interpreter are skipped). Interpreters are found as tools/conformance.py finds
them (pyenv versions, then pythonX.Y on PATH).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "oracle"))
import common  # noqa: E402

REPO = common.REPO
WORKER = REPO / "tools" / "oracle" / "write_worker.py"
OUT = REPO / "crates" / "write" / "tests" / "data"
VERSIONS = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]


def run_worker(interp, mode, stdin=None):
    out = subprocess.run([interp.path, "-S", str(WORKER), mode], input=stdin, capture_output=True,
                         env=common.worker_env(), cwd=REPO, check=False)
    if out.returncode != 0:
        raise SystemExit("[%s] worker %s failed:\n%s" % (interp.tag, mode, out.stderr.decode()[-3000:]))
    return json.loads(out.stdout)


def render(doc):
    """One case per line: small diffs, stable files."""
    head = {k: v for k, v in doc.items() if k not in ("cases", "objects")}
    head["generator"] = "tools/gen_write_vectors.py (do not edit)"
    rows = doc.get("cases", doc.get("objects", []))
    key = "cases" if "cases" in doc else "objects"
    lines = [json.dumps(r, sort_keys=True, separators=(",", ":")) for r in rows]
    text = json.dumps(head, sort_keys=True, indent=1)[:-2]
    text += ',\n "%s": [\n' % key + ",\n".join(lines) + "\n ]\n}\n"
    json.loads(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", nargs="*", default=["replace", "tables"])
    ap.add_argument("--python", action="append", default=[])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    interps = common.discover(args.python or None)
    failed = False
    for interp in interps:
        if interp.tag not in VERSIONS:
            continue
        for what in args.what:
            doc = run_worker(interp, what)
            text = render(doc)
            path = OUT / what / ("%s.json" % interp.tag)
            if args.check:
                if not path.exists() or path.read_text() != text:
                    print("stale: %s" % path.relative_to(REPO), file=sys.stderr)
                    failed = True
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print("%s: %d bytes" % (path.relative_to(REPO), len(text)), file=sys.stderr)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
