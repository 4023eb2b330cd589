#!/usr/bin/env python3
"""Regenerates crates/python/tests/lasti.json: what each real interpreter's ``dis`` prints for
the current instruction (``disassemble(co, lasti)``, ``Bytecode(current_offset=)``) and for
shifted line numbers (``Bytecode(first_line=).dis()``, ``get_instructions(first_line=)``), over
one committed fixture pyc per version (root and first nested code object). The pytest suite
compares ``bytescope.dis`` with the interpreter itself when it is found, else with this file.

Usage: python3 tools/gen_python_lasti.py [--check]

Interpreters: ``$(pyenv root)/versions/X.Y.*/bin/python``, else ``pythonX.Y`` on PATH.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "crates" / "python" / "tests" / "lasti.json"
FIXTURES = REPO / "tests" / "fixtures"
SNIPPETS = {"2.7": ("py2_exceptions",)}
DEFAULT_SNIPPETS = ("loops",)

# Runs under the fixture's own interpreter (2.7 and 3.6+): prints the cases as JSON.
WORKER = r"""
import dis, io, json, marshal, re, sys
v = sys.version_info[:2]
path = sys.argv[1]
data = open(path, "rb").read()
co = marshal.loads(data[16:] if v >= (3, 7) else data[12:] if v >= (3, 3) else data[8:])
nested = [k for k in co.co_consts if hasattr(k, "co_code")]

def text(f):
    if v < (3, 0):
        import StringIO
        buf = StringIO.StringIO()
    else:
        buf = io.StringIO()
    old, sys.stdout = sys.stdout, buf
    try:
        r = f()
    finally:
        sys.stdout = old
    return normalise(r if r is not None else buf.getvalue())

def normalise(t):
    return re.sub(" at 0x[0-9a-f]+", " at 0x?", t)

def cases(index, c):
    starts = [o for o, l in dis.findlinestarts(c) if l is not None]
    points = sorted(set([0, starts[-1]]))
    if v >= (3, 13):
        cached = [i.offset + 2 for i in dis.get_instructions(c) if i.cache_info]
    elif v >= (3, 11):
        cached = [i.offset for i in dis.get_instructions(c, show_caches=True) if i.opname == "CACHE"]
    else:
        cached = []
    points += cached[:1]
    out = []
    for lasti in points:
        out.append([index, "disassemble", {"lasti": lasti}, text(lambda: dis.disassemble(c, lasti))])
    if cached:
        out.append([index, "disassemble", {"lasti": points[-1], "show_caches": True},
                    text(lambda: dis.disassemble(c, points[-1], show_caches=True))])
    if v < (3, 4):
        return out
    for first_line, lasti in ((c.co_firstlineno + 1000, points[-1]), (-3, None)):
        out.append([index, "bytecode", {"first_line": first_line, "current_offset": lasti},
                    normalise(dis.Bytecode(c, first_line=first_line, current_offset=lasti).dis())])
        keys = [k for k in ("starts_line", "line_number", "positions") if k in dis.Instruction._fields]
        rows = [[i.offset] + [list(i.positions) if k == "positions" else getattr(i, k) for k in keys]
                for i in dis.get_instructions(c, first_line=first_line)]
        out.append([index, "instructions", {"first_line": first_line, "fields": keys}, rows])
    extra = {}
    if v >= (3, 13):
        extra["show_offsets"] = True
    if v >= (3, 14):
        extra["show_positions"] = True
    if extra:
        args = dict(extra, first_line=c.co_firstlineno + 1000, current_offset=points[-1])
        out.append([index, "bytecode", args, normalise(dis.Bytecode(c, **args).dis())])
    return out

result = []
for index, c in enumerate([co] + nested[:1]):
    result += cases(index, c)
print(json.dumps(result))
"""


def interpreter(version):
    """The real interpreter of ``version`` (``"3.12"``), or None."""
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        root = os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python")))
    if found:
        return found[-1]
    return shutil.which("python" + version)


def write_or_check(out, result):
    """Writes ``result`` to ``out`` as compact sorted JSON; with ``--check`` on the command line,
    exits with a message instead when ``out`` holds something else."""
    text = json.dumps(result, separators=(",", ":"), sort_keys=True) + "\n"
    if "--check" in sys.argv:
        if out.read_text() != text:
            sys.exit(f"{out} is out of date: run {Path(sys.argv[0]).name}")
        return
    out.write_text(text)


def snippets(version):
    return SNIPPETS.get(version, DEFAULT_SNIPPETS)


def expected(version, python):
    """``{snippet: cases}`` as ``python`` (of ``version``) gives them."""
    out = {}
    for s in snippets(version):
        run = subprocess.run([python, "-c", WORKER, str(FIXTURES / version / (s + ".pyc"))],
                             capture_output=True, text=True, check=True)
        out[s] = json.loads(run.stdout)
    return out


def fixture_versions():
    """The committed fixture versions (``"2.7"``, ``"3.6"``, ...), oldest first."""
    return sorted((d.name for d in FIXTURES.iterdir() if d.is_dir()), key=lambda v: tuple(map(int, v.split("."))))


def regenerate(out, versions, expected):
    """Writes ``out`` (with ``--check``: compares it) as ``{version: expected(version, python)}``
    for every version, each from its own interpreter, all of which must be here."""
    result = {}
    for v in versions:
        python = interpreter(v)
        if python is None:
            sys.exit(f"no Python {v} here: cannot regenerate {out.name}")
        result[v] = expected(v, python)
    write_or_check(out, result)


def main():
    regenerate(OUT, fixture_versions(), expected)


if __name__ == "__main__":
    main()
