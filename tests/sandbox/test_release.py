"""Released answers through the sandbox's release step: noise spread over many runs matches
the declared ε (too little noise fails), and the threshold hides rare groups."""

from __future__ import annotations

import math

import numpy as np

from anonymize import dp
from sandbox import query, release, selection

SCHEMA = query.Schema(
    {"pid": "string", "city": "string", "amount": "number"}, {"amount": query.Bounds(0, 1000)}
)
PRIVACY = release.Privacy("pid", 2, {})
RUNS = 3000


def _released(sql: str, rows: list[tuple[object, ...]], epsilon: float) -> list[dict[str, float]]:
    plan = query.parse(sql, SCHEMA, max_limit=100)
    cost = release.cost(plan, PRIVACY, epsilon, 1e-6, 100)
    rng = np.random.RandomState(7)
    return [
        release.release(plan, PRIVACY, cost, _selected(plan, cost, rows, rng), rng)["rows"][0]
        for _ in range(RUNS)
    ]


def _selected(
    plan: query.QueryPlan,
    cost: release.Cost,
    rows: list[tuple[object, ...]],
    rng: np.random.RandomState | None = None,
    max_groups: int = 100,
) -> selection.Selection:
    return selection.select_rows(plan, PRIVACY, cost, rows, max_groups=max_groups, rng=rng)


def test_count_noise_matches_the_declared_epsilon() -> None:
    values = np.array(
        [r["n"] for r in _released("SELECT count(*) AS n FROM dataset", [(5000,)], 0.5)]
    )
    expected = dp.geometric_std(0.5, 2)
    assert abs(values.std() - expected) < 0.12 * expected
    assert abs(values.mean() - 5000) < 4 * expected / math.sqrt(RUNS)


def test_sum_noise_matches_the_declared_epsilon() -> None:
    granularity = dp.sum_granularity(0, 1000)
    true_sum = 250_000.0
    rows = [(0, round(true_sum / granularity))]
    values = np.array(
        [r["s"] for r in _released("SELECT sum(amount) AS s FROM dataset", rows, 1.0)]
    )
    laplace_std = math.sqrt(2) * 2 * 1000 / 1.0  # sensitivity m * max(|L|, |U|)
    assert abs(values.std() - laplace_std) < 0.12 * laplace_std
    assert abs(values.mean() - true_sum) < 4 * laplace_std / math.sqrt(RUNS)


def test_threshold_hides_groups_a_single_person_could_create() -> None:
    plan = query.parse("SELECT city, count(*) FROM dataset GROUP BY city", SCHEMA, max_limit=10)
    cost = release.cost(plan, PRIVACY, 1.0, 1e-6, 100)
    assert cost.grouping == "threshold"
    assert cost.threshold is not None
    rows: list[tuple[object, ...]] = [("rare", 2), ("big", 10_000)]
    result = release.release(plan, PRIVACY, cost, _selected(plan, cost, rows))
    assert [row["city"] for row in result["rows"]] == ["big"]
