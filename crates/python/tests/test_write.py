"""The write path from Python: bytescope.dumps and Pyc.to_bytes."""

import marshal
import math

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import FIXTURES


def same(a, b):
    if isinstance(a, bytescope.Code):
        assert isinstance(b, bytescope.Code)
        for name in dir(a):
            if name.startswith("co_") and hasattr(a, name) and not callable(getattr(a, name)):
                same(getattr(a, name), getattr(b, name))
        return
    if isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
        return
    if isinstance(a, tuple):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    assert type(a) is type(b) and a == b, (a, b)


FILES = sorted(FIXTURES.glob("*/*.pyc"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_to_bytes_loads_equal(path):
    pyc = bytescope.load(path)
    data = pyc.to_bytes()
    again = bytescope.load(data)
    assert again.version == pyc.version and again.magic == pyc.magic
    assert data[:pyc.header_size] == path.read_bytes()[:pyc.header_size]
    same(pyc.code, again.code)
    assert bytescope.dumps(pyc) == data[pyc.header_size:]
    for code in pyc.code.walk():
        same(code, bytescope.loads(bytescope.dumps(code), pyc.version))


def test_headerless_gets_a_header():
    path = FIXTURES / "3.12" / "constants.pyc"
    raw = path.read_bytes()[16:]
    pyc = bytescope.load(raw, version="3.12")
    fixed = bytescope.load(pyc.to_bytes())
    assert fixed.version == (3, 12) and fixed.mtime == 0
    same(pyc.code, fixed.code)


def test_dumps_of_live_code_is_marshal():
    def f(a, *, b=2):
        return [a + b for _ in range(3)], 1.5, -0.0, {"x": frozenset({1})}

    code = bdis._host_code(f.__code__)
    assert marshal.loads(bytescope.dumps(code)) == f.__code__
    with pytest.raises(TypeError):
        bytescope.dumps(42)


VALUES = [
    None, True, False, 0, 7, -(2**70), 1.5, float("nan"), -0.0, 1 + 2j, "", "héllo", "a\udc80",
    b"x\x00", (), (1, ("a", b"b")), [1, [2]], {1, 2}, frozenset({1}), {"k": (1,)}, Ellipsis,
]


def test_dumps_of_values_is_what_host_marshal_loads():
    host = bdis._HOST
    for v in VALUES:
        got = marshal.loads(bytescope.dumps(v, version=host))
        if isinstance(v, float) and math.isnan(v):
            assert math.isnan(got)
        else:
            assert type(got) is type(v) and got == v, (v, got)
    # Scalars and strings come out byte for byte as the host writes them.
    for v in [None, True, 7, -(2**70), 1.5, 1 + 2j, "héllo", b"x\x00", Ellipsis]:
        assert bytescope.dumps(v, version=host) == marshal.dumps(v), v
    # Code objects of the version nest inside values.
    code = bdis._host_code((lambda a: a + 1).__code__)
    assert marshal.loads(bytescope.dumps((code, 1), version=host)) == (marshal.loads(bytescope.dumps(code)), 1)


@pytest.mark.parametrize("version", bytescope.versions())
def test_dumps_of_values_reads_back_in_every_version(version):
    for v in VALUES:
        try:
            data = bytescope.dumps(v, version=version)
        except bytescope.Error as e:
            # 1.5-2.6's marshal lacks some types: bool before 2.3, sets before 2.5, unicode in 1.5.
            assert version < (2, 7) and "cannot be marshalled by Python" in str(e), (version, v, e)
            continue
        got = bytescope.loads(data, version)
        assert repr(got) == repr(v) or (isinstance(v, float) and math.isnan(v)), (version, v, got)
    if version < (3, 14):
        with pytest.raises(bytescope.Error, match="slice cannot be marshalled by Python"):
            bytescope.dumps(slice(1, 2), version=version)
    else:
        assert bytescope.loads(bytescope.dumps(slice(1, 2), version=version), version) == slice(1, 2)


def test_dumps_of_values_needs_a_known_version():
    with pytest.raises(TypeError, match="needs version="):
        bytescope.dumps((1, 2))
    with pytest.raises(ValueError, match="unknown Python version \"9.9\""):
        bytescope.dumps(1, version="9.9")
    with pytest.raises(ValueError, match="does not know Python 1.3"):
        bytescope.dumps(1, version="1.3")
    with pytest.raises(TypeError, match="^dumps: cannot store a constant of type object"):
        bytescope.dumps(object(), version="3.12")


def test_dumps_of_hostile_values_is_bounded():
    # Nesting deeper than marshal writes, and containers that hold themselves: an error
    # naming the limit, not a stack overflow or an endless walk.
    deep = None
    for _ in range(1_000_000):
        deep = [deep]
    looped = []
    looped.append(looped)
    cyclic = {}
    cyclic[1] = cyclic
    for value in (deep, looped, cyclic):
        with pytest.raises(ValueError, match="^dumps: constants nest deeper than 2000 levels"):
            bytescope.dumps(value, version="3.12")
    # Subclasses of the marshal types are refused, as CPython's marshal refuses them.
    for sub in (type("S", (str,), {})("x"), type("T", (tuple,), {})((1,))):
        with pytest.raises(TypeError, match="cannot store a constant of type"):
            bytescope.dumps(sub, version="3.12")
