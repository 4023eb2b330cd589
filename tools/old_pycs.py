#!/usr/bin/env python3
"""Opt-in: bytescope over real pycs of CPython 1.x and 2.0-2.6 (and PyPy) from public test corpora.

No interpreter of 1.5-2.6 exists here, so the oracle is the files themselves: each pyc was
written by a real old CPython, and its code objects carry that compiler's co_stacksize. For
every pyc found, grouped by the version its magic number names (`bytescope header --json`),
this reports:

  files      distinct pycs (by sha256) of that version
  listed     files `bytescope dis` lists (exit 0)
  codes      code objects `bytescope check --json` reports on
  findings   code objects with any finding (unknown opcode, jump target out of the code or
             inside an instruction, argument out of range, stack underflow, co_stacksize
             smaller than the code needs, ...)
  exact      code objects whose co_stacksize bytescope's stack model computes exactly
  unknown    instructions listed as <N> (a number the version's table does not name)

PyPy pycs are listed too (the analyses model CPython's compilers only, so for them only
"listed" and "unknown" count).

The corpora are the PyPI source distributions of the decompiler projects uncompyle6 and xdis
(GPL: downloaded at run time with `pip download` into a temporary directory, read as input
only, never copied into this repository). With --dir, pycs under the given directories are
used instead (nothing is downloaded).

Usage: tools/old_pycs.py [--bytescope PATH] [--dir DIR ...] [--keep]
"""
import argparse
import collections
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ["uncompyle6", "xdis"]


def download(dest):
    dirs = []
    for pkg in PACKAGES:
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                            ":all:", "-d", dest, pkg], capture_output=True, text=True)
        if r.returncode != 0:
            print("warning: could not download %s: %s" % (pkg, r.stderr.strip()[-300:]),
                  file=sys.stderr)
    for sdist in sorted(glob.glob(os.path.join(dest, "*.tar.gz"))):
        out = sdist[:-len(".tar.gz")]
        with tarfile.open(sdist) as tf:
            members = [m for m in tf.getmembers()
                       if m.isfile() and m.name.endswith((".pyc", ".pyo"))
                       and not m.name.startswith(("/", "..")) and ".." not in m.name.split("/")]
            tf.extractall(out, members=members)
        dirs.append(out)
    return dirs


def pycs(dirs):
    """Distinct pycs under dirs. pytest's assertion-rewrite caches (NAME.cpython-XY-PYTEST.pyc)
    are left out: pytest writes them with a 12-byte header whatever the version, so they are
    not files CPython wrote."""
    seen = {}
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "**", "*.py[co]"), recursive=True)):
            if path.endswith("-PYTEST.pyc"):
                continue
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            seen.setdefault(digest, path)
    return sorted(seen.values())


# An instruction whose opcode the table does not name: `<N>` where the name goes.
UNKNOWN = re.compile(r"^.{8,}? \d+ <\d+>", re.M)


def run(bs, args):
    return subprocess.run([bs] + args, capture_output=True, text=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bytescope", default=os.path.join(ROOT, "target", "release", "bytescope"))
    ap.add_argument("--dir", action="append", help="read pycs under DIR (no download)")
    ap.add_argument("--keep", action="store_true", help="keep the downloaded files")
    args = ap.parse_args(argv)
    bs = args.bytescope
    if not os.path.exists(bs):
        bs = os.path.join(ROOT, "target", "debug", "bytescope")
    tmp = None
    if args.dir:
        dirs = args.dir
    else:
        tmp = tempfile.mkdtemp(prefix="bytescope-old-pycs-")
        dirs = download(tmp)
    try:
        stats = collections.defaultdict(collections.Counter)
        kinds = collections.defaultdict(collections.Counter)
        for path in pycs(dirs):
            h = run(bs, ["header", "--json", path])
            try:
                hdr = json.loads(h.stdout)
                version = hdr["version"] + (" (%s)" % hdr["implementation"]
                                            if hdr.get("implementation", "CPython") != "CPython" else "")
            except (ValueError, KeyError):
                version = "unreadable header"
            major = version.split(".")[0]
            if not (major == "1" or version.startswith("2.") and version[:3] < "2.7"
                    or "PyPy" in version):
                continue
            s = stats[version]
            s["files"] += 1
            d = run(bs, ["dis", path])
            if d.returncode == 0:
                s["listed"] += 1
                s["unknown"] += len(UNKNOWN.findall(d.stdout))
            c = run(bs, ["check", "--json", path])
            if not c.stdout.strip():
                kinds[version]["error: " + c.stderr.strip().split(": ")[-1][:80]] += 1
            for line in c.stdout.splitlines():
                rec = json.loads(line)
                s["codes"] += 1
                if rec["findings"]:
                    s["findings"] += 1
                    for f in rec["findings"]:
                        kinds[version][f["kind"]] += 1
                if rec.get("computed_stacksize") == rec.get("co_stacksize"):
                    s["exact"] += 1
        print("| version | files | listed | `<N>` listed | code objects | with findings | co_stacksize exact |")
        print("|---|---|---|---|---|---|---|")
        for v in sorted(stats):
            s = stats[v]
            exact = "%d (%.1f%%)" % (s["exact"], 100.0 * s["exact"] / s["codes"]) if s["codes"] else "-"
            print("| %s | %d | %d | %d | %d | %d | %s |" % (v, s["files"], s["listed"], s["unknown"],
                                                          s["codes"], s["findings"], exact))
        for v in sorted(kinds):
            for k, n in kinds[v].most_common():
                print("%s: %d x %s" % (v, n, k), file=sys.stderr)
    finally:
        if tmp and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
