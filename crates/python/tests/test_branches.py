"""Code.co_branches() (3.14+) against the real interpreters' (branches.json, from
tools/gen_python_branches.py) and the host's own where it has it."""

import json
import sys
from pathlib import Path

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import FIXTURES

EXPECTED = json.loads((Path(__file__).parent / "branches.json").read_text())


@pytest.mark.parametrize("version", sorted(EXPECTED))
def test_fixture_branches(version):
    for name, want in EXPECTED[version].items():
        code = bytescope.load(FIXTURES / version / name).code
        assert [[list(b) for b in c.co_branches()] for c in code.walk()] == want, name


def test_absent_before_314():
    code = bytescope.load(FIXTURES / "3.13" / "loops.pyc").code
    assert not hasattr(code, "co_branches")


@pytest.mark.skipif(sys.version_info < (3, 14), reason="the host has no co_branches")
def test_live_branches():
    async def f(x):
        async for i in x:
            if i:
                print(i)
        for j in x:
            while j and x:
                j -= 1

    assert list(bdis._host_code(f.__code__).co_branches()) == list(f.__code__.co_branches())
