"""The committed malformed corpus (tests/malformed) through the Python API: every file
gives either its listing or a bytescope.Error whose message is the CLI's error line
(``bytescope: NAME.pyc: message (at offset 0x...)`` without its ``bytescope: `` prefix),
and touching every attribute of every code object never crashes or hangs."""

import io

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import MALFORMED

NAMES = sorted(p.stem for p in MALFORMED.glob("*.pyc"))
BUDGET = "output stopped at"


def expected(name, kind):
    path = MALFORMED / f"{name}.{kind}"
    return path.read_text().strip() if path.exists() else None


def error_text(name, kind):
    text = expected(name, kind)
    if text is None and kind == "info.err":
        text = expected(name, "err")
    text = text[len("bytescope: "):] if text else ""
    if ": no .pyc header: detected Python " in text:
        # Not an error: the CLI's note on headerless data whose version it detected;
        # bytescope.load detects it too (Pyc.version_note) and the file lists.
        return ""
    if "bad zip archive" in text:
        # The CLI's batch layer takes a file that starts like a zip for an archive;
        # bytescope.load reads one .pyc: a bad header over a readable body is
        # headerless data, whose version it detects (checked in test_dis).
        return ""
    return text


@pytest.fixture(autouse=True)
def in_corpus(monkeypatch):
    monkeypatch.chdir(MALFORMED)


def listing(name):
    pyc = bytescope.load(f"{name}.pyc")
    out = io.StringIO()
    bdis.dis(pyc, file=out)
    return out.getvalue()


@pytest.mark.parametrize("name", NAMES)
def test_dis(name):
    err = error_text(name, "err")
    if err:
        with pytest.raises(bytescope.Error) as e:
            listing(name)
        assert str(e.value) == err
    elif (MALFORMED / f"{name}.out").exists():
        assert listing(name) == (MALFORMED / f"{name}.out").read_text()
    else:
        pyc = bytescope.load(f"{name}.pyc")
        assert pyc.version_detected and "detected Python" in pyc.version_note
        assert listing(name)


@pytest.mark.parametrize("name", NAMES)
def test_info(name):
    err = error_text(name, "info.err")
    try:
        pyc = bytescope.load(f"{name}.pyc")
        text = "".join(bdis.code_info(c) + "\n\n" for c in pyc.code.walk())
    except bytescope.Error as e:
        assert str(e) == err
        return
    # code_info is one code object's text: a budget the CLI spends over the whole file
    # is spent per code object here.
    assert not err or BUDGET in err
    assert text


@pytest.mark.parametrize("name", NAMES)
def test_every_attribute(name):
    try:
        pyc = bytescope.load(f"{name}.pyc")
    except bytescope.Error as e:
        assert str(e).startswith(f"{name}.pyc: ") and "offset 0x" in str(e)
        return
    for code in pyc.code.walk():
        for attr in dir(code):
            if attr.startswith("co_"):
                try:
                    value = getattr(code, attr)
                except (AttributeError, bytescope.Error):
                    continue
                if callable(value):
                    for _ in value():
                        pass
        code.exception_table
        repr(code)
        try:
            list(bdis.get_instructions(code))
            list(bdis.Bytecode(code))
            list(bdis.findlinestarts(code))
        except bytescope.Error as e:
            # A malformed part, or the instructions' text past the file's output
            # budget (one large constant loaded many times).
            assert "offset 0x" in str(e) or BUDGET in str(e)


def test_headerless_with_version():
    pyc = bytescope.load("stripped_header.pyc", version="3.12")
    assert pyc.code.co_name == "<module>"
