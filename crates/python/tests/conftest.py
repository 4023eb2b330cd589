"""Shared paths and helpers for the bytescope package's tests."""

import importlib.util
import json
import math
import pathlib
import re

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"
MALFORMED = REPO / "tests" / "malformed"

ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def normalise(text):
    """Code-object addresses (CPython's) and file offsets (bytescope's) as ``at 0x?``."""
    return ADDRESS.sub(" at 0x?", text)


def versions():
    """The fixture version directories, oldest first."""
    dirs = [d.name for d in FIXTURES.iterdir() if d.is_dir()]
    return sorted(dirs, key=lambda v: tuple(int(p) for p in v.split(".")))


def cases():
    """(version, snippet) for every fixture pyc (the plain, timestamp-based ones)."""
    out = []
    for v in versions():
        for pyc in sorted((FIXTURES / v).glob("*.pyc")):
            if ".hash-" in pyc.name:
                continue
            out.append((v, pyc.stem))
    return out


def vkey(v):
    return tuple(int(p) for p in v.split("."))


def json_lines(path):
    """A per-code-object JSON fixture: one JSON value per code object."""
    return json.loads(path.read_text())


def argval_json(v):
    """The fixtures' argval rule: JSON-native values as themselves, else ``{"repr": ...}``."""
    if v is None or type(v) is bool:
        return v
    if type(v) is int and -(2**63) <= v < 2**63:
        return v
    if type(v) is float and math.isfinite(v):
        return v
    if type(v) is str and not any(0xD800 <= ord(c) <= 0xDFFF for c in v):
        return v
    return {"repr": normalise(repr(v))}


@pytest.fixture(scope="session")
def repo():
    return REPO


def same_value(got, expected_repr):
    """Whether host value ``got`` is the constant the target interpreter showed as
    ``expected_repr``. Reprs are compared first (addresses normalised); where the host's
    repr differs only because of the host (a frozenset's element order follows the host's
    hashes, ``str`` printability follows the host's Unicode database), by value."""
    import ast

    if normalise(repr(got)) == normalise(expected_repr):
        return True
    if expected_repr.startswith("frozenset("):
        inner = expected_repr[len("frozenset("):-1]
        try:
            return isinstance(got, frozenset) and got == frozenset(ast.literal_eval(inner) if inner else ())
        except (ValueError, SyntaxError):
            return False
    try:
        value = ast.literal_eval(expected_repr)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False
    return type(value) is type(got) and value == got


def pytest_configure(config):
    # 3.12-3.14 code objects warn on co_lnotab, as CPython does; the tests that read every
    # co_* attribute are not about that (test_api checks the warning).
    config.addinivalue_line("filterwarnings", "ignore:co_lnotab is deprecated:DeprecationWarning")


def script(relative):
    """The repository's Python script at ``relative`` (``tools/gen_python_lasti.py``), imported
    as a module: the generators' expectations and the examples are tested through it."""
    path = REPO / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
