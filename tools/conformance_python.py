#!/usr/bin/env python3
"""Conformance of the Python package against every interpreter here (opt-in).

Usage:
    python3 tools/conformance_python.py [--python 3.12 ...] [--limit N] [--wheel PATH] [--test-dis]

1. Builds the abi3 wheel once (``maturin build --release``; or ``--wheel``).
2. For every interpreter the wheel supports that is found (pyenv 3.9-3.13, python3.14,
   python3.15 on PATH; or each ``--python``): a virtual environment
   ``.conformance/python/venv-X.Y`` with the wheel installed (an interpreter without
   ``ensurepip`` gets the unpacked wheel on ``PYTHONPATH`` instead).
3. Runs tools/oracle/python_worker.py there over that interpreter's whole standard library
   (every .py under ``sysconfig.get_paths()['stdlib']``, site-packages excluded; files it
   cannot compile skipped): per file and view, whether bytescope agrees with the interpreter
   itself (see the worker's docstring for the views).
4. With ``--test-dis``, runs the interpreter's own ``Lib/test/test_dis.py`` with
   ``bytescope.dis`` put in place of ``dis`` and counts passes and failures by class.
5. Prints a Markdown table (version x view, % of files identical) and writes
   ``.conformance/python/summary.json`` with the first differences per view.

With ``--cross-host [--limit N]`` it instead compares from this one host (``python3``, the
wheel in its own venv) every target version's pycs with that target's own outputs: it runs
tools/conformance.py (the CLI's whole-stdlib harness: each interpreter compiles its standard
library and records every view, cached in .conformance/X.Y/) with ``--cli`` pointing at
tools/oracle/python_cli.py, which renders each view through the Python package.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / ".conformance" / "python"
WORKER = REPO / "tools" / "oracle" / "python_worker.py"
TESTDIS = REPO / "tools" / "oracle" / "python_test_dis.py"
VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]


def find(xy):
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip() or os.path.expanduser(
        "~/.pyenv")
    cands = sorted(glob.glob(os.path.join(root, "versions", xy + ".*", "bin", "python")))
    cands = [c for c in cands if Path(c).parts[-3].count(".") == 2 and Path(c).parts[-3].startswith(xy + ".")]
    if cands:
        return cands[-1]
    return shutil.which("python" + xy)


def build_wheel():
    out = OUT / "wheel"
    shutil.rmtree(out, ignore_errors=True)
    venv = OUT / "venv-build"
    if not (venv / "bin" / "maturin").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "maturin"], check=True)
    subprocess.run([str(venv / "bin" / "maturin"), "build", "--release", "-q", "-m",
                    str(REPO / "crates" / "python" / "Cargo.toml"), "-o", str(out)], check=True)
    return str(next(out.glob("*.whl")))


def install(xy, exe, wheel):
    """(python, env) with the wheel importable."""
    venv = OUT / f"venv-{xy}"
    r = subprocess.run([exe, "-m", "venv", "--clear", str(venv)], capture_output=True, text=True)
    if r.returncode == 0 and (venv / "bin" / "pip").exists():
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "--force-reinstall", "--no-deps", wheel], check=True)
        return str(venv / "bin" / "python"), dict(os.environ)
    # No ensurepip (some distribution builds): the wheel unpacked on PYTHONPATH.
    site = OUT / f"site-{xy}"
    shutil.rmtree(site, ignore_errors=True)
    zipfile.ZipFile(wheel).extractall(site)
    env = dict(os.environ, PYTHONPATH=str(site))
    return exe, env


def stdlib_files(py, env, limit):
    code = ("import os,sys,sysconfig;s=sysconfig.get_paths()['stdlib'];r=[]\n"
            "for d,ds,fs in os.walk(s):\n"
            " ds[:]=sorted(x for x in ds if x not in ('site-packages','dist-packages','__pycache__'))\n"
            " r+=[os.path.join(d,f) for f in sorted(fs) if f.endswith('.py')]\n"
            "print('\\n'.join(p+'\\t'+os.path.relpath(p,s) for p in sorted(r)))")
    out = subprocess.run([py, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    lines = [x for x in out.splitlines() if x]
    return lines[:limit] if limit else lines


def run_version(xy, exe, wheel, limit, test_dis):
    py, env = install(xy, exe, wheel)
    files = stdlib_files(py, env, limit)
    listing = OUT / f"files-{xy}.txt"
    listing.write_text("\n".join(files) + "\n", encoding="utf-8")
    result = OUT / f"result-{xy}.json"
    # Hash seed 0, as the fixtures and tools/conformance.py use: the order a frozenset of
    # strings prints in depends on the process's string hashes, so with a random seed CPython's
    # own dis prints it differently from run to run.
    env = dict(env, PYTHONHASHSEED="0")
    subprocess.run([py, "-W", "ignore", str(WORKER), str(listing), str(result)], env=env, check=True,
                   cwd=str(OUT))
    res = json.loads(result.read_text())
    if test_dis:
        r = subprocess.run([py, str(TESTDIS)], env=env, capture_output=True, text=True, cwd=str(OUT))
        try:
            res["test_dis"] = json.loads(r.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            res["test_dis"] = {"error": (r.stderr or r.stdout)[-2000:]}
    return res


def cross_host(wheel, args):
    host = "%d.%d" % sys.version_info[:2]
    py, env = install("host-" + host, sys.executable, wheel)
    wrapper = OUT / "bytescope-python-cli"
    path = env.get("PYTHONPATH")
    # Hash seed 0, as the oracle ran: frozensets of strings print in hash order.
    wrapper.write_text("#!/bin/sh\nexport PYTHONHASHSEED=0\n" + (f"export PYTHONPATH='{path}'\n" if path else "")
                       + f"exec '{py}' '{REPO / 'tools' / 'oracle' / 'python_cli.py'}' \"$@\"\n")
    wrapper.chmod(0o755)
    views = "header,attrs,info,dis,dis-caches,dis-offsets,dis-positions,instructions,lines,positions," \
            "exceptions,linestarts"
    cmd = [sys.executable, str(REPO / "tools" / "conformance.py"), "--cli", str(wrapper), "--views", views,
           "--jobs", "1"]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    if args.python:
        cmd += ["--python", *args.python]
    return subprocess.run(cmd, cwd=str(REPO)).returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", action="append", help="X.Y (default: every version found)")
    ap.add_argument("--limit", type=int, default=0, help="first N stdlib files only")
    ap.add_argument("--wheel")
    ap.add_argument("--test-dis", action="store_true")
    ap.add_argument("--cross-host", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    wheel = args.wheel or build_wheel()
    if args.cross_host:
        return cross_host(wheel, args)
    path = OUT / "summary.json"
    summary = json.loads(path.read_text()) if path.exists() else {}
    for xy in args.python or VERSIONS:
        exe = find(xy)
        if not exe:
            print(f"[{xy}] no interpreter found", file=sys.stderr)
            continue
        print(f"[{xy}] {exe} ...", file=sys.stderr)
        summary[xy] = run_version(xy, exe, wheel, args.limit, args.test_dis)
        (OUT / "summary.json").write_text(json.dumps(summary, indent=1))
    views = ["attrs", "info", "dis", "instructions", "lines", "positions", "linestarts", "adaptive"]
    print("| version | files | " + " | ".join(views) + " |")
    print("|---|---|" + "---|" * len(views))
    for xy, res in sorted(summary.items(), key=lambda kv: tuple(map(int, kv[0].split(".")))):
        cells = []
        for v in views:
            t = res["views"].get(v)
            cells.append("—" if not t else "%.1f%%" % (100.0 * t["same"] / max(t["files"], 1))
                         if t["same"] != t["files"] else "100%")
        n = max(t["files"] for t in res["views"].values())
        print(f"| {xy} ({res['python']}) | {n} | " + " | ".join(cells) + " |")
    for xy, res in summary.items():
        for v, t in res["views"].items():
            for rel, why in t["diffs"][:3]:
                print(f"  {xy} {v}: {rel}: {why}", file=sys.stderr)
        if "test_dis" in res:
            print(f"  {xy} test_dis: {res['test_dis']}", file=sys.stderr)


if __name__ == "__main__":
    main()
