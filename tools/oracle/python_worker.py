"""Conformance worker for the Python package: runs inside one interpreter (3.9+) that has
the bytescope wheel installed, and compares bytescope with that interpreter itself over
its whole standard library. Driven by tools/conformance_python.py.

    python python_worker.py STDLIB_FILE_LIST OUT.json [--test-dis]

For every .py in the list: compile it with this interpreter (bare relative file name,
no inherited flags), write the pyc bytes importlib writes, read them back with
``marshal.loads`` (the code object as read back: frozenset order), and with
``bytescope.load``; then, per view, whether every code object agrees:

- instructions: ``get_instructions`` field by field (a code object's argval compared by
  repr with addresses normalised, anything else by type and value);
- dis / info: ``dis.dis`` of the module code and ``code_info`` of every code object, as text;
- linestarts, lines, positions: ``findlinestarts``, ``co_lines()``, ``co_positions()``;
- attrs: every ``co_*`` attribute, constants equal in type and value, recursively
  (nested code objects attribute by attribute); from 3.11 also ``_co_code_adaptive`` and
  ``_varname_from_oparg(i)`` for every index of the locals-plus table and one past it;
- adaptive (3.11+): ``dis.dis(module, adaptive=True, show_caches=True)`` as text (the code
  as the interpreter quickens a new code object).

Writes per view the number of files compared and identical, and the first differences.
"""

import dis
import importlib._bootstrap_external as bx
import io
import json
import marshal
import math
import re
import sys
import warnings

import bytescope
import bytescope.dis as bdis

ADDRESS = re.compile(r" at 0x[0-9a-f]+")
HOST = sys.version_info[:2]
VIEWS = ["instructions", "dis", "info", "linestarts", "attrs"]
if HOST >= (3, 10):
    VIEWS.append("lines")
if HOST >= (3, 11):
    VIEWS += ["positions", "adaptive"]


def norm(text):
    return ADDRESS.sub(" at 0x?", text)


def walk(co):
    out, stack = [], [co]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(reversed([k for k in c.co_consts if hasattr(k, "co_code")]))
    return out


def same_value(a, b):
    if hasattr(b, "co_code"):
        return isinstance(a, bytescope.Code) and same_code(a, b) is None
    if type(a) is not type(b):
        return False
    if isinstance(b, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(b, frozenset):
        return a == b and repr(a) == repr(b)
    if isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(b, complex):
        return same_value(a.real, b.real) and same_value(a.imag, b.imag)
    return a == b


def same_code(ours, real):
    """None if every co_* attribute agrees, else the first that differs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in sorted(dir(real)):
            if not name.startswith("co_") or name == "co_branches":
                continue
            theirs = getattr(real, name)
            try:
                mine = getattr(ours, name)
            except AttributeError:
                return name
            if callable(theirs):
                if list(mine()) != list(theirs()):
                    return name
            elif name == "co_consts":
                if len(mine) != len(theirs) or not all(same_value(a, b) for a, b in zip(mine, theirs)):
                    return name
            elif mine != theirs:
                return name
        if hasattr(real, "_co_code_adaptive"):
            if ours._co_code_adaptive != real._co_code_adaptive:
                return "_co_code_adaptive"
            n = len(real.co_varnames) + len(set(real.co_cellvars) - set(real.co_varnames)) + len(real.co_freevars)
            if [varname(ours, i) for i in range(n + 1)] != [varname(real, i) for i in range(n + 1)]:
                return "_varname_from_oparg"
    return None


def varname(code, i):
    try:
        return code._varname_from_oparg(i)
    except Exception as e:
        return "%s: %s" % (type(e).__name__, e)


def same_argval(a, b):
    if hasattr(b, "co_code"):
        return isinstance(a, bytescope.Code) and norm(repr(a)) == norm(repr(b))
    return same_value(a, b)


def instructions_diff(ours, real):
    mine, theirs = list(bdis.get_instructions(ours)), list(dis.get_instructions(real))
    if len(mine) != len(theirs):
        return "count %d != %d" % (len(mine), len(theirs))
    for a, b in zip(mine, theirs):
        if a._fields != b._fields:
            return "fields %r" % (a._fields,)
        for f in b._fields:
            x, y = getattr(a, f), getattr(b, f)
            if f == "argval":
                ok = same_argval(x, y)
            elif f == "argrepr":
                ok = norm(x) == norm(y)
            elif f == "positions":
                ok = tuple(x) == tuple(y)
            else:
                ok = x == y and type(x) is type(y)
            if not ok:
                return "offset %d %s: %r != %r" % (b.offset, f, x, y)
    return None


def compare(path, rel):
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError:  # e.g. a dangling symlink (Debian's sitecustomize.py)
        return None
    try:
        code = compile(source, rel, "exec", 0, True)
    except Exception:
        return None
    data = bytes(bx._code_to_timestamp_pyc(code, 1700000000, len(source)))
    real = marshal.loads(data[16:])
    pyc = bytescope.load(data)
    ours_all, real_all = pyc.code.walk(), walk(real)
    res = {}
    if len(ours_all) != len(real_all):
        return {v: "code objects %d != %d" % (len(ours_all), len(real_all)) for v in VIEWS}
    pairs = list(zip(ours_all, real_all))

    def first(check):
        for o, r in pairs:
            d = check(o, r)
            if d:
                return "%s: %s" % (r.co_name, d)
        return None

    res["instructions"] = first(instructions_diff)
    a, b = io.StringIO(), io.StringIO()
    bdis.dis(pyc, file=a)
    dis.dis(real, file=b)
    res["dis"] = None if norm(a.getvalue()) == norm(b.getvalue()) else "text differs"
    res["info"] = first(lambda o, r: None if norm(bdis.code_info(o)) == norm(dis.code_info(r)) else "code_info")
    res["linestarts"] = first(lambda o, r: None if list(bdis.findlinestarts(o)) == list(dis.findlinestarts(r))
                              else "findlinestarts")
    res["attrs"] = first(same_code)
    if HOST >= (3, 10):
        res["lines"] = first(lambda o, r: None if list(o.co_lines()) == list(r.co_lines()) else "co_lines")
    if HOST >= (3, 11):
        res["positions"] = first(lambda o, r: None if list(o.co_positions()) == list(r.co_positions())
                                 else "co_positions")
        a, b = io.StringIO(), io.StringIO()
        bdis.dis(pyc, file=a, adaptive=True, show_caches=True)
        dis.dis(real, file=b, adaptive=True, show_caches=True)
        res["adaptive"] = None if norm(a.getvalue()) == norm(b.getvalue()) else "text differs"
    return res


def main():
    listing, out = sys.argv[1], sys.argv[2]
    files = [line.rstrip("\n").split("\t") for line in open(listing, encoding="utf-8") if line.strip()]
    totals = {v: {"files": 0, "same": 0, "diffs": []} for v in VIEWS}
    skipped = 0
    for path, rel in files:
        try:
            res = compare(path, rel)
        except Exception as e:  # a failure of bytescope on a real file is a difference in every view
            res = {v: "exception %s: %s" % (type(e).__name__, e) for v in VIEWS}
        if res is None:
            skipped += 1
            continue
        for v in VIEWS:
            t = totals[v]
            t["files"] += 1
            if res[v] is None:
                t["same"] += 1
            elif len(t["diffs"]) < 20:
                t["diffs"].append([rel, res[v]])
    json.dump({"python": sys.version.split()[0], "skipped": skipped, "views": totals}, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
