# -*- coding: utf-8 -*-
"""bytescope oracle worker: runs *inside* the CPython being used as ground truth.

Must stay valid Python 2.7 and 3.x (no f-strings, no keyword-only arguments, no
``nonlocal``, no print statement or function), stdlib only.  It is started by
``tools/gen_goldens.py`` and ``tools/conformance.py`` with PYTHONHASHSEED=0 and
PYTHONIOENCODING=utf-8; it can also be imported by the host Python (>= 3.8) to
reuse the view table.

Modes (``python worker.py MODE ...``):

  goldens            read a JSON job from stdin ({"outdir", "mtime", "snippets":
                     [{"src", "name", "hash_variants"}]}), write the fixture files,
                     print one JSON summary line per snippet.
  oracle VIEWS       read lines "SRC\\tPYC\\tFILENAME" from stdin; compile SRC to PYC
                     unless PYC exists (SRC may be "-": PYC must exist), then write
                     every view in VIEWS (comma separated) as framed records to stdout:
                     b"@@ <view> <nbytes> <status> <pyc path>\\n" + nbytes of UTF-8 text.
                     status is "ok", "err" (text is the error) or "skip" (compile
                     failure, view is "-").
  cli ARGS...        behave like the bytescope CLI (header/info/dis/table/rewrite) on
                     pyc files of this interpreter's version, printing the oracle's
                     text; used to test tools/conformance.py without the Rust binary.
  views              print the JSON list of views this interpreter supports.

Every view's text is exactly what the corresponding fixture file contains; see
``render_view``.
"""
import binascii
import dis
import json
import marshal
import math
import os
import struct
import sys
import types
import warnings

try:
    from collections import OrderedDict
except ImportError:  # pragma: no cover - 2.6 and older are not supported
    OrderedDict = dict

# Bump whenever the text of any view changes (or how pycs are compiled): the
# conformance harness keys its cache of expected outputs on it.
ORACLE_FORMAT = 1

PY = sys.version_info[:2]
PY2 = PY[0] == 2
FIXED_MTIME = 1700000000

if PY2:
    from StringIO import StringIO as _TextIO  # noqa: F401  (2.7: dis prints str)
    text_type = unicode  # noqa: F821
    int_types = (int, long)  # noqa: F821
else:
    from io import StringIO as _TextIO
    text_type = str
    int_types = (int,)


# --------------------------------------------------------------------------
# Views: name -> (fixture suffix, first version, last version or None)
# The CLI arguments that produce the same text are in tools/oracle/common.py.
# --------------------------------------------------------------------------
VIEWS = OrderedDict([
    ("header", (".header.json", (2, 0), None)),
    ("attrs", (".attrs.json", (2, 0), None)),
    ("info", (".info.txt", (3, 2), None)),
    ("dis", (".dis.txt", (2, 0), None)),
    ("dis-caches", (".dis-caches.txt", (3, 11), None)),
    ("dis-offsets", (".dis-offsets.txt", (3, 13), None)),
    ("dis-positions", (".dis-positions.txt", (3, 14), None)),
    ("instructions", (".instructions.json", (3, 4), None)),
    ("lines", (".lines.json", (3, 10), None)),
    ("positions", (".positions.json", (3, 11), None)),
    ("exceptions", (".exceptions.json", (3, 11), None)),
    ("linestarts", (".linestarts.json", (2, 0), None)),
])


def views_for(version):
    """Views available for a (major, minor) version, in canonical order."""
    out = []
    for name, (_suffix, lo, hi) in VIEWS.items():
        if tuple(version) >= lo and (hi is None or tuple(version) <= hi):
            out.append(name)
    return out


# --------------------------------------------------------------------------
# pyc writing and header parsing
# --------------------------------------------------------------------------
def magic_bytes():
    if PY >= (3, 4):
        import importlib.util
        return bytes(importlib.util.MAGIC_NUMBER)
    import imp
    return imp.get_magic()


def header_size():
    if PY >= (3, 7):
        return 16
    if PY >= (3, 3):
        return 12
    return 8


def source_hash(source):
    import importlib.util
    return bytes(importlib.util.source_hash(source))


def make_pyc(code, source, mtime=FIXED_MTIME, hash_mode=None):
    """The bytes CPython's importlib would write for ``code``.

    hash_mode: None (timestamp pyc), "checked" or "unchecked" (PEP 552, 3.7+).
    """
    size = len(source) & 0xFFFFFFFF
    if PY >= (3, 7):
        import importlib._bootstrap_external as be
        if hash_mode is None:
            return bytes(be._code_to_timestamp_pyc(code, mtime, size))
        return bytes(be._code_to_hash_pyc(code, source_hash(source), hash_mode == "checked"))
    if hash_mode is not None:
        raise ValueError("hash-based pycs need Python 3.7+")
    data = magic_bytes() + struct.pack("<I", mtime & 0xFFFFFFFF)
    if PY >= (3, 3):
        data += struct.pack("<I", size)
    data += marshal.dumps(code)
    if (3, 5) <= PY < (3, 7):
        import importlib._bootstrap_external as be
        assert bytes(be._code_to_bytecode(code, mtime, size)) == data
    return data


def load_pyc(data):
    return marshal.loads(data[header_size():])


def parse_header(data, name="<pyc>"):
    """What this CPython reads from a pyc header (see header.json schema)."""
    magic = data[:4]
    if magic != magic_bytes():
        raise ValueError("bad magic number %r (this is Python %d.%d)" % (magic, PY[0], PY[1]))
    out = OrderedDict()
    out["python"] = "%d.%d" % PY
    out["magic"] = struct.unpack("<H", magic[:2])[0]
    out["magic_hex"] = hexs(magic)
    out["header_size"] = header_size()
    out["flags"] = None
    out["hash_based"] = False
    out["check_source"] = None
    out["mtime"] = None
    out["source_size"] = None
    out["source_hash"] = None
    if PY >= (3, 7):
        import importlib._bootstrap_external as be
        flags = be._classify_pyc(data, name, {})  # raises ImportError on bad flags
        out["flags"] = flags
        if flags & 1:
            out["hash_based"] = True
            out["check_source"] = bool(flags & 2)
            out["source_hash"] = hexs(data[8:16])
        else:
            out["mtime"] = struct.unpack("<I", data[8:12])[0]
            out["source_size"] = struct.unpack("<I", data[12:16])[0]
    else:
        out["mtime"] = struct.unpack("<I", data[4:8])[0]
        if PY >= (3, 3):
            out["source_size"] = struct.unpack("<I", data[8:12])[0]
    return out


# --------------------------------------------------------------------------
# JSON helpers
# --------------------------------------------------------------------------
def hexs(b):
    h = binascii.hexlify(bytes(b) if not PY2 else b)
    return h.decode("ascii") if not PY2 else h


def dumps(obj):
    """Compact, ASCII-only JSON; object keys keep their insertion order."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"))


def json_lines(items):
    """A JSON array with one element per line: '[\\n' + ',\\n'.join + '\\n]\\n'."""
    items = [dumps(x) for x in items]
    if not items:
        return "[]\n"
    return "[\n" + ",\n".join(items) + "\n]\n"


def _has_surrogate(s):
    for ch in s:
        if u"\ud800" <= ch <= u"\udfff":
            return True
    return False


def json_value(v):
    """The argval rule: JSON-native scalars natively, everything else as {"repr": repr(v)}.

    Native: None, bool, int with -2**63 <= v < 2**63, finite float (exact type), str
    (exact type) without surrogate code points.  Everything else, including tuples,
    frozensets, bytes, code objects, complex, inf/nan, big ints, slices, Ellipsis,
    types and functions, becomes {"repr": repr(v)}.
    """
    if v is None or type(v) is bool:
        return v
    if type(v) in int_types:
        if -(2 ** 63) <= v < 2 ** 63:
            return int(v)
        return {"repr": repr(v)}
    if type(v) is float and not (math.isinf(v) or math.isnan(v)):
        return v
    if type(v) is text_type and not PY2 and not _has_surrogate(v):
        return v
    return {"repr": repr(v)}


# --------------------------------------------------------------------------
# Code object views
# --------------------------------------------------------------------------
def walk(co):
    """Pre-order: the code object, then nested code objects in co_consts order."""
    out = [co]
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            out.extend(walk(c))
    return out


ATTR_ORDER = [
    "co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals",
    "co_stacksize", "co_flags", "co_code", "co_consts", "co_names", "co_varnames",
    "co_freevars", "co_cellvars", "co_filename", "co_name", "co_qualname",
    "co_firstlineno", "co_lnotab", "co_linetable", "co_exceptiontable",
]
BYTES_ATTRS = ("co_code", "co_lnotab", "co_linetable", "co_exceptiontable")


def attrs_of(co):
    d = OrderedDict()
    for name in ATTR_ORDER:
        if name == "co_lnotab" and PY >= (3, 10):
            continue  # derived (and deprecated) from 3.10; the marshalled field is co_linetable
        if not hasattr(co, name):
            continue
        v = getattr(co, name)
        if name in BYTES_ATTRS:
            v = hexs(v)
        elif name == "co_consts":
            v = [OrderedDict([("type", type(c).__name__), ("repr", repr(c))]) for c in v]
        elif isinstance(v, tuple):
            v = list(v)
        d[name] = v
    return d


def capture_dis(co, **kw):
    if PY2:
        saved = sys.stdout
        sys.stdout = buf = _TextIO()
        try:
            dis.dis(co)
        finally:
            sys.stdout = saved
        return buf.getvalue()
    buf = _TextIO()
    dis.dis(co, file=buf, **kw)
    return buf.getvalue()


def instruction_json(ins):
    d = OrderedDict()
    for field in type(ins)._fields:
        v = getattr(ins, field)
        if field == "positions":
            v = None if v is None else [v.lineno, v.end_lineno, v.col_offset, v.end_col_offset]
        elif field == "cache_info":
            v = None if v is None else [[n, s, hexs(b)] for (n, s, b) in v]
        else:
            v = json_value(v)
        d[field] = v
    return d


def render_view(view, data, co=None):
    """Text of one view for a pyc (``data`` = its bytes, ``co`` = marshal.loads result)."""
    if view == "header":
        return dumps(parse_header(data)) + "\n"
    if co is None:
        co = load_pyc(data)
    if view == "attrs":
        return json_lines([attrs_of(c) for c in walk(co)])
    if view == "info":
        return "".join(dis.code_info(c) + "\n\n" for c in walk(co))
    if view == "dis":
        return capture_dis(co)
    if view == "dis-caches":
        return capture_dis(co, show_caches=True)
    if view == "dis-offsets":
        return capture_dis(co, show_offsets=True)
    if view == "dis-positions":
        return capture_dis(co, show_positions=True)
    if view == "instructions":
        kw = {"show_caches": False} if (3, 11) <= PY < (3, 13) else {}
        return json_lines([[instruction_json(i) for i in dis.get_instructions(c, **kw)]
                           for c in walk(co)])
    if view == "lines":
        return json_lines([[list(t) for t in c.co_lines()] for c in walk(co)])
    if view == "positions":
        return json_lines([[list(t) for t in c.co_positions()] for c in walk(co)])
    if view == "exceptions":
        return json_lines([[[e.start, e.end, e.target, e.depth, e.lasti]
                            for e in dis._parse_exception_table(c)] for c in walk(co)])
    if view == "linestarts":
        return json_lines([[list(t) for t in dis.findlinestarts(c)] for c in walk(co)])
    raise ValueError("unknown view %r" % (view,))


def compile_source(source, filename):
    """compile() exactly as the fixtures do; never inherit this module's future flags."""
    return compile(source, filename, "exec", 0, True)


# --------------------------------------------------------------------------
# I/O helpers
# --------------------------------------------------------------------------
def out_stream():
    return sys.stdout if PY2 else sys.stdout.buffer


def to_bytes(text):
    if isinstance(text, bytes) and PY2:
        return text
    if PY2:
        return text.encode("utf-8")
    return text.encode("utf-8", "surrogatepass")


def read_file(path):
    f = open(path, "rb")
    try:
        return f.read()
    finally:
        f.close()


def write_file(path, data):
    f = open(path, "wb")
    try:
        f.write(data)
    finally:
        f.close()


def makedirs(path):
    if path and not os.path.isdir(path):
        try:
            os.makedirs(path)
        except OSError:
            if not os.path.isdir(path):
                raise


# --------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------
def mode_goldens():
    job = json.loads(sys.stdin.read())
    outdir = job["outdir"]
    mtime = job.get("mtime", FIXED_MTIME)
    makedirs(outdir)
    views = views_for(PY)
    for snip in job["snippets"]:
        name = snip["name"]
        source = read_file(snip["src"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = compile_source(source, str(name + ".py"))
        if caught:
            raise SystemExit("%s: compile warnings: %s" % (name, [str(w.message) for w in caught]))
        data = make_pyc(code, source, mtime)
        # Hash-based variants are dumped *before* anything is loaded back: in <= 3.10
        # marshal sets FLAG_REF only on objects whose refcount is > 1, and loading a
        # pyc re-uses interned strings, which would change the bytes of later dumps.
        hashed = []
        if snip.get("hash_variants") and PY >= (3, 7):
            hashed = [(kind, make_pyc(code, source, mtime, kind)) for kind in ("checked", "unchecked")]
        co = load_pyc(data)  # the code object *as read back*, like any pyc consumer
        base = os.path.join(outdir, name)
        write_file(base + ".pyc", data)
        written = [name + ".pyc"]
        for view in views:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. get_instructions(show_caches=) deprecation
                text = render_view(view, data, co)
            write_file(base + VIEWS[view][0], to_bytes(text))
            written.append(name + VIEWS[view][0])
        for kind, hdata in hashed:
            write_file(base + ".hash-" + kind + ".pyc", hdata)
            write_file(base + ".hash-" + kind + ".header.json", to_bytes(render_view("header", hdata)))
            written += [name + ".hash-" + kind + ".pyc", name + ".hash-" + kind + ".header.json"]
        summary = OrderedDict([("name", name), ("files", written),
                               ("code_objects", len(walk(co))), ("pyc_size", len(data))])
        out_stream().write(to_bytes(dumps(summary) + "\n"))
    out_stream().flush()


def mode_oracle(view_arg):
    views = [v for v in view_arg.split(",") if v]
    out = out_stream()
    warnings.simplefilter("ignore")
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if not line:
            continue
        src, pyc, filename = line.split("\t")
        data = None
        if not os.path.exists(pyc):
            try:
                source = read_file(src)
                code = compile_source(source, filename)
                data = make_pyc(code, source)
            except Exception as e:  # SyntaxError, ValueError (null bytes), RecursionError ...
                msg = to_bytes("%s: %s" % (type(e).__name__, e))
                out.write(to_bytes("@@ - %d skip %s\n" % (len(msg), pyc)) + msg)
                continue
            makedirs(os.path.dirname(pyc))
            tmp = pyc + ".tmp%d" % os.getpid()
            write_file(tmp, data)
            os.rename(tmp, pyc)
        if data is None:
            data = read_file(pyc)
        try:
            co = load_pyc(data)
        except Exception as e:
            co = None
            load_error = "%s: %s" % (type(e).__name__, e)
        for view in views:
            status = "ok"
            try:
                if co is None and view != "header":
                    raise ValueError(load_error)
                text = render_view(view, data, co)
            except Exception as e:
                status = "err"
                text = "%s: %s" % (type(e).__name__, e)
            payload = to_bytes(text)
            out.write(to_bytes("@@ %s %d %s %s\n" % (view, len(payload), status, pyc)) + payload)
        out.flush()
    out.flush()


def mode_cli(argv):
    """A stand-in for `bytescope` over this interpreter's pycs (oracle output)."""
    if not argv:
        raise SystemExit("usage: worker.py cli header|info|dis|table|rewrite ...")
    sub, rest = argv[0], argv[1:]
    flags = [a for a in rest if a.startswith("--")]
    files = [a for a in rest if not a.startswith("--")]
    if sub == "rewrite":
        write_file(files[1], read_file(files[0]))
        return
    if sub == "table":
        view, files = files[0], files[1:]
    elif sub == "header":
        view = "header"
    elif sub == "info":
        view = "attrs" if "--json" in flags else "info"
    elif sub == "dis":
        if "--json" in flags:
            view = "instructions"
        elif "--show-caches" in flags:
            view = "dis-caches"
        elif "--show-offsets" in flags:
            view = "dis-offsets"
        elif "--show-positions" in flags:
            view = "dis-positions"
        else:
            view = "dis"
    else:
        raise SystemExit("unknown subcommand %r" % sub)
    out = out_stream()
    warnings.simplefilter("ignore")
    perturb = int(os.environ.get("BYTESCOPE_FAKE_PERTURB") or 0)  # for testing the harness
    status = 0
    for index, path in enumerate(files):
        if len(files) > 1:
            out.write(to_bytes("==> %s <==\n" % path))
        try:
            text = render_view(view, read_file(path))
            if perturb and index % perturb == perturb - 1:
                if (index // perturb) % 2:  # alter a value (JSON stays valid)
                    text = text.replace("0", "1", 1)
                else:
                    text += "perturbed by BYTESCOPE_FAKE_PERTURB\n"
            out.write(to_bytes(text))
        except Exception as e:
            sys.stderr.write("bytescope: %s: %s: %s\n" % (path, type(e).__name__, e))
            status = 1
        out.flush()
    sys.exit(status)


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    mode = argv[0]
    if mode == "goldens":
        mode_goldens()
    elif mode == "oracle":
        mode_oracle(argv[1])
    elif mode == "cli":
        mode_cli(argv[1:])
    elif mode == "views":
        out_stream().write(to_bytes(dumps(views_for(PY)) + "\n"))
    else:
        raise SystemExit("unknown mode %r" % mode)


if __name__ == "__main__":
    main(sys.argv[1:])
