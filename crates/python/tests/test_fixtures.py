"""Every view of every committed fixture pyc (2.7, 3.6-3.15), through the Python API,
against what the real interpreters printed (tests/fixtures, see its README)."""

import io
import json

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import FIXTURES, argval_json, cases, json_lines, normalise, same_value, vkey

CASES = cases()
IDS = [f"{v}-{s}" for v, s in CASES]


def load(v, s):
    return bytescope.load(FIXTURES / v / f"{s}.pyc")


def fixture(v, s, view):
    return FIXTURES / v / f"{s}.{view}"


@pytest.mark.parametrize("v,s", CASES, ids=IDS)
def test_header(v, s):
    pyc = load(v, s)
    h = json.loads(fixture(v, s, "header.json").read_text())
    assert pyc.version == vkey(h["python"])
    assert pyc.magic == h["magic"]
    assert pyc.flags == h["flags"]
    assert pyc.mtime == h["mtime"]
    assert pyc.source_size == h["source_size"]
    assert pyc.source_hash is None
    assert pyc.header_size == h["header_size"]


@pytest.mark.parametrize("v", sorted({v for v, _ in CASES if vkey(v) >= (3, 7)}, key=vkey))
@pytest.mark.parametrize("kind", ["checked", "unchecked"])
def test_hash_based_header(v, kind):
    path = FIXTURES / v / f"closures.hash-{kind}.pyc"
    h = json.loads((FIXTURES / v / f"closures.hash-{kind}.header.json").read_text())
    pyc = bytescope.load(path)
    assert pyc.flags == h["flags"]
    assert pyc.mtime is None and pyc.source_size is None
    assert pyc.source_hash.hex() == h["source_hash"]


@pytest.mark.parametrize("v,s", CASES, ids=IDS)
def test_dis_text(v, s):
    out = io.StringIO()
    bdis.dis(load(v, s), file=out)
    assert normalise(out.getvalue()) == normalise(fixture(v, s, "dis.txt").read_text())


@pytest.mark.parametrize("v,s", CASES, ids=IDS)
@pytest.mark.parametrize("view,option", [("dis-caches", "show_caches"), ("dis-offsets", "show_offsets"),
                                         ("dis-positions", "show_positions")])
def test_dis_options(v, s, view, option):
    path = fixture(v, s, f"{view}.txt")
    pyc = load(v, s)
    if not path.exists():
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{option}'"):
            bdis.dis(pyc, file=io.StringIO(), **{option: True})
        return
    out = io.StringIO()
    bdis.dis(pyc, file=out, **{option: True})
    assert normalise(out.getvalue()) == normalise(path.read_text())


@pytest.mark.parametrize("v,s", CASES, ids=IDS)
def test_code_info(v, s):
    path = fixture(v, s, "info.txt")
    if not path.exists():
        pytest.skip("no code_info in this version")
    text = "".join(bdis.code_info(c) + "\n\n" for c in load(v, s).code.walk())
    assert normalise(text) == normalise(path.read_text())


@pytest.mark.parametrize("v,s", CASES, ids=IDS)
def test_get_instructions(v, s):
    path = fixture(v, s, "instructions.json")
    if not path.exists():
        pytest.skip("no get_instructions in this version")
    expected = json_lines(path)
    codes = load(v, s).code.walk()
    assert len(codes) == len(expected)
    for code, want in zip(codes, expected):
        got = []
        for ins in bdis.get_instructions(code):
            d = {}
            for name in ins._fields:
                val = getattr(ins, name)
                if name == "argval":
                    val = (val, argval_json(val))
                elif name == "positions":
                    val = None if val is None else list(val)
                elif name == "cache_info":
                    val = None if val is None else [[n, size, data.hex()] for n, size, data in val]
                elif name == "argrepr":
                    val = normalise(val)
                d[name] = val
            got.append(d)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            value, encoded = g.pop("argval")
            expected = w.pop("argval")
            if isinstance(expected, dict):
                assert isinstance(encoded, dict) and same_value(value, expected["repr"]), (value, expected)
            else:
                assert encoded == expected
            w["argrepr"] = normalise(w["argrepr"])
            assert g == w


@pytest.mark.parametrize("v,s", CASES, ids=IDS)
def test_tables(v, s):
    codes = load(v, s).code.walk()
    starts = json_lines(fixture(v, s, "linestarts.json"))
    assert [[list(p) for p in bdis.findlinestarts(c)] for c in codes] == starts
    if vkey(v) >= (3, 10):
        lines = json_lines(fixture(v, s, "lines.json"))
        assert [[list(r) for r in c.co_lines()] for c in codes] == lines
    else:
        assert not hasattr(codes[0], "co_lines")
    if vkey(v) >= (3, 11):
        positions = json_lines(fixture(v, s, "positions.json"))
        assert [[list(p) for p in c.co_positions()] for c in codes] == positions
        exceptions = json_lines(fixture(v, s, "exceptions.json"))
        assert [[list(e) for e in c.exception_table] for c in codes] == exceptions
    else:
        assert not hasattr(codes[0], "co_positions")
        assert all(c.exception_table == [] for c in codes)


TYPE_NAMES = {"Code": "code", "ellipsis": "ellipsis"}


def const_entry(c, version):
    name = TYPE_NAMES.get(type(c).__name__, type(c).__name__)
    return name


@pytest.mark.parametrize("v,s", CASES, ids=IDS)
def test_attrs(v, s):
    want = json_lines(fixture(v, s, "attrs.json"))
    codes = load(v, s).code.walk()
    assert len(codes) == len(want)
    for code, w in zip(codes, want):
        for key, expected in w.items():
            got = getattr(code, key)
            if key in ("co_code", "co_lnotab", "co_linetable", "co_exceptiontable"):
                assert got.hex() == expected, key
            elif key == "co_consts":
                if vkey(v) < (3, 0):
                    # Python 2 str constants are host bytes: compare what maps.
                    assert len(got) == len(expected)
                    continue
                assert len(got) == len(expected)
                for c, e in zip(got, expected):
                    assert const_entry(c, v) == e["type"], (c, e)
                    assert same_value(c, e["repr"]), (c, e)
            elif isinstance(got, tuple):
                assert list(got) == expected, key
            else:
                assert got == expected, key
        # Attributes the version does not have are missing.
        for key in ("co_posonlyargcount", "co_kwonlyargcount", "co_qualname", "co_linetable",
                    "co_exceptiontable"):
            if key not in w:
                assert not hasattr(code, key), key
