"""Groups are chosen as rows stream in: by public domain, or by noisy threshold with at most
``max_groups`` kept by noisy count; no number of groups in the data is an error."""

from __future__ import annotations

import numpy as np

from sandbox import query, release, selection

SCHEMA = query.Schema({"pid": "string", "city": "string", "amount": "number"}, {})
PRIVACY = release.Privacy("pid", 1, {"city": ["a", "b"]})


def _plan(sql: str) -> tuple[query.QueryPlan, release.Cost]:
    plan = query.parse(sql, SCHEMA, max_limit=1000)
    return plan, release.cost(plan, PRIVACY, 1.0, 1e-6, 1000)


def test_a_million_data_chosen_groups_keep_at_most_max_groups_by_noisy_count() -> None:
    plan, cost = _plan("SELECT pid, count(*) FROM dataset GROUP BY pid")
    assert cost.grouping == "threshold"
    picked = selection.Selection(plan, PRIVACY, cost, 5, rng=np.random.RandomState(1))
    for chunk in range(100):  # 1,000,000 single-row groups, then 20 large ones
        picked(0, [(f"p{chunk}-{i}", 1) for i in range(10_000)])
    picked(0, [(f"big{i}", 1_000 + 10 * i) for i in range(20)])
    groups = picked.groups()
    assert sorted(groups) == sorted((f"big{i}",) for i in range(15, 20))
    result = release.release(plan, PRIVACY, cost, picked)
    assert len(result["rows"]) == 5


def test_public_domain_groups_are_the_domain_whatever_the_data_holds() -> None:
    plan, cost = _plan("SELECT city, count(*) FROM dataset GROUP BY city")
    assert cost.grouping == "public_domain"
    picked = selection.select_rows(
        plan, PRIVACY, cost, [("a", 3), ("zz", 9), *[(str(i), 1) for i in range(5000)]],
        max_groups=2,
    )  # fmt: skip
    assert picked.groups() == [("a",), ("b",)]
    assert set(picked.stats) == {("a",)}


def test_quantile_histograms_are_kept_only_for_selected_groups() -> None:
    schema = query.Schema(SCHEMA.types, {"amount": query.Bounds(0, 256)})
    plan = query.parse("SELECT pid, median(amount) FROM dataset GROUP BY pid", schema, max_limit=9)
    cost = release.cost(plan, PRIVACY, 1.0, 1e-6, 1000)
    picked = selection.Selection(plan, PRIVACY, cost, 1, quantiles=[0])
    picked(0, [("rare", 1), ("big", 100_000), ("big2", 50_000)])
    picked(1, [("rare", 3, 1), ("big", 7, 60_000), ("big", 8, 40_000), ("big2", 1, 5)])
    assert set(picked.histograms[0]) == {("big",)}
    assert picked.histograms[0][("big",)][7:9] == [60_000, 40_000]


def test_non_finite_group_keys_are_released_as_text() -> None:
    """Stored JSON refuses NaN and inf; a key that is one must not fail the answer."""
    schema = query.Schema({"pid": "string", "score": "number"}, {})
    plan = query.parse("SELECT score, count(*) FROM dataset GROUP BY score", schema, max_limit=9)
    cost = release.cost(plan, PRIVACY, 1.0, 1e-6, 1000)
    rows: list[tuple[object, ...]] = [(float("nan"), 10_000), (float("inf"), 10_000)]
    picked = selection.select_rows(plan, PRIVACY, cost, rows, max_groups=5)
    result = release.release(plan, PRIVACY, cost, picked)
    assert sorted(row["score"] for row in result["rows"]) == ["inf", "nan"]
