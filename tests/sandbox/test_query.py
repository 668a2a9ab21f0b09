"""The checker proves every accepted query total before any data is read: type errors, bad
literals and value-dependent casts are refused with a bilingual 400, and whatever it accepts
runs without error on any value the column types admit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox import engine, query, rewrite

SCHEMA = query.Schema(
    {
        "pid": "string",
        "name": "string",
        "income": "number",
        "born": "date",
        "seen": "timestamp",
        "active": "bool",
    },
    {"income": query.Bounds(0, 100_000)},
)

REFUSED = [
    # invalid literals for the column's type
    "SELECT count(*) FROM dataset WHERE born = '2024-13-45'",
    "SELECT count(*) FROM dataset WHERE born > '2024-02-30'",
    "SELECT count(*) FROM dataset WHERE born IN ('2024-01-01', 'abc')",
    "SELECT count(*) FROM dataset WHERE born BETWEEN '2024-01-01' AND '99999-01-01'",
    "SELECT count(*) FROM dataset WHERE seen < '2024-01-01 25:00'",
    "SELECT count(*) FROM dataset WHERE '2024-13-45' BETWEEN born AND born",
    "SELECT count(*) FROM dataset WHERE born = DATE '2024-13-45'",
    "SELECT count(*) FROM dataset WHERE born = '2024-01-01 10:00'",
    # mixed-type comparisons
    "SELECT count(*) FROM dataset WHERE income = 'abc'",
    "SELECT count(*) FROM dataset WHERE pid = 5",
    "SELECT count(*) FROM dataset WHERE born = name",
    "SELECT count(*) FROM dataset WHERE born < seen",
    "SELECT count(*) FROM dataset WHERE active = 1",
    "SELECT count(*) FROM dataset WHERE income IN (1, '2')",
    # value-dependent casts and functions
    "SELECT count(*) FROM dataset WHERE CAST(name AS INTEGER) > 0",
    "SELECT count(*) FROM dataset WHERE TRY_CAST(name AS INTEGER) > 0",
    "SELECT count(*) FROM dataset WHERE name::DATE > '2024-01-01'",
    "SELECT count(*) FROM dataset WHERE CAST(pid AS DATE) = born",
    "SELECT count(*) FROM dataset WHERE CAST('12' AS INTEGER) = income",
    "SELECT count(*) FROM dataset WHERE regexp_matches(name, '^a')",
    "SELECT count(*) FROM dataset WHERE strptime(name, '%Y') > seen",
    "SELECT count(*) FROM dataset WHERE born + INTERVAL 1000000 YEAR > born",
    "SELECT count(*) FROM dataset WHERE substr(name, 1, 2) = 'ab'",
    "SELECT count(*) FROM dataset WHERE ln(income) > 1",
    "SELECT sum(income % 7) FROM dataset",
    "SELECT count(*) FROM dataset WHERE 1e400 > income",
    "SELECT count(*) FROM dataset ORDER BY 1e400",
]

ACCEPTED = {
    "SELECT count(*) FROM dataset WHERE born = '2024-02-29'": "DATE '2024-02-29'",
    "SELECT count(*) FROM dataset WHERE '2024-02-29' < born": "DATE '2024-02-29'",
    "SELECT count(*) FROM dataset WHERE born = DATE '2024-01-05'": "DATE '2024-01-05'",
    "SELECT count(*) FROM dataset WHERE seen >= '2024-01-05 10:30'": (
        "TIMESTAMP '2024-01-05 10:30:00'"
    ),
    "SELECT count(*) FROM dataset WHERE born IN ('2024-01-05')": "IN (DATE '2024-01-05')",
    "SELECT count(*) FROM dataset WHERE income > 99999999999999999.0": ("CAST(1e+17 AS DOUBLE)"),
}


@pytest.mark.parametrize("sql", REFUSED)
def test_ill_typed_queries_are_refused_in_both_languages(sql: str) -> None:
    with pytest.raises(query.QueryRefused) as refused:
        query.parse(sql, SCHEMA, max_limit=100)
    assert refused.value.status_code == 400
    assert refused.value.detail.startswith("Query refused: ")
    assert refused.value.detail_zh.startswith("查询被拒绝：")


@pytest.mark.parametrize(("sql", "generated"), ACCEPTED.items())
def test_literals_are_validated_and_written_in_the_columns_type(sql: str, generated: str) -> None:
    plan = query.parse(sql, SCHEMA, max_limit=100)
    assert plan.where_sql is not None
    assert generated in plan.where_sql


ODD_ROWS = {
    "pid": ["p1", "p2", "p3", "p4", None],
    "name": ["", "'; DROP", "\u0000x", "名字\U0001f600", "abc"],
    "income": [float("nan"), float("inf"), -float("inf"), 1.7e308, -0.0],
    "born": [
        dt.date(1, 1, 1),
        dt.date(9999, 12, 31),
        dt.date(1970, 1, 1),
        None,
        dt.date(2024, 2, 29),
    ],
    "seen": [
        dt.datetime(1, 1, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59),
        None,
        dt.datetime(2024, 1, 1),
        dt.datetime(1677, 9, 22),
    ],
    "active": [True, False, None, True, False],
}

TOTAL = [
    "SELECT count(*), sum(income), avg(income * income), stddev(income / 2) FROM dataset "
    "WHERE income * 1e300 * 1e300 > -income / 0.0000001 OR income / (income - income) > 0",
    "SELECT median(abs(-income) - 1e6), max(income + 1e9) FROM dataset "
    "WHERE lower(name) LIKE '%\\' OR upper(name) ILIKE '_' OR name = '' OR name IS NULL",
    "SELECT count(*) FROM dataset WHERE born BETWEEN '0001-01-01' AND '9999-12-31' "
    "AND seen > '0001-01-01 00:00:00.000001' AND active AND NOT (born IN ('2024-02-29'))",
    "SELECT name, born, count(*), sum(income) FROM dataset GROUP BY name, born",
    "SELECT count(name), quantile(income, 0.3) FROM dataset WHERE income IN (1, 2.5, 1e308)",
]


@pytest.fixture
def odd(tmp_path: Path) -> Path:
    """Values at the edges of each type: NaN, ±inf, the largest double, the first and last
    dates, NUL bytes and emoji in strings."""
    file = tmp_path / "odd.parquet"
    table = pa.table(ODD_ROWS).cast(
        pa.schema(
            [
                ("pid", pa.string()),
                ("name", pa.string()),
                ("income", pa.float64()),
                ("born", pa.date32()),
                ("seen", pa.timestamp("us")),
                ("active", pa.bool_()),
            ]
        )
    )
    pq.write_table(table, file)
    return file


@pytest.mark.parametrize("sql", TOTAL)
def test_accepted_queries_are_total_on_odd_values(odd: Path, sql: str) -> None:
    schema = query.Schema(engine.column_types(odd), SCHEMA.bounds)
    assert schema.types == SCHEMA.types
    plan = query.parse(sql, schema, max_limit=100)
    source = rewrite.bounded_rows(plan, "pid", 2)
    statements = [rewrite.aggregate_sql(plan, source)]
    statements += [
        rewrite.histogram_sql(plan, source, j, 256)
        for j, a in enumerate(plan.aggregates)
        if a.kind == "quantile"
    ]
    limits = engine.Limits(timeout_seconds=30, memory_limit="500MB", threads=1)
    results = engine.run(odd, statements, limits)  # raises ExecutionFailed on any error
    assert results[0]


def test_timestamps_in_units_whose_casts_can_fail_are_not_offered(tmp_path: Path) -> None:
    file = tmp_path / "ts.parquet"
    pq.write_table(
        pa.table(
            {
                "us": pa.array([0], pa.timestamp("us")),
                "ns": pa.array([0], pa.timestamp("ns")),
                "s": pa.array([0], pa.timestamp("s")),
                "zoned": pa.array([0], pa.timestamp("us", tz="Asia/Shanghai")),
            }
        ),
        file,
    )
    assert engine.column_types(file) == {"us": "timestamp", "ns": "timestamp"}
