#!/usr/bin/env python3
"""Scan many wheels with bytescope inside Dask and write the records as a Parquet dataset.

    python examples/dask_scan.py OUT_DIR WHEEL... [--scheduler tcp://host:8786] [--find NAME]...

Each wheel is one Dask task: ``bytescope.scan`` reads it (in parallel inside the task, without
the GIL), and the task writes its records to ``OUT_DIR/part-NNNNN.parquet`` with pyarrow, so no
records travel back through the scheduler. The result is one Parquet dataset with a fixed schema
(below) that any engine reads: ``pyarrow.dataset.dataset(OUT_DIR)``, DuckDB
(``SELECT * FROM 'OUT_DIR/*.parquet'``), Spark, pandas or polars.

Without ``--scheduler`` a local cluster of 2 workers is started; on a real cluster, pass the
scheduler's address (the workers need ``pip install bytescope pyarrow`` and to see the wheels'
paths, e.g. on shared storage).
"""

import argparse
import os

import pyarrow as pa
import pyarrow.parquet as pq

import bytescope

# One row per record: file records fill the file columns, code records the code columns.
SCHEMA = pa.schema([
    ("type", pa.string()),
    ("path", pa.string()),
    ("member", pa.string()),
    ("version", pa.string()),
    ("magic", pa.int32()),
    ("code_objects", pa.int64()),
    ("error", pa.string()),
    ("qualname", pa.string()),
    ("firstlineno", pa.int64()),
    ("kind", pa.string()),
    ("flags", pa.list_(pa.string())),
    ("argcount", pa.int64()),
    ("posonlyargcount", pa.int64()),
    ("kwonlyargcount", pa.int64()),
    ("globals", pa.list_(pa.string())),
    ("attributes", pa.list_(pa.string())),
    ("imports", pa.list_(pa.string())),
    ("references", pa.list_(pa.string())),
    ("opcodes", pa.map_(pa.string(), pa.int64())),
    ("nested", pa.int64()),
    ("code_size", pa.int64()),
    ("matches", pa.list_(pa.string())),
])


def scan_to_parquet(wheel, out_dir, index, find=()):
    """One task: scan one wheel and write its records; returns (wheel, rows written)."""
    rows = [{k: r.get(k) for k in SCHEMA.names} for r in bytescope.scan([wheel], find=list(find), jobs=1)]
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    pq.write_table(table, os.path.join(out_dir, f"part-{index:05d}.parquet"))
    return wheel, len(rows)


def scan_wheels(client, wheels, out_dir, find=()):
    """Scan every wheel as a Dask task on ``client``; returns {wheel: rows}."""
    os.makedirs(out_dir, exist_ok=True)
    futures = [client.submit(scan_to_parquet, w, out_dir, i, tuple(find), pure=False) for i, w in enumerate(wheels)]
    return dict(client.gather(futures))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("wheels", nargs="+")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler (default: a local cluster of 2 workers)")
    ap.add_argument("--find", action="append", default=[])
    args = ap.parse_args()
    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    with client:
        done = scan_wheels(client, [os.path.abspath(w) for w in args.wheels], os.path.abspath(args.out_dir), args.find)
    print(f"{sum(done.values())} records from {len(done)} wheels in {args.out_dir}")


if __name__ == "__main__":
    main()
