"""Benchmark: serving one page of masked rows, the old read path against the row cache.

    .venv/bin/python bench/readpath.py [--rows 100000] [--limit 100] [--calls 300] [--repeat 3]

Builds a synthetic 8-column dataset locally (no network) twice: in one row group of every
row (how files were stored before) and in row groups of 16,384 rows (how they are stored
now). Then serves ``--calls`` pages of ``--limit`` rows at random offsets, side by side in
this process, each way:

* **old: duckdb**: the previous ``listings.versions.release_with``: a new DuckDB instance per
  call, ``SELECT * … LIMIT/OFFSET``, then the policy over the page;
* **new: row cache**: ``listings.row_cache.RowCache.read`` (warm: the decoded row groups are
  kept) and the policy over the page;
* **new, nothing kept**: the same with a byte budget of 0: nothing is kept, so every call
  streams the row groups its page overlaps, 8,192-row batches up to the page's end (the cost
  of a dataset much larger than the budget);
* **new: row cache read, no policy**: the warm read alone;
* **plain pyarrow**: the floor: a file opened once, its row group read and sliced, no policy;
* **policy alone**: the policy over a page already in memory (what every path with a policy
  pays on top of its read).

The policy is the same in every path that has one (pseudonyms, a masked name and mobile,
noise, a date shift, an age band, two kept columns), applied by ``anonymize.apply_policy``
with fixed keys (``versions.apply_for`` only adds opening the dataset's keys). Rounds
interleave the paths, so load from other jobs lands on all alike; the best round is kept.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymize import ColumnRule, Policy, apply_policy, synthetic  # noqa: E402
from listings.row_cache import RowCache  # noqa: E402

GROUP = 16_384
KEY, CELL_KEY = b"k" * 32, b"c" * 32
POLICY = Policy(
    columns={
        "编号": ColumnRule(operator="pseudonymize"),
        "姓名": ColumnRule(operator="mask_name"),
        "手机号": ColumnRule(operator="mask", keep_first=3, keep_last=4),
        "城市": ColumnRule(operator="keep"),
        "收入": ColumnRule(operator="noise", epsilon=1.0, sensitivity=1000.0),
        "就诊日期": ColumnRule(operator="date_shift", max_days=15),
        "年龄": ColumnRule(operator="generalize", generalize_to="age_band"),
        "金额": ColumnRule(operator="keep"),
    }
)
Serve = Callable[[int], pa.Table]


def build(rows: int) -> pa.Table:
    rng = np.random.default_rng(14)
    start = np.datetime64("2020-01-01")
    return pa.table(
        {
            "编号": [f"P{i:08d}" for i in range(rows)],
            "姓名": synthetic.chinese_names(rng, rows),
            "手机号": synthetic.mobiles(rng, rows),
            "城市": rng.choice(["北京", "上海", "广州", "深圳"], rows).tolist(),
            "收入": rng.integers(1000, 50_000, rows),
            "就诊日期": pa.array(start + rng.integers(0, 1500, rows).astype("timedelta64[D]")),
            "年龄": rng.integers(18, 90, rows),
            "金额": rng.random(rows) * 1000,
        }
    )


def masked(table: pa.Table, offset: int) -> pa.Table:
    return apply_policy(table, POLICY, key=KEY, cell_key=CELL_KEY, row_offset=offset)


def old_path(path: Path, limit: int) -> Serve:
    def serve(offset: int) -> pa.Table:
        with duckdb.connect() as con:
            raw = con.sql(
                "SELECT * FROM read_parquet($path) LIMIT $limit OFFSET $offset",
                params={"path": str(path), "limit": limit, "offset": offset},
            ).to_arrow_table()
        return masked(raw, offset)

    return serve


def cached_path(path: Path, limit: int, cache: RowCache) -> Serve:
    def serve(offset: int) -> pa.Table:
        raw = cache.read(path, offset=offset, limit=limit, columns=POLICY.releases)
        return masked(raw, offset)

    return serve


def cached_read(path: Path, limit: int, cache: RowCache) -> Serve:
    def serve(offset: int) -> pa.Table:
        return cache.read(path, offset=offset, limit=limit, columns=POLICY.releases)

    return serve


def plain_path(path: Path, limit: int) -> Serve:
    parquet = pq.ParquetFile(path)
    starts = [0]
    for g in range(parquet.metadata.num_row_groups):
        starts.append(starts[-1] + parquet.metadata.row_group(g).num_rows)

    def serve(offset: int) -> pa.Table:
        # The page's first row group only (a page crossing a boundary is cut short): a floor.
        group = max(g for g in range(len(starts) - 1) if starts[g] <= offset)
        return parquet.read_row_group(group).slice(offset - starts[group], limit)

    return serve


def policy_alone(table: pa.Table, limit: int) -> Serve:
    def serve(offset: int) -> pa.Table:
        return masked(table.slice(offset, limit), offset)

    return serve


def per_call(serve: Serve, offsets: list[int]) -> float:
    started = time.perf_counter()
    for offset in offsets:
        serve(offset)
    return (time.perf_counter() - started) / len(offsets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = build(args.rows)
    rng = random.Random(1)
    offsets = [rng.randrange(args.rows - args.limit) for _ in range(args.calls)]
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one_group.parquet"
        grouped = Path(tmp) / "grouped.parquet"
        pq.write_table(table, one, compression="zstd", row_group_size=args.rows)
        pq.write_table(table, grouped, compression="zstd", row_group_size=GROUP)
        warm = RowCache(max_files=64, max_bytes=256 * 1024 * 1024)
        cold = RowCache(max_files=64, max_bytes=0)
        paths: dict[str, Serve] = {
            "old: duckdb, one row group": old_path(one, args.limit),
            "old: duckdb, 16k row groups": old_path(grouped, args.limit),
            "new: row cache, 16k groups": cached_path(grouped, args.limit, warm),
            "new: row cache, one group": cached_path(one, args.limit, warm),
            "new, nothing kept, 16k groups": cached_path(grouped, args.limit, cold),
            "new: row cache read, no policy": cached_read(grouped, args.limit, warm),
            "plain pyarrow, no policy": plain_path(grouped, args.limit),
            "policy alone, page in memory": policy_alone(table, args.limit),
        }
        for serve in paths.values():  # warm up: imports, first opens
            serve(offsets[0])
        runs: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(args.repeat):
            for name, serve in paths.items():
                runs[name].append(per_call(serve, offsets))
    best = {name: min(times) for name, times in runs.items()}
    old = best["old: duckdb, one row group"]
    plain = best["plain pyarrow, no policy"]
    print(
        f"{args.rows:,} rows x 8 columns, limit={args.limit}, {args.calls} calls at random "
        f"offsets, best of {args.repeat}"
    )
    print(f"{'path':<31} {'ms/call':>8} {'vs old':>8} {'vs plain':>9}   runs (ms)")
    for name, value in best.items():
        shown = " ".join(f"{t * 1000:.2f}" for t in runs[name])
        print(
            f"{name:<31} {value * 1000:>8.3f} {old / value:>7.1f}x {value / plain:>8.2f}x   {shown}"
        )


if __name__ == "__main__":
    main()
