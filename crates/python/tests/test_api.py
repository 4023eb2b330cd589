"""The package API on live objects of the host and on hand-made marshal data."""

import dis as std_dis
import io
import marshal
import os
import pathlib
import sys
import subprocess

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import FIXTURES, normalise

HOST = sys.version_info[:2]


# --- live functions of the host --------------------------------------------------------

def simple(a, b=2, *args, c, **kw):
    total = a + b
    for x in args:
        if x > total:
            total = x
    try:
        total //= c
    except ZeroDivisionError:
        total = None
    return [total, kw, lambda y: y * a]


async def coroutine(url):
    async with url as u:
        return await u.read()


def generator(n):
    yield from range(n)
    yield {i: i * 2 for i in range(n)}


class Sample:
    """A class for dis(class)."""

    def method(self, value):
        return f"{value!r:>10} {self}"

    @staticmethod
    def static():
        return 1e300 * 1e300, 2**100, -0.0, 1j, b"\xff", "\udc80", ..., frozenset({1, 2})


LIVE = [simple, coroutine, generator, Sample.method, Sample.static, Sample().method, os.path.join,
        pathlib.PurePath.joinpath, std_dis.findlinestarts]


def host_fields(ins):
    d = ins._asdict()
    d["argval"] = normalise(repr(d["argval"])) if hasattr(d["argval"], "co_code") else d["argval"]
    d["argrepr"] = normalise(d["argrepr"])
    return d


@pytest.mark.parametrize("f", LIVE, ids=lambda f: getattr(f, "__qualname__", repr(f)))
def test_live_get_instructions(f):
    ours = [host_fields(i) for i in bdis.get_instructions(f)]
    theirs = [host_fields(i) for i in std_dis.get_instructions(f)]
    assert ours == theirs
    assert type(next(bdis.get_instructions(f)))._fields == std_dis.Instruction._fields


@pytest.mark.parametrize("f", LIVE, ids=lambda f: getattr(f, "__qualname__", repr(f)))
def test_live_bytecode(f):
    ours, theirs = bdis.Bytecode(f), std_dis.Bytecode(f)
    assert [host_fields(i) for i in ours] == [host_fields(i) for i in theirs]
    assert normalise(ours.dis()) == normalise(theirs.dis())
    assert normalise(ours.info()) == normalise(theirs.info())
    assert ours.first_line == theirs.first_line
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("f", LIVE + [Sample, pathlib, std_dis], ids=lambda f: getattr(f, "__qualname__", repr(f)))
def test_live_dis_text(f):
    ours, theirs = io.StringIO(), io.StringIO()
    bdis.dis(f, file=ours)
    std_dis.dis(f, file=theirs)
    assert normalise(ours.getvalue()) == normalise(theirs.getvalue())


@pytest.mark.parametrize("f", LIVE, ids=lambda f: getattr(f, "__qualname__", repr(f)))
def test_live_code_info_and_tables(f):
    co = f.__code__ if hasattr(f, "__code__") else f.__func__.__code__
    ours = bdis._get_code(f)
    assert normalise(bdis.code_info(f)) == normalise(std_dis.code_info(f))
    assert list(bdis.findlinestarts(f)) == list(std_dis.findlinestarts(co))
    assert bdis.findlabels(f) == std_dis.findlabels(co.co_code)
    if HOST >= (3, 10):
        assert list(ours.co_lines()) == list(co.co_lines())
    if HOST >= (3, 11):
        assert list(ours.co_positions()) == list(co.co_positions())
        assert [tuple(e) for e in ours.exception_table] == [tuple(e) for e in std_dis._parse_exception_table(co)]
    out = io.StringIO()
    bdis.show_code(f, file=out)
    assert normalise(out.getvalue()) == normalise(std_dis.code_info(f) + "\n")


def same_const(a, b):
    if hasattr(b, "co_code"):
        return isinstance(a, bytescope.Code) and a.co_name == b.co_name and same_attrs(a, b)
    if isinstance(b, tuple):
        return type(a) is tuple and len(a) == len(b) and all(same_const(x, y) for x, y in zip(a, b))
    if isinstance(b, float) and b != b:
        return isinstance(a, float) and a != a
    return type(a) is type(b) and a == b and repr(a) == repr(b)


def same_attrs(ours, co):
    for name in dir(co):
        if not name.startswith("co_") or name in ("co_branches",):
            continue
        theirs = getattr(co, name)
        mine = getattr(ours, name)
        if callable(theirs):
            assert list(mine()) == list(theirs()), name
        elif name == "co_consts":
            assert len(mine) == len(theirs)
            assert all(same_const(a, b) for a, b in zip(mine, theirs)), name
        else:
            assert mine == theirs, name
    return True


@pytest.mark.parametrize("f", LIVE, ids=lambda f: getattr(f, "__qualname__", repr(f)))
def test_live_attributes(f):
    import warnings

    co = f.__code__ if hasattr(f, "__code__") else f.__func__.__code__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # co_lnotab on 3.12+
        assert same_attrs(bdis._get_code(f), co)
    ours = bdis._get_code(f)
    assert ours.version == HOST
    assert [c.co_name for c in ours.walk()][0] == co.co_name


def test_walk_is_preorder():
    code = bytescope.load(FIXTURES / "3.12" / "closures.pyc").code
    names = [c.co_qualname for c in code.walk()]
    assert names[0] == "<module>"
    assert len(names) == len(set(id(c) for c in code.walk()))
    assert "make_counter.<locals>.increment" in names


# --- load / loads ------------------------------------------------------------------------

def test_load_sources_agree():
    path = FIXTURES / "3.12" / "args.pyc"
    data = path.read_bytes()
    a, b, c = bytescope.load(str(path)), bytescope.load(path), bytescope.load(data)
    assert a.version == b.version == c.version == (3, 12)
    assert repr(a.code) == repr(b.code) == repr(c.code)
    assert c.path == "<bytes>" and a.path == str(path)
    assert bytescope.load(bytearray(data)).code.co_name == "<module>"
    assert bytescope.load(memoryview(data)).magic == 3531


def test_load_headerless():
    data = (FIXTURES / "3.11" / "args.pyc").read_bytes()
    # Without a version, the version is detected (test_triage.py has more).
    assert bytescope.load(data[16:]).version_detected
    for v in ((3, 11), "3.11"):
        pyc = bytescope.load(data[16:], version=v)
        assert pyc.magic is None and pyc.version == (3, 11) and pyc.header_size == 0
    zeroed = bytes(16) + data[16:]
    assert bytescope.load(zeroed, version=(3, 11)).code.co_name == "<module>"
    with pytest.raises(ValueError):
        bytescope.load(data, version="3.99")


def test_load_missing_file():
    with pytest.raises(OSError):
        bytescope.load("/nonexistent/x.pyc")


CONSTANTS = [None, True, False, 0, -1, 2**31, 2**63, -(2**200), 10**400, 1.5, -0.0, float("inf"), 1 + 2j,
             "", "abc", "é直接", "lone \udcff surrogate", b"\x00\xff", (), (1, ("a", None)), frozenset({1, "x"}),
             ..., [1, 2], {"k": (1,)}, {1, 2}]


@pytest.mark.parametrize("value", CONSTANTS, ids=repr)
def test_loads_constants(value):
    data = marshal.dumps(value)
    got = bytescope.loads(data, HOST)
    assert type(got) is type(value)
    assert got == value
    # What marshal.loads makes (a frozenset's order is its insertion order, the file's).
    assert repr(got) == repr(marshal.loads(data))


def test_loads_shared_references_stay_linear():
    t = ("x" * 10,) * 3
    nested = (t, t, (t, t))
    assert bytescope.loads(marshal.dumps(nested), HOST) == nested


def test_loads_code_object():
    co = compile("def f(x):\n    return x + 1\n", "m.py", "exec")
    got = bytescope.loads(marshal.dumps(co), HOST)
    assert isinstance(got, bytescope.Code)
    assert got.co_filename == "m.py" and got.version == HOST
    assert normalise(repr(got)) == normalise(repr(co))


def test_loads_slice_and_frozendict():
    # 3.14 marshals slices (':'); 3.15 frozendicts ('}': key, value pairs, then '0').
    s = bytescope.loads(b":\xe9\x01\x00\x00\x00N\xe9\x02\x00\x00\x00", (3, 14))
    assert s == slice(1, None, 2)
    fd = bytescope.loads(b"}\xda\x01a\xe9\x01\x00\x00\x00\xda\x01b\xe9\x02\x00\x00\x000", (3, 15))
    assert dict(fd) == {"a": 1, "b": 2} and list(fd) == ["a", "b"]
    assert hash(fd) == hash(bytescope.loads(b"}\xda\x01a\xe9\x01\x00\x00\x00\xda\x01b\xe9\x02\x00\x00\x000", (3, 15)))
    with pytest.raises(TypeError):
        fd["c"] = 3
    with pytest.raises(bytescope.Error):
        bytescope.loads(b"}0", (3, 14))


def test_error_is_value_error():
    assert issubclass(bytescope.Error, ValueError)
    with pytest.raises(bytescope.Error) as e:
        bytescope.loads(b"r\x05\x00\x00\x00", (3, 12))
    assert str(e.value) == "<bytes>: bad marshal data: invalid reference 5 (0 objects registered so far) (at offset 0x1)"


# --- dis options and tables ---------------------------------------------------------------

def test_options_the_version_lacks():
    code310 = bytescope.load(FIXTURES / "3.10" / "args.pyc").code
    with pytest.raises(TypeError, match=r"^get_instructions\(\) got an unexpected keyword argument 'show_caches'$"):
        bdis.get_instructions(code310, show_caches=True)
    code39 = bytescope.load(FIXTURES / "3.9" / "args.pyc").code
    with pytest.raises(TypeError, match=r"^__init__\(\) got an unexpected keyword argument 'adaptive'$"):
        bdis.Bytecode(code39, adaptive=False)
    code36 = bytescope.load(FIXTURES / "3.6" / "args.pyc").code
    with pytest.raises(TypeError, match="depth"):
        bdis.dis(code36, depth=1, file=io.StringIO())
    code312 = bytescope.load(FIXTURES / "3.12" / "args.pyc").code
    with pytest.raises(TypeError, match="show_offsets"):
        bdis.dis(code312, show_offsets=True, file=io.StringIO())
    # Options the version has are accepted, even when false.
    bdis.dis(code312, show_caches=False, adaptive=False, file=io.StringIO())
    # Keywords no version has: 3.9's Bytecode says __init__() (as 3.6-3.9 print it), 3.10+'s
    # Bytecode.__init__().
    with pytest.raises(TypeError, match=r"^__init__\(\) got an unexpected keyword argument 'depth'$"):
        bdis.Bytecode(code39, depth=1)
    with pytest.raises(TypeError, match=r"^Bytecode.__init__\(\) got an unexpected keyword argument 'file'$"):
        bdis.Bytecode(code310, file=None)


def test_depth():
    pyc = bytescope.load(FIXTURES / "3.12" / "closures.pyc")
    out0, full = io.StringIO(), io.StringIO()
    bdis.dis(pyc, depth=0, file=out0)
    bdis.dis(pyc, file=full)
    assert "Disassembly of" not in out0.getvalue()
    assert full.getvalue().startswith(out0.getvalue())
    one = io.StringIO()
    bdis.disassemble(pyc.code, file=one)
    assert one.getvalue() == out0.getvalue()
    # As CPython recurses while depth > 0: a negative depth lists the code alone, a depth
    # beyond any code's nesting (or any machine integer) lists everything.
    for depth, want in ((-5, out0), (10**30, full), (2.5, full)):
        out = io.StringIO()
        bdis.dis(pyc, depth=depth, file=out)
        assert out.getvalue() == want.getvalue(), depth


def test_first_line_and_caches():
    code = bytescope.load(FIXTURES / "3.12" / "args.pyc").code
    plain = list(bdis.get_instructions(code))
    shifted = list(bdis.get_instructions(code, first_line=101))
    assert [None if i.starts_line is None else i.starts_line + 100 for i in plain] == [i.starts_line for i in shifted]
    calls = code.walk()[-1]
    with_caches = list(bdis.get_instructions(calls, show_caches=True))
    assert any(i.opname == "CACHE" for i in with_caches)
    assert [i for i in with_caches if i.opname != "CACHE"] == list(bdis.get_instructions(calls))
    code313 = bytescope.load(FIXTURES / "3.13" / "args.pyc").code
    ins = [i for i in bdis.get_instructions(code313.walk()[-1]) if i.cache_info][0]
    assert ins.cache_offset == ins.offset + 2 and ins.end_offset > ins.cache_offset
    assert ins.baseopname == ins.opname and ins.oparg == ins.arg


def test_opcodes_tables():
    import opcode

    host = bdis.opcodes()
    assert host.opmap == opcode.opmap and host.opname == opcode.opname
    assert host.hasjrel == opcode.hasjrel and host.cmp_op == tuple(opcode.cmp_op)
    assert bdis.opname == opcode.opname
    t27 = bdis.opcodes("2.7")
    assert t27.opmap["PRINT_ITEM"] == 71 and not hasattr(t27, "hasjump")
    t315 = bdis.opcodes((3, 15))
    assert "hasjump" in vars(t315) and t315.version == (3, 15)
    with pytest.raises(ValueError):
        bdis.opcodes("3.99")


def test_opcodes_tables_in_the_modules_order():
    """Lists and dicts in the order the host's opcode/dis modules hold them; for other
    versions, facts the interpreters printed (3.9.18, 3.12.1, 3.13.0, 3.14.10, 3.15.2)."""
    import opcode

    host = bdis.opcodes()
    assert list(host.opmap.items()) == list(opcode.opmap.items())
    assert host.opname == list(std_dis.opname)
    for name in ("hasarg", "hasconst", "hasname", "hasjrel", "hasjabs", "hasjump", "haslocal", "hascompare",
                 "hasfree", "hasnargs", "hasexc"):
        assert getattr(host, name, None) == getattr(std_dis, name, None), name
    # opname names the pseudo-opcodes too (3.12+).
    lengths = {"3.11": 256, "3.12": 267, "3.13": 268, "3.14": 267, "3.15": 267}
    for v, n in lengths.items():
        assert len(bdis.opcodes(v).opname) == n, v
    assert bdis.opcodes("3.12").opname[260] == "JUMP"
    # opmap's order, and 3.13+'s hasarg in it.
    names = list(bdis.opcodes("3.9").opmap)
    assert names[names.index("LOAD_CLASSDEREF") + 1] == "EXTENDED_ARG"
    assert list(bdis.opcodes("3.13").opmap)[:5] == ["CACHE", "RESERVED", "RESUME", "INSTRUMENTED_LINE",
                                                     "BEFORE_ASYNC_WITH"]
    assert list(bdis.opcodes("3.15").opmap)[:7] == ["CACHE", "RESERVED", "RESUME", "INSTRUMENTED_LINE",
                                                     "ENTER_EXECUTOR", "TRACE_RECORD", "BINARY_SLICE"]
    assert bdis.opcodes("3.13").hasarg[:2] == [149, 45]
    assert bdis.opcodes("3.14").hasarg[:3] == [128, 255, 44]
    assert not hasattr(bdis.opcodes("3.11"), "_intrinsic_1_descs")


def _effect(f, *args, **kwargs):
    try:
        return f(*args, **kwargs)
    except (ValueError, TypeError) as e:
        return type(e).__name__, str(e)


def test_stack_effect():
    """Every opcode byte, with and without arguments and jumps, as the host's
    dis.stack_effect: the same value or the same exception and message. Documented gaps:
    pseudo-opcodes (256 and up, 3.12+) and the runtime-only instrumented opcodes (3.12+),
    which bytescope's tables do not give effects for."""
    instrumented = getattr(bdis.opcodes(), "MIN_INSTRUMENTED_OPCODE", 256)
    jumps = [{}] if sys.version_info < (3, 8) else [{}, {"jump": True}, {"jump": False}, {"jump": None}]
    for op in range(instrumented):
        for oparg in (None, 0, 1, 3, 7, 256, 0x1_0000):
            args = (op,) if oparg is None else (op, oparg)
            for kw in jumps:
                want = _effect(std_dis.stack_effect, *args, **kw)
                assert _effect(bdis.stack_effect, *args, **kw) == want, (op, oparg, kw)
    assert _effect(bdis.stack_effect, 100, jump=2)[0] == "ValueError"
    assert _effect(bdis.stack_effect, 100, 1, jump=True, version="3.7") == (
        "TypeError", "stack_effect() takes no keyword arguments")
    assert bdis.stack_effect(bdis.opcodes("3.6").opmap["BUILD_TUPLE"], 3, version="3.6") == -2
    assert bdis.stack_effect(bdis.opcodes("3.15").opmap["POP_TOP"], version=(3, 15)) == -1
    with pytest.raises(ValueError, match="first appeared in 3.4"):
        bdis.stack_effect(1, version="2.7")


# Argument errors of dis.stack_effect, as each interpreter printed them (3.7.16, 3.9.18,
# 3.10.13, 3.13.0, 3.15.2): opcode and oparg are positional-only, 3.4-3.7 take no keywords.
STACK_EFFECT_ARGUMENTS = [
    ("3.7", (100,), {"oparg": 1}, "stack_effect() takes no keyword arguments"),
    ("3.7", (), {}, "stack_effect() takes at least 1 argument (0 given)"),
    ("3.7", (100, 1, 2), {}, "stack_effect() takes at most 2 arguments (3 given)"),
    ("3.7", ("a",), {}, "an integer is required (got type str)"),
    ("3.7", (100.0, 1), {}, "integer argument expected, got float"),
    ("3.9", (100,), {"oparg": 1}, "'oparg' is an invalid keyword argument for stack_effect()"),
    ("3.9", (100, 1), {"x": 1}, "'x' is an invalid keyword argument for stack_effect()"),
    ("3.9", (), {}, "stack_effect() takes at least 1 positional argument (0 given)"),
    ("3.9", (), {"opcode": 100}, "stack_effect() takes at least 1 positional argument (0 given)"),
    ("3.9", (100, "1"), {}, "an integer is required (got type str)"),
    ("3.10", ("a",), {}, "'str' object cannot be interpreted as an integer"),
    ("3.10", (100.0, 1), {}, "'float' object cannot be interpreted as an integer"),
    ("3.13", (100,), {"oparg": 1}, "stack_effect() got an unexpected keyword argument 'oparg'"),
    ("3.15", (100, 1, 2), {}, "stack_effect() takes at most 2 positional arguments (3 given)"),
]


@pytest.mark.parametrize("version,args,kwargs,message", STACK_EFFECT_ARGUMENTS)
def test_stack_effect_arguments(version, args, kwargs, message):
    assert _effect(bdis.stack_effect, *args, version=version, **kwargs) == ("TypeError", message)


def test_stack_effect_arguments_as_the_host():
    cases = [((100,), {"oparg": 1}), ((), {}), ((100, 1, 2), {}), ((100, 1), {"x": 1}), ((), {"opcode": 100}),
             (("a",), {}), ((100, "1"), {}), ((100.0, 1), {}), ((100, 1), {"jump": None}), ((100, None), {})]
    for args, kwargs in cases:
        assert _effect(bdis.stack_effect, *args, **kwargs) == _effect(std_dis.stack_effect, *args, **kwargs), (
            args, kwargs)


def test_get_instructions_arguments_as_the_host():
    host = test_get_instructions_arguments_as_the_host.__code__
    ours = bytescope.loads(marshal.dumps(host), sys.version_info[:2])
    for args, kwargs in [([], {}), ([None, 1], {}), ([None], {"foo": 1})]:
        with pytest.raises(TypeError) as want:
            std_dis.get_instructions(*[host if a is None else a for a in args], **kwargs)
        with pytest.raises(TypeError) as got:
            bdis.get_instructions(*[ours if a is None else a for a in args], **kwargs)
        assert str(got.value) == str(want.value), (args, kwargs)


def test_versions_and_help():
    assert (2, 7) in bytescope.versions() and (3, 15) in bytescope.versions()
    assert "co_" in bytescope.Code.__doc__
    assert "version" in bytescope.load.__doc__
    assert bytescope.dis.get_instructions.__doc__


def test_inline_cache_entries_are_counts():
    # 3.15's opcode._inline_cache_entries is a frozendict: read as a mapping, not a sequence.
    for v in [(3, 11), (3, 12), (3, 13), (3, 14), (3, 15)]:
        table = bdis.opcodes(v)._inline_cache_entries
        assert table and all(isinstance(n, int) and n > 0 for n in table.values()), v
    assert bdis.opcodes("3.15")._inline_cache_entries["LOAD_GLOBAL"] == 4
    for path in sorted((FIXTURES / "3.15").glob("*.pyc"))[:3]:
        for ins in bdis.get_instructions(bytescope.load(path).code):
            assert ins.end_offset >= ins.cache_offset


@pytest.mark.parametrize("version,warns", [("3.10", False), ("3.11", False), ("3.12", True), ("3.14", True)])
def test_co_lnotab_deprecated_from_3_12(version, warns):
    """3.12-3.14 warn when co_lnotab is read (3.15 has none), as they do."""
    import warnings

    code = bytescope.load(FIXTURES / version / "loops.pyc").code
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code.co_lnotab
    got = [(w.category, str(w.message)) for w in caught]
    assert got == ([(DeprecationWarning, "co_lnotab is deprecated, use co_lines instead.")] if warns else [])



# A frozenset of str iterates in the order of the process's string hashes: under a random
# PYTHONHASHSEED (the default) the host's dis lists it in an order of its own.
SEEDED = r"""
import dis, io, sys
import bytescope.dis as bdis
def f(c):
    return c in {"alpha", "beta", "gamma", "delta", ".", ".."}
ours, theirs = io.StringIO(), io.StringIO()
bdis.dis(f, file=ours)
dis.dis(f, file=theirs)
src = 'x in {"alpha", "beta", "gamma", "delta"}'
ours2, theirs2 = io.StringIO(), io.StringIO()
bdis.dis(src, file=ours2)
dis.dis(src, file=theirs2)
print(ours.getvalue() == theirs.getvalue() and ours2.getvalue() == theirs2.getvalue())
"""


@pytest.mark.parametrize("seed", ["random", "0", "1", "2", "3", "4"])
def test_live_frozensets_are_listed_in_the_hosts_own_order(seed):
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, "-c", SEEDED], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.strip() == "True", out.stderr
