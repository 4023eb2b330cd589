# -*- coding: utf-8 -*-
"""bytescope write-path oracle: runs *inside* the CPython being used as ground truth.

Must stay valid Python 2.7 and 3.x (no f-strings), stdlib only. Started by
``tools/gen_write_vectors.py``; prints one JSON document on stdout.

Modes (``python write_worker.py MODE``):

  replace   compile a small module, pick three code objects (the module, a
            function whose argument is a cell, a closure with a free variable),
            apply a fixed list of field changes to each through the
            ``types.CodeType`` constructor and (3.8+) ``code.replace``, and
            record what the interpreter does: the exception (type and message)
            or the fields of the result that differ from the base's (see
            ``summary``). Each call runs in a forked child: 3.8 aborts on some.
  tables    read "PYC" paths from stdin (pycs this interpreter wrote) and record
            per code object what the table encoders must reproduce.
"""
import binascii
import hashlib
import json
import marshal
import sys
import types

PY = sys.version_info[:2]
PY2 = PY[0] == 2


def hexs(b):
    h = binascii.hexlify(b)
    return h if PY2 else h.decode("ascii")


SOURCE3 = """\
def outer(a, b=2, *args, **kw):
    c = a + b
    def inner(d):
        return a + c + d
    return inner
squares = [x * x for x in range(3)]
"""

SOURCE2 = """\
def outer(a, b=2, *args, **kw):
    c = a + b
    def inner(d):
        return a + c + d
    return inner
squares = [x * x for x in range(3)]
"""

# Constructor argument order (types.CodeType) of 2.7 and 3.0-3.7; 3.8+ use replace().
CTOR27 = ["co_argcount", "co_nlocals", "co_stacksize", "co_flags", "co_code", "co_consts",
          "co_names", "co_varnames", "co_filename", "co_name", "co_firstlineno", "co_lnotab",
          "co_freevars", "co_cellvars"]
CTOR30 = CTOR27[:1] + ["co_kwonlyargcount"] + CTOR27[1:]
CTOR38 = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize",
          "co_flags", "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_name",
          "co_firstlineno", "co_lnotab", "co_freevars", "co_cellvars"]
CTOR310 = [("co_linetable" if f == "co_lnotab" else f) for f in CTOR38]
CTOR311 = CTOR38[:12] + ["co_qualname", "co_firstlineno", "co_linetable", "co_exceptiontable",
                         "co_freevars", "co_cellvars"]


def walk(co):
    out = [co]
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            out.extend(walk(c))
    return out


# --------------------------------------------------------------------------
# a minimal marshal walker: finds co_localspluskinds (3.11+)
# --------------------------------------------------------------------------
def localspluskinds(data):
    """The co_localspluskinds of the root code object of marshal ``data``."""
    import struct
    pos = [0]
    refs = []

    def byte():
        b = data[pos[0]]
        pos[0] += 1
        return b if not PY2 else ord(b)

    def i32():
        v = struct.unpack("<i", data[pos[0]:pos[0] + 4])[0]
        pos[0] += 4
        return v

    def take(n):
        v = data[pos[0]:pos[0] + n]
        pos[0] += n
        return v

    def obj():
        code = byte()
        flag = code & 0x80
        t = chr(code & 0x7f)
        slot = None
        if flag:
            slot = len(refs)
            refs.append(None)
        if t in "NFTS.0":
            v = t
        elif t == "i":
            v = i32()
        elif t == "g":
            v = take(8)
        elif t == "y":
            v = take(16)
        elif t == "l":
            n = i32()
            v = take(2 * abs(n))
        elif t in "suatA":
            v = take(i32())
        elif t in "zZ":
            v = take(byte())
        elif t == "r":
            return refs[i32()]
        elif t in "([<>":
            v = tuple(obj() for _ in range(i32()))
        elif t == ")":
            v = tuple(obj() for _ in range(byte()))
        elif t == ":":
            v = tuple(obj() for _ in range(3))
        elif t in "{}":
            items = []
            while True:
                k = obj()
                if k == "0":
                    break
                items.append((k, obj()))
            v = tuple(items)
        elif t == "c":
            fields = [i32() for _ in range(5)]
            parts = [obj() for _ in range(8)]  # code .. qualname
            fields.append(i32())
            parts.append(obj())  # linetable
            parts.append(obj())  # exceptiontable
            v = ("code", parts[4])
        else:
            raise ValueError("type %r" % t)
        if slot is not None:
            refs[slot] = v
        return v

    root = obj()
    return root[1]


# --------------------------------------------------------------------------
# replace
# --------------------------------------------------------------------------
def enc(v):
    """A change value as JSON."""
    if isinstance(v, bool):
        raise TypeError("no bools in changes")
    if isinstance(v, (int, long if PY2 else int)):  # noqa: F821
        return {"int": int(v)}
    if isinstance(v, tuple):
        return {"tuple": [enc(x) for x in v]}
    if v is None:
        return {"none": None}
    if PY2 and isinstance(v, str):
        return {"str": v}
    if not PY2 and isinstance(v, bytes):
        return {"bytes": hexs(v)}
    if not PY2 and isinstance(v, str):
        return {"str": v}
    raise TypeError("cannot encode %r" % (v,))


def enc_bytes(v):
    return {"bytes": hexs(v)}


def names(t):
    return list(t)


def summary(co):
    """What the Rust side compares (consts are compared by count only: the
    constructor never changes their values)."""
    d = {
        "argcount": co.co_argcount,
        "posonlyargcount": getattr(co, "co_posonlyargcount", 0),
        "kwonlyargcount": getattr(co, "co_kwonlyargcount", 0),
        "nlocals": co.co_nlocals,
        "stacksize": co.co_stacksize,
        "flags": co.co_flags,
        "code": hexs(co.co_code),
        "nconsts": len(co.co_consts),
        "names": names(co.co_names),
        "varnames": names(co.co_varnames),
        "cellvars": names(co.co_cellvars),
        "freevars": names(co.co_freevars),
        "filename": co.co_filename,
        "name": co.co_name,
        "qualname": getattr(co, "co_qualname", None),
        "firstlineno": co.co_firstlineno,
        "linetable": hexs(co.co_linetable if PY >= (3, 10) else co.co_lnotab),
        "exceptiontable": hexs(getattr(co, "co_exceptiontable", b"")),
    }
    if PY >= (3, 11):
        d["kinds"] = hexs(localspluskinds(marshal.dumps(co)))
    return d


def cases(co):
    """(name, {keyword: value}) pairs for one base code object."""
    out = [("unchanged", {})]
    ints = ["co_argcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags",
            "co_firstlineno"]
    if PY >= (3, 8):
        ints.insert(1, "co_posonlyargcount")
    if PY2:
        ints.remove("co_kwonlyargcount")
    for f in ints:
        out.append((f + "=-1", {f: -1}))
    nvar = len(co.co_varnames)
    out.append(("argcount too big", {"co_argcount": nvar + 1}))
    out.append(("argcount=0", {"co_argcount": 0}))
    if PY >= (3, 8):
        out.append(("posonly > argcount", {"co_posonlyargcount": co.co_argcount + 1}))
    out.append(("nlocals+1", {"co_nlocals": co.co_nlocals + 1}))
    out.append(("nlocals=0", {"co_nlocals": 0}))
    out.append(("stacksize=0", {"co_stacksize": 0}))
    out.append(("flags^NOFREE", {"co_flags": co.co_flags ^ 0x40}))
    out.append(("flags|VARARGS|VARKW", {"co_flags": co.co_flags | 0xc}))
    out.append(("flags^OPTIMIZED", {"co_flags": co.co_flags ^ 0x1}))
    out.append(("firstlineno=0", {"co_firstlineno": 0}))
    out.append(("code odd", {"co_code": co.co_code + b"\x00"}))
    out.append(("code empty", {"co_code": b""}))
    out.append(("consts empty", {"co_consts": ()}))
    out.append(("consts one", {"co_consts": (None,)}))
    out.append(("names +zz", {"co_names": tuple(co.co_names) + ("zz",)}))
    out.append(("varnames renamed", {"co_varnames": tuple(v + "_r" for v in co.co_varnames)}))
    out.append(("varnames +extra", {"co_varnames": tuple(co.co_varnames) + ("extra",)}))
    out.append(("varnames empty", {"co_varnames": ()}))
    if co.co_varnames:
        out.append(("cellvars +varname", {"co_cellvars": tuple(co.co_cellvars) + (co.co_varnames[-1],)}))
    out.append(("cellvars +new", {"co_cellvars": tuple(co.co_cellvars) + ("newcell",)}))
    out.append(("cellvars empty", {"co_cellvars": ()}))
    out.append(("freevars +new", {"co_freevars": tuple(co.co_freevars) + ("newfree",)}))
    out.append(("freevars empty", {"co_freevars": ()}))
    out.append(("filename", {"co_filename": "other.py"}))
    out.append(("name", {"co_name": "renamed"}))
    lt = "co_linetable" if PY >= (3, 10) else "co_lnotab"
    out.append(("linetable empty", {lt: b""}))
    if PY >= (3, 11):
        out.append(("qualname", {"co_qualname": "Q.renamed"}))
        out.append(("exceptiontable empty", {"co_exceptiontable": b""}))
    if PY >= (3, 8):
        # keywords the version does not take
        for kw in ["co_qualname", "co_exceptiontable", "co_lnotab", "co_linetable", "co_localsplusnames"]:
            if PY >= (3, 11) and kw in ("co_qualname", "co_exceptiontable", "co_linetable"):
                continue
            if PY == (3, 10) and kw == "co_linetable":
                continue
            if PY < (3, 10) and kw == "co_lnotab":
                continue
            out.append(("unknown " + kw, {kw: b"" if kw != "co_qualname" else "q"}))
    return out


def ctor_order():
    if PY2:
        return CTOR27
    if PY < (3, 8):
        return CTOR30
    if PY < (3, 10):
        return CTOR38
    if PY < (3, 11):
        return CTOR310
    return CTOR311


def apply(co, changes, via):
    if via == "replace":
        return co.replace(**changes)
    order = ctor_order()
    if any(k not in order for k in changes):
        raise KeyError("not a constructor argument")
    args = []
    for f in order:
        args.append(changes[f] if f in changes else getattr(co, f))
    return types.CodeType(*args)


BEFORE = [None]  # the base's summary: results record only what differs from it
BYTES_FIELDS = ("co_code", "co_lnotab", "co_linetable", "co_exceptiontable")


def isolated(base, changes, via):
    """Applies the changes in a child process: some crash the interpreter
    (3.8 aborts on a non-str name), which is recorded as {"crash": signal}."""
    import os
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            new = apply(base, changes, via)
        except Exception as e:  # noqa: BLE001 - recording exactly what CPython raises
            res = {"error": [type(e).__name__, str(e)]}
        else:
            after = summary(new)
            res = {"result": dict((k, v) for k, v in after.items() if BEFORE[0].get(k) != v)}
        data = json.dumps(res).encode("utf-8")
        while data:
            n = os.write(w, data)
            data = data[n:]
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return {"crash": status}
    return json.loads(b"".join(chunks).decode("utf-8"))


def mode_replace():
    src = SOURCE2 if PY2 else SOURCE3
    module = compile(src, "probe.py", "exec")
    objs = walk(module)
    bases = [objs[0]]
    for c in objs:
        if c.co_name == "outer":
            bases.append(c)
        if c.co_name == "inner":
            bases.append(c)
    out = {"python": "%d.%d.%d" % sys.version_info[:3], "bases": [], "cases": []}
    for bi, base in enumerate(bases):
        out["bases"].append(hexs(marshal.dumps(base)))
        before = summary(base)
        for name, changes in cases(base):
            for via in (["new", "replace"] if PY >= (3, 8) else ["new"]):
                if via == "new" and any(k not in ctor_order() for k in changes):
                    continue
                rec = {"base": bi, "case": name, "via": via,
                       "changes": dict((k, enc_bytes(v) if k in BYTES_FIELDS else enc(v))
                                       for k, v in changes.items())}
                BEFORE[0] = before
                rec.update(isolated(base, changes, via))
                out["cases"].append(rec)
    sys.stdout.write(json.dumps(out, sort_keys=True, indent=None, separators=(",", ":")))
    sys.stdout.write("\n")


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------
def instruction_sizes(co):
    """3.11: the units of each compiler instruction (EXTENDED_ARG prefixes, the
    opcode, its caches), one base-36 digit each."""
    import dis
    code = co.co_code
    caches = dis._inline_cache_entries
    ext = dis.opmap["EXTENDED_ARG"]
    out = []
    i, n = 0, len(code) // 2
    while i < n:
        start = i
        while i < n and code[2 * i] == ext:
            i += 1
        if i < n:
            i = min(n, i + 1 + caches[code[2 * i]])
        out.append("0123456789abcdefghijklmnopqrstuvwxyz"[i - start])
    return "".join(out)


def mode_tables():
    """Line and exception tables of a sample of this interpreter's stdlib:
    every 7th module (sorted paths), all code objects, up to BUDGET bytes."""
    import os
    budget = 110000
    lib = os.path.dirname(os.path.abspath(os.__file__))
    paths = []
    for root, dirs, files in os.walk(lib):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "dist-packages", "__pycache__"))
        for f in sorted(files):
            if f.endswith(".py"):
                paths.append(os.path.join(root, f))
    paths.sort()
    objects = []
    size = 0
    names = []
    for k, path in enumerate(paths):
        if k % 7:
            continue
        rel = os.path.relpath(path, lib)
        f = open(path, "rb")
        try:
            src = f.read()
        finally:
            f.close()
        try:
            co = compile(src, rel, "exec", 0, True)
        except Exception:  # noqa: BLE001 - files that do not compile here
            continue
        co = marshal.loads(marshal.dumps(co))  # as a pyc reader sees it
        names.append(rel)
        for c in walk(co):
            lt = c.co_linetable if PY >= (3, 10) else c.co_lnotab
            rec = {"f": c.co_firstlineno, "n": len(c.co_code), "lt": hexs(lt)}
            if PY >= (3, 11):
                rec["et"] = hexs(c.co_exceptiontable)
            if PY == (3, 11):
                rec["i"] = instruction_sizes(c)
            size += len(json.dumps(rec))
            objects.append(rec)
        if size > budget:
            break
    out = {"python": "%d.%d.%d" % sys.version_info[:3], "modules": names, "objects": objects}
    sys.stdout.write(json.dumps(out, sort_keys=True))
    sys.stdout.write("\n")


# --------------------------------------------------------------------------
# compare
# --------------------------------------------------------------------------
def header_size():
    if PY >= (3, 7):
        return 16
    if PY >= (3, 3):
        return 12
    return 8


def check_header(data):
    """What this interpreter's importlib would say of the header ("" if fine)."""
    if PY2:
        import imp
        magic = imp.get_magic()
    else:
        import importlib.util
        magic = importlib.util.MAGIC_NUMBER
    if data[:4] != magic:
        return "bad magic %r" % (data[:4],)
    if PY >= (3, 7):
        import importlib._bootstrap_external as be
        try:
            be._classify_pyc(data, "ours", {})
        except Exception as e:  # noqa: BLE001
            return "%s: %s" % (type(e).__name__, e)
    return ""


CODE_FIELDS = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize",
               "co_flags", "co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars",
               "co_filename", "co_name", "co_qualname", "co_firstlineno", "co_lnotab",
               "co_linetable", "co_exceptiontable"]


def same_const(a, b, path):
    """Type-exact, recursive; floats and complex by repr (keeps -0.0 and nan)."""
    if type(a) is not type(b):
        return "%s: type %s != %s" % (path, type(a).__name__, type(b).__name__)
    if isinstance(a, types.CodeType):
        return same_code(a, b, path)
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            return "%s: length %d != %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = same_const(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return ""
    if isinstance(a, frozenset) or isinstance(a, set):
        if a != b:
            return "%s: set %r != %r" % (path, a, b)
        return ""
    if isinstance(a, dict):
        if list(a.items()) != list(b.items()):
            return "%s: dict differs" % path
        return ""
    if isinstance(a, (float, complex)):
        return "" if repr(a) == repr(b) else "%s: %r != %r" % (path, a, b)
    if isinstance(a, slice):
        for f in ("start", "stop", "step"):
            d = same_const(getattr(a, f), getattr(b, f), path + "." + f)
            if d:
                return d
        return ""
    return "" if a == b else "%s: %r != %r" % (path, a, b)


SELF_EQUAL = [True]  # False when the original is not == a second load of itself


def same_code(a, b, path):
    # A NaN constant makes a code object unequal to a second load of itself
    # (constants compare by value, and NaN != NaN unless it is one object):
    # then == says nothing and the fields below decide.
    if a != b and SELF_EQUAL[0]:
        return "%s: code objects are not ==" % path
    for f in CODE_FIELDS:
        if f == "co_lnotab" and PY >= (3, 10):
            continue  # derived from co_linetable (and deprecated)
        if hasattr(a, f) and getattr(a, f) != getattr(b, f):
            return "%s.%s: %r != %r" % (path, f, getattr(a, f), getattr(b, f))
    if len(a.co_consts) != len(b.co_consts):
        return "%s.co_consts: length %d != %d" % (path, len(a.co_consts), len(b.co_consts))
    for i, (x, y) in enumerate(zip(a.co_consts, b.co_consts)):
        d = same_const(x, y, "%s.co_consts[%d]" % (path, i))
        if d:
            return d
    return ""


def mode_compare():
    """Lines "ORIGINAL\tOURS" (pyc paths): loads both and prints one JSON line
    per pair: {"ours": path, "problem": "" or what differs, "identical": bool}."""
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if not line:
            continue
        orig_path, ours_path = line.split("\t")
        f = open(orig_path, "rb")
        orig = f.read()
        f.close()
        f = open(ours_path, "rb")
        ours = f.read()
        f.close()
        problem = check_header(ours)
        if not problem:
            try:
                a = marshal.loads(orig[header_size():])
                b = marshal.loads(ours[header_size():])
                SELF_EQUAL[0] = a == marshal.loads(orig[header_size():])
                problem = same_code(a, b, "<module>")
            except Exception as e:  # noqa: BLE001
                problem = "%s: %s" % (type(e).__name__, e)
        sys.stdout.write(json.dumps({"ours": ours_path, "problem": problem,
                                     "identical": orig == ours}) + "\n")
        sys.stdout.flush()


def main(argv):
    if argv[1:2] == ["replace"]:
        mode_replace()
    elif argv[1:2] == ["tables"]:
        mode_tables()
    elif argv[1:2] == ["compare"]:
        mode_compare()
    else:
        raise SystemExit("usage: write_worker.py replace|tables")


if __name__ == "__main__":
    main(sys.argv)
