"""Hostile files and trees through the Python API: what an attacker controls besides a file's
bytes — its kind (FIFO, device, directory, symbolic-link loop), its size and its name. The
package reads paths as the CLI does (the batch layer: regular files only, opened without
waiting, within the size limit), so nothing here can block, exhaust memory or be mistaken for
standard input; ``bytescope.scan`` reports such entries and keeps names that are not UTF-8."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import bytescope
from conftest import FIXTURES

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices and byte file names are POSIX")
PYC = FIXTURES / "3.12" / "closures.pyc"
LIMIT = 256 << 20  # bytescope_batch::DEFAULT_MAX_FILE_SIZE


def run_isolated(code, timeout=60):
    """Runs ``code`` in a fresh interpreter (so that a regression that blocks cannot hang the
    suite) and returns its standard output."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "x.pyc"
    os.mkfifo(fifo)
    out = run_isolated(f"""
        import bytescope
        try:
            bytescope.load({str(fifo)!r})
        except bytescope.Error as e:
            print(e)
    """)
    assert out.strip() == f"{fifo}: not a regular file (a FIFO)"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_not_read(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    out = run_isolated(f"""
        import bytescope
        try:
            bytescope.load({device!r})
        except bytescope.Error as e:
            print(e)
    """)
    assert out.strip() == f"{device}: not a regular file (a character device)"


def test_directory_and_link_loop_raise_oserror(tmp_path):
    with pytest.raises(IsADirectoryError):
        bytescope.load(tmp_path)
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(OSError):
        bytescope.load(tmp_path / "loop")
    with pytest.raises(FileNotFoundError):
        bytescope.load(tmp_path / "missing.pyc")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.pyc"
    with open(big, "wb") as f:
        f.write(PYC.read_bytes())
        f.truncate(LIMIT + 1)  # sparse: no disk space used
    with pytest.raises(bytescope.Error, match=r"big\.pyc: too large: 268435457 bytes, over the limit of 268435456"):
        bytescope.load(big)


def test_a_link_to_a_regular_file_is_read(tmp_path):
    (tmp_path / "link.pyc").symlink_to(PYC)
    assert bytescope.load(tmp_path / "link.pyc").code.co_name == "<module>"


def test_dash_is_a_file_name_not_standard_input(tmp_path, monkeypatch):
    shutil.copy(PYC, tmp_path / "-")
    monkeypatch.chdir(tmp_path)
    assert bytescope.load("-").code.co_name == "<module>"


def test_scan_reports_odd_entries_and_keeps_byte_names(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    name = os.fsdecode(b"n\xffame.pyc")  # not UTF-8: a lone surrogate in Python
    shutil.copy(PYC, os.path.join(os.fsencode(tree), b"n\xffame.pyc"))
    os.mkfifo(tree / "fifo.pyc")
    (tree / "loop.pyc").symlink_to("loop.pyc")
    (tree / "self").symlink_to(tree)
    files = {os.path.basename(r["path"]): r for r in bytescope.scan([tree]) if r["type"] == "file"}
    assert files[name]["error"] is None and files[name]["code_objects"] == 15
    assert os.path.exists(files[name]["path"])  # the surrogate name opens the file
    assert files["fifo.pyc"]["error"] == "skipped: a FIFO, not a regular file"
    assert files["loop.pyc"]["error"].startswith("cannot read file:")
    codes = [r for r in bytescope.scan([tree]) if r["type"] == "code"]
    assert codes and all(r["path"] == files[name]["path"] for r in codes)


def test_pyc_write_replaces_a_planted_link_and_never_waits_on_a_fifo(tmp_path):
    pyc = bytescope.load(PYC)
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    (tmp_path / "out.pyc").symlink_to(victim)
    pyc.write(tmp_path / "out.pyc")
    assert victim.read_bytes() == b"precious"
    assert not (tmp_path / "out.pyc").is_symlink()
    assert (tmp_path / "out.pyc").read_bytes() == pyc.to_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pyc", "victim"]  # no temporary file left
    fifo = tmp_path / "fifo.pyc"
    os.mkfifo(fifo)
    out = run_isolated(f"""
        import bytescope
        try:
            bytescope.load({str(PYC)!r}).write({str(fifo)!r})
        except OSError as e:
            print(e)
    """)
    assert out.strip() == f"cannot write {fifo}: not a regular file, and writing to it failed: No such device or address (os error 6)"
    with pytest.raises(OSError, match="it is a directory"):
        pyc.write(tmp_path)
