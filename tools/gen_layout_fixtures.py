#!/usr/bin/env python3
"""Synthetic .pyc files in code-object layouts no interpreter here writes.

Writes tests/layouts/NAME.pyc and tests/layouts/expected.json: each file holds
the code objects a real CPython compiled from tests/layouts/snippet2.py or
snippet3.py,
re-marshalled by hand in the field list of an older release or a pre-release
magic number (see Format::for_magic in crates/marshal/src/format.rs):

  1.5     (magic 20121)  argcount, nlocals, stacksize, flags as 16-bit ints; no
                          freevars/cellvars; 16-bit firstlineno
  2.1     (magic 60202)  16-bit ints, freevars and cellvars
  3.0a    (magic 3020)   before co_kwonlyargcount (3030)
  3.8a1   (magic 3401)   before co_posonlyargcount (3410)
  3.11a1  (magic 3450)   3.10's fields plus co_exceptiontable
  3.11a1  (magic 3452)   ... without co_nlocals
  3.11a1  (magic 3453)   localsplusnames/kinds replace varnames, freevars, cellvars
  3.11a1  (magic 3459)   ... plus co_endlinetable and co_columntable
  3.11a1  (magic 3460)   ... plus co_qualname

The code objects come from the interpreter named for each case (2.7 for the
16-bit layouts, 3.8 for 3401, 3.11 for the 3.11 alphas, 3.6 for 3020); every
object inside a code object is written by that interpreter's own marshal
(version 0 for 1.5/2.1, version 2 otherwise: no references, so each field
stands alone), so only the code-object framing is ours. The bytecode is the
donor's, not the pre-release's: these files test reading and writing the
layouts, not disassembly of alpha bytecode (3401 aside, whose opcodes are
3.8's). expected.json lists every code object's fields in pre-order as the
donor interpreter saw them.

Usage: tools/gen_layout_fixtures.py [--check]   (needs python2.7, 3.6, 3.8,
3.11 via pyenv or PATH; --check compares with the committed files)
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "oracle"))
import common  # noqa: E402

REPO = common.REPO
OUT = REPO / "tests" / "layouts"

# name -> (donor X.Y, magic, header length, marshal version for fields, field list);
# donors 2.7 and 3.6 compile snippet2.py, the others snippet3.py.
CASES = {
    "py15": ("2.7", 20121, 8, 0, "argcount:h nlocals:h stacksize:h flags:h code consts names varnames "
             "filename name firstlineno:h lnotab"),
    "py21": ("2.7", 60202, 8, 0, "argcount:h nlocals:h stacksize:h flags:h code consts names varnames "
             "freevars cellvars filename name firstlineno:h lnotab"),
    "py30a_3020": ("3.6", 3020, 8, 2, "argcount:i nlocals:i stacksize:i flags:i code consts names varnames "
                   "freevars cellvars filename name firstlineno:i lnotab"),
    "py38a1_3401": ("3.8", 3401, 16, 2, "argcount:i kwonlyargcount:i nlocals:i stacksize:i flags:i code consts "
                    "names varnames freevars cellvars filename name firstlineno:i lnotab"),
    "py311a1_3450": ("3.11", 3450, 16, 2, "argcount:i posonlyargcount:i kwonlyargcount:i nlocals:i stacksize:i "
                     "flags:i code consts names varnames freevars cellvars filename name firstlineno:i "
                     "linetable exceptiontable"),
    "py311a1_3452": ("3.11", 3452, 16, 2, "argcount:i posonlyargcount:i kwonlyargcount:i stacksize:i flags:i "
                     "code consts names varnames freevars cellvars filename name firstlineno:i linetable "
                     "exceptiontable"),
    "py311a1_3453": ("3.11", 3453, 16, 2, "argcount:i posonlyargcount:i kwonlyargcount:i stacksize:i flags:i "
                     "code consts names localsplusnames localspluskinds filename name firstlineno:i "
                     "linetable exceptiontable"),
    "py311a1_3459": ("3.11", 3459, 16, 2, "argcount:i posonlyargcount:i kwonlyargcount:i stacksize:i flags:i "
                     "code consts names localsplusnames localspluskinds filename name firstlineno:i "
                     "linetable endlinetable columntable exceptiontable"),
    "py311a1_3460": ("3.11", 3460, 16, 2, "argcount:i posonlyargcount:i kwonlyargcount:i stacksize:i flags:i "
                     "code consts names localsplusnames localspluskinds filename name qualname "
                     "firstlineno:i linetable endlinetable columntable exceptiontable"),
}

# Runs inside the donor (2.7 or 3.x): reads the job as JSON on stdin, prints
# {"pyc": hex, "codes": [...]} on stdout.
DONOR = r'''
import json, marshal, struct, sys
job = json.loads(sys.stdin.read())
src = open(job["snippet"]).read()
top = compile(src, "snippet.py", "exec")
fields = job["fields"].split()
mv = job["marshal_version"]
PY3 = sys.version_info[0] >= 3

def kinds(co):
    # 3.11's rule: arguments and locals first (an argument that is also a
    # cell once, as 0x60), then the other cells, then the free variables.
    names, ks = [], []
    for n in co.co_varnames:
        names.append(n)
        ks.append(0x60 if n in co.co_cellvars else 0x20)
    for n in co.co_cellvars:
        if n not in co.co_varnames:
            names.append(n)
            ks.append(0x40)
    for n in co.co_freevars:
        names.append(n)
        ks.append(0x80)
    return tuple(names), bytes(bytearray(ks))

def value(co, name):
    if name == "localsplusnames":
        return kinds(co)[0]
    if name == "localspluskinds":
        return kinds(co)[1]
    if name in ("lnotab", "linetable"):
        return co.co_lnotab if name == "lnotab" or not hasattr(co, "co_linetable") else co.co_linetable
    if name in ("endlinetable", "columntable"):
        return b""
    if name == "exceptiontable":
        return getattr(co, "co_exceptiontable", b"")
    if name == "nlocals":
        return co.co_nlocals
    return getattr(co, "co_" + name)

def dump(co, out, seen):
    out.append(b"c")
    for f in fields:
        name, _, kind = f.partition(":")
        if kind:
            out.append(struct.pack("<h" if kind == "h" else "<i", value(co, name)))
        elif name == "consts":
            consts = co.co_consts
            out.append(b"(" + struct.pack("<i", len(consts)))
            for c in consts:
                if hasattr(c, "co_code"):
                    dump(c, out, seen)
                else:
                    out.append(marshal.dumps(c, mv))
        else:
            out.append(marshal.dumps(value(co, name), mv))
    seen.append(co)

codes = []
def walk(co):
    e = {"name": co.co_name, "argcount": co.co_argcount, "nlocals": co.co_nlocals,
         "stacksize": co.co_stacksize, "flags": co.co_flags, "firstlineno": co.co_firstlineno,
         "names": list(co.co_names), "varnames": list(co.co_varnames),
         "freevars": list(co.co_freevars), "cellvars": list(co.co_cellvars),
         "code": co.co_code.hex() if PY3 else co.co_code.encode("hex")}
    e["kwonlyargcount"] = getattr(co, "co_kwonlyargcount", 0)
    e["posonlyargcount"] = getattr(co, "co_posonlyargcount", 0)
    e["qualname"] = getattr(co, "co_qualname", None)
    if "localsplusnames" in job["fields"]:
        names, ks = kinds(co)
        ks = bytearray(ks)
        e["cellvars"] = [n for n, k in zip(names, ks) if k & 0x40]
    codes.append(e)
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            walk(c)
walk(top)
out = []
dump(top, out, [])
body = b"".join(out)
sys.stdout.write(json.dumps({"body": body.hex() if PY3 else body.encode("hex"), "codes": codes}))
'''


def build():
    interps = {i.tag: i for i in common.discover()}
    files, expected = {}, {}
    for name, (donor, magic, hlen, mv, fields) in CASES.items():
        interp = interps.get(donor)
        if interp is None:
            raise SystemExit("needs Python %s" % donor)
        snippet = OUT / ("snippet2.py" if donor in ("2.7", "3.6") else "snippet3.py")
        job = json.dumps({"snippet": str(snippet), "fields": fields, "marshal_version": mv})
        out = subprocess.run([interp.path, "-c", DONOR], input=job, capture_output=True, text=True,
                             env=common.worker_env())
        if out.returncode != 0:
            raise SystemExit("%s: %s" % (name, out.stderr))
        res = json.loads(out.stdout)
        short = [f for f in fields.split() if f.endswith(":h")]
        codes = res["codes"]
        # Fields the layout does not hold read as 0 / absent.
        for c in codes:
            if "kwonlyargcount" not in fields:
                c["kwonlyargcount"] = 0
            if "posonlyargcount" not in fields:
                c["posonlyargcount"] = 0
            if "qualname" not in fields:
                c["qualname"] = None
            if "freevars" not in fields and "localsplusnames" not in fields:
                c["freevars"], c["cellvars"] = [], []
            if short:
                for k in ("argcount", "nlocals", "stacksize", "flags", "firstlineno"):
                    c[k] = (c[k] + 0x8000) % 0x10000 - 0x8000
        header = magic.to_bytes(2, "little") + b"\r\n" + bytes(hlen - 4)
        files[name + ".pyc"] = header + bytes.fromhex(res["body"])
        expected[name] = {"donor": interp.full, "magic": magic, "fields": fields, "codes": codes}
    files["expected.json"] = (json.dumps(expected, indent=1, sort_keys=True) + "\n").encode()
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    files = build()
    bad = []
    for name, data in sorted(files.items()):
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                bad.append(name)
        else:
            path.write_bytes(data)
    if bad:
        raise SystemExit("out of date: %s (run tools/gen_layout_fixtures.py)" % ", ".join(bad))
    print("%s %d files in %s" % ("checked" if args.check else "wrote", len(files), os.path.relpath(OUT)))


if __name__ == "__main__":
    main()
