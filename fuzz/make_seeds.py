#!/usr/bin/env python3
"""Rebuild fuzz/seeds/<target>/ from a small subset of tests/fixtures/*/*.pyc.

Usage: fuzz/make_seeds.py

Each seed is laid out as its target expects (see fuzz/src/lib.rs):

  header, pyc   the .pyc file as is
  marshal       version byte (index into PythonVersion::ALL), marshal data
  dis           version byte (index into DIS_VERSIONS), options byte, marshal data
  stack         version byte (index into STACK_VERSIONS, the same order as DIS_VERSIONS),
                marshal data; also crates/analysis/tests/fixtures/*/stack_example.pyc
  tables        version byte, co_firstlineno (i32 LE), len(co_code) (u16 LE), table
  archive       a zip archive (made here with CPython's zipfile): stored and
                deflated members, a nested zip, zip64 records, a prefix,
                duplicate names, a directory entry, a pure-Python wheel

The tables seeds need each code object's line and exception tables, which the
CPython that wrote the fixture extracts (tools/oracle/common.py finds the
interpreters); versions without an interpreter get no tables seeds.
"""
import io
import json
import shutil
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
sys.path.insert(0, str(REPO / "tools" / "oracle"))
import common  # noqa: E402

# PythonVersion::ALL order.
ALL = ["1.5", "1.6"] + ["2.%d" % i for i in range(8)] + ["3.%d" % i for i in range(16)]
# DIS_VERSIONS order: the transcribed 1.5 and 2.0-2.6 tables come last.
DIS = ["2.7"] + ["3.%d" % i for i in range(16)] + ["1.5"] + ["2.%d" % i for i in range(7)]
PICKS = ["constants", "closures", "exceptions", "slices", "py2_literals", "py2_exceptions"]

DUMP = r"""
import marshal, sys, json, binascii
hx = lambda b: binascii.hexlify(bytes(b)).decode('ascii')
data = open(sys.argv[1], 'rb').read()
hl = 8 if sys.version_info < (3, 3) else 12 if sys.version_info < (3, 7) else 16
out = []
def walk(co):
    lt = getattr(co, 'co_linetable', None)
    if lt is None or sys.version_info < (3, 10):
        lt = co.co_lnotab
    et = getattr(co, 'co_exceptiontable', b'')
    out.append([co.co_firstlineno, len(co.co_code), hx(lt), hx(et)])
    for c in co.co_consts:
        if hasattr(c, 'co_code'):
            walk(c)
walk(marshal.loads(data[hl:]))
print(json.dumps(out))
"""


def header_len(version):
    major, minor = (int(x) for x in version.split("."))
    return 8 if (major, minor) < (3, 3) else 12 if (major, minor) < (3, 7) else 16


def main():
    seeds = FUZZ / "seeds"
    # Only the targets made here (seeds/frozen comes from tools/gen_frozen_fixtures.py).
    for t in ("header", "marshal", "tables", "dis", "pyc", "archive", "stack", "detect"):
        if (seeds / t).exists():
            shutil.rmtree(seeds / t)
        (seeds / t).mkdir(parents=True)
    interps = {"%d.%d" % i.version: i.path for i in common.discover()}
    for vdir in sorted((REPO / "tests" / "fixtures").iterdir()):
        if not vdir.is_dir():
            continue
        v = vdir.name
        for name in PICKS:
            f = vdir / (name + ".pyc")
            if not f.exists():
                continue
            data = f.read_bytes()
            tag = "%s-%s" % (v, name)
            body = data[header_len(v):]
            (seeds / "header" / tag).write_bytes(data[:32])
            (seeds / "pyc" / tag).write_bytes(data)
            (seeds / "marshal" / tag).write_bytes(bytes([ALL.index(v)]) + body)
            vt = tuple(int(x) for x in v.split("."))
            opts = 7 if vt >= (3, 14) else 3 if vt >= (3, 13) else 1 if vt >= (3, 11) else 0
            (seeds / "dis" / tag).write_bytes(bytes([DIS.index(v), opts]) + body)
            # detect: detection (selector 0), and a given version (selector 1,
            # then the candidate index) over the same data.
            (seeds / "detect" / tag).write_bytes(b"\x00" + body)
            (seeds / "detect" / (tag + "-given")).write_bytes(bytes([1, DIS.index(v)]) + body)
            (seeds / "stack" / tag).write_bytes(bytes([DIS.index(v)]) + body)
            if v in interps:
                out = subprocess.run([interps[v], "-c", DUMP, str(f)], capture_output=True, check=True)
                for i, (first, code_len, lt, et) in enumerate(json.loads(out.stdout)[:3]):
                    head = bytes([ALL.index(v)]) + struct.pack("<iH", first, min(code_len, 0xFFFE))
                    (seeds / "tables" / ("%s-%d-lines" % (tag, i))).write_bytes(head + bytes.fromhex(lt))
                    if et:
                        (seeds / "tables" / ("%s-%d-exc" % (tag, i))).write_bytes(head + bytes.fromhex(et))
    # Other implementations and layouts read by magic: PyPy's pycs (its own
    # opcode table) and the synthetic old and pre-release layouts.
    for f in sorted((REPO / "tests" / "pypy").glob("*/*.pyc"))[:4]:
        (seeds / "pyc" / ("pypy%s-%s" % (f.parent.name, f.stem))).write_bytes(f.read_bytes())
    for f in sorted((REPO / "tests" / "layouts").glob("*.pyc")):
        (seeds / "pyc" / ("layout-" + f.stem)).write_bytes(f.read_bytes())
    # 1.5 and 2.1-2.6: the hand-assembled pycs of tests/old (tools/gen_old_fixtures.py).
    for f in sorted((REPO / "tests" / "old").glob("*.pyc")):
        data = f.read_bytes()
        (seeds / "pyc" / ("old-" + f.stem)).write_bytes(data)
        if f.stem.startswith("pypy"):
            continue  # the dis and stack targets pick CPython's tables
        v = "%s.%s" % (f.stem[2], f.stem[3])
        (seeds / "dis" / ("old-" + f.stem)).write_bytes(bytes([DIS.index(v), 0]) + data[8:])
        (seeds / "stack" / ("old-" + f.stem)).write_bytes(bytes([DIS.index(v)]) + data[8:])
    for f in sorted((REPO / "crates" / "analysis" / "tests" / "fixtures").glob("*/stack_example.pyc")):
        v = f.parent.name
        body = f.read_bytes()[header_len(v):]
        (seeds / "stack" / ("%s-stack_example" % v)).write_bytes(bytes([DIS.index(v)]) + body)
    archives(seeds / "archive")
    for t in sorted(seeds.iterdir()):
        print("%s: %d seeds" % (t.name, len(list(t.iterdir()))))


def make_zip(members, compression=zipfile.ZIP_DEFLATED, zip64=False, prefix=b""):
    buf = io.BytesIO()
    buf.write(prefix)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point
        with zipfile.ZipFile(buf, "w", compression) as z:
            for name, data in members:
                if name.endswith("/"):
                    z.writestr(name, b"")
                else:
                    with z.open(name, "w", force_zip64=zip64) as f:
                        f.write(data)
    return buf.getvalue()


def archives(out):
    fx = REPO / "tests" / "fixtures"
    a = (fx / "3.12" / "constants.pyc").read_bytes()
    b = (fx / "2.7" / "py2_literals.pyc").read_bytes()
    inner = make_zip([("m.pyc", b)])
    seeds = {
        "wheel": make_zip([("pkg/", b""), ("pkg/__init__.pyc", a), ("pkg-1.0.dist-info/RECORD", b"x")]),
        "stored": make_zip([("a.pyc", a), ("b.pyo", b)], zipfile.ZIP_STORED),
        "nested": make_zip([("inner.zip", inner), ("outer.pyc", b)], zipfile.ZIP_STORED),
        "nested-deflated": make_zip([("lib/inner.whl", inner)]),
        "zip64": make_zip([("a.pyc", a)], zip64=True),
        "prefixed": make_zip([("__main__.pyc", b)], prefix=b"#!/usr/bin/env python3\n"),
        "duplicates": make_zip([("a.pyc", a), ("a.pyc", b)]),
        "pure": make_zip([("pure/__init__.py", b"x = 1\n")]),
        "empty": make_zip([]),
    }
    for name, data in seeds.items():
        (out / name).write_bytes(data)


if __name__ == "__main__":
    main()
