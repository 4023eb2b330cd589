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
