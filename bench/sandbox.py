"""Benchmark: DP sandbox queries vs plain DuckDB over one Parquet file (10,000,000 rows).

    .venv/bin/python bench/sandbox.py [--rows 10000000] [--repeat 3] [--bounding] [--copy]

Builds a synthetic Parquet file locally (no network), then runs COUNT, SUM and AVG with and
without GROUP BY, interleaved (one run of each variant per round, best of ``--repeat``):

* **plain, fresh**: the buyer's SQL on a new DuckDB connection over the file (a script that
  opens DuckDB, asks, and closes it);
* **plain, warm**: the same SQL on one DuckDB connection kept open across queries;
* **sandbox**: what ``sandbox.service.prepare`` and ``execute`` do, minus HTTP and the budget
  ledger: the file's schema and size, sqlglot allow-list, rewrite (clamping, fixed-point
  sums, the person column not NULL), a locked-down DuckDB connection from the engine's pool,
  the rows streamed into the selection sink, DP release;
* **sandbox, fresh**: the same with the pool emptied first (a new locked connection).

``--bounding`` adds the per-query ``row_number()`` window no query takes any more (kept to
show what approval-time bounding saves). ``--copy`` times approval's bounded copy on a file
where a sixth of the people are over the bound, the current statement and the earlier one
side by side.
"""

from __future__ import annotations

import argparse
import functools
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
PersonIds = Callable[[np.random.Generator, int, int, int], np.ndarray]


def two_rows_each(rng: np.random.Generator, start: int, n: int, rows: int) -> np.ndarray:
    """Two rows per person, as a verified file (within the declared bound of 3)."""
    return np.arange(start, start + n) // 2


def drawn_at_random(rng: np.random.Generator, start: int, n: int, rows: int) -> np.ndarray:
    """Ids drawn at random from rows/2 people: about a sixth have more than 3 rows."""
    return rng.integers(0, rows // 2, n)


def build(path: Path, rows: int, person_ids: PersonIds = two_rows_each) -> None:
    rng = np.random.default_rng(1)
    chunk = 1_000_000
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        table = pa.table(
            {
                "person_id": person_ids(rng, start, n, rows),
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
    """``sandbox.service.prepare`` then ``execute``, without the database and the ledger."""
    types = engine.column_types(path)
    path.stat()  # prepare compares the size with the one approval checked
    plan = query.parse(sql, query.Schema(types, BOUNDS), max_limit=10_000)
    cost = release.cost(plan, privacy, 1.0, 1e-6, 10_000)
    source = rewrite.bounded_rows(
        plan, privacy.privacy_unit, privacy.max_rows, already_bounded=privacy.file_within_bound
    )
    statements = [rewrite.aggregate_sql(plan, source, rows=engine.file_rows(path))]
    selected = selection.Selection(plan, privacy, cost, 10_000)
    engine.stream(path, statements, limits, selected)
    return release.release(plan, privacy, cost, selected)


def sandboxed_fresh(
    path: Path, sql: str, limits: engine.Limits, privacy: release.Privacy
) -> object:
    engine.POOL.clear()
    return sandboxed(path, sql, limits, privacy)


def earlier_bounded_copy(path: Path, dest: Path, privacy_unit: str, max_rows: int) -> None:
    """The statement approval used before: a window over every row, then a sort by file order
    (kept here only to time it against ``engine.write_bounded_copy``)."""
    unit = f'"{privacy_unit}"'
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * EXCLUDE (sluice_rank, file_row_number) FROM ("
            f"SELECT *, row_number() OVER (PARTITION BY {unit} ORDER BY file_row_number) "
            f"AS sluice_rank FROM read_parquet(?, file_row_number = true) "
            f"WHERE {unit} IS NOT NULL) WHERE sluice_rank <= ? ORDER BY file_row_number) "
            f"TO '{dest}' (FORMAT parquet, COMPRESSION zstd)",
            [str(path), max_rows],
        )


def time_copies(tmp: Path, rows: int, repeat: int) -> None:
    source = tmp / "over.parquet"
    build(source, rows, drawn_at_random)
    new: list[float] = []
    old: list[float] = []
    for _ in range(repeat):
        for times, write in ((old, earlier_bounded_copy), (new, engine.write_bounded_copy)):
            started = time.perf_counter()
            write(source, tmp / "copy.parquet", "person_id", 3)
            times.append(time.perf_counter() - started)
    kept = pq.read_metadata(tmp / "copy.parquet").num_rows
    print(
        f"bounded copy of {rows:,} rows ({kept:,} kept): earlier {min(old):.2f}s, "
        f"now {min(new):.2f}s (best of {repeat})"
    )


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bounding", action="store_true")
    parser.add_argument("--copy", action="store_true")
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
        with duckdb.connect() as warm:
            warm.execute(f"SET threads={args.threads}")
            warm.execute(f"CREATE VIEW dataset AS SELECT * FROM read_parquet('{path}')")
            variants: dict[str, Callable[[str], object]] = {
                "plain fresh": lambda sql: plain(path, sql, args.threads),
                "plain warm": lambda sql: warm.execute(sql).fetchall(),
                "sandbox": lambda sql: sandboxed(path, sql, limits, verified),
                "sandbox fresh": lambda sql: sandboxed_fresh(path, sql, limits, verified),
            }
            if args.bounding:
                variants["sandbox+bounding"] = lambda sql: sandboxed(path, sql, limits, enforced)
            print(f"{'query':<16}" + "".join(f"{v:>18}" for v in variants) + "   ratios")
            for name, sql in QUERIES.items():
                times: dict[str, list[float]] = {v: [] for v in variants}
                for _ in range(args.repeat):
                    for variant, run in variants.items():
                        times[variant].append(timed(functools.partial(run, sql)))
                best = {v: min(t) for v, t in times.items()}
                ratios = (
                    f"sandbox/plain fresh {best['sandbox'] / best['plain fresh']:.2f}x, "
                    f"sandbox/plain warm {best['sandbox'] / best['plain warm']:.2f}x, "
                    f"both fresh {best['sandbox fresh'] / best['plain fresh']:.2f}x"
                )
                cells = "".join(f"{best[v]:>18.3f}" for v in variants)
                print(f"{name:<16}{cells}   {ratios}")
        if args.copy:
            time_copies(Path(tmp), args.rows, args.repeat)
    engine.POOL.clear()
    _ = dp  # the release path uses anonymize.dp mechanisms


if __name__ == "__main__":
    main()
