"""bytescope.analysis.cfg, check and diff: the CLI's cfg, check and diff records, as Python data."""

import json
import subprocess
import sys

import pytest

import bytescope
import bytescope.analysis as analysis
import bytescope.dis as bdis
from conftest import FIXTURES, REPO

CLI = REPO / "target" / "debug" / "bytescope"
EXAMPLES = REPO / "crates" / "analysis" / "tests" / "fixtures"
VERSIONS = ["2.7", "3.6", "3.8", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]


def cli(*args, ok=(0,)):
    if not CLI.exists():
        pytest.skip("the CLI is not built (cargo test builds it)")
    out = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True)
    assert out.returncode in ok, out.stderr
    return out.stdout


def cli_records(command, path):
    records = [json.loads(line) for line in cli(command, "--json", path, ok=(0, 1)).splitlines()]
    for r in records:
        r.pop("path", None)
        r.pop("member", None)
    return records


def codes(version):
    return {c.co_name: c for c in bytescope.load(EXAMPLES / version / "stack_example.pyc").code.walk()}


@pytest.mark.parametrize("version", VERSIONS)
def test_cfg_and_check_as_the_cli(version):
    paths = [EXAMPLES / version / "stack_example.pyc"] + sorted((FIXTURES / version).glob("*.pyc"))[:4]
    for path in paths:
        walk = bytescope.load(path).code.walk()
        assert [analysis.cfg(c) for c in walk] == cli_records("cfg", path), path
        assert [analysis.check(c) for c in walk] == cli_records("check", path), path


@pytest.mark.parametrize("version", VERSIONS)
def test_cfg_has_exception_edges(version):
    g = analysis.cfg(codes(version)["guarded"])
    assert g["qualname"] == "guarded"
    kinds = {e["kind"] for e in g["edges"]}
    assert "exception" in kinds, kinds
    handlers = {b["id"] for b in g["blocks"] if b["handler"]}
    assert handlers and all(e["to"] in handlers for e in g["edges"] if e["kind"] == "exception")
    if tuple(map(int, version.split("."))) >= (3, 11):
        assert all("depth" in e and "lasti" in e for e in g["edges"] if e["kind"] == "exception")


def test_cfg_of_live_code():
    def f(xs):
        total = 0
        for x in xs:
            try:
                total += 1 / x
            except ZeroDivisionError:
                pass
        return total

    g = analysis.cfg(f)
    assert g["index"] == 0 and g["qualname"].endswith("f")
    assert len(g["loops"]) == 1 and g["loops"][0]["per_iteration"]["min"] > 0
    assert any(e["kind"] == "exception" for e in g["edges"])
    assert any(e["back"] for e in g["edges"])


@pytest.mark.parametrize("version", VERSIONS)
def test_check_clean_and_tampered(version):
    c = codes(version)["scaled"]
    clean = analysis.check(c)
    assert clean["findings"] == [] and clean["qualname"] == "scaled"
    assert clean["computed_stacksize"] == clean["co_stacksize"] == c.co_stacksize
    # The classic tampering: an operand changed in co_code (here LOAD_CONST's, past co_consts).
    load = next(i for i in bdis.get_instructions(c) if i.opname == "LOAD_CONST")
    code = bytearray(c.co_code)
    code[load.offset + 1] = len(c.co_consts) + 7
    tampered = c.replace(co_code=bytes(code))
    found = analysis.check(tampered)["findings"]
    assert found, found
    assert {"offset": load.offset, "kind": "operand_out_of_range", "table": "consts",
            "index": len(c.co_consts) + 7, "len": len(c.co_consts),
            "message": f"argument {len(c.co_consts) + 7} out of range of consts ({len(c.co_consts)} entries)"} in found


def test_check_stacksize_too_small():
    c = codes("3.12")["scaled"]
    found = analysis.check(c.replace(co_stacksize=1))["findings"]
    assert any(f["kind"] == "stacksize_too_small" for f in found), found


def loops(record, side):
    return [l for p in record["pairs"] if p[f"{side}_summary"] for l in p[f"{side}_summary"]["loops"]]


@pytest.mark.parametrize("version", [v for v in VERSIONS if v != "2.7"])
def test_diff_manual_loop_against_comprehension(version):
    c = codes(version)
    d = analysis.diff(c["manual"], c["comprehension"])
    assert d["same"] is False
    assert d["a"]["qualname"] == "manual" and d["b"]["qualname"] == "comprehension"
    assert d["a"]["version"] == d["b"]["version"] == version
    manual, comp = loops(d, "a"), loops(d, "b")
    assert len(manual) == 1 and len(comp) == 1
    # The comprehension's loop body is shorter.
    assert comp[0]["per_iteration"][1] < manual[0]["per_iteration"][0], (manual, comp)
    tags = {op["tag"] for p in d["pairs"] for op in p["ops"]}
    assert tags >= {"equal", "delete"}
    # The CLI's record of the same comparison.
    path = EXAMPLES / version / "stack_example.pyc"
    want = json.loads(cli("diff", "--json", f"{path}::manual", f"{path}::comprehension", ok=(1,)))
    assert d == want


def test_diff_options_and_sides():
    c = codes("3.12")
    same = analysis.diff(c["manual"], c["manual"])
    assert same["same"] and all(op["tag"] == "equal" for p in same["pairs"] for op in p["ops"])
    # Across versions: the same function differs (other opcodes), as the CLI compares them.
    cross = analysis.diff(c["manual"], codes("3.13")["manual"])
    assert cross["a"]["version"] == "3.12" and cross["b"]["version"] == "3.13"
    path = EXAMPLES / "3.12" / "stack_example.pyc"
    for opts, flags in [({}, []), ({"offsets": True}, ["--offsets"]), ({"args": True}, ["--args"]),
                        ({"caches": True}, ["--caches"]), ({"lines": True}, ["--lines"])]:
        got = analysis.diff(path, EXAMPLES / "3.13" / "stack_example.pyc", **opts)
        want = json.loads(cli("diff", "--json", *flags, path, EXAMPLES / "3.13" / "stack_example.pyc", ok=(0, 1)))
        assert got == want, opts
        assert got["a"]["qualname"] is None
    # Line numbers count only when asked: a function moved down differs only then.
    moved = analysis.diff(c["scaled"], c["scaled"], lines=True)
    assert moved["same"]
    assert analysis.diff(bytescope.load(path), bytescope.load(path), offsets=True, args=True)["same"]


def test_diff_of_live_functions():
    def manual(rows):
        out = []
        for row in rows:
            out.append(row * 2)
        return out

    def comprehension(rows):
        return [row * 2 for row in rows]

    d = analysis.diff(manual, comprehension)
    assert not d["same"]
    host = "%d.%d" % sys.version_info[:2]
    assert d["a"]["version"] == d["b"]["version"] == host
    assert d["a"]["path"] == d["b"]["path"] == "<bytes>"
    manual_loops, comp_loops = loops(d, "a"), loops(d, "b")
    assert comp_loops[0]["per_iteration"][1] < manual_loops[0]["per_iteration"][0]
