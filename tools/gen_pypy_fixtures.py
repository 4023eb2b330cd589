#!/usr/bin/env python3
"""PyPy fixtures: tests/pypy/<X.Y>/NAME.pyc and what PyPy's own dis prints for each.

For every PyPy found on PATH (pypy3; its Python version must have a table in
tools/data/opcodes/pypyX.Y.json), every snippet of tests/snippets/ that compiles there is
compiled by that PyPy (py_compile, co_filename = NAME.py, source mtime fixed) into
tests/pypy/<X.Y>/NAME.pyc, and `dis.dis()` of the module code object, run by the same PyPy,
is written to NAME.dis.txt. crates/cli/tests/pypy.rs compares `bytescope dis` with them
(code-object addresses aside), on any machine.

Usage: tools/gen_pypy_fixtures.py [--check]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SNIPPETS = REPO / "tests" / "snippets"
OUT = REPO / "tests" / "pypy"
MTIME = 1700000000

WORKER = r"""
import dis, io, marshal, os, py_compile, sys, contextlib
src, pyc, name = sys.argv[1], sys.argv[2], sys.argv[3]
os.utime(src, (%d, %d))
py_compile.compile(src, cfile=pyc, dfile=name, doraise=True)
data = open(pyc, "rb").read()
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    dis.dis(marshal.loads(data[16:]))
sys.stdout.write(buf.getvalue())
""" % (MTIME, MTIME)


def pypys():
    out = []
    for name in ("pypy3",):
        exe = shutil.which(name)
        if not exe:
            continue
        r = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True)
        if r.returncode == 0 and (REPO / "tools" / "data" / "opcodes" /
                                  ("pypy%s.json" % r.stdout.strip())).exists():
            out.append((r.stdout.strip(), exe))
    return out


def build():
    files = {}
    for minor, exe in pypys():
        with tempfile.TemporaryDirectory() as tmp:
            for snippet in sorted(SNIPPETS.glob("*.py")):
                name = snippet.stem
                src = Path(tmp) / snippet.name
                src.write_bytes(snippet.read_bytes())
                pyc = Path(tmp) / (name + ".pyc")
                r = subprocess.run([exe, "-c", WORKER, str(src), str(pyc), snippet.name],
                                   capture_output=True)
                if r.returncode != 0:
                    continue  # syntax PyPy's Python does not have
                files["%s/%s.pyc" % (minor, name)] = pyc.read_bytes()
                files["%s/%s.dis.txt" % (minor, name)] = r.stdout
    return files


def masked(data):
    """Code-object addresses differ from run to run; --check ignores them."""
    return re.sub(rb" at 0x[0-9a-f]+", b" at 0x", data)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    files = build()
    if not files:
        raise SystemExit("no PyPy with a bytescope table found on PATH")
    bad = []
    for rel, data in sorted(files.items()):
        path = OUT / rel
        if args.check:
            if not path.exists() or masked(path.read_bytes()) != masked(data):
                bad.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if bad:
        raise SystemExit("out of date: %s" % ", ".join(bad))
    print("%s %d files under %s" % ("checked" if args.check else "wrote", len(files), os.path.relpath(OUT)))


if __name__ == "__main__":
    sys.exit(main())
