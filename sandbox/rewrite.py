"""From a checked ``QueryPlan`` to the SQL that actually runs: clamping and contribution bounding.

Every statement reads the same bounded row set:

* rows whose privacy unit is NULL are dropped (they cannot be attributed to a person);
* the buyer's WHERE is applied, then each person keeps at most ``max_rows_per_person`` rows
  (``row_number() OVER (PARTITION BY <privacy unit>)``; which rows are kept depends only on
  that person's own rows);
* every aggregated value is clamped to its public bounds (``greatest(least(v, U), L)``; NaN
  clamps to U). Sums are taken over integers of a public granularity (fixed point).

So one person changes any count by at most m = max_rows_per_person, and a sum by at most
m * max(|L|, |U|): these are the sensitivities ``sandbox.release`` calibrates noise to.
"""

from __future__ import annotations

from anonymize import dp
from sandbox.query import Aggregate, QueryPlan, quote_identifier

ROW_NUMBER = "__sluice_rn"


def _clamp(aggregate: Aggregate) -> str:
    assert aggregate.value_sql is not None
    assert aggregate.bounds is not None
    b = aggregate.bounds
    return f"greatest(least({aggregate.value_sql}, {b.upper!r}), {b.lower!r})"


def bounded_rows(
    plan: QueryPlan, privacy_unit: str, max_rows: int, *, already_bounded: bool = False
) -> str:
    """The subquery of bounded, clamped rows: columns k0.. (keys) and v0.. (values).

    ``already_bounded``: the file was verified at profile approval to hold at most
    ``max_rows`` rows per person, so the window that enforces it would keep every row and is
    skipped (same numbers, much faster).
    """
    unit = quote_identifier(privacy_unit)
    where = f" AND ({plan.where_sql})" if plan.where_sql else ""
    columns = [f"{sql} AS k{i}" for i, sql in enumerate(plan.key_sql)]
    for j, aggregate in enumerate(plan.aggregates):
        if aggregate.kind == "count_col":
            columns.append(f"{aggregate.value_sql} AS v{j}")
        elif aggregate.value_sql is not None:
            columns.append(f"{_clamp(aggregate)} AS v{j}")
    if not columns:
        columns.append("1 AS one")
    if already_bounded:
        return f"SELECT {', '.join(columns)} FROM dataset WHERE {unit} IS NOT NULL{where}"
    return (
        f"SELECT {', '.join(columns)} FROM (SELECT *, row_number() OVER (PARTITION BY {unit}) "
        f"AS {ROW_NUMBER} FROM dataset WHERE {unit} IS NOT NULL{where}) "
        f"WHERE {ROW_NUMBER} <= {int(max_rows)}"
    )


def _keys(plan: QueryPlan) -> list[str]:
    return [f"k{i}" for i in range(len(plan.keys))]


#: Integers up to 2**53 are exact in a DOUBLE, and so is every sum of them that stays below it.
EXACT_DOUBLE_INTEGER = 1 << 53


def exact_in_double(rows: int) -> bool:
    """Whether a sum of ``rows`` granule terms (each an integer of at most ``SUM_GRANULES`` in
    absolute value) is exact when accumulated in DOUBLE: every partial sum, in any order and
    any split across threads, is then an integer below 2**53, so every addition is exact."""
    return rows * dp.SUM_GRANULES < EXACT_DOUBLE_INTEGER


def _granule_sum(term: str, exact_double: bool) -> str:
    """Σ round(term) as an exact integer. ``round`` gives an integer of at most
    ``SUM_GRANULES`` in absolute value (the term is a clamped value over its granularity).
    With ``exact_double`` the integers are summed as DOUBLE and the total cast once (the same
    integer, without a cast per row: the cast was most of the sandbox's cost over a plain
    SUM); otherwise each is cast to BIGINT first."""
    if exact_double:
        return f"CAST(sum(round({term})) AS BIGINT)"
    return f"sum(CAST(round({term}) AS BIGINT))"


def aggregate_sql(plan: QueryPlan, source: str, *, rows: int | None = None) -> str:
    """Per group: n = COUNT(*), then per aggregate j the integer statistics it needs.

    c{j}: count of non-NULL values; s{j}: Σ round(v / g) (fixed-point sum, g public);
    q{j}: Σ round(v² / g²) for variances. Every term is bounded, so no integer overflow, and
    every sum is an exact integer whatever the order of additions. ``rows``: at most how many
    rows the source can hold (the file's row count); when known and small enough
    (``exact_in_double``), the sums accumulate in DOUBLE, exactly.
    """
    exact_double = rows is not None and exact_in_double(rows)
    keys = _keys(plan)
    terms = [*keys, "count(*) AS n"]
    for j, aggregate in enumerate(plan.aggregates):
        if aggregate.kind in ("count_col", "avg", "variance", "stddev"):
            terms.append(f"count(v{j}) AS c{j}")
        if aggregate.kind in ("sum", "avg", "variance", "stddev"):
            assert aggregate.bounds is not None
            g = dp.sum_granularity(aggregate.bounds.lower, aggregate.bounds.upper)
            terms.append(f"{_granule_sum(f'v{j} / {g!r}', exact_double)} AS s{j}")
        if aggregate.kind in ("variance", "stddev"):
            assert aggregate.bounds is not None
            lo, hi = square_bounds(aggregate.bounds.lower, aggregate.bounds.upper)
            g2 = dp.sum_granularity(lo, hi)
            terms.append(f"{_granule_sum(f'v{j} * v{j} / {g2!r}', exact_double)} AS q{j}")
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    return f"SELECT {', '.join(terms)} FROM ({source}) AS bounded{group}"


def histogram_sql(plan: QueryPlan, source: str, j: int, buckets: int) -> str:
    """Per group, counts of aggregate j's clamped values in ``buckets`` public buckets."""
    aggregate = plan.aggregates[j]
    assert aggregate.bounds is not None
    lo, hi = aggregate.bounds.lower, aggregate.bounds.upper
    width = (hi - lo) / buckets
    keys = _keys(plan)
    bucket = f"least(CAST(floor((v{j} - {lo!r}) / {width!r}) AS BIGINT), {buckets - 1})"
    group = ", ".join([*keys, "b"])
    return (
        f"SELECT {', '.join([*keys, f'{bucket} AS b', 'count(*) AS n'])} "
        f"FROM ({source}) AS bounded WHERE v{j} IS NOT NULL GROUP BY {group}"
    )


def square_bounds(lower: float, upper: float) -> tuple[float, float]:
    """Bounds of v² for v in [lower, upper]."""
    high = max(lower * lower, upper * upper)
    low = 0.0 if lower <= 0 <= upper else min(lower * lower, upper * upper)
    return low, high
