"""The Dask recipe (examples/dask_scan.py): bytescope.scan over a set of wheels on a local
cluster of 2 workers, records written as a Parquet dataset and read back with pyarrow."""

import zipfile

import pytest

import bytescope
from conftest import FIXTURES, script

distributed = pytest.importorskip("dask.distributed")
pa_ds = pytest.importorskip("pyarrow.dataset")


def recipe():
    return script("examples/dask_scan.py")


def make_wheels(tmp_path):
    wheels = []
    for i, version in enumerate(["3.9", "3.12", "3.14"]):
        w = tmp_path / f"pkg{i}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(w, "w") as z:
            for pyc in sorted((FIXTURES / version).glob("*.pyc"))[:4]:
                z.write(pyc, f"pkg{i}/{pyc.name}")
        wheels.append(str(w))
    return wheels


def test_dask_scan_to_parquet(tmp_path):
    mod = recipe()
    wheels = make_wheels(tmp_path)
    out = tmp_path / "dataset"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        done = mod.scan_wheels(client, wheels, str(out))
    table = pa_ds.dataset(str(out), format="parquet").to_table()
    assert table.num_rows == sum(done.values())
    rows = table.to_pylist()
    expected = [r for w in wheels for r in bytescope.scan([w])]
    assert len(rows) == len(expected)
    files = [r for r in rows if r["type"] == "file"]
    assert sorted({r["version"] for r in files}) == ["3.12", "3.14", "3.9"]
    codes = [r for r in rows if r["type"] == "code"]
    assert codes and all(r["qualname"] for r in codes)
    assert any(dict(r["opcodes"]).get("RETURN_VALUE") for r in codes)
