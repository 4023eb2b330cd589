#!/usr/bin/env python3
"""Regenerates crates/python/tests/instruction_str.json: ``str(ins)`` of every instruction of
every code object of one committed fixture pyc per version from 3.13 (code addresses as
``0x?``) (where
``dis.Instruction.__str__`` became the one-line listing of ``Formatter.print_instruction``), as
each version's real interpreter gives it. The pytest suite compares ``bytescope.dis`` with the
interpreter itself when it is here, else with this file.

Usage: python3 tools/gen_python_str.py [--check]

Interpreters: ``$(pyenv root)/versions/X.Y.*/bin/python``, else ``pythonX.Y`` on PATH.
"""

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_python_lasti import FIXTURES, interpreter, regenerate  # noqa: E402, F401 (interpreter: for the tests)

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "crates" / "python" / "tests" / "instruction_str.json"
VERSIONS = ("3.13", "3.14", "3.15")
SNIPPET = "loops"

# Runs under the fixture's own interpreter: every code object pre-order, str() of each instruction.
WORKER = r"""
import dis, json, marshal, re, sys
co = marshal.loads(open(sys.argv[1], "rb").read()[16:])
def walk(c):
    yield c
    for k in c.co_consts:
        if hasattr(k, "co_code"):
            yield from walk(k)
norm = lambda t: re.sub(" at 0x[0-9a-f]+", " at 0x?", t)
print(json.dumps([[norm(str(i)) for i in dis.get_instructions(c)] for c in walk(co)]))
"""


def expected(version, python):
    run = subprocess.run([python, "-c", WORKER, str(FIXTURES / version / (SNIPPET + ".pyc"))],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def main():
    regenerate(OUT, VERSIONS, expected)


if __name__ == "__main__":
    main()
