"""``python -m bytescope.dis``: the standard library's ``python -m dis`` for a ``.pyc`` of any
version (its listing is that version's, checked against the interpreters' goldens) and for
source (the host's own ``dis``); errors are one line and exit status 1."""

import contextlib
import dis
import io
import os
import subprocess
import sys

import pytest

import bytescope.dis as bdis
from conftest import FIXTURES, MALFORMED, normalise


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "bytescope.dis", *map(str, args)], input=stdin,
                          capture_output=True, timeout=120)


@pytest.mark.parametrize("version", ["2.7", "3.6", "3.10", "3.12", "3.15"])
def test_a_pyc_of_any_version_is_listed_as_its_own_dis_lists_it(version):
    pyc = sorted((FIXTURES / version).glob("*.pyc"))[0]
    out = run(pyc)
    assert out.returncode == 0 and out.stderr == b"", out.stderr  # no runpy warning either
    golden = pyc.with_name(pyc.stem + ".dis.txt").read_text()
    assert normalise(out.stdout.decode()) == normalise(golden)
    # The same bytes on standard input.
    assert run(stdin=pyc.read_bytes()).stdout == out.stdout


def test_source_is_the_hosts_own_dis(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f(a):\n    return a + 1\nprint(f(2))\n")
    flags = [f for f, since in (("-C", (3, 11)), ("-O", (3, 13)), ("-P", (3, 14))) if sys.version_info >= since]
    ours, theirs = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(ours):
        bdis.main([*flags, str(src)])
    kwargs = {k: True for f, k in (("-C", "show_caches"), ("-O", "show_offsets"), ("-P", "show_positions"))
              if f in flags}
    dis.dis(compile(src.read_bytes(), str(src), "exec"), file=theirs, **kwargs)
    assert normalise(ours.getvalue()) == normalise(theirs.getvalue())


def test_errors_are_one_line():
    cases = [
        ([FIXTURES / "3.10" / "args.pyc", "-O"], "dis() got an unexpected keyword argument 'show_offsets'"),
        ([MALFORMED / "bad_ref.pyc"], "bad marshal data: invalid reference"),
        (["/nonexistent/x.pyc"], "/nonexistent/x.pyc: No such file or directory"),
    ]
    if os.path.exists("/dev/zero"):
        cases.append((["/dev/zero"], "/dev/zero: not a regular file (a character device)"))
    for args, want in cases:
        out = run(*args)
        err = out.stderr.decode()
        assert out.returncode == 1 and out.stdout == b"", (args, err)
        assert err.startswith("python -m bytescope.dis: ") and want in err and err.count("\n") == 1, (args, err)
    out = run(stdin=b"x = (\n")
    assert out.returncode == 1 and "was never closed" in out.stderr.decode() or "EOF" in out.stderr.decode()
    with pytest.raises(SystemExit):
        with contextlib.redirect_stderr(io.StringIO()):
            bdis.main(["--unknown"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_refused_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "f.pyc")
    out = run(tmp_path / "f.pyc")
    assert out.returncode == 1 and b"not a regular file (a FIFO)" in out.stderr


def test_a_closed_pipe_is_not_an_error(tmp_path):
    # A listing larger than a pipe holds (about 600 kB), of a pyc the host compiles.
    import py_compile

    src = tmp_path / "big.py"
    src.write_text("".join(f"x{i} = {i}\n" for i in range(5000)))
    pyc = py_compile.compile(str(src), cfile=str(tmp_path / "big.pyc"), doraise=True)
    p = subprocess.Popen([sys.executable, "-m", "bytescope.dis", str(pyc)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.read(10)
    p.stdout.close()
    assert p.wait(timeout=120) == 0
    assert p.stderr.read() == b""


def test_python_m_bytescope_is_the_same():
    pyc = FIXTURES / "3.13" / "args.pyc"
    out = subprocess.run([sys.executable, "-m", "bytescope", "-O", str(pyc)], capture_output=True, timeout=120)
    assert out.returncode == 0 and out.stderr == b""
    assert out.stdout == run("-O", pyc).stdout
