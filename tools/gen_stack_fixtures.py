#!/usr/bin/env python3
"""Compile crates/analysis/tests/snippets/*.py with every CPython found here.

Writes crates/analysis/tests/fixtures/<X.Y>/<name>.pyc (2.7 and 3.6-3.15), the bytes
importlib would write (mtime 1700000000, the real source size; co_filename the bare file
name). The pycs carry CPython's own co_stacksize for every code object: the analysis tests
compare with it, and snapshot the symbolic stack of the same code.

Modes: (no flag) regenerate; --check: fail if a committed file differs.
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_opcodes  # noqa: E402

ROOT = gen_opcodes.ROOT
SNIPPETS = os.path.join(ROOT, "crates", "analysis", "tests", "snippets")
OUT = os.path.join(ROOT, "crates", "analysis", "tests", "fixtures")

# Runs inside each interpreter (2.7 too): prints the pyc bytes as hex.
WORKER = r'''
import sys, marshal, struct, binascii
path, name = sys.argv[1], sys.argv[2]
src = open(path, "rb").read()
code = compile(src, name, "exec", 0, True)
if sys.version_info >= (3, 7):
    import importlib._bootstrap_external as be
    data = be._code_to_timestamp_pyc(code, 1700000000, len(src))
else:
    import imp
    data = imp.get_magic() + struct.pack("<I", 1700000000)
    if sys.version_info >= (3, 3):
        data += struct.pack("<I", len(src) & 0xFFFFFFFF)
    data += marshal.dumps(code)
sys.stdout.write(binascii.hexlify(data).decode("ascii"))
'''


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    found = gen_opcodes.find_interpreters()
    bad = []
    for minor in sorted(found, key=gen_opcodes.sem.vkey):
        if minor != "2.7" and gen_opcodes.sem.vkey(minor) < gen_opcodes.sem.vkey("3.6"):
            continue
        exe, full = found[minor]
        for snippet in sorted(os.listdir(SNIPPETS)):
            if not snippet.endswith(".py"):
                continue
            env = dict(os.environ, PYTHONHASHSEED="0")
            r = subprocess.run([exe, "-E", "-c", WORKER, os.path.join(SNIPPETS, snippet), snippet],
                               capture_output=True, text=True, env=env, timeout=120)
            if r.returncode != 0:
                raise SystemExit("%s %s: %s" % (minor, snippet, r.stderr))
            data = bytes.fromhex(r.stdout)
            path = os.path.join(OUT, minor, snippet[:-3] + ".pyc")
            old = open(path, "rb").read() if os.path.exists(path) else None
            if args.check:
                if old != data:
                    bad.append(path)
            elif old != data:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
                print("wrote", os.path.relpath(path, ROOT))
    for p in bad:
        print("out of date: %s" % os.path.relpath(p, ROOT), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
