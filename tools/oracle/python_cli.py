"""The bytescope CLI's view commands, answered through the Python package instead of the
binary, so that tools/conformance.py can compare the Python API with every interpreter's
outputs from one host (cross-host): ``tools/conformance_python.py --cross-host`` runs
``tools/conformance.py --cli`` with a wrapper that starts this file.

    python_cli.py header --json FILES | info [--json] FILES | dis [--show-caches|--show-offsets|
                  --show-positions|--json] FILES | table lines|positions|exceptions|linestarts FILES

Every view is rendered from the package's objects in the fixtures' format
(tests/fixtures/README.md). Text views of several files follow ``==> PATH <==`` each; JSON
views are JSON Lines records carrying ``path``, as the CLI writes them (``header --json``:
one per file; ``info --json``, ``dis --json`` and ``table``: one per code object, with its
attributes, its ``instructions`` or its ``rows``).
Non-JSON-native ``argval``s of constants are shown by their ``argrepr`` (the target version's
repr, which the package computes); other values by the host's repr.
"""

import io
import json
import math
import sys

import bytescope
import bytescope.dis as bdis


def jdump(value):
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def per_code(rows):
    return "[\n" + ",\n".join(jdump(r) for r in rows) + "\n]\n" if rows else "[]\n"


def native(v):
    if v is None or type(v) is bool:
        return True
    if type(v) is int:
        return -(2**63) <= v < 2**63
    if type(v) is float:
        return math.isfinite(v)
    if type(v) is str:
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in v)
    return False


def header(pyc):
    h = {"python": "%d.%d" % pyc.version, "magic": pyc.magic, "magic_hex": None,
         "header_size": pyc.header_size, "flags": pyc.flags,
         "hash_based": None if pyc.flags is None else bool(pyc.flags & 1),
         "check_source": bool(pyc.flags & 2) if pyc.flags is not None and pyc.flags & 1 else None,
         "mtime": pyc.mtime, "source_size": pyc.source_size,
         "source_hash": None if pyc.source_hash is None else pyc.source_hash.hex()}
    with open(pyc.path, "rb") as f:
        h["magic_hex"] = f.read(4).hex()
    if pyc.version < (3, 7):
        h["hash_based"] = False
    return jdump(h) + "\n"


TYPE = {"Code": "code", "NoneType": "NoneType", "ellipsis": "ellipsis"}


def attrs(pyc):
    rows = []
    keys = ["co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags",
            "co_code", "co_consts", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_filename",
            "co_name", "co_qualname", "co_firstlineno", "co_lnotab", "co_linetable", "co_exceptiontable"]
    for c in pyc.code.walk():
        row = {}
        for k in keys:
            if k == "co_lnotab" and c.version >= (3, 10):
                continue
            try:
                v = getattr(c, k)
            except AttributeError:
                continue
            if isinstance(v, bytes):
                v = v.hex()
            elif k == "co_consts":
                v = [{"type": TYPE.get(type(x).__name__, type(x).__name__), "repr": repr(x)} for x in v]
            elif isinstance(v, tuple):
                v = list(v)
            row[k] = v
        rows.append(row)
    return per_code(rows)


def instructions(pyc):
    rows = []
    hasconst = set(bdis.opcodes(pyc.version).hasconst)
    for c in pyc.code.walk():
        out = []
        for ins in bdis.get_instructions(c):
            d = {}
            for f in ins._fields:
                v = getattr(ins, f)
                if f == "argval" and not native(v):
                    const = ins.opcode in hasconst and v is not bdis.UNKNOWN
                    v = {"repr": ins.argrepr if const else repr(v)}
                elif f == "positions":
                    v = None if v is None else list(v)
                elif f == "cache_info":
                    v = None if v is None else [[n, s, b.hex()] for n, s, b in v]
                d[f] = v
            out.append(d)
        rows.append(out)
    return per_code(rows)


def view(args, pyc):
    cmd = args[0]
    if cmd == "header":
        return header(pyc)
    if cmd == "info":
        if "--json" in args:
            return attrs(pyc)
        return "".join(bdis.code_info(c) + "\n\n" for c in pyc.code.walk())
    if cmd == "dis":
        if "--json" in args:
            return instructions(pyc)
        out = io.StringIO()
        opts = {o[2:].replace("-", "_"): True for o in args[1:] if o.startswith("--show-")}
        bdis.dis(pyc, file=out, **opts)
        return out.getvalue()
    if cmd == "table":
        codes = pyc.code.walk()
        kind = args[1]
        if kind == "lines":
            return per_code([[list(r) for r in c.co_lines()] for c in codes])
        if kind == "positions":
            return per_code([[list(p) for p in c.co_positions()] for c in codes])
        if kind == "exceptions":
            return per_code([[list(e) for e in c.exception_table] for c in codes])
        if kind == "linestarts":
            return per_code([[list(p) for p in bdis.findlinestarts(c)] for c in codes])
    raise SystemExit("unknown view %r" % (args,))


def json_records(cmd, path, value):
    """The CLI's JSON Lines records of one file's view ``value`` (fixture format)."""
    if cmd == "header":
        return jdump(dict(path=path, **value)) + "\n"
    key = {"dis": "instructions", "table": "rows"}.get(cmd)
    return "".join(jdump({"path": path, key: v} if key else dict(path=path, **v)) + "\n" for v in value)


def main():
    argv = sys.argv[1:]
    opts = [a for a in argv if a.startswith("-") or a in ("header", "info", "dis", "table", "lines", "positions",
                                                         "exceptions", "linestarts")]
    files = [a for a in argv if a not in opts]
    out = sys.stdout.buffer
    status = 0
    records = "--json" in opts or opts[:1] == ["table"]
    for f in files:
        if len(files) > 1 and not records:
            out.write(("==> %s <==\n" % f).encode())
        try:
            text = view(opts, bytescope.load(f))
        except (bytescope.Error, TypeError, NotImplementedError) as e:
            sys.stderr.write("bytescope: %s\n" % e)
            status = 1
            continue
        if records:
            text = json_records(opts[0], f, json.loads(text))
        out.write(text.encode("utf-8", "surrogatepass"))
    out.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
