"""``Code._co_code_adaptive``, ``Code._varname_from_oparg`` and ``adaptive=True`` listings
(3.11+) against each version's real interpreter when it is here, else against adaptive.json
(regenerated from them by tools/gen_python_adaptive.py); and, when the host is 3.11+, against
the host's own code objects and ``dis`` directly."""

import dis
import io
import json
import marshal
import sys
from pathlib import Path

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import FIXTURES, normalise, script, vkey

COMMITTED = json.loads((Path(__file__).parent / "adaptive.json").read_text())
HOST = sys.version_info[:2]
HOST_KEY = "%d.%d" % HOST


GEN = script("tools/gen_python_adaptive.py")


def expected(version):
    """The interpreter's own values when it is here, else the committed ones."""
    python = GEN.interpreter(version)
    if python is None:
        return COMMITTED[version]
    return GEN.expected(version, python)


def codes(version, snippet):
    return bytescope.load(FIXTURES / version / f"{snippet}.pyc").code.walk()


def varname(code, i):
    try:
        return code._varname_from_oparg(i)
    except Exception as e:
        return "%s: %s" % (type(e).__name__, e)


@pytest.mark.parametrize("version", sorted(COMMITTED, key=vkey))
def test_against_the_interpreter(version):
    want = expected(version)
    for snippet, per_code in want["adaptive"].items():
        cs = codes(version, snippet)
        assert len(cs) == len(per_code), snippet
        for code, changes in zip(cs, per_code):
            got = code._co_code_adaptive
            assert type(got) is bytes and len(got) == len(code.co_code)
            assert [[i, b] for i, (a, b) in enumerate(zip(code.co_code, got)) if a != b] == changes, (
                snippet, code.co_name)
    cs = codes(version, GEN.NAMES_SNIPPET)
    assert len(cs) == len(want["varnames"])
    for code, names in zip(cs, want["varnames"]):
        assert [varname(code, i) for i in range(-1, len(names) - 1)] == names, code.co_name
    listings = []
    for code in codes(version, GEN.LISTING_SNIPPET):
        out = io.StringIO()
        bdis.disassemble(code, file=out, adaptive=True, show_caches=True)
        listings.append(normalise(out.getvalue()))
    assert listings == want["listing"]


def test_committed_values_cover_3_11_and_later():
    assert set(COMMITTED) == {d.name for d in FIXTURES.iterdir() if d.is_dir() and vkey(d.name) >= (3, 11)}
    # 3.11 quickens only code that has run; 3.12+ quicken every new code object.
    assert all(not c for s in COMMITTED["3.11"]["adaptive"].values() for c in s)
    for v in ("3.12", "3.13", "3.14", "3.15"):
        assert any(c for s in COMMITTED[v]["adaptive"].values() for c in s), v


@pytest.mark.parametrize("version", ["2.7", "3.6", "3.10"])
def test_missing_before_3_11(version):
    code = codes(version, "closures" if version != "2.7" else "py2_misc")[0]
    for attr in ("_co_code_adaptive", "_varname_from_oparg"):
        assert not hasattr(code, attr)
        with pytest.raises(AttributeError, match=f"'code' object has no attribute '{attr}'"):
            getattr(code, attr)


def test_varname_from_oparg_arguments():
    code = codes("3.12", "closures")[1]
    v = code._varname_from_oparg
    assert v.__name__ == "_varname_from_oparg"
    assert v(0) == v(oparg=0) == v(False) == code.co_varnames[0]

    class Index:
        def __index__(self):
            return 0

    assert v(Index()) == code.co_varnames[0]
    cases = [
        ((), {}, TypeError, "_varname_from_oparg() missing required argument 'oparg' (pos 1)"),
        ((), {"x": 1}, TypeError, "_varname_from_oparg() missing required argument 'oparg' (pos 1)"),
        ((0, 1), {}, TypeError, r"_varname_from_oparg() takes at most 1 argument (2 given)"),
        ((0,), {"oparg": 1}, TypeError, r"_varname_from_oparg() takes at most 1 argument (2 given)"),
        ((), {"oparg": 0, "x": 1}, TypeError, r"_varname_from_oparg() takes at most 1 keyword argument (2 given)"),
        (("0",), {}, TypeError, "'str' object cannot be interpreted as an integer"),
        ((1.0,), {}, TypeError, "'float' object cannot be interpreted as an integer"),
        ((2**31,), {}, OverflowError, "Python int too large to convert to C int"),
        ((-(2**31) - 1,), {}, OverflowError, "Python int too large to convert to C int"),
        ((2**100,), {}, OverflowError, "Python int too large to convert to C int"),
        ((-1,), {}, IndexError, "tuple index out of range"),
        ((2**31 - 1,), {}, IndexError, "tuple index out of range"),
    ]
    for args, kwargs, exc, message in cases:
        with pytest.raises(exc) as info:
            v(*args, **kwargs)
        assert str(info.value) == message, (args, kwargs)


def f_sample(a, b=1):
    x = a + b
    for i in x:
        if i:
            print(i)
    while a:
        a, b = b, a
    return x


@pytest.mark.skipif(HOST < (3, 11), reason="_co_code_adaptive and adaptive=True are 3.11+")
def test_host_code_objects():
    real = marshal.loads(marshal.dumps(f_sample.__code__))  # new, never run
    ours = bytescope.loads(marshal.dumps(f_sample.__code__), HOST)
    assert ours._co_code_adaptive == real._co_code_adaptive
    n = len(real.co_varnames) + len(real.co_cellvars) + len(real.co_freevars)
    assert [varname(ours, i) for i in range(-1, n + 1)] == [varname(real, i) for i in range(-1, n + 1)]
    for kwargs in ({"adaptive": True}, {"adaptive": True, "show_caches": True}):
        a, b = io.StringIO(), io.StringIO()
        bdis.dis(ours, file=a, **kwargs)
        dis.dis(real, file=b, **kwargs)
        assert normalise(a.getvalue()) == normalise(b.getvalue()), kwargs
        mine = [tuple(i) for i in bdis.get_instructions(ours, **kwargs)]
        theirs = [tuple(i) for i in dis.get_instructions(real, **kwargs)]
        assert mine == theirs, kwargs
        assert normalise(bdis.Bytecode(ours, **kwargs).dis()) == normalise(dis.Bytecode(real, **kwargs).dis())
    # A live function lists what running it has specialised, as the host's dis does:
    # its _co_code_adaptive is taken from the live code object (marshal.dumps lacks it).
    for _ in range(100):
        f_sample([], [])
    for kwargs in ({"adaptive": True}, {"adaptive": True, "show_caches": True}):
        assert normalise(bdis.Bytecode(f_sample, **kwargs).dis()) == normalise(dis.Bytecode(f_sample, **kwargs).dis())
        mine = [tuple(i) for i in bdis.get_instructions(f_sample, **kwargs)]
        theirs = [tuple(i) for i in dis.get_instructions(f_sample, **kwargs)]
        assert mine == theirs, kwargs
    assert bdis._host_code(f_sample.__code__)._co_code_adaptive == f_sample.__code__._co_code_adaptive


@pytest.mark.skipif(HOST < (3, 11) or HOST_KEY not in COMMITTED, reason="host fixtures: 3.11+")
def test_host_fixtures():
    for pyc in sorted((FIXTURES / HOST_KEY).glob("*.pyc")):
        data = pyc.read_bytes()
        real_all, stack = [], [marshal.loads(data[16:])]
        while stack:
            c = stack.pop()
            real_all.append(c)
            stack.extend(reversed([k for k in c.co_consts if hasattr(k, "co_code")]))
        ours_all = bytescope.load(data).code.walk()
        assert len(ours_all) == len(real_all)
        for o, r in zip(ours_all, real_all):
            assert o._co_code_adaptive == r._co_code_adaptive, (pyc.name, r.co_name)
            n = len(r.co_varnames) + len(r.co_cellvars) + len(r.co_freevars)
            assert [varname(o, i) for i in range(n + 1)] == [varname(r, i) for i in range(n + 1)]


def crafted(data, code, version):
    """``data`` with the first BINARY_OP of ``code`` turned into its specialised
    BINARY_OP_ADD_INT and its first cache unit set to 07 09, as no interpreter writes it."""
    ops = bdis.opcodes(version)
    target = next(i for i in bdis.get_instructions(code) if i.opname == "BINARY_OP")
    at = bytes(data).find(code.co_code)
    assert at > 0
    out = bytearray(data)
    out[at + target.offset] = ops._specialized_opmap["BINARY_OP_ADD_INT"]
    out[at + target.offset + 2: at + target.offset + 4] = b"\x07\x09"
    return bytes(out), target.offset


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13", "3.14", "3.15"])
def test_crafted_specialised_code(version):
    """A .pyc holding a specialised opcode and cache data: co_code and dis show what CPython's
    do (deoptimised, caches zeroed); _co_code_adaptive keeps the stored opcode."""
    pyc = FIXTURES / version / "operators.pyc"
    data = pyc.read_bytes()
    clean = bytescope.load(data)
    code = next(c for c in clean.code.walk() if any(i.opname == "BINARY_OP" for i in bdis.get_instructions(c)))
    bad, offset = crafted(data, code, version)
    index = [c.offset for c in clean.code.walk()].index(code.offset)
    ours = bytescope.load(bad).code.walk()[index]
    assert ours.co_code == code.co_code
    assert ours._co_code_adaptive[offset] == bad[bytes(data).find(code.co_code) + offset]
    a, b = io.StringIO(), io.StringIO()
    bdis.dis(ours, file=a)
    bdis.dis(code, file=b)
    assert a.getvalue() == b.getvalue()
    assert [tuple(i) for i in bdis.get_instructions(ours)] == [tuple(i) for i in bdis.get_instructions(code)]
    # Written back (dumps, to_bytes) and edited (replace) from co_code, as CPython's marshal.dumps
    # and replace() start from it.
    assert bytescope.loads(bytescope.dumps(ours), vkey(version)).co_code == code.co_code
    again = bytescope.load(bytescope.load(bad).to_bytes()).code.walk()[index]
    assert again.co_code == code.co_code and again._co_code_adaptive == code._co_code_adaptive
    assert ours.replace(co_name="x").co_code == code.co_code


@pytest.mark.skipif(HOST < (3, 11), reason="specialised opcodes are 3.11+")
def test_crafted_specialised_code_as_the_host():
    data = marshal.dumps(f_sample.__code__)
    ours_clean = bytescope.loads(data, HOST)
    bad, _ = crafted(data, ours_clean, HOST)
    real, ours = marshal.loads(bad), bytescope.loads(bad, HOST)
    assert ours.co_code == real.co_code
    assert ours._co_code_adaptive == real._co_code_adaptive
    assert marshal.loads(bytescope.dumps(ours))._co_code_adaptive == marshal.loads(marshal.dumps(real))._co_code_adaptive
    assert ours.replace(co_name="x")._co_code_adaptive == real.replace(co_name="x")._co_code_adaptive
    for kwargs in ({}, {"adaptive": True, "show_caches": True}):
        a, b = io.StringIO(), io.StringIO()
        bdis.dis(ours, file=a, **kwargs)
        dis.dis(real, file=b, **kwargs)
        assert normalise(a.getvalue()) == normalise(b.getvalue()), kwargs


def _outer(n):
    def inner(a, b):
        return a + b

    t = 0
    for i in range(n):
        t = inner(t, i)
    return t, [j * 2.0 for j in range(n)]


@pytest.mark.skipif(HOST < (3, 11), reason="adaptive is 3.11+")
def test_run_code_with_nested_code_objects():
    # Each nested code object gets its own live _co_code_adaptive (matched in pre-order).
    for _ in range(60):
        _outer(50)
    for kwargs in ({"adaptive": True}, {"adaptive": True, "show_caches": True}):
        a, b = io.StringIO(), io.StringIO()
        bdis.dis(_outer, file=a, **kwargs)
        dis.dis(_outer, file=b, **kwargs)
        assert normalise(a.getvalue()) == normalise(b.getvalue()), kwargs
