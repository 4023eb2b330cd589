"""Headerless data and PyPy pycs through the Python API: the version of headerless data is
detected as the CLI detects it (or a given version checked against the data), and PyPy 3.9
pycs list exactly as PyPy's own ``dis`` printed them (tests/pypy)."""

import io

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import FIXTURES, REPO, normalise

PYPY = REPO / "tests" / "pypy" / "3.9"


def listing(pyc):
    out = io.StringIO()
    bdis.dis(pyc, file=out)
    return out.getvalue()


def test_headerless_data_is_detected():
    data = (FIXTURES / "3.12" / "closures.pyc").read_bytes()
    with_header = bytescope.load(data)
    assert (with_header.version_detected, with_header.version_note) == (False, None)
    for body in (data[16:], bytes(16) + data[16:]):
        pyc = bytescope.load(body)
        assert pyc.version == (3, 12)
        assert pyc.version_detected
        assert "detected Python 3.12" in pyc.version_note
        assert normalise(listing(pyc)) == normalise(listing(with_header))


def test_a_given_version_is_checked():
    body = (FIXTURES / "3.12" / "closures.pyc").read_bytes()[16:]
    assert bytescope.load(body, version=(3, 12)).version_detected is False
    with pytest.raises(bytescope.Error) as e:
        bytescope.load(body, version=(3, 13))
    assert "the data is not Python 3.13 bytecode" in str(e.value)


@pytest.mark.parametrize("pyc", sorted(PYPY.glob("*.pyc")), ids=lambda p: p.stem)
def test_pypy_lists_as_pypys_dis(pyc):
    want = pyc.with_suffix(".dis.txt").read_text()
    assert normalise(listing(bytescope.load(pyc))) == normalise(want)
