#!/usr/bin/env python3
"""Regenerates crates/python/tests/branches.json: ``co_branches()`` of every code object of
every committed 3.14+ fixture pyc, as the real interpreters give it (the pytest suite compares
``bytescope.Code.co_branches()`` with it on a machine without them).

Usage: python3 tools/gen_python_branches.py [--check]

Runs ``python3.14`` and ``python3.15`` (on PATH); each loads its own fixtures with
``marshal.loads`` and lists ``co_branches()`` per code object in pre-order (itself first, then
its constants' code objects, as ``Code.walk()``).
"""

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_python_lasti import write_or_check  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "crates" / "python" / "tests" / "branches.json"
WORKER = r"""
import glob, json, marshal, sys
def walk(c):
    yield c
    for k in c.co_consts:
        if hasattr(k, "co_code"):
            yield from walk(k)
out = {}
for p in sorted(glob.glob(sys.argv[1] + "/*.pyc")):
    data = open(p, "rb").read()
    co = marshal.loads(data[16:])
    out[p.rsplit("/", 1)[1]] = [[list(b) for b in c.co_branches()] for c in walk(co)]
print(json.dumps(out))
"""


def main():
    result = {}
    for v in ("3.14", "3.15"):
        run = subprocess.run([f"python{v}", "-c", WORKER, str(REPO / "tests" / "fixtures" / v)],
                             capture_output=True, text=True, check=True)
        result[v] = json.loads(run.stdout)
    write_or_check(OUT, result)


if __name__ == "__main__":
    main()
