#!/usr/bin/env python3
"""Regenerates crates/python/tests/adaptive.json: what each real interpreter (3.11+) gives for
a freshly unmarshalled code object's ``_co_code_adaptive`` (every code object of every
committed fixture pyc of its version, as the bytes that differ from ``co_code``),
``_varname_from_oparg`` (every index of the locals-plus table, one past it and -1, of the
``closures`` fixture) and ``dis.disassemble(co, adaptive=True, show_caches=True)`` (the
``loops`` fixture). The pytest suite compares ``bytescope`` with the interpreter itself when it
is the host, else with this file.

Usage: python3 tools/gen_python_adaptive.py [--check]

Interpreters: ``$(pyenv root)/versions/X.Y.*/bin/python``, else ``pythonX.Y`` on PATH.
Runs them with ``PYTHONHASHSEED=0`` (frozenset reprs in listings follow string hashes).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_python_lasti import FIXTURES, interpreter, regenerate  # noqa: E402, F401 (interpreter: for the tests)

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "crates" / "python" / "tests" / "adaptive.json"
VERSIONS = ("3.11", "3.12", "3.13", "3.14", "3.15")
NAMES_SNIPPET = "closures"
LISTING_SNIPPET = "loops"

# Runs under the fixture's own interpreter: prints the expectations as JSON.
WORKER = r"""
import dis, glob, io, json, marshal, os, re, sys
fixtures, names_snippet, listing_snippet = sys.argv[1:4]

def walk(c):
    out = [c]
    for k in c.co_consts:
        if hasattr(k, "co_code"):
            out += walk(k)
    return out

def load(path):
    with open(path, "rb") as f:
        return marshal.loads(f.read()[16:])

def varname(c, i):
    try:
        return c._varname_from_oparg(i)
    except Exception as e:
        return "%s: %s" % (type(e).__name__, e)

result = {"adaptive": {}, "varnames": [], "listing": []}
for path in sorted(glob.glob(os.path.join(fixtures, "*.pyc"))):
    name = os.path.basename(path)[:-4]
    if "." in name:
        continue
    codes = walk(load(path))
    result["adaptive"][name] = [
        [[i, b] for i, (a, b) in enumerate(zip(c.co_code, c._co_code_adaptive)) if a != b] for c in codes
    ]
    if name == names_snippet:
        for c in codes:
            n = len(c.co_varnames) + len(set(c.co_cellvars) - set(c.co_varnames)) + len(c.co_freevars)
            result["varnames"].append([varname(c, i) for i in range(-1, n + 1)])
    if name == listing_snippet:
        for c in codes:
            buf = io.StringIO()
            dis.disassemble(c, file=buf, adaptive=True, show_caches=True)
            result["listing"].append(re.sub(" at 0x[0-9a-f]+", " at 0x?", buf.getvalue()))
print(json.dumps(result))
"""


def expected(version, python):
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8")
    run = subprocess.run([python, "-c", WORKER, str(FIXTURES / version), NAMES_SNIPPET, LISTING_SNIPPET],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(run.stdout)


def main():
    regenerate(OUT, VERSIONS, expected)


if __name__ == "__main__":
    main()
