#!/usr/bin/env python3
"""Opt-in real-bundle check of bytescope's frozen-app reader against PyInstaller's own.

Usage:
  tools/frozen_real.py setup   [--lab DIR]          # venvs with PyInstaller from PyPI (needs network)
  tools/frozen_real.py build   [--lab DIR]          # build the bundles of every configuration
  tools/frozen_real.py check   [--lab DIR] [--cli PATH] [--json OUT]
  tools/frozen_real.py all     [--lab DIR] [--cli PATH]

The lab directory (default ``.frozen-lab`` at the repository root, gitignored)
holds one virtualenv per configuration, the sample application and the built
bundles. Every configuration (CONFIGS below) names a CPython under pyenv
(``$(pyenv root)/versions/X.Y.Z/bin/python``), a PyInstaller release from PyPI,
extra packages (tinyaes or pycryptodome for ``--key``), and the build modes:
onefile, onedir, and onefile with ``--key`` where that release still encrypts.

``check`` runs, for every bundle, a worker under the *bundle's own interpreter*
with *that PyInstaller's own readers* (``PyInstaller.archive.readers`` and the
PYZ reader of the same release) and records, for every CArchive entry and every
PYZ module, the sha256 of the bytes the reader returns (marshal data; for
encrypted PYZs the reader's decrypted code object is re-marshalled by the same
interpreter, which is byte-identical to the stored stream on these versions).
Then ``bytescope extract BUNDLE -o OUT --json`` runs and every module it wrote
is compared: the payload after the pyc header must hash the same, and the
header's magic must be the interpreter's ``importlib.util.MAGIC_NUMBER``.
Results are printed per configuration as a Markdown table (docs/frozen.md).

Nothing here is needed by ``cargo test``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name, python, pyinstaller requirement, extra packages, modes
CONFIGS = [
    ("pi6-py38", "3.8.18", "pyinstaller==6.22.3", [], ["onefile", "onedir"]),
    ("pi6-py310", "3.10.13", "pyinstaller==6.22.3", [], ["onefile"]),
    ("pi6-py311", "3.11.7", "pyinstaller==6.22.3", [], ["onefile"]),
    ("pi6-py312", "3.12.1", "pyinstaller==6.22.3", [], ["onefile", "onedir"]),
    ("pi6-py313", "3.13.0", "pyinstaller==6.22.3", [], ["onefile", "onedir"]),
    ("pi5-py38", "3.8.18", "pyinstaller==5.13.2", ["tinyaes==1.1.2"], ["onefile", "onedir", "key"]),
    ("pi4-py38", "3.8.18", "pyinstaller==4.10", ["tinyaes==1.1.2"], ["onefile", "key"]),
    ("pi3-py37", "3.7.16", "pyinstaller==3.6", ["pycryptodome"], ["onefile", "key"]),
]

APP = {
    "hello.py": "import sys\nimport mymod\nimport mypkg.inner\nimport nspkg.sub.leaf\n"
    "def main():\n    print(mymod.greet('world'), mypkg.inner.VALUE, nspkg.sub.leaf.LEAF, sys.version)\n"
    "if __name__ == '__main__':\n    main()\n",
    "mymod.py": "def greet(who):\n    return 'hello, ' + who\n",
    "mypkg/__init__.py": "PKG = 1\n",
    "mypkg/inner.py": "VALUE = [i * i for i in range(5)]\n",
    "nspkg/sub/leaf.py": "LEAF = {'a': 1}\n",
    "data.txt": "some data\n",
}


def pyenv_python(version: str) -> Path:
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    return Path(root) / "versions" / version / "bin" / "python"


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def setup(lab: Path) -> None:
    lab.mkdir(parents=True, exist_ok=True)
    for name, py, req, extra, _modes in CONFIGS:
        venv = lab / "venv" / name
        if (venv / "ok").exists():
            continue
        shutil.rmtree(venv, ignore_errors=True)
        run([pyenv_python(py), "-m", "venv", venv])
        pip = venv / "bin" / "pip"
        run([pip, "install", "-q", req, *extra])
        (venv / "ok").write_text("ok\n")


def write_app(lab: Path) -> Path:
    app = lab / "app"
    for rel, text in APP.items():
        p = app / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return app


def build(lab: Path) -> None:
    app = write_app(lab)
    for name, _py, _req, _extra, modes in CONFIGS:
        venv = lab / "venv" / name
        for mode in modes:
            out = lab / "out" / f"{name}-{mode}"
            target = bundle_path(lab, name, mode)
            if target.exists():
                continue
            shutil.rmtree(out, ignore_errors=True)
            args = [venv / "bin" / "pyinstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", out / "dist", "--workpath", out / "build", "--specpath", out,
                    "--add-data", f"{app / 'data.txt'}:.", "--paths", app]
            if mode in ("onefile", "key"):
                args.append("--onefile")
            if mode == "key":
                args += ["--key", "secretkey"]
            args.append(app / "hello.py")
            run(args, cwd=out.parent if out.parent.exists() else lab)


def bundle_path(lab: Path, name: str, mode: str) -> Path:
    dist = lab / "out" / f"{name}-{mode}" / "dist"
    return dist / "hello" if mode in ("onefile", "key") else dist / "hello" / "hello"


WORKER = r'''
import sys, json, hashlib, marshal, importlib.util, types
path, manifest = sys.argv[1], json.load(open(sys.argv[2]))
HL = 16 if sys.version_info >= (3, 7) else (12 if sys.version_info >= (3, 3) else 8)
res = {"total": 0, "identical": 0, "mismatches": [], "magic_ok": True, "key": None}
def ours(where, name):
    # Our file for this entry: the payload after its header, or None.
    p = manifest.get(where, {}).get(name)
    if p is None:
        return None
    data = open(p, "rb").read()
    if data[:4] != importlib.util.MAGIC_NUMBER:
        res["magic_ok"] = False
    return data[HL:]
def strip(data):
    # m entries are complete pycs up to PyInstaller 5.2, headerless after.
    return data[HL:] if data[2:4] == b"\r\n" else data
def record(name, same):
    res["total"] += 1
    if same:
        res["identical"] += 1
    else:
        res["mismatches"].append(name)
import PyInstaller
from PyInstaller.archive.readers import CArchiveReader
new_api = tuple(int(x) for x in PyInstaller.__version__.split(".")[:2]) >= (5, 13)
a = CArchiveReader(path)
if new_api:
    toc = [(name, tc) for name, (off, clen, ulen, cflag, tc) in a.toc.items()]
    get = lambda name: a.extract(name)
else:
    toc = [(name, tc) for (dpos, dlen, ulen, flag, tc, name) in a.toc.data]
    get = lambda name: a.extract(name)[1]
# The key module, as the bootloader would import it (PyInstaller's readers
# look it up in sys.modules).
if any(name == "pyimod00_crypto_key" for name, tc in toc):
    ns = {}
    exec(marshal.loads(strip(get("pyimod00_crypto_key"))), ns)
    mod = types.ModuleType("pyimod00_crypto_key")
    mod.key = ns["key"]
    sys.modules["pyimod00_crypto_key"] = mod
    res["key"] = ns["key"]
for name, tc in toc:
    if tc in "smM":
        record(name, ours("carchive", name) == strip(get(name)))
    elif tc == "z":
        if new_api:
            pyz = a.open_embedded_archive(name)
            for mod, (typ, pos, ln) in pyz.toc.items():
                if ln == 0:
                    continue
                raw = pyz.extract(mod, raw=True)
                mine = ours("pyz", mod)
                if typ == 2:
                    p = manifest.get("pyz", {}).get(mod)
                    record(mod, p is not None and open(p, "rb").read() == raw)
                else:
                    record(mod, mine == raw)
        else:
            # <= 5.12: the reader returns code objects (decrypted and
            # unmarshalled); ours are unmarshalled here and compared with ==.
            from PyInstaller.loader import pyimod02_archive
            dpos = [e for e in a.toc.data if e[5] == name][0][0]
            pyz = pyimod02_archive.ZlibArchiveReader(path, a.pkg_start + dpos)
            try:
                import Crypto.Cipher.AES as _aes  # PyInstaller 3.x drops it from sys.modules
                sys.modules["Crypto.Cipher.AES"] = _aes
            except ImportError:
                pass
            c = getattr(pyz, "cipher", None)
            if c is not None and hasattr(c, "_aes") and isinstance(getattr(c, "key", None), str):
                c.key = c.key.encode()  # PyCrypto took str keys; pycryptodome wants bytes
            for mod in dict(pyz.toc):
                typ, obj = pyz.extract(mod)
                if isinstance(obj, bytes):
                    p = manifest.get("pyz", {}).get(mod)
                    record(mod, p is not None and open(p, "rb").read() == obj)
                else:
                    mine = ours("pyz", mod)
                    record(mod, mine is not None and marshal.loads(mine) == obj)
json.dump(res, sys.stdout)
'''


def oracle(lab: Path, name: str, bundle: Path, manifest: Path) -> dict:
    venv = lab / "venv" / name
    r = subprocess.run([venv / "bin" / "python", "-c", WORKER, bundle, manifest], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"oracle failed on {bundle}:\n{r.stderr}")
    return json.loads(r.stdout)


def check(lab: Path, cli: Path, json_out: Path | None) -> int:
    rows = []
    failures = 0
    for name, py, req, _extra, modes in CONFIGS:
        for mode in modes:
            bundle = bundle_path(lab, name, mode)
            if not bundle.exists():
                print(f"{name} {mode}: not built, skipped")
                continue
            outdir = lab / "extract" / f"{name}-{mode}"
            shutil.rmtree(outdir, ignore_errors=True)
            r = subprocess.run([cli, "extract", bundle, "-o", outdir, "--json"], capture_output=True, text=True)
            manifest: dict[str, dict[str, str]] = {}
            for line in r.stdout.splitlines():
                rec = json.loads(line)
                if rec.get("type") == "entry" and rec.get("output"):
                    manifest.setdefault(rec["archive"], {})[rec["name"]] = str(outdir / rec["output"])
            mpath = lab / "extract" / f"{name}-{mode}.manifest.json"
            mpath.write_text(json.dumps(manifest))
            got = oracle(lab, name, bundle, mpath)
            total, same = got["total"], got["identical"]
            ok = same == total and got["magic_ok"] and r.returncode == 0
            failures += not ok
            rows.append({"config": name, "python": py, "pyinstaller": req.split("==")[1], "mode": mode,
                         "objects": total, "identical": same, "magic_ok": got["magic_ok"], "key": got["key"],
                         "exit": r.returncode, "mismatches": got["mismatches"][:10]})
            print(f"{name} {mode}: {same}/{total} identical, magic {'ok' if got['magic_ok'] else 'WRONG'}, "
                  f"exit {r.returncode}" + (f", first mismatches {got['mismatches'][:5]}" if got["mismatches"] else ""),
                  flush=True)
            if r.returncode != 0:
                print(r.stderr[:2000])
    print()
    print("| PyInstaller | CPython | mode | objects | identical | pyc magic |")
    print("|---|---|---|---:|---:|---|")
    for row in rows:
        print(f"| {row['pyinstaller']} | {row['python']} | {row['mode']} | {row['objects']} | "
              f"{row['identical']} ({100.0 * row['identical'] / max(row['objects'], 1):.0f}%) | "
              f"{'= MAGIC_NUMBER' if row['magic_ok'] else 'WRONG'} |")
    if json_out:
        json_out.write_text(json.dumps(rows, indent=1) + "\n")
    return 1 if failures else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["setup", "build", "check", "all"])
    ap.add_argument("--lab", type=Path, default=ROOT / ".frozen-lab")
    ap.add_argument("--cli", type=Path, default=ROOT / "target" / "release" / "bytescope")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    lab = a.lab.resolve()
    if a.step in ("setup", "all"):
        setup(lab)
    if a.step in ("build", "all"):
        build(lab)
    if a.step in ("check", "all"):
        return check(lab, a.cli.resolve(), a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
