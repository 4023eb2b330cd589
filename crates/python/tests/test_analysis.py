"""bytescope.analysis: the CLI's analysis records, as Python data."""

import json
import subprocess

import pytest

import bytescope
import bytescope.analysis
from conftest import FIXTURES, REPO

CLI = REPO / "target" / "debug" / "bytescope"


def cli_stack(path, *args):
    if not CLI.exists():
        pytest.skip("the CLI is not built (cargo test builds it)")
    out = subprocess.run([str(CLI), "stack", "--json", *args, str(path)], capture_output=True, text=True,
                         check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


@pytest.mark.parametrize("version", ["2.7", "3.6", "3.9", "3.11", "3.12", "3.13", "3.14", "3.15"])
def test_stack_as_the_cli(version):
    for path in sorted((FIXTURES / version).glob("*.pyc"))[:6]:
        want = cli_stack(path)
        got = [bytescope.analysis.stack(c) for c in bytescope.load(path).code.walk()]
        for record in want:
            record.pop("path", None)
            record.pop("member", None)
        assert got == want, path
        summary = [bytescope.analysis.stack(c, summary=True) for c in bytescope.load(path).code.walk()]
        assert all("instructions" not in s for s in summary)
        assert [s["computed_stacksize"] for s in summary] == [r["computed_stacksize"] for r in want]


def test_stack_of_live_code():
    def f(a, b):
        return [a + b for _ in range(3)]

    s = bytescope.analysis.stack(f)
    assert s["qualname"].endswith("f")
    assert s["computed_stacksize"] == f.__code__.co_stacksize
    assert not s["problems"]
    assert all(i["depth_before"] is not None for i in s["instructions"] if i["opname"] != "CACHE")
    narrow = bytescope.analysis.stack(f, width=3)
    assert all(len(slot) <= 3 for i in narrow["instructions"] for slot in i["stack"])
