"""bytescope.load_all: every pyc of trees, archives and frozen applications as ``Pyc`` objects,
named as the CLI names them, each equal to what ``bytescope.load`` gives for its bytes; errors
raised (naming the file and offset) or handed to ``onerror``."""

import os
import shutil
import sys
import zipfile

import pytest

import bytescope
from conftest import FIXTURES, MALFORMED, REPO

FROZEN = REPO / "crates" / "frozen" / "tests" / "data"


def same(a, b):
    """Two loaded pycs hold the same code objects."""
    ca, cb = a.code.walk(), b.code.walk()
    return a.version == b.version and [(c.co_name, c.co_code) for c in ca] == [(c.co_name, c.co_code) for c in cb]


def test_a_tree_in_input_order_as_load_gives_each_file():
    d = FIXTURES / "3.11"
    got = list(bytescope.load_all(d, jobs=2))
    files = sorted(p for p in d.rglob("*.pyc"))
    assert [p.path for p in got] == [str(f) for f in files]
    for pyc, f in zip(got, files):
        assert same(pyc, bytescope.load(f))
    # Several inputs, any version each; a single path or an iterable of paths.
    mixed = list(bytescope.load_all([FIXTURES / "2.7" / "py2_classes.pyc", FIXTURES / "3.15" / "closures.pyc"]))
    assert [p.version for p in mixed] == [(2, 7), (3, 15)]


def test_archives_nested_archives_and_single_members(tmp_path):
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.write(FIXTURES / "3.8" / "classes.pyc", "deep/classes.pyc")
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(FIXTURES / "3.12" / "args.pyc", "pkg/args.cpython-312.pyc")
        z.write(inner, "pkg/inner.zip")
        z.writestr("pkg/README.txt", "not a pyc")
    got = list(bytescope.load_all(wheel))
    assert [p.path for p in got] == [f"{wheel}:pkg/args.cpython-312.pyc", f"{wheel}:pkg/inner.zip:deep/classes.pyc"]
    assert same(got[0], bytescope.load(FIXTURES / "3.12" / "args.pyc"))
    assert same(got[1], bytescope.load(FIXTURES / "3.8" / "classes.pyc"))
    one = list(bytescope.load_all(f"{wheel}:pkg/inner.zip:deep/classes.pyc"))
    assert [p.path for p in one] == [got[1].path]
    # load() takes one member the same way (the CLI's ARCHIVE:MEMBER).
    assert same(bytescope.load(f"{wheel}:pkg/inner.zip:deep/classes.pyc"), got[1])
    assert bytescope.load(f"{wheel}:pkg/args.cpython-312.pyc").path == got[0].path
    with pytest.raises(bytescope.Error, match="names an archive inside the archive"):
        bytescope.load(f"{wheel}:pkg/inner.zip")
    with pytest.raises(bytescope.Error, match="no such member"):
        bytescope.load(f"{wheel}:pkg/missing.pyc")
    with pytest.raises(FileNotFoundError):
        bytescope.load(tmp_path / "missing.whl:pkg/a.pyc")
    app = FROZEN / "pi6_py312.elf"
    assert bytescope.load(f"{app}:struct").version == (3, 12)


@pytest.mark.parametrize("app", ["pi6_py312.elf", "pi21_py27.bin", "pi4_py38_ctr.bin"])
def test_frozen_applications_give_their_modules(app):
    path = FROZEN / app
    got = list(bytescope.load_all(path))
    records = [r for r in bytescope.scan(path) if r["type"] == "file"]
    assert [p.path for p in got] == [f"{r['path']}:{r['member']}" for r in records if r["error"] is None]
    assert got and all(".".join(map(str, p.version)) == r["version"] for p, r in zip(got, records))


def test_errors_are_raised_or_handed_to_onerror():
    files = sorted(p for p in MALFORMED.iterdir() if p.is_file() and p.suffix == ".pyc")
    errors = []
    loaded = list(bytescope.load_all(MALFORMED, onerror=errors.append))
    assert all(isinstance(e, bytescope.Error) for e in errors)
    assert len(loaded) + len(errors) >= len(files)
    # Each message is load()'s for that file.
    for e in errors:
        path = str(e).split(": ", 1)[0]
        if os.path.isfile(path):
            with pytest.raises(bytescope.Error) as direct:
                bytescope.load(path)
            assert str(direct.value) == str(e)
    # Without onerror the first one is raised, and the iteration is over.
    it = bytescope.load_all(MALFORMED)
    with pytest.raises(bytescope.Error, match=r"\(at offset 0x[0-9a-f]+\)"):
        for _ in it:
            pass
    assert list(it) == []
    with pytest.raises(bytescope.Error, match="cannot read file"):
        list(bytescope.load_all(MALFORMED / "missing.pyc"))


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_hostile_tree(tmp_path):
    shutil.copy(FIXTURES / "3.12" / "args.pyc", tmp_path / "a.pyc")
    os.mkfifo(tmp_path / "fifo.pyc")
    (tmp_path / "loop.pyc").symlink_to("loop.pyc")
    (tmp_path / "self").symlink_to(tmp_path)
    errors = []
    got = list(bytescope.load_all(tmp_path, onerror=errors.append))
    assert [p.path for p in got] == [str(tmp_path / "a.pyc")]
    messages = sorted(str(e) for e in errors)
    assert any("fifo.pyc: skipped: a FIFO, not a regular file" in m for m in messages), messages
    assert any("loop.pyc: cannot read file" in m for m in messages), messages


@pytest.mark.skipif(sys.platform == "win32", reason="byte file names are POSIX")
def test_names_that_are_not_utf8_come_back_as_os_fsdecode_gives_them(tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), b"n\xffame.pyc")
    shutil.copy(FIXTURES / "3.12" / "args.pyc", raw)
    name = os.fsdecode(raw)
    (pyc,) = bytescope.load_all(tmp_path)
    assert pyc.path == name and pyc.code.path == name and os.path.exists(pyc.path)
    # A bytes path, alone or in a list, as os functions take it.
    assert [p.path for p in bytescope.load_all(os.fsencode(tmp_path))] == [name]
    assert [p.path for p in bytescope.load_all([raw])] == [name]
    assert [r["path"] for r in bytescope.scan(os.fsencode(tmp_path)) if r["type"] == "file"] == [name]
    assert bytescope.load(name).path == name
    wheel = tmp_path / "w.zip"
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(FIXTURES / "3.12" / "args.pyc", "m.pyc")
    os.rename(wheel, raw + b".zip")
    (member,) = bytescope.load_all(os.fsdecode(raw + b".zip"))
    assert member.path == name + ".zip:m.pyc"


def test_dropping_the_iterator_early_stops_the_work():
    it = bytescope.load_all([FIXTURES], jobs=2)
    assert isinstance(next(it), bytescope.Pyc)
    del it
