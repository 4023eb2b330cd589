"""bytescope.scan: the CLI's scan records, in parallel, as dicts."""

import json
import subprocess
import zipfile

import pytest

import bytescope
from conftest import FIXTURES, MALFORMED, REPO

CLI = REPO / "target" / "debug" / "bytescope"


def cli_records(*args):
    if not CLI.exists():
        pytest.skip("the CLI is not built (cargo test builds it)")
    out = subprocess.run([str(CLI), "scan", *map(str, args)], capture_output=True, text=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_same_records_as_the_cli():
    d = FIXTURES / "3.12"
    assert list(bytescope.scan(d)) == cli_records(d)
    assert list(bytescope.scan([d], find=["print", "os.path"])) == cli_records("--find", "print", "--find", "os.path", d)
    assert list(bytescope.scan([d], select=["all"])) == cli_records("--select", "all", d)


def test_records():
    records = list(bytescope.scan([FIXTURES / "3.11", FIXTURES / "2.7" / "py2_classes.pyc"], jobs=2))
    files = [r for r in records if r["type"] == "file"]
    assert len(files) == len(list((FIXTURES / "3.11").glob("*.pyc"))) + 1
    assert all(r["error"] is None and r["version"] in ("3.11", "2.7") for r in files)
    codes = [r for r in records if r["type"] == "code"]
    assert codes and all("qualname" in r and "opcodes" in r for r in codes)
    # Input order whatever the number of threads.
    assert records == list(bytescope.scan([FIXTURES / "3.11", FIXTURES / "2.7" / "py2_classes.pyc"], jobs=1))


def test_archives_and_errors(tmp_path):
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(FIXTURES / "3.12" / "closures.pyc", "pkg/closures.cpython-312.pyc")
        z.write(MALFORMED / "bad_ref.pyc", "pkg/bad.pyc")
    records = list(bytescope.scan(str(wheel)))
    files = [r for r in records if r["type"] == "file"]
    assert [r["member"] for r in files] == ["pkg/closures.cpython-312.pyc", "pkg/bad.pyc"]
    assert files[0]["error"] is None and "invalid reference" in files[1]["error"]
    missing = list(bytescope.scan([tmp_path / "missing.pyc"]))
    assert missing[0]["type"] == "file" and "cannot read" in missing[0]["error"]


def test_early_stop_does_not_hang():
    it = bytescope.scan([FIXTURES], jobs=2)
    first = next(it)
    assert first["type"] == "file"
    del it


def test_bad_select():
    with pytest.raises(ValueError, match="unknown field"):
        bytescope.scan(FIXTURES, select=["nope"])
