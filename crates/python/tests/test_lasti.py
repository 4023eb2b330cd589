"""The current-instruction marker (``disassemble(co, lasti)``, ``Bytecode(current_offset=)``)
and shifted line numbers (``Bytecode(first_line=)``, ``get_instructions(first_line=)``) against
each version's real interpreter when it is here, else against lasti.json (regenerated from
them by tools/gen_python_lasti.py)."""

import io
import json
from pathlib import Path

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import FIXTURES, normalise, script, vkey

COMMITTED = json.loads((Path(__file__).parent / "lasti.json").read_text())


GEN = script("tools/gen_python_lasti.py")


def expected(version):
    """The interpreter's own cases when it is here, else the committed ones."""
    python = GEN.interpreter(version)
    if python is None:
        return COMMITTED[version]
    return GEN.expected(version, python)


def actual(code, kind, args):
    if kind == "disassemble":
        out = io.StringIO()
        bdis.disassemble(code, args["lasti"], file=out, **({"show_caches": True} if args.get("show_caches") else {}))
        return normalise(out.getvalue())
    if kind == "bytecode":
        return normalise(bdis.Bytecode(code, **args).dis())
    keys = args["fields"]
    return [[i.offset] + [list(i.positions) if k == "positions" else getattr(i, k) for k in keys]
            for i in bdis.get_instructions(code, first_line=args["first_line"])]


@pytest.mark.parametrize("version", sorted(COMMITTED, key=vkey))
def test_lasti_and_first_line(version):
    for snippet, cases in expected(version).items():
        codes = list(bytescope.load(FIXTURES / version / f"{snippet}.pyc").code.walk())
        for index, kind, args, want in cases:
            assert actual(codes[index], kind, args) == want, (snippet, index, kind, args)


def test_committed_cases_cover_every_fixture_version():
    assert set(COMMITTED) == {d.name for d in FIXTURES.iterdir() if d.is_dir()}


def test_marker_on_host_function():
    def f(x):
        return x + 1

    lasti = list(bdis.get_instructions(f))[-1].offset
    ours, theirs = io.StringIO(), io.StringIO()
    bdis.disassemble(f, lasti, file=ours)
    import dis

    dis.disassemble(f.__code__, lasti, file=theirs)
    assert ours.getvalue() == theirs.getvalue()
    assert "-->" in ours.getvalue()
    assert bdis.Bytecode(f, current_offset=lasti, first_line=7).dis() == dis.Bytecode(
        f, current_offset=lasti, first_line=7
    ).dis()


def test_dis_has_no_lasti():
    # No version's dis.dis takes lasti (only disassemble and distb do).
    with pytest.raises(TypeError):
        bdis.dis(bytescope.load(FIXTURES / "3.12" / "loops.pyc"), lasti=2)


def test_first_line_of_old_versions():
    # 2.7 has no Bytecode; bytescope serves it with the 3.4 API, line numbers shifted as there.
    code = bytescope.load(FIXTURES / "2.7" / "py2_exceptions.pyc").code
    plain = bdis.Bytecode(code).dis().splitlines()
    shifted = bdis.Bytecode(code, first_line=code.co_firstlineno + 100).dis().splitlines()
    want = ["%3d" % (int(line[:3]) + 100) + line[3:] if line[:3].strip() else line for line in plain]
    assert shifted == want
    assert shifted != plain


def test_lasti_none_marks_nothing():
    code = bytescope.load(FIXTURES / "3.12" / "loops.pyc").code
    a, b = io.StringIO(), io.StringIO()
    bdis.disassemble(code, None, file=a)
    bdis.disassemble(code, file=b)
    assert a.getvalue() == b.getvalue() and "-->" not in a.getvalue()


STR = json.loads((Path(__file__).parent / "instruction_str.json").read_text())


@pytest.mark.parametrize("version", sorted(STR, key=vkey))
def test_str_of_instructions_is_the_listing_line(version):
    """3.13+ ``str(ins)`` is ``Formatter().print_instruction(ins)``'s line (tools/gen_python_str.py)."""
    gen = script("tools/gen_python_str.py")
    python = gen.interpreter(version)
    want = gen.expected(version, python) if python else STR[version]
    code = bytescope.load(FIXTURES / version / "loops.pyc").code
    got = [[normalise(str(i)) for i in bdis.get_instructions(c)] for c in code.walk()]
    assert got == want


def test_str_before_313_is_the_repr():
    code = bytescope.load(FIXTURES / "3.12" / "loops.pyc").code
    ins = next(iter(bdis.get_instructions(code)))
    assert str(ins) == repr(ins)
