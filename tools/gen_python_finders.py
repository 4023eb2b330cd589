#!/usr/bin/env python3
"""Regenerates crates/python/tests/finders.json: the imports and stored names each real
interpreter finds in every code object of the committed ``imports`` and ``func_imports``
fixture pycs of its version. From 3.11 these are ``dis._find_imports(co)`` and
``dis._find_store_names(co)``; before, the same scan lived in ``modulefinder``
(``ModuleFinder.scan_opcodes``, 2.7's ``scan_opcodes_25``), whose events are turned into the
same ``(name, level, fromlist)`` triples (2.x's plain ``import`` event is level -1). The pytest
suite compares ``bytescope.dis._find_imports``/``_find_store_names`` with the interpreter itself
when it is found, else with this file.

Usage: python3 tools/gen_python_finders.py [--check]
"""

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_python_lasti import FIXTURES, fixture_versions, interpreter, regenerate  # noqa: E402, F401 (interpreter: for the tests)

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "crates" / "python" / "tests" / "finders.json"
SNIPPETS = ("imports", "func_imports")

# Runs under the fixture's own interpreter (2.7 and 3.6+): prints, per code object in
# pre-order, [imports, stored names] as JSON.
WORKER = r"""
import dis, json, marshal, sys
v = sys.version_info[:2]
data = open(sys.argv[1], "rb").read()
co = marshal.loads(data[16:] if v >= (3, 7) else data[12:] if v >= (3, 3) else data[8:])

def walk(c):
    yield c
    for k in c.co_consts:
        if hasattr(k, "co_code"):
            for x in walk(k):
                yield x

def plain(x):
    if isinstance(x, tuple):
        return [plain(i) for i in x]
    if isinstance(x, bytes) and not isinstance(x, str):
        return x.decode("latin-1")
    return x

def finders(c):
    if hasattr(dis, "_find_imports"):
        return list(dis._find_imports(c)), list(dis._find_store_names(c))
    import modulefinder
    m = modulefinder.ModuleFinder()
    scan = getattr(m, "scan_opcodes_25", None) or m.scan_opcodes
    imports, stores = [], []
    for what, args in scan(c):
        if what == "store":
            stores.append(args[0])
        elif what == "import":
            imports.append((args[1], -1, args[0]))
        elif what == "absolute_import":
            imports.append((args[1], 0, args[0]))
        elif what == "relative_import":
            imports.append((args[2], args[0], args[1]))
    return imports, stores

print(json.dumps([[plain(list(map(tuple, i))), plain(s)] for i, s in map(finders, walk(co))]))
"""


def expected(version, python):
    """``{snippet: [[imports, stores] per code object]}`` as ``python`` gives them."""
    out = {}
    for s in SNIPPETS:
        pyc = FIXTURES / version / (s + ".pyc")
        if pyc.exists():
            run = subprocess.run([python, "-c", WORKER, str(pyc)], capture_output=True, text=True, check=True)
            out[s] = json.loads(run.stdout)
    return out


def main():
    regenerate(OUT, fixture_versions(), expected)


if __name__ == "__main__":
    main()
