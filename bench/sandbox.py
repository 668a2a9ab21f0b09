"""Benchmark: DP sandbox queries vs plain DuckDB over a 10,000,000-row dataset.

    .venv/bin/python bench/sandbox.py [--rows 10000000] [--repeat 3]

Builds a synthetic Parquet file locally (no network), then runs COUNT, SUM and AVG with and
without GROUP BY two ways in this process:

* **plain**: the buyer's SQL on an ordinary DuckDB connection over the same file;
* **sandbox**: the real path minus HTTP and the budget ledger: sqlglot allow-list, rewrite
  (clamping and per-person contribution bounding), locked-down DuckDB, DP release.

Prints the best time of ``--repeat`` runs for each and the ratio sandbox / plain.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymize import dp  # noqa: E402
from sandbox import engine, query, release, rewrite, selection  # noqa: E402

CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "重庆"]
QUERIES = {
    "COUNT": "SELECT count(*) FROM dataset",
    "SUM": "SELECT sum(amount) FROM dataset",
    "AVG": "SELECT avg(amount) FROM dataset",
    "COUNT GROUP BY": "SELECT city, count(*) FROM dataset GROUP BY city",
    "SUM GROUP BY": "SELECT city, sum(amount) FROM dataset GROUP BY city",
    "AVG GROUP BY": "SELECT city, avg(amount) FROM dataset GROUP BY city",
}
DOMAINS: dict[str, list[object]] = {"city": list(CITIES)}
BOUNDS = {"amount": query.Bounds(0.0, 10_000.0)}


def build(path: Path, rows: int) -> None:
    rng = np.random.default_rng(1)
    chunk = 1_000_000
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        table = pa.table(
            {
                # Two rows per person, as a verified file (within the declared bound of 3).
                "person_id": np.arange(start, start + n) // 2,
                "city": pa.array(np.array(CITIES)[rng.integers(0, len(CITIES), n)]),
                "amount": rng.integers(0, 12_000, n),
                "age": rng.integers(18, 90, n),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table)
    assert writer is not None
    writer.close()


def plain(path: Path, sql: str, threads: int) -> object:
    with duckdb.connect() as con:
        con.execute(f"SET threads={threads}")
        con.execute(f"CREATE VIEW dataset AS SELECT * FROM read_parquet('{path}')")
        return con.execute(sql).fetchall()


def sandboxed(path: Path, sql: str, limits: engine.Limits, privacy: release.Privacy) -> object:
    plan = query.parse(sql, query.Schema(engine.column_types(path), BOUNDS), max_limit=10_000)
    cost = release.cost(plan, privacy, 1.0, 1e-6, 10_000)
    source = rewrite.bounded_rows(
        plan, privacy.privacy_unit, privacy.max_rows, already_bounded=privacy.file_within_bound
    )
    (rows,) = engine.run(path, [rewrite.aggregate_sql(plan, source)], limits)
    selected = selection.select_rows(plan, privacy, cost, rows, max_groups=10_000)
    return release.release(plan, privacy, cost, selected)


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    limits = engine.Limits(600.0, "4GB", args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.parquet"
        started = time.perf_counter()
        build(path, args.rows)
        print(f"built {args.rows:,} rows in {time.perf_counter() - started:.1f}s")
        # What profile approval does: check the file against the declared bound once.
        started = time.perf_counter()
        within = engine.max_rows_per_person(path, "person_id", limits) <= 3
        print(f"approval check (max rows per person): {time.perf_counter() - started:.2f}s")
        verified = release.Privacy("person_id", 3, DOMAINS, file_within_bound=within)
        enforced = release.Privacy("person_id", 3, DOMAINS, file_within_bound=False)
        print(
            f"{'query':<16} {'plain (s)':>10} {'sandbox (s)':>12} {'ratio':>7}"
            f" {'sandbox+bounding (s)':>21} {'ratio':>7}"
        )
        for name, sql in QUERIES.items():
            p = best(lambda sql=sql: plain(path, sql, args.threads), args.repeat)
            s = best(lambda sql=sql: sandboxed(path, sql, limits, verified), args.repeat)
            b = best(lambda sql=sql: sandboxed(path, sql, limits, enforced), args.repeat)
            print(f"{name:<16} {p:>10.3f} {s:>12.3f} {s / p:>6.2f}x {b:>21.3f} {b / p:>6.1f}x")
    _ = dp  # the release path uses anonymize.dp mechanisms


if __name__ == "__main__":
    main()
