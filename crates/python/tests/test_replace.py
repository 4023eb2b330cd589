"""Code.replace(**changes) and Pyc.replace(code=...): Python values into the write path's
owned code objects, with each version's replace() rules; the real interpreter runs the
edited code where the host is the fixture's version."""

import io
import marshal
import math
import sys
import types

import pytest

import bytescope
import bytescope.dis as bdis
from conftest import FIXTURES

VERSIONS = ["2.7", "3.8", "3.11", "3.12", "3.14"]
HOST = "%d.%d" % sys.version_info[:2]


def vt(v):
    return tuple(int(p) for p in v.split("."))


def find(code, name):
    return next(c for c in code.walk() if c.co_name == name)


def same(a, b):
    """Equal attributes (recursively for nested code objects), types included."""
    if isinstance(a, bytescope.Code):
        assert isinstance(b, bytescope.Code) and a.version == b.version
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


def listing(code):
    out = io.StringIO()
    bdis.dis(code, file=out)
    return out.getvalue()


def roundtrips(code):
    """dumps of the edited code reads back equal, and to_bytes of a Pyc holding it too."""
    same(code, bytescope.loads(bytescope.dumps(code), code.version))


def function_of(v):
    """A fixture function with locals, and its pyc: many_args(a, b=1, *args, **kwargs) in
    2.7, kwonly(a, *, b, c=3) from 3.0."""
    if v == "2.7":
        pyc = bytescope.load(FIXTURES / v / "py2_misc.pyc")
        return pyc, find(pyc.code, "many_args")
    pyc = bytescope.load(FIXTURES / v / "args.pyc")
    return pyc, find(pyc.code, "kwonly")


@pytest.mark.parametrize("v", VERSIONS)
def test_rename_locals(v):
    pyc, f = function_of(v)
    renamed = tuple(n.upper() + "_" for n in f.co_varnames)
    g = f.replace(co_varnames=renamed)
    assert isinstance(g, bytescope.Code) and g.version == vt(v)
    assert g.co_varnames == renamed
    assert g.co_code == f.co_code and g.co_consts == f.co_consts and g.co_names == f.co_names
    assert g.co_argcount == f.co_argcount and g.co_flags == f.co_flags
    assert renamed[0] in listing(g) and renamed[0] not in listing(f)
    roundtrips(g)


@pytest.mark.parametrize("v", VERSIONS)
def test_names_and_consts(v):
    pyc = bytescope.load(FIXTURES / v / "func_imports.pyc")
    f = find(pyc.code, "f")
    assert f.co_names == ("os", "system")
    cid = b"id" if v == "2.7" else "id"  # Python 2's str is bytes
    assert cid in f.co_consts
    consts = tuple(b"whoami" if c == b"id" else "whoami" if c == "id" else c for c in f.co_consts) + (
        2**100, -(2**70), -0.0, float("nan"), 1 - 2j, "s\ud800", b"\x00b", (1, (2.5, None)),
        frozenset({1, 2}), ..., True,
    )
    g = f.replace(co_names=("shutil", "which"), co_consts=consts)
    assert g.co_names == ("shutil", "which")
    same(g.co_consts, consts)
    text = listing(g)
    assert "shutil" in text and "which" in text and "'whoami'" in text, text
    roundtrips(g)


@pytest.mark.parametrize("v", VERSIONS)
def test_nested_code_constant_and_pyc(v):
    """A module whose nested function was replaced: its constant is the new Code, and
    Pyc.replace(code=...).to_bytes() is a .pyc with the edit."""
    pyc, f = function_of(v)
    g = f.replace(co_varnames=tuple("v%d" % i for i in range(len(f.co_varnames))))
    module = pyc.code
    consts = tuple(g if c == f else c for c in module.co_consts)
    m2 = module.replace(co_consts=consts)
    inner = find(m2, f.co_name)
    assert inner.co_varnames == g.co_varnames
    edited = pyc.replace(code=m2)
    data = edited.to_bytes()
    assert data[: pyc.header_size] == pyc.to_bytes()[: pyc.header_size]
    again = bytescope.load(data)
    assert again.version == pyc.version
    same(again.code, m2)
    assert find(again.code, f.co_name).co_varnames == g.co_varnames
    assert pyc.replace().to_bytes() == pyc.to_bytes()


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/*.pyc")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_replace_with_own_values_is_identity(path):
    """Every code object of every fixture: giving back its own constants, names and
    locals changes nothing (the Python constants convert back exactly)."""
    pyc = bytescope.load(path)
    for code in pyc.code.walk():
        changes = dict(co_consts=code.co_consts, co_names=code.co_names, co_varnames=code.co_varnames)
        if pyc.version >= (3, 0):
            changes.update(co_cellvars=code.co_cellvars, co_freevars=code.co_freevars)
        same(code.replace(**changes), code)


def test_errors_like_cpython():
    f311 = find(bytescope.load(FIXTURES / "3.11" / "args.pyc").code, "kwonly")
    f38 = find(bytescope.load(FIXTURES / "3.8" / "args.pyc").code, "kwonly")
    f314 = find(bytescope.load(FIXTURES / "3.14" / "args.pyc").code, "kwonly")
    f27 = find(bytescope.load(FIXTURES / "2.7" / "py2_misc.pyc").code, "many_args")
    with pytest.raises(TypeError, match="'co_foo' is an invalid keyword argument for replace()"):
        f311.replace(co_foo=1)
    with pytest.raises(TypeError, match="replace\\(\\) got an unexpected keyword argument 'co_foo'"):
        f314.replace(co_foo=1)
    with pytest.raises(TypeError, match="co_qualname"):
        f38.replace(co_qualname="x")
    with pytest.raises(TypeError, match="co_linetable"):
        f38.replace(co_linetable=b"")
    with pytest.raises(TypeError, match="co_lnotab"):
        f311.replace(co_lnotab=b"")
    with pytest.raises(TypeError, match="co_posonlyargcount"):
        f27.replace(co_posonlyargcount=0)
    with pytest.raises(TypeError, match="must be tuple, not list"):
        f311.replace(co_consts=[None])
    with pytest.raises(TypeError, match="must be bytes, not str"):
        f311.replace(co_code="")
    # The messages of the version's argument converters (3.8.18, 3.11.7, 3.15.2 print these).
    with pytest.raises(TypeError, match="^'str' object cannot be interpreted as an integer$"):
        f311.replace(co_argcount="1")
    with pytest.raises(TypeError, match="^an integer is required \\(got type str\\)$"):
        f38.replace(co_argcount="1")
    with pytest.raises(TypeError, match="^replace\\(\\) argument 'co_name' must be str, not int$"):
        f311.replace(co_name=1)
    with pytest.raises(TypeError, match="^replace\\(\\) argument 'co_filename' must be str, not bytes$"):
        f38.replace(co_filename=b"x")
    with pytest.raises(TypeError, match="^replace\\(\\) takes no positional arguments$"):
        f311.replace(1)
    with pytest.raises(OverflowError, match="^Python int too large to convert to C int$"):
        f311.replace(co_flags=2**40)
    with pytest.raises(TypeError, match="names must be str, not int"):
        f311.replace(co_names=("a", 1))
    with pytest.raises(TypeError, match="cannot store a constant of type object"):
        f311.replace(co_consts=(object(),))
    with pytest.raises(ValueError, match="co_code is malformed"):
        f311.replace(co_code=b"\x00")
    with pytest.raises(ValueError, match="co_argcount must be a positive integer"):
        f311.replace(co_argcount=-1)
    with pytest.raises(ValueError, match="co_nlocals != len\\(co_varnames\\)"):
        f311.replace(co_nlocals=7)
    with pytest.raises(ValueError, match="co_varnames is too small"):
        f311.replace(co_varnames=("a",))
    with pytest.raises(OverflowError):
        f311.replace(co_stacksize=2**40)
    with pytest.raises(ValueError, match="Python 3.8 code object cannot be a constant of Python 3.11"):
        f311.replace(co_consts=(f38,))
    with pytest.raises(ValueError, match="slice"):
        f311.replace(co_consts=(slice(1, 2),))
    assert f314.replace(co_consts=(None, slice(1, 2, None))).co_consts == (None, slice(1, 2, None))
    deep = ()
    for _ in range(2100):
        deep = (deep,)
    with pytest.raises(ValueError, match="deeper than 2000"):
        f311.replace(co_consts=(deep,))
    ok = ()
    for _ in range(1990):
        ok = (ok,)
    assert type(f311.replace(co_consts=(ok,)).co_consts[0]) is tuple  # deep, but no crash
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="deeper than 2000"):
        f311.replace(co_consts=(loop,))
    assert f27.replace(co_argcount=1).co_argcount == 1


@pytest.mark.skipif(sys.version_info < (3, 8), reason="code.replace is 3.8+")
def test_errors_match_host_replace():
    """On live host code: the same exception type (and message, but for the int overflow
    wording) as the host's own code.replace."""

    def add(a, b):
        return a + b

    mine = bdis._host_code(add.__code__)
    for bad in [
        dict(co_foo=1),
        dict(co_consts=[1]),
        dict(co_argcount=-1),
        dict(co_nlocals=5),
        dict(co_varnames=("a",)),
        dict(co_code="x"),
        dict(co_lnotab=b"") if sys.version_info >= (3, 10) else dict(co_linetable=b""),
    ]:
        try:
            add.__code__.replace(**bad)
        except Exception as e:  # noqa: BLE001
            host = e
        else:
            # Accepted by this host (3.9 takes any co_nlocals): ours accepts it too.
            mine.replace(**bad)
            continue
        with pytest.raises(Exception) as ours:
            mine.replace(**bad)
        assert type(ours.value) is type(host), bad
        if "must be" not in str(host):
            assert str(ours.value) == str(host), bad


def load_live(code):
    """The host code object for an edited Code of the host's version."""
    return marshal.loads(bytescope.dumps(code))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="BINARY_OP is 3.11+")
def test_binary_op_edit_runs_on_host():
    """The issue's example: BINARY_OP's operand 0 (+) becomes 5 (*), and add(2, 3) is 6."""

    def add(a, b):
        return a + b

    code = bytescope.loads(marshal.dumps(add.__code__), sys.version_info[:2])
    ins = next(i for i in bdis.get_instructions(code) if i.opname == "BINARY_OP")
    assert ins.arg == 0
    co_code = bytearray(code.co_code)
    co_code[ins.offset + 1] = 5
    edited = code.replace(co_code=bytes(co_code))
    assert [i.argrepr for i in bdis.get_instructions(edited) if i.opname == "BINARY_OP"] == ["*"]
    f = types.FunctionType(load_live(edited), {})
    assert f(2, 3) == 6


def host_fixture(name):
    if HOST not in VERSIONS and not (FIXTURES / HOST).is_dir():
        pytest.skip(f"no fixtures of the host's version {HOST}")
    path = FIXTURES / HOST / name
    if not path.exists():
        pytest.skip(f"no {HOST}/{name}")
    return bytescope.load(path)


def run_module(code):
    ns = {"__name__": "edited"}
    exec(load_live(code), ns)
    return ns


def with_function(pyc, name, new):
    module = pyc.code
    old = find(module, name)
    return module.replace(co_consts=tuple(new if c == old else c for c in module.co_consts))


def test_fixture_edits_run_on_host():
    """Where the host is a fixture's version: renamed locals, a changed constant and (3.11+)
    a changed operator, run by the real interpreter from the edited fixture."""
    pyc = host_fixture("args.pyc")
    assert run_module(pyc.code)["kwonly"](1, b=2) == 6
    f = find(pyc.code, "kwonly")
    renamed = f.replace(co_varnames=("x", "y", "z"))
    ns = run_module(with_function(pyc, "kwonly", renamed))
    # the default of c is keyed by its old name in the module: z has none now
    assert ns["kwonly"](1, y=2, z=3) == 6
    assert ns["kwonly"].__code__.co_varnames == ("x", "y", "z")
    # The defaults tuple of defaults() is a module constant.
    old = (1, "two", None, (1, 2), -1.5)
    consts = tuple((10, "TWO", None, (1, 2), -1.5) if c == old else c for c in pyc.code.co_consts)
    ns = run_module(pyc.code.replace(co_consts=consts))
    assert ns["defaults"](0) == (0, 10, "TWO", None, (1, 2), -1.5)
    if sys.version_info >= (3, 11):
        ins = next(i for i in bdis.get_instructions(f) if i.opname == "BINARY_OP")
        co_code = bytearray(f.co_code)
        co_code[ins.offset + 1] = 5
        times = f.replace(co_code=bytes(co_code))
        ns = run_module(with_function(pyc, "kwonly", times))
        assert ns["kwonly"](2, b=3) == 2 * 3 + 3
        # and the whole edited .pyc, through Pyc.replace and to_bytes
        data = pyc.replace(code=with_function(pyc, "kwonly", times)).to_bytes()
        ns = {}
        exec(marshal.loads(data[pyc.header_size:]), ns)
        assert ns["kwonly"](2, b=3) == 9


def test_host_code_constant():
    """A live host code object is a constant of host-version code."""

    def inner():
        return 42

    def outer():
        return None

    code = bdis._host_code(outer.__code__)
    edited = code.replace(co_consts=code.co_consts + (inner.__code__,))
    nested = edited.co_consts[-1]
    assert isinstance(nested, bytescope.Code) and nested.co_name == "inner"
    assert load_live(edited).co_consts[-1] == inner.__code__


def test_frozendict_constant_and_pyc_write(tmp_path):
    """3.15's frozendict constants (the host's type, or bytescope's where the host has none),
    and Pyc.write."""
    import builtins

    from bytescope._types import frozendict as ours

    fd = getattr(builtins, "frozendict", ours)
    pyc = bytescope.load(FIXTURES / "3.15" / "args.pyc")
    f = find(pyc.code, "kwonly")
    g = f.replace(co_consts=f.co_consts + (fd({"a": 1, "b": (2, 3)}),))
    got = g.co_consts[-1]
    assert type(got) is fd and dict(got.items()) == {"a": 1, "b": (2, 3)}
    roundtrips(g)
    with pytest.raises(ValueError, match="frozendict"):
        find(bytescope.load(FIXTURES / "3.14" / "args.pyc").code, "kwonly").replace(co_consts=(fd({}),))
    out = tmp_path / "edited.pyc"
    pyc.replace(code=pyc.code.replace(co_filename="edited.py")).write(out)
    again = bytescope.load(out)
    assert again.code.co_filename == "edited.py" and again.version == (3, 15)
    assert out.read_bytes()[: pyc.header_size] == (FIXTURES / "3.15" / "args.pyc").read_bytes()[: pyc.header_size]


def interpreter(v):
    """The real interpreter of version ``v`` if this machine has one (pyenv's, or
    ``pythonX.Y`` on PATH), checked by asking it; else None."""
    import glob
    import os
    import shutil
    import subprocess

    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(root, "versions", v + ".*", "bin", "python")))
    for exe in found[-1:] + [shutil.which("python" + v)]:
        if not exe:
            continue
        try:
            got = subprocess.run(
                [exe, "-E", "-s", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=60,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if got == v:
            return exe
    return None


def run_function(exe, tmp_path, code, call):
    """``repr(call)`` evaluated by ``exe`` with ``f`` the function of edited ``code``."""
    import subprocess

    path = tmp_path / ("%s.marshal" % code.co_name)
    path.write_bytes(bytescope.dumps(code))
    script = (
        "import marshal, types\n"
        "f = types.FunctionType(marshal.loads(open(%r, 'rb').read()), {})\n"
        "print(repr(%s))" % (str(path), call)
    )
    r = subprocess.run([exe, "-E", "-s", "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


ALL_VERSIONS = ["2.7"] + ["3.%d" % m for m in range(6, 16)]


@pytest.mark.parametrize("v", ALL_VERSIONS)
def test_edits_run_on_their_interpreter(v, tmp_path):
    """Opt-in where the machine has that version's interpreter (skipped otherwise): edited
    fixture functions, written by bytescope, run by the real interpreter of their version."""
    exe = interpreter(v)
    if exe is None:
        pytest.skip("no Python %s here" % v)
    pyc, f = function_of(v)
    renamed = f.replace(co_varnames=tuple("v%d" % i for i in range(len(f.co_varnames))))
    if v == "2.7":
        assert run_function(exe, tmp_path, renamed, "f(1, 2, 3, k=4)") == "(1, 2, (3,), {'k': 4})"
        assert run_function(exe, tmp_path, renamed, "f.__code__.co_varnames") == "('v0', 'v1', 'v2', 'v3')"
        return
    assert run_function(exe, tmp_path, renamed, "f(1, v1=2, v2=3)") == "6"
    if vt(v) >= (3, 11):
        ins = next(i for i in bdis.get_instructions(f) if i.opname == "BINARY_OP" and i.arg == 0)
        co_code = bytearray(f.co_code)
        co_code[ins.offset + 1] = 5
        times = f.replace(co_code=bytes(co_code))
        assert run_function(exe, tmp_path, times, "f(2, b=3, c=3)") == "9"
    # a changed constant, through the whole edited .pyc
    import subprocess

    old = (1, "two", None, (1, 2), -1.5)
    consts = tuple((10, "TWO", None, (1, 2), -1.5) if c == old else c for c in pyc.code.co_consts)
    assert consts != pyc.code.co_consts
    out = tmp_path / "args.pyc"
    pyc.replace(code=pyc.code.replace(co_consts=consts)).write(out)
    script = (
        "import marshal\nns = {}\n"
        "exec(marshal.loads(open(%r, 'rb').read()[%d:]), ns)\n"
        "print(repr(ns['defaults'](0)))" % (str(out), pyc.header_size)
    )
    r = subprocess.run([exe, "-E", "-s", "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "(0, 10, 'TWO', None, (1, 2), -1.5)"


@pytest.mark.parametrize("v", ALL_VERSIONS)
def test_random_fields_never_crash(v):
    """Random bytecode, line and exception tables and locals: replace raises a clean
    exception, or gives a Code that every view lists (or rejects with bytescope.Error)."""
    import random

    rng = random.Random(v)
    linetable = "co_linetable" if vt(v) >= (3, 10) else "co_lnotab"
    for path in sorted((FIXTURES / v).glob("*.pyc"))[:4]:
        for code in bytescope.load(path).code.walk():
            for _ in range(5):
                blob = bytes(rng.randrange(256) for _ in range(2 * rng.randrange(40)))
                field = rng.choice(["co_code", linetable, "co_exceptiontable", "co_varnames"])
                if field == "co_exceptiontable" and vt(v) < (3, 11):
                    field = "co_code"
                if field == "co_varnames":
                    names = tuple("x%d" % i for i in range(rng.randrange(6)))
                    changes = dict(co_varnames=names, co_nlocals=len(names))
                else:
                    changes = {field: blob}
                try:
                    c = code.replace(**changes)
                except (ValueError, TypeError, OverflowError, SystemError):
                    continue
                try:
                    bdis.dis(c, file=io.StringIO())
                    list(bdis.get_instructions(c))
                    bdis.code_info(c)
                    bytescope.loads(bytescope.dumps(c), c.version)
                    if vt(v) >= (3, 10):
                        list(c.co_lines())
                    if vt(v) >= (3, 11):
                        list(c.co_positions())
                        c.exception_table
                except bytescope.Error:
                    pass


def test_copy_replace_from_3_13():
    """copy.replace (3.13+ hosts) through __replace__, which 3.13+ code objects have."""
    f313 = find(bytescope.load(FIXTURES / "3.13" / "args.pyc").code, "kwonly")
    f312 = find(bytescope.load(FIXTURES / "3.12" / "args.pyc").code, "kwonly")
    assert f313.__replace__(co_name="z").co_name == "z"
    with pytest.raises(TypeError, match="^replace\\(\\) got an unexpected keyword argument 'co_foo'$"):
        f313.__replace__(co_foo=1)
    with pytest.raises(TypeError, match="^replace\\(\\) does not support code objects$"):
        f312.__replace__(co_name="z")
    copy_replace = getattr(__import__("copy"), "replace", None)
    if copy_replace is not None:
        assert copy_replace(f313, co_name="z").co_name == "z"

