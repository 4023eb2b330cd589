#!/usr/bin/env python3
"""Opt-in: `bytescope dis` against PyPy's own `dis` over the PyPy pycs on this machine.

Usage: tools/pypy_conformance.py [--pypy pypy3] [--bytescope PATH] [--limit N] [--show N] [ROOT ...]

Every ``*.pypyXY.pyc`` under the ROOTs (default: /usr/lib/pypy3.9 and
/usr/lib/python3/dist-packages, where Debian's pypy3 packages leave the pycs PyPy
compiled) whose tag matches the PyPy found is listed twice: by that PyPy
(``dis.dis`` of ``marshal.loads`` of the body, in one process) and by
``bytescope dis``. The two texts are compared with code-object addresses masked (where
CPython and PyPy print an address, bytescope prints the object's file offset).
Prints the counts and the first differing files (--show N); exit status 1 when any
differs. Figures go in docs/triage.md.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

WORKER = r"""
import dis, io, json, marshal, sys, contextlib
for line in sys.stdin:
    path = line.rstrip("\n")
    try:
        with open(path, "rb") as f:
            data = f.read()
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            dis.dis(marshal.loads(data[16:]))
        out = {"path": path, "text": buf.getvalue()}
    except Exception as e:
        out = {"path": path, "error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""


def masked(text):
    return re.sub(r" at 0x[0-9a-f]+", " at 0x", text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("roots", nargs="*", default=["/usr/lib/pypy3.9", "/usr/lib/python3/dist-packages"])
    ap.add_argument("--pypy", default="pypy3")
    ap.add_argument("--bytescope", default=str(REPO / "target" / "debug" / "bytescope"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show", type=int, default=5)
    args = ap.parse_args()
    pypy = shutil.which(args.pypy)
    if not pypy:
        raise SystemExit("no %s on PATH" % args.pypy)
    tag = subprocess.run([pypy, "-c", "import sys; print(sys.implementation.cache_tag)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    version = subprocess.run([pypy, "-c", "import sys; print(sys.version.replace(chr(10), ' '))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    files = []
    for root in args.roots:
        for dirpath, _, names in os.walk(root):
            files.extend(os.path.join(dirpath, n) for n in names if n.endswith(".%s.pyc" % tag))
    files.sort()
    if args.limit:
        files = files[:args.limit]
    if not files:
        raise SystemExit("no *.%s.pyc under %s" % (tag, ", ".join(args.roots)))
    r = subprocess.run([pypy, "-c", WORKER], input="".join(f + "\n" for f in files),
                       capture_output=True, text=True, check=True)
    oracle = {d["path"]: d for d in map(json.loads, r.stdout.splitlines())}
    same, differ, oracle_errors, ours_failed = 0, [], 0, []
    for f in files:
        want = oracle.get(f, {"error": "missing"})
        if "error" in want:
            oracle_errors += 1
            continue
        got = subprocess.run([args.bytescope, "dis", f], capture_output=True)
        if got.returncode != 0:
            ours_failed.append((f, got.stderr.decode("utf-8", "replace").strip()))
            continue
        if masked(got.stdout.decode("utf-8", "replace")) == masked(want["text"]):
            same += 1
        else:
            differ.append(f)
    compared = same + len(differ) + len(ours_failed)
    print("%s (%s): %d pycs, %d listed by PyPy's dis; bytescope identical on %d (%.2f%%), "
          "different on %d, failed on %d" % (
              tag, version, len(files), compared, same, 100.0 * same / max(compared, 1),
              len(differ), len(ours_failed)))
    for f in differ[:args.show]:
        print("differs: %s" % f)
    for f, err in ours_failed[:args.show]:
        print("failed: %s: %s" % (f, err))
    return 0 if not differ and not ours_failed else 1


if __name__ == "__main__":
    sys.exit(main())
