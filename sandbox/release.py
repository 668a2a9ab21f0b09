"""Turning bounded aggregates into differentially private releases, and pricing them up front.

Budget split (sequential composition within one query): the query's ε is divided evenly into
*shares*, one per noisy statistic:

===================  ======  ==========================================================
output               shares  statistics (sensitivity, m = max rows per person)
===================  ======  ==========================================================
COUNT(*)             1*      n, shared by every COUNT(*) and the GROUP BY threshold (m)
COUNT(expr)          1       non-NULL count (m)
SUM(expr)            1       fixed-point sum (m · max(|L|, |U|))
AVG(expr)            2       sum / non-NULL count, each noisy (as above)
VARIANCE/STDDEV      3       count, sum, sum of squares (m · max(L², U²))
MEDIAN/QUANTILE/     1       exponential mechanism over 256 public buckets (utility
MIN/MAX                      sensitivity m); MIN/MAX are the 1st/99th percentiles
===================  ======  ==========================================================

Because each person's m rows may fall in different groups, a share's statistic over *all*
groups has the L1 sensitivity above, so one share covers every group (no per-group charge).

GROUP BY keys are released either from the provider's approved public domain (all domain
values, no δ) or, for keys without one, only when the group's noisy n reaches the threshold
``dp.partition_threshold`` — then the query spends δ as well: (ε, δ)-DP. Which groups are kept
is decided as rows stream from the engine (``sandbox.selection``); no number of groups in the
data is an error.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from anonymize import accountant, dp
from sandbox.query import Aggregate, QueryPlan, QueryRefused, refuse
from sandbox.rewrite import square_bounds

_SHARES = {"count_col": 1, "sum": 1, "avg": 2, "variance": 3, "stddev": 3, "quantile": 1}


@dataclass(frozen=True)
class Privacy:
    """The approved privacy metadata a release needs."""

    privacy_unit: str
    max_rows: int
    public_domains: dict[str, list[Any]]
    # The file was checked at approval to hold at most max_rows rows per person.
    file_within_bound: bool = False


@dataclass(frozen=True)
class Cost:
    epsilon: float
    delta: float
    shares: int
    share_epsilon: float
    grouping: str  # "none" | "public_domain" | "threshold"
    threshold: int | None
    domain_groups: list[tuple[Any, ...]] | None


def needs_count(plan: QueryPlan, grouping: str) -> bool:
    return grouping == "threshold" or any(a.kind == "count" for a in plan.aggregates)


def cost(plan: QueryPlan, privacy: Privacy, epsilon: float, delta: float, max_groups: int) -> Cost:
    """What the query spends and how groups are released; data-independent."""
    if not plan.keys:
        grouping = "none"
    elif all(k in privacy.public_domains for k in plan.keys):
        grouping = "public_domain"
    else:
        grouping = "threshold"
    domain_groups = None
    if grouping == "public_domain":
        size = math.prod(len(privacy.public_domains[k]) for k in plan.keys)
        if size > max_groups:
            raise refuse(f"GROUP BY domains with {size} combinations (limit {max_groups})", None)
        domain_groups = list(itertools.product(*(privacy.public_domains[k] for k in plan.keys)))
    shares = sum(_SHARES.get(a.kind, 0) for a in plan.aggregates)
    shares += 1 if needs_count(plan, grouping) else 0
    share_epsilon = accountant.split_evenly(epsilon, shares)
    threshold = None
    spent_delta = 0.0
    if grouping == "threshold":
        threshold = dp.partition_threshold(share_epsilon, privacy.max_rows, delta)
        spent_delta = delta
    return Cost(epsilon, spent_delta, shares, share_epsilon, grouping, threshold, domain_groups)


def expected_errors(plan: QueryPlan, privacy: Privacy, c: Cost) -> list[dict[str, Any]]:
    """Per output column: mechanism, ε, sensitivity and the 95% half-width known before running."""
    m, e = privacy.max_rows, c.share_epsilon
    described: list[dict[str, Any]] = []
    for output in plan.outputs:
        if output.aggregate is None:
            described.append({"output": output.name, "kind": "group_key", "release": c.grouping})
            continue
        a = plan.aggregates[output.aggregate]
        item: dict[str, Any] = {"output": output.name, "kind": a.kind}
        count_ci = dp.geometric_interval(e, m)
        if a.kind in ("count", "count_col"):
            item |= {"mechanism": "geometric", "epsilon": e, "sensitivity": m, "ci95": count_ci}
        elif a.kind == "sum":
            assert a.bounds is not None
            bound = max(abs(a.bounds.lower), abs(a.bounds.upper))
            item |= {
                "mechanism": "fixed-point geometric",
                "epsilon": e,
                "sensitivity": m * bound,
                "ci95": dp.geometric_interval(e, m * dp.SUM_GRANULES)
                * dp.sum_granularity(a.bounds.lower, a.bounds.upper),
            }
        elif a.kind == "quantile":
            assert a.bounds is not None
            item |= {
                "mechanism": "exponential",
                "epsilon": e,
                "sensitivity": m,
                "quantile": a.quantile,
                "bucket_width": (a.bounds.upper - a.bounds.lower) / dp.QUANTILE_BUCKETS,
                "rank_error95": dp.quantile_rank_error95(e, m, dp.QUANTILE_BUCKETS),
            }
        else:
            assert a.bounds is not None
            item |= {
                "mechanism": "ratio of noisy statistics",
                "epsilon": e * _SHARES[a.kind],
                "sensitivity": {
                    "count": m,
                    "sum": m * max(abs(a.bounds.lower), abs(a.bounds.upper)),
                    **(
                        {"sum_of_squares": m * square_bounds(a.bounds.lower, a.bounds.upper)[1]}
                        if a.kind in ("variance", "stddev")
                        else {}
                    ),
                },
                "ci95": None,  # depends on the noisy count; given with the result
            }
        described.append(item)
    return described


class Selected(Protocol):
    """The groups a release holds and their statistics (``sandbox.selection.Selection``)."""

    stats: dict[tuple[Any, ...], tuple[Any, ...]]
    noisy_counts: dict[tuple[Any, ...], dp.Release]
    histograms: dict[int, dict[tuple[Any, ...], list[int]]]

    def groups(self) -> list[tuple[Any, ...]]: ...


def release(
    plan: QueryPlan,
    privacy: Privacy,
    c: Cost,
    selected: Selected,
    rng: np.random.RandomState | None = None,
) -> dict[str, Any]:
    """Noise every statistic of the selected groups, post-process; returns the result JSON.

    Thresholded groups arrive with the noisy count they were selected on; it is the one
    released as COUNT(*) (one share, as ``cost`` charged)."""
    stat_names = _stat_names(plan)
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    m, e = privacy.max_rows, c.share_epsilon
    for group in selected.groups():
        stats = dict(zip(stat_names, selected.stats.get(group, ()), strict=False))
        noisy_n = selected.noisy_counts.get(group)
        if noisy_n is None and needs_count(plan, c.grouping):
            noisy_n = dp.release_count(int(stats.get("n") or 0), epsilon=e, max_rows=m, rng=rng)
        values: dict[str, Any] = {}
        row_errors: dict[str, Any] = {}
        for output in plan.outputs:
            if output.key is not None:
                values[output.name] = _jsonable(group[output.key])
                continue
            assert output.aggregate is not None
            histogram = selected.histograms.get(output.aggregate, {}).get(group)
            value, error = _release_one(
                plan, output.aggregate, stats, noisy_n, histogram, m, e, rng
            )
            values[output.name] = value
            row_errors[output.name] = error
        rows.append(values)
        errors.append(row_errors)
    rows, errors = _order_and_limit(plan, rows, errors)
    return {
        "columns": [o.name for o in plan.outputs],
        "rows": rows,
        "errors": errors,
        "grouping": c.grouping,
        "threshold": c.threshold,
    }


def in_declared_domains(plan: QueryPlan, privacy: Privacy, group: tuple[Any, ...]) -> bool:
    """Keys that do have a public domain only release values from it, even when thresholded."""
    return all(
        group[i] in privacy.public_domains[k]
        for i, k in enumerate(plan.keys)
        if k in privacy.public_domains
    )


def _stat_names(plan: QueryPlan) -> list[str]:
    names = ["n"]
    for j, a in enumerate(plan.aggregates):
        if a.kind in ("count_col", "avg", "variance", "stddev"):
            names.append(f"c{j}")
        if a.kind in ("sum", "avg", "variance", "stddev"):
            names.append(f"s{j}")
        if a.kind in ("variance", "stddev"):
            names.append(f"q{j}")
    return names


def _release_one(
    plan: QueryPlan,
    j: int,
    stats: dict[str, Any],
    noisy_n: dp.Release | None,
    histogram: list[int] | None,
    m: int,
    e: float,
    rng: np.random.RandomState | None,
) -> tuple[float, dict[str, Any]]:
    """Aggregate ``j`` of one group released with ``e`` per share (``_SHARES``), and how."""
    a = plan.aggregates[j]
    if a.kind == "count":
        assert noisy_n is not None
        return max(0.0, noisy_n.value), dp.describe(noisy_n)
    if a.kind == "count_col":
        r = dp.release_count(int(stats.get(f"c{j}") or 0), epsilon=e, max_rows=m, rng=rng)
        return max(0.0, r.value), dp.describe(r)
    if a.kind == "quantile":
        return _release_quantile(a, histogram, m, e, rng)
    return _release_moments(a, j, stats, m, e, rng)


def _release_quantile(
    a: Aggregate,
    histogram: list[int] | None,
    m: int,
    e: float,
    rng: np.random.RandomState | None,
) -> tuple[float, dict[str, Any]]:
    """One share: the exponential mechanism over the public buckets of the bounds."""
    assert a.bounds is not None
    assert a.quantile is not None
    counts = histogram or [0] * dp.QUANTILE_BUCKETS
    r = dp.release_quantile(
        counts,
        quantile=a.quantile,
        lower=a.bounds.lower,
        upper=a.bounds.upper,
        epsilon=e,
        max_rows=m,
        rng=rng,
    )
    described = dp.describe(r) | {
        "rank_error95": dp.quantile_rank_error95(e, m, dp.QUANTILE_BUCKETS),
        "ci95": None,
        "bucket_width": r.ci95,
    }
    return r.value, described


def _release_moments(
    a: Aggregate,
    j: int,
    stats: dict[str, Any],
    m: int,
    e: float,
    rng: np.random.RandomState | None,
) -> tuple[float, dict[str, Any]]:
    """SUM, AVG, VARIANCE and STDDEV from noisy moments, one share each: the sum, then the
    non-NULL count (AVG and up), then the sum of squares (VARIANCE and STDDEV)."""
    assert a.bounds is not None
    lo, hi = a.bounds.lower, a.bounds.upper
    total = dp.release_sum(
        int(stats.get(f"s{j}") or 0), lower=lo, upper=hi, epsilon=e, max_rows=m, rng=rng
    )
    if a.kind == "sum":
        return total.value, dp.describe(total)
    count = dp.release_count(int(stats.get(f"c{j}") or 0), epsilon=e, max_rows=m, rng=rng)
    denominator = max(count.value, 1.0)
    mean = min(max(total.value / denominator, lo), hi)
    if a.kind == "avg":
        return mean, {
            "mechanism": "noisy sum / noisy count",
            "epsilon": 2 * e,
            "sensitivity": {"sum": total.sensitivity, "count": count.sensitivity},
            "ci95": dp.ratio_interval(total, count),
        }
    s2_lo, s2_hi = square_bounds(lo, hi)
    squares = dp.release_sum(
        int(stats.get(f"q{j}") or 0), lower=s2_lo, upper=s2_hi, epsilon=e, max_rows=m, rng=rng
    )
    return _spread(a, e, total, count, squares, mean)


def _spread(
    a: Aggregate,
    e: float,
    total: dp.Release,
    count: dp.Release,
    squares: dp.Release,
    mean: float,
) -> tuple[float, dict[str, Any]]:
    """VARIANCE (or its root, STDDEV) from released moments: post-processing, no cost."""
    assert a.bounds is not None
    lo, hi = a.bounds.lower, a.bounds.upper
    variance = squares.value / max(count.value, 1.0) - mean * mean
    variance = min(max(variance, 0.0), ((hi - lo) / 2) ** 2)
    approx = dp.ratio_interval(squares, count) + 2 * abs(mean) * dp.ratio_interval(total, count)
    described = {
        "mechanism": "noisy moments (count, sum, sum of squares)",
        "epsilon": 3 * e,
        "sensitivity": {
            "count": count.sensitivity,
            "sum": total.sensitivity,
            "sum_of_squares": squares.sensitivity,
        },
        "ci95": approx,
    }
    if a.kind == "stddev":
        sd = math.sqrt(variance)
        described["ci95"] = approx / (2 * sd) if sd > 0 else math.sqrt(approx)
        return sd, described
    return variance, described


def _jsonable(value: Any) -> Any:
    """A group key as JSON. NaN and ±inf keys become text: stored JSON refuses them (on
    PostgreSQL at commit, after the answer was built), which would fail only when such a key
    is released — a failure that depends on the data."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _order_and_limit(
    plan: QueryPlan, rows: list[dict[str, Any]], errors: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """ORDER BY and LIMIT act on released (noisy) values only: post-processing, no cost."""
    pairs = list(zip(rows, errors, strict=True))
    for index, descending in reversed(plan.order):
        name = plan.outputs[index].name
        pairs.sort(key=functools.partial(_order_key, name=name), reverse=descending)
    if plan.limit is not None:
        pairs = pairs[: plan.limit]
    return [p[0] for p in pairs], [p[1] for p in pairs]


__all__ = ["Cost", "Privacy", "QueryRefused", "cost", "expected_errors", "release"]


def _order_key(pair: tuple[dict[str, Any], Any], *, name: str) -> tuple[bool, Any]:
    """NULLs last, then by the released value."""
    return (pair[0][name] is None, pair[0][name])
