"""The rewrite bounds each person's contribution and clamps values before aggregating."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from anonymize import dp
from sandbox import engine, query, rewrite

LIMITS = engine.Limits(timeout_seconds=30, memory_limit="500MB", threads=1)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    # Person "a" has 10 rows of 1,000,000 (far above the bound 100); "b" has 1 row of 50.
    file = tmp_path / "data.parquet"
    pq.write_table(
        pa.table(
            {
                "pid": ["a"] * 10 + ["b", None],
                "city": ["x"] * 10 + ["y", "y"],
                "amount": [1_000_000] * 10 + [50, 7],
            }
        ),
        file,
    )
    return file


def _run(path: Path, sql: str, *, already_bounded: bool = False) -> list[tuple[object, ...]]:
    schema = query.Schema(engine.column_types(path), {"amount": query.Bounds(0, 100)})
    plan = query.parse(sql, schema, max_limit=100)
    source = rewrite.bounded_rows(plan, "pid", 2, already_bounded=already_bounded)
    (rows,) = engine.run(path, [rewrite.aggregate_sql(plan, source)], LIMITS)
    return rows


def test_each_person_contributes_at_most_m_rows_and_values_are_clamped(path: Path) -> None:
    ((n, granules),) = _run(path, "SELECT count(*), sum(amount) FROM dataset")
    # a: 2 rows kept (m = 2), b: 1 row; the row without a person is dropped.
    assert n == 3
    granularity = dp.sum_granularity(0, 100)
    # a's two rows clamp to 100 each, b's 50 stays: 250.
    assert granules * granularity == pytest.approx(250)


def test_grouped_counts_are_bounded_across_groups(path: Path) -> None:
    rows = _run(path, "SELECT city, count(*) FROM dataset GROUP BY city")
    assert sorted(rows) == [("x", 2), ("y", 1)]


def test_a_verified_file_gives_the_same_numbers_without_the_window(tmp_path: Path) -> None:
    file = tmp_path / "bounded.parquet"
    pq.write_table(
        pa.table({"pid": ["a", "a", "b"], "city": ["x", "y", "y"], "amount": [10, 500, 20]}), file
    )
    sql = "SELECT city, count(*), sum(amount) FROM dataset GROUP BY city"
    assert sorted(_run(file, sql)) == sorted(_run(file, sql, already_bounded=True))


def test_max_rows_per_person_is_measured_on_the_file(path: Path) -> None:
    assert engine.max_rows_per_person(path, "pid", LIMITS) == 10


def test_the_locked_engine_reads_no_other_file(path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1]}), other)
    for sql in (
        f"SELECT * FROM read_parquet('{other}')",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "SET enable_external_access = true",
        f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
    ):
        with pytest.raises(engine.ExecutionFailed):
            engine.run(path, [sql], LIMITS)
    assert not (tmp_path / "out.csv").exists()


def test_a_query_past_the_deadline_is_interrupted(path: Path) -> None:
    limits = engine.Limits(timeout_seconds=0.2, memory_limit="500MB", threads=1)
    with pytest.raises(engine.ExecutionTimedOut):
        engine.run(path, ["SELECT count(*) FROM range(10000000000) a"], limits)


def test_results_stream_in_chunks_and_no_row_count_is_an_error(path: Path) -> None:
    """The engine used to fail past a number of result rows (groups), a bit about the data
    outside the noise; now every row streams to the sink, a chunk at a time."""
    limits = engine.Limits(timeout_seconds=10, memory_limit="500MB", threads=1, fetch_rows=1)
    chunks: list[tuple[int, list[tuple[object, ...]]]] = []
    sql = "SELECT city, count(*) FROM dataset GROUP BY city ORDER BY city"
    engine.stream(path, [sql], limits, lambda i, rows: chunks.append((i, rows)))
    assert chunks == [(0, [("x", 10)]), (0, [("y", 2)])]


def test_sums_accumulated_in_double_are_the_same_integers(tmp_path: Path) -> None:
    """The DOUBLE accumulation of granule terms gives the very integers the per-row BIGINT
    casts give, on awkward values (fractions, ties, negatives, NaN, infinities, NULL)."""
    file = tmp_path / "awkward.parquet"
    rng = np.random.default_rng(3)
    values = list(rng.uniform(-150, 150, 20_000)) + [0.5, -0.5, 2.5, -2.5, 1e300, -1e300]
    values += [math.nan, math.inf, -math.inf, None]
    pq.write_table(
        pa.table(
            {
                "pid": [f"p{i % 997}" for i in range(len(values))],
                "city": [f"c{i % 7}" for i in range(len(values))],
                "amount": pa.array(values, pa.float64()),
            }
        ),
        file,
        row_group_size=3_000,
    )
    schema = query.Schema(engine.column_types(file), {"amount": query.Bounds(-100, 100)})
    sql = "SELECT city, sum(amount), avg(amount), variance(amount) FROM dataset GROUP BY city"
    plan = query.parse(sql, schema, max_limit=100)
    source = rewrite.bounded_rows(plan, "pid", 50)
    per_row = rewrite.aggregate_sql(plan, source)
    in_double = rewrite.aggregate_sql(plan, source, rows=engine.file_rows(file))
    assert per_row != in_double
    (a,) = engine.run(file, [per_row], LIMITS)
    (b,) = engine.run(file, [in_double], LIMITS)
    assert sorted(a) == sorted(b)


def test_double_accumulation_only_below_two_to_the_53() -> None:
    assert rewrite.exact_in_double((1 << 33) - 1)
    assert not rewrite.exact_in_double(1 << 33)
