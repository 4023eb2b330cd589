"""``bytescope.dis._find_imports`` and ``_find_store_names`` (what ``modulefinder`` asks ``dis``
for) over every code object of the ``imports`` fixtures of each version, against that version's
real interpreter when it is here, else against finders.json (regenerated from them by
tools/gen_python_finders.py); and the host's ``_all_opname``/``_all_opmap``."""

import dis
import json
import sys
from pathlib import Path

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import FIXTURES, script, vkey

COMMITTED = json.loads((Path(__file__).parent / "finders.json").read_text())


GEN = script("tools/gen_python_finders.py")


def plain(x):
    """As the generator writes values: tuples as lists, 2.x ``str`` constants (host bytes) as text."""
    if isinstance(x, (tuple, list)):
        return [plain(i) for i in x]
    if isinstance(x, bytes):
        return x.decode("latin-1")
    return x


@pytest.mark.parametrize("version", sorted(COMMITTED, key=vkey))
def test_find_imports_and_store_names(version):
    python = GEN.interpreter(version)
    want = COMMITTED[version] if python is None else GEN.expected(version, python)
    assert want, version
    for snippet, per_code in want.items():
        codes = list(bytescope.load(FIXTURES / version / f"{snippet}.pyc").code.walk())
        assert len(codes) == len(per_code), snippet
        for code, (imports, stores) in zip(codes, per_code):
            assert plain(list(bdis._find_imports(code))) == imports, (snippet, code)
            assert plain(list(bdis._find_store_names(code))) == stores, (snippet, code)


def test_committed_cases_cover_every_fixture_version():
    assert set(COMMITTED) == {d.name for d in FIXTURES.iterdir() if d.is_dir()}


@pytest.mark.skipif(not hasattr(dis, "_find_imports"), reason="the host's dis has no _find_imports (3.11+)")
def test_finders_take_host_code_as_the_hosts_dis_does():
    for src in ("import a.b.c", "from a.b import c as d", "from ...a.b import c as d", "from ..a.b import *",
                "x = y = 1", "global x\nx = y = 1", "x += y"):
        code = compile(src, "<string>", "exec")
        assert list(bdis._find_imports(code)) == list(dis._find_imports(code)), src
        assert list(bdis._find_store_names(code)) == list(dis._find_store_names(code)), src


@pytest.mark.skipif(sys.version_info < (3, 11), reason="dis._all_opmap is 3.11+")
def test_all_opname_and_all_opmap_are_the_hosts():
    assert bdis._all_opname == dis._all_opname
    assert list(bdis._all_opmap.items()) == list(dis._all_opmap.items())
    assert (bdis._OPNAME_WIDTH, bdis._OPARG_WIDTH) == (dis._OPNAME_WIDTH, dis._OPARG_WIDTH)
    if sys.version_info >= (3, 13):
        import opcode

        ours = bdis.opcodes(sys.version_info[:2])._specialized_opmap
        assert list(ours.items()) == list(opcode._specialized_opmap.items())
