#!/usr/bin/env python3
"""Hand-assembled pycs of CPython 1.5 and 2.1-2.6, with the listing their `dis` prints.

No interpreter of these versions exists here, so the fixtures in tests/old/ are built from
the transcribed facts alone, independently of bytescope's Rust code:

* the bytes: each program below is assembled with the opcode numbers of
  tools/data/opcodes/X.Y.json (made from tools/data/opcodes/old_versions.txt) and marshalled
  in the code-object layout of its magic number (16-bit fields up to 2.2, freevars/cellvars
  from 2.1; see docs/triage.md "Pre-release magic numbers and old code-object layouts");
* the listing (NAME.dis.txt): written by `old_dis` below, a re-statement of how those
  versions' Lib/dis.py `disassemble` prints, as read in the copies old_versions.txt names:
  Python 2's `print a,` soft spaces; `-->`/`>>` marks; the offset `rjust(4)`; the opcode
  name `ljust(15)` in 1.5, `ljust(20)` from 2.0; the argument `rjust(5)` and, by has* list,
  `(const repr)`, `(name)`, `(to N)`, `(local)`, `(cmp_op)`, `(cell or free name)` (2.1+);
  up to 2.2 no line column and a blank line before every SET_LINENO after the first
  instruction; from 2.3 a `%3d` line column from co_lnotab (findlinestarts) and a blank line
  before every line start after the first instruction. Code-object reprs give address 0x0
  (bytescope prints the object's file offset; tests mask addresses);
* co_stacksize: what each version's compiler would count for these programs, worked out by
  hand in the comments (the counts in tools/data/opcodes/semantics.txt); crates/cli/tests/
  old_versions.rs checks `bytescope check` computes the same.

Usage: tools/gen_old_fixtures.py [--check]   (standard library only)
"""
import argparse
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "old")
DATA = os.path.join(ROOT, "tools", "data", "opcodes")

MAGICS = {"1.5": 20121, "2.1": 60202, "2.2": 60717, "2.3": 62011, "2.5": 62131, "2.6": 62161,
          "pypy2.7": 62218}


def vkey(v):
    return tuple(int(x) for x in v.replace("pypy", "").split("."))


class Code(object):
    """A code object: instructions as (label or None, name, arg) with jump args as labels."""

    def __init__(self, version, name, insns, consts, names=(), varnames=(), freevars=(),
                 cellvars=(), argcount=0, flags=0, stacksize=0, firstlineno=1, lines=None,
                 filename="old.py"):
        self.version = version
        self.name = name
        self.consts = list(consts)
        self.names = list(names)
        self.varnames = list(varnames)
        self.freevars = list(freevars)
        self.cellvars = list(cellvars)
        self.argcount = argcount
        self.nlocals = len(self.varnames)
        self.flags = flags
        self.stacksize = stacksize
        self.firstlineno = firstlineno
        self.filename = filename
        table = json.load(open(os.path.join(DATA, version + ".json")))
        self.table = table
        opmap = table["opmap"]
        ha = table["have_argument"]
        # Two passes: offsets of labels, then bytes.
        offsets = {}
        at = 0
        for label, opname, arg in insns:
            if label:
                offsets[label] = at
            at += 3 if opmap[opname] >= ha else 1
        code = bytearray()
        for label, opname, arg in insns:
            op = opmap[opname]
            code.append(op)
            if op >= ha:
                if isinstance(arg, str):
                    target = offsets[arg]
                    arg = target if op in table["hasjabs"] else target - (len(code) + 2)
                code += struct.pack("<H", arg)
            else:
                assert arg is None, (opname, arg)
        self.code = bytes(code)
        # lines: [(offset label or 0, line)] -> co_lnotab (2.3+; SET_LINENO versions keep it
        # empty here, their dis does not read it).
        lnotab = bytearray()
        if lines:
            addr, line = 0, firstlineno
            for where, ln in lines:
                off = offsets[where] if isinstance(where, str) else where
                lnotab += bytes([off - addr, ln - line])
                addr, line = off, ln
        self.lnotab = bytes(lnotab)


def w_str(out, s):
    b = s.encode("latin-1") if isinstance(s, str) else s
    out += b"s" + struct.pack("<i", len(b)) + b


def w_obj(out, obj, version):
    if obj is None:
        out += b"N"
    elif isinstance(obj, int):
        out += b"i" + struct.pack("<i", obj)
    elif isinstance(obj, (str, bytes)):
        w_str(out, obj)
    elif isinstance(obj, tuple):
        out += b"(" + struct.pack("<i", len(obj))
        for x in obj:
            w_obj(out, x, version)
    elif isinstance(obj, Code):
        w_code(out, obj)
    else:
        raise TypeError(obj)


def w_code(out, c):
    small = vkey(c.version) < (2, 3)
    i = (lambda n: struct.pack("<h", n)) if small else (lambda n: struct.pack("<i", n))
    out += b"c" + i(c.argcount) + i(c.nlocals) + i(c.stacksize) + i(c.flags)
    w_str(out, c.code)
    w_obj(out, tuple(c.consts), c.version)
    w_obj(out, tuple(c.names), c.version)
    w_obj(out, tuple(c.varnames), c.version)
    if vkey(c.version) >= (2, 1):
        w_obj(out, tuple(c.freevars), c.version)
        w_obj(out, tuple(c.cellvars), c.version)
    w_str(out, c.filename)
    w_str(out, c.name)
    out += i(c.firstlineno)
    w_str(out, c.lnotab)


def pyc(c):
    out = bytearray(struct.pack("<H", MAGICS[c.version]) + b"\r\n" + struct.pack("<I", 0))
    w_code(out, c)
    return bytes(out)


# --------------------------------------------------------------------------
# The listing, as those versions' dis.disassemble prints it.
# --------------------------------------------------------------------------

def py2_repr(x):
    if isinstance(x, Code):
        return '<code object %s at 0x0, file "%s", line %d>' % (x.name, x.filename, x.firstlineno)
    if isinstance(x, tuple):
        inner = ", ".join(py2_repr(e) for e in x)
        return "(%s,)" % inner if len(x) == 1 else "(%s)" % inner
    if isinstance(x, str):
        assert all(32 <= ord(ch) < 127 for ch in x)
        return "'%s'" % x if "'" not in x else '"%s"' % x
    return repr(x)


def findlinestarts(c):
    out = []
    last = None
    line = c.firstlineno
    addr = 0
    for b, l in zip(c.lnotab[0::2], c.lnotab[1::2]):
        if b:
            if line != last:
                out.append((addr, line))
                last = line
            addr += b
        line += l
    if line != last:
        out.append((addr, line))
    return dict(out)


def old_dis(c):
    t = c.table
    v = vkey(c.version)
    ha = t["have_argument"]
    opname = t["opcode_opname"]
    width = 20 if v >= (2, 0) else 15
    line_column = v >= (2, 3)
    starts = findlinestarts(c) if line_column else {}
    code = c.code
    labels = set()
    i = 0
    while i < len(code):
        op = code[i]
        i += 1
        if op >= ha:
            arg = code[i] | code[i + 1] << 8
            i += 2
            if op in t["hasjrel"]:
                labels.add(i + arg)
            elif op in t["hasjabs"]:
                labels.add(arg)
    lines = []
    text = []
    i = 0
    ext = 0
    while i < len(code):
        op = code[i]
        items = []
        if line_column:
            if i in starts:
                if i > 0:
                    text.append("")
                items.append("%3d" % starts[i])
            else:
                items.append("   ")
        elif opname[op] == "SET_LINENO" and i > 0:
            text.append("")
        items.append("   ")
        items.append(">>" if i in labels else "  ")
        items.append(repr(i).rjust(4))
        items.append(opname[op].ljust(width))
        i += 1
        if op >= ha:
            arg = code[i] + code[i + 1] * 256 + ext
            ext = 0
            i += 2
            if op == t["extended_arg"] and op in t["opmap"].values():
                ext = arg * 65536
            items.append(repr(arg).rjust(5))
            if op in t["hasconst"]:
                items.append("(" + py2_repr(c.consts[arg]) + ")")
            elif op in t["hasname"]:
                items.append("(" + c.names[arg] + ")")
            elif op in t["hasjrel"]:
                items.append("(to " + repr(i + arg) + ")")
            elif op in t["haslocal"]:
                items.append("(" + c.varnames[arg] + ")")
            elif op in t["hascompare"]:
                items.append("(" + t["cmp_op"][arg] + ")")
            elif op in t.get("hasfree", []):
                items.append("(" + (c.cellvars + c.freevars)[arg] + ")")
        text.append(" ".join(items))
    lines.extend(text)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# The programs.
# --------------------------------------------------------------------------

def program_15():
    # def f(a): return a + 1
    f = Code("1.5", "f", [
        (None, "SET_LINENO", 1), (None, "SET_LINENO", 2), (None, "LOAD_FAST", 0),
        (None, "LOAD_CONST", 1), (None, "BINARY_ADD", None), (None, "RETURN_VALUE", None),
        (None, "LOAD_CONST", 0), (None, "RETURN_VALUE", None),
    ], consts=[None, 1], varnames=["a"], argcount=1, flags=3, stacksize=2, firstlineno=1)
    # x = f(2); for i in x: print i   (1.5's FOR_LOOP: sequence and index on the stack)
    # if x == 1: print 'yes'
    # stack: FOR_LOOP takes x and the index (2) and pushes them back with the item: 3.
    return Code("1.5", "?", [
        (None, "SET_LINENO", 0), (None, "SET_LINENO", 1), (None, "LOAD_CONST", 0),
        (None, "MAKE_FUNCTION", 0), (None, "STORE_NAME", 0),
        (None, "SET_LINENO", 4), (None, "LOAD_NAME", 0), (None, "LOAD_CONST", 1),
        (None, "CALL_FUNCTION", 1), (None, "STORE_NAME", 1),
        (None, "SET_LINENO", 5), (None, "SETUP_LOOP", "end"), (None, "LOAD_NAME", 1),
        (None, "LOAD_CONST", 2), ("loop", "FOR_LOOP", "done"), (None, "STORE_NAME", 2),
        (None, "SET_LINENO", 6), (None, "LOAD_NAME", 2), (None, "PRINT_ITEM", None),
        (None, "PRINT_NEWLINE", None), (None, "JUMP_ABSOLUTE", "loop"),
        ("done", "POP_BLOCK", None),
        ("end", "SET_LINENO", 7), (None, "LOAD_NAME", 1), (None, "LOAD_CONST", 3),
        (None, "COMPARE_OP", 2), (None, "JUMP_IF_FALSE", "else"), (None, "POP_TOP", None),
        (None, "LOAD_CONST", 4), (None, "PRINT_ITEM", None), (None, "PRINT_NEWLINE", None),
        (None, "JUMP_FORWARD", "out"), ("else", "POP_TOP", None),
        ("out", "LOAD_CONST", 5), (None, "RETURN_VALUE", None),
    ], consts=[f, 2, 0, 1, "yes", None], names=["f", "x", "i"], stacksize=3)


def program_21():
    # def outer(): a = 1; def inner(): return a; return inner   (nested scopes)
    inner = Code("2.1", "inner", [
        (None, "SET_LINENO", 2), (None, "SET_LINENO", 3), (None, "LOAD_DEREF", 0),
        (None, "RETURN_VALUE", None), (None, "LOAD_CONST", 0), (None, "RETURN_VALUE", None),
    ], consts=[None], freevars=["a"], flags=3, stacksize=1, firstlineno=2)
    # 2.1's compiler counts MAKE_CLOSURE as taking the code and defaults only: the cell
    # LOAD_CLOSURE pushed stays counted, so 2 after it, 2 again after LOAD_FAST inner.
    outer = Code("2.1", "outer", [
        (None, "SET_LINENO", 1), (None, "SET_LINENO", 2), (None, "LOAD_CONST", 1),
        (None, "STORE_DEREF", 0), (None, "SET_LINENO", 3), (None, "LOAD_CLOSURE", 0),
        (None, "LOAD_CONST", 2), (None, "MAKE_CLOSURE", 0), (None, "STORE_FAST", 0),
        (None, "SET_LINENO", 4), (None, "LOAD_FAST", 0), (None, "RETURN_VALUE", None),
        (None, "LOAD_CONST", 0), (None, "RETURN_VALUE", None),
    ], consts=[None, 1, inner], varnames=["inner"], cellvars=["a"], flags=3, stacksize=2,
        firstlineno=1)
    # try: outer() / except: pass   (the handler starts 3 higher: 3)
    return Code("2.1", "?", [
        (None, "SET_LINENO", 0), (None, "SET_LINENO", 1), (None, "LOAD_CONST", 0),
        (None, "MAKE_FUNCTION", 0), (None, "STORE_NAME", 0),
        (None, "SET_LINENO", 6), (None, "SETUP_EXCEPT", "handler"),
        (None, "SET_LINENO", 7), (None, "LOAD_NAME", 0), (None, "CALL_FUNCTION", 0),
        (None, "POP_TOP", None), (None, "POP_BLOCK", None), (None, "JUMP_FORWARD", "out"),
        ("handler", "SET_LINENO", 8), (None, "POP_TOP", None), (None, "POP_TOP", None),
        (None, "POP_TOP", None), (None, "SET_LINENO", 9), (None, "JUMP_FORWARD", "out"),
        (None, "END_FINALLY", None),
        ("out", "LOAD_CONST", 1), (None, "RETURN_VALUE", None),
    ], consts=[outer, None], names=["outer"], stacksize=3)


def program_22():
    # for i in range(3): print i // 2   (2.2's iterators)
    return Code("2.2", "?", [
        (None, "SET_LINENO", 0), (None, "SET_LINENO", 1), (None, "SETUP_LOOP", "end"),
        (None, "LOAD_NAME", 0), (None, "LOAD_CONST", 0), (None, "CALL_FUNCTION", 1),
        (None, "GET_ITER", None), ("loop", "SET_LINENO", 1), (None, "FOR_ITER", "done"),
        (None, "STORE_NAME", 1), (None, "SET_LINENO", 2), (None, "LOAD_NAME", 1),
        (None, "LOAD_CONST", 1), (None, "BINARY_FLOOR_DIVIDE", None),
        (None, "PRINT_ITEM", None), (None, "PRINT_NEWLINE", None),
        (None, "JUMP_ABSOLUTE", "loop"), ("done", "POP_BLOCK", None),
        ("end", "LOAD_CONST", 2), (None, "RETURN_VALUE", None),
    ], consts=[3, 2, None], names=["range", "i"], stacksize=3)


def program_23():
    # import sys / while sys.argv: del sys.argv[0:1]   (line column from co_lnotab, no SET_LINENO)
    # stack: DELETE_SLICE+3 takes sys.argv, 0, 1: 3.
    return Code("2.3", "<module>", [
        (None, "LOAD_CONST", 0), (None, "IMPORT_NAME", 0), (None, "STORE_NAME", 0),
        ("top", "SETUP_LOOP", "end"), ("test", "LOAD_NAME", 0), (None, "LOAD_ATTR", 1),
        (None, "JUMP_IF_FALSE", "done"), (None, "POP_TOP", None),
        ("body", "LOAD_NAME", 0), (None, "LOAD_ATTR", 1), (None, "LOAD_CONST", 1),
        (None, "LOAD_CONST", 2), (None, "DELETE_SLICE+3", None),
        (None, "JUMP_ABSOLUTE", "test"), ("done", "POP_TOP", None), (None, "POP_BLOCK", None),
        ("end", "LOAD_CONST", 0), (None, "RETURN_VALUE", None),
    ], consts=[None, 0, 1], names=["sys", "argv"], stacksize=3,
        lines=[("top", 2), ("body", 3)])


def program_25():
    # from os import path / y = [i for i in x[1:]]   (2.5: import level, LIST_APPEND 18)
    # stack by 2.5's opcode_stack_effect: -1, ('path',) (2); IMPORT_NAME counted 0 though it
    # takes two (2); IMPORT_FROM +1 (3); STORE_NAME, POP_TOP (1: the count stays one high).
    # The list comprehension: [] (2), DUP_TOP (3), STORE _[1] (2), x (3), 1 (4), SLICE+1
    # counted 0 (4), GET_ITER (4), FOR_ITER +1 (5), STORE i (4), _[1] i (6): 6.
    return Code("2.5", "<module>", [
        (None, "LOAD_CONST", 0), (None, "LOAD_CONST", 1), (None, "IMPORT_NAME", 0),
        (None, "IMPORT_FROM", 1), (None, "STORE_NAME", 1), (None, "POP_TOP", None),
        ("l2", "BUILD_LIST", 0), (None, "DUP_TOP", None), (None, "STORE_NAME", 2),
        (None, "LOAD_NAME", 3), (None, "LOAD_CONST", 2), (None, "SLICE+1", None),
        (None, "GET_ITER", None), ("loop", "FOR_ITER", "done"), (None, "STORE_NAME", 4),
        (None, "LOAD_NAME", 2), (None, "LOAD_NAME", 4), (None, "LIST_APPEND", None),
        (None, "JUMP_ABSOLUTE", "loop"), ("done", "DELETE_NAME", 2),
        (None, "STORE_NAME", 5), (None, "LOAD_CONST", 3), (None, "RETURN_VALUE", None),
    ], consts=[-1, ("path",), 1, None], names=["os", "path", "_[1]", "x", "i", "y"],
        stacksize=6, lines=[("l2", 2)])


def program_26():
    # d = {'k': 1} / try: d['k'] / finally: d = None   (2.6: STORE_MAP; SETUP_FINALLY +3)
    # stack by 2.6's opcode_stack_effect: BUILD_MAP (1), 1 (2), 'k' (3), STORE_MAP (1);
    # SETUP_FINALLY +3 (3), d 'k' (5), BINARY_SUBSCR (4), POP_TOP (3): 5.
    return Code("2.6", "<module>", [
        (None, "BUILD_MAP", 1), (None, "LOAD_CONST", 0), (None, "LOAD_CONST", 1),
        (None, "STORE_MAP", None), (None, "STORE_NAME", 0),
        ("l2", "SETUP_FINALLY", "fin"), ("l3", "LOAD_NAME", 0), (None, "LOAD_CONST", 1),
        (None, "BINARY_SUBSCR", None), (None, "POP_TOP", None), (None, "POP_BLOCK", None),
        (None, "LOAD_CONST", 2), ("fin", "LOAD_CONST", 2), (None, "STORE_NAME", 0),
        (None, "END_FINALLY", None), (None, "LOAD_CONST", 2), (None, "RETURN_VALUE", None),
    ], consts=[1, "k", None], names=["d"], stacksize=5,
        lines=[("l2", 2), ("l3", 3), ("fin", 5)])


def program_pypy27():
    # assert x / o.m(1, k=2)   (PyPy 2.7: JUMP_IF_NOT_DEBUG skips asserts under -O;
    # LOOKUP_METHOD/CALL_METHOD, whose argument counts keywords in its high byte)
    return Code("pypy2.7", "<module>", [
        (None, "JUMP_IF_NOT_DEBUG", "l2"), (None, "LOAD_NAME", 0),
        (None, "POP_JUMP_IF_TRUE", "l2"), (None, "LOAD_GLOBAL", 1),
        (None, "RAISE_VARARGS", 1),
        ("l2", "LOAD_NAME", 2), (None, "LOOKUP_METHOD", 3), (None, "LOAD_CONST", 0),
        (None, "LOAD_CONST", 1), (None, "LOAD_CONST", 2), (None, "CALL_METHOD", 0x101),
        (None, "POP_TOP", None), (None, "LOAD_CONST", 3), (None, "RETURN_VALUE", None),
    ], consts=[1, "k", 2, None], names=["x", "AssertionError", "o", "m"], stacksize=5,
        lines=[("l2", 2)])


PROGRAMS = {"py15": program_15, "py21": program_21, "py22": program_22, "py23": program_23,
            "py25": program_25, "py26": program_26, "pypy27": program_pypy27}


def render():
    files = {}
    for name, make in PROGRAMS.items():
        c = make()
        files[name + ".pyc"] = pyc(c)
        files[name + ".dis.txt"] = old_dis(c).encode()
        files[name + ".stacksize"] = json.dumps(collect_stacksizes(c)).encode() + b"\n"
    return files


def collect_stacksizes(c):
    out = {c.name: c.stacksize}
    for k in c.consts:
        if isinstance(k, Code):
            out.update(collect_stacksizes(k))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files")
    args = ap.parse_args(argv)
    files = render()
    bad = []
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(files.items()):
        path = os.path.join(OUT, name)
        old = open(path, "rb").read() if os.path.exists(path) else None
        if old != data:
            if args.check:
                bad.append(name)
            else:
                with open(path, "wb") as f:
                    f.write(data)
                print("wrote", os.path.relpath(path, ROOT))
    for name in bad:
        print("out of date: tests/old/%s" % name, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
