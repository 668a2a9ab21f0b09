"""Benchmark: peak memory (RSS) of an ingest against the file's size.

    .venv/bin/python bench/ingest.py [--rows 1000000 5000000 20000000] [--methods ...]
                                     [--before /path/to/an/older/checkout]

Writes a synthetic CSV per row count in a temporary directory (8 columns: an integer id, a
fixed-width code, a name, a mobile, an amount with two decimals, a date, a city, a free-text
note; about 95 bytes a row), then ingests it once per method, each in a fresh child process
whose peak resident set size is read with ``os.wait4`` (the child's own rusage, as
``getrusage(RUSAGE_CHILDREN)`` reports it, per child):

* **sluice**: the production path minus the database: ``listings.service.run_ingest``, the
  two streaming passes of ``listings.ingestion.ingest_file`` (encoding, types over every
  value, conversion to Parquet batch by batch) and detection on the sample;
* **before**: the same file through an older checkout's ``parse_upload`` +
  ``write_parquet_atomically`` (the whole file in memory), when ``--before`` names one;
* **polars**: ``polars.read_csv`` of the whole file (every column as text, as an exact
  ingest must start) and ``write_parquet``: what a plain in-memory ingest costs;
* **arrow-stream**: ``pyarrow.csv.open_csv`` copying every column as text to a
  ``ParquetWriter`` batch by batch: the floor of a streaming ingest (no checks, no types).

Prints, per file, its size and each method's peak RSS, wall time and RSS ÷ file size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
CITIES = np.array(["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安"])
SURNAMES = np.array(["王", "李", "张", "刘", "陈", "杨", "黄", "赵"])
METHODS = ("sluice", "before", "polars", "arrow-stream")


def build(path: Path, rows: int) -> None:
    rng = np.random.default_rng(7)
    chunk = 1_000_000
    with path.open("wb") as out:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            table = pa.table(
                {
                    "id": np.arange(start, start + n),
                    "code": pa.array([f"{v:08d}" for v in rng.integers(0, 10**8, n)]),
                    "name": pa.array(
                        np.char.add(SURNAMES[rng.integers(0, 8, n)], "某某").astype(object)
                    ),
                    "mobile": pa.array([f"13{v:09d}" for v in rng.integers(0, 10**9, n)]),
                    "amount": pa.array([f"{v / 100:.2f}" for v in rng.integers(100, 10**6, n)]),
                    "day": pa.array(
                        np.datetime64("2020-01-01") + rng.integers(0, 1500, n).astype("m8[D]")
                    ),
                    "city": pa.array(CITIES[rng.integers(0, 8, n)].astype(object)),
                    "note": pa.array([f"note {v}" for v in rng.integers(0, 10**6, n)]),
                }
            )
            options = pacsv.WriteOptions(include_header=start == 0)
            pacsv.write_csv(table, out, write_options=options)


def child(method: str, path: Path, scratch: Path) -> None:
    """One ingest, in this (fresh) process."""
    dest = scratch / f"{method}.parquet"
    if method == "sluice":
        sys.path.insert(0, str(ROOT))
        from listings import ingestion, service

        job = service.IngestJob(None, path, dest, path.name)  # type: ignore[arg-type]
        limits = ingestion.IngestLimits(max_columns=1000)
        service.run_ingest(job, header="auto", limits=limits)
    elif method == "before":
        sys.path.insert(0, os.environ["BENCH_BEFORE"])
        from listings import storage  # type: ignore[no-redef]
        from listings.ingestion import parse_upload

        storage.write_parquet_atomically(parse_upload(path, path.name).table, dest)
    elif method == "polars":
        import polars as pl

        pl.read_csv(path, infer_schema=False).write_parquet(dest)
    else:
        import pyarrow.parquet as pq

        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=16 * 1024 * 1024),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(_names(path), pa.string())
            ),
        )
        with pq.ParquetWriter(dest, reader.schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch)
    dest.unlink(missing_ok=True)


def _names(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return fh.readline().strip().split(",")


def measure(method: str, path: Path, scratch: Path, before: str | None) -> dict[str, float]:
    env = {**os.environ, "BENCH_BEFORE": before or ""}
    cwd = before if method == "before" else str(ROOT)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", method, str(path), str(scratch)], cwd=cwd, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        return {"failed": float(status)}
    return {"rss_mb": usage.ru_maxrss / 1024, "seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000, 20_000_000])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--before", help="an older checkout whose in-memory ingest to compare")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    methods = [m for m in args.methods if m != "before" or args.before]
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as tmp:
        scratch = Path(tmp)
        for rows in args.rows:
            path = scratch / f"rows-{rows}.csv"
            build(path, rows)
            size_mb = path.stat().st_size / 1024 / 1024
            print(f"{rows:>12,} rows  {size_mb:8.1f} MB CSV", flush=True)
            for method in methods:
                result = measure(method, path, scratch, args.before)
                if "failed" in result:
                    print(f"    {method:<13} failed (status {int(result['failed'])})", flush=True)
                    continue
                ratio = result["rss_mb"] / size_mb
                print(
                    f"    {method:<13} peak RSS {result['rss_mb']:8.0f} MB  "
                    f"({ratio:5.2f}x the file)  {result['seconds']:7.1f} s",
                    flush=True,
                )
            path.unlink()


if __name__ == "__main__":
    main()
