"""Which groups a release holds, chosen as the engine streams its rows: never an error, and
never more than ``max_groups`` groups in memory, whatever the data holds.

A query once failed ("too many groups") when the data had more groups than a cap, and so told
a buyer one bit about the data outside the noise. Here the rule is:

* **no GROUP BY**: one group;
* **public domains**: the groups are the declared domain values (at most ``max_groups``
  combinations, refused before reading otherwise); rows of other values are dropped as they
  stream by;
* **threshold** (keys without a public domain): each group's count is noised (the same noisy
  count later released as COUNT(*), one budget share, ``release`` module) and the group is kept
  only when the noisy count reaches the threshold τ. If more than ``max_groups`` groups pass,
  the ``max_groups`` with the largest noisy counts are kept (ties by key). That choice reads
  only noisy counts, so it is post-processing of an (ε, δ)-DP output: it costs no budget and
  the number of groups in the data reaches the buyer only through the noise.

What remains data-dependent is time: noising every group of the data takes time proportional
to their number (vectorized, ~1 µs a group), bounded by the sandbox time limit, past which the
query ends with the one failure response every failure gets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from anonymize import dp
from sandbox.query import QueryPlan
from sandbox.release import Cost, Privacy, in_declared_domains

Group = tuple[Any, ...]


class Selection:
    """A sink for the engine's rows (``sandbox.engine.stream``): statement 0 gives the
    per-group statistics, statement ``1 + i`` the histogram of the i-th quantile aggregate."""

    def __init__(
        self,
        plan: QueryPlan,
        privacy: Privacy,
        cost: Cost,
        max_groups: int,
        *,
        quantiles: list[int] | None = None,
        rng: np.random.RandomState | None = None,
    ) -> None:
        self.plan, self.privacy, self.cost = plan, privacy, cost
        self.max_groups = max_groups
        self.quantiles = quantiles or []
        self.rng = rng
        self.nkeys = len(plan.keys)
        self.stats: dict[Group, tuple[Any, ...]] = {}
        self.noisy_counts: dict[Group, dp.Release] = {}
        self.histograms: dict[int, dict[Group, list[int]]] = {}
        self._domain = set(cost.domain_groups or []) if cost.grouping == "public_domain" else None
        self._trimmed = False

    def __call__(self, statement: int, rows: list[tuple[Any, ...]]) -> None:
        if statement == 0:
            self.add_aggregates(rows)
        else:
            self.add_histogram(self.quantiles[statement - 1], rows)

    def add_aggregates(self, rows: list[tuple[Any, ...]]) -> None:
        """Statistics rows (keys, n, …); keeps those of groups a release may show."""
        if self.cost.grouping != "threshold":
            for row in rows:
                group = tuple(row[: self.nkeys])
                if self._domain is None or group in self._domain:
                    self.stats[group] = tuple(row[self.nkeys :])
            return
        threshold = self.cost.threshold
        assert threshold is not None
        e, m = self.cost.share_epsilon, self.privacy.max_rows
        counts = np.array([int(row[self.nkeys] or 0) for row in rows], dtype=np.int64)
        noisy = dp.release_counts(counts, epsilon=e, max_rows=m, rng=self.rng)
        for row, value in zip(rows, noisy.tolist(), strict=True):
            group = tuple(row[: self.nkeys])
            if value < threshold or not in_declared_domains(self.plan, self.privacy, group):
                continue
            self.stats[group] = tuple(row[self.nkeys :])
            self.noisy_counts[group] = dp.count_release(value, epsilon=e, max_rows=m)
        if len(self.stats) > 2 * self.max_groups:
            self._trim()

    def add_histogram(self, j: int, rows: list[tuple[Any, ...]]) -> None:
        """Histogram rows (keys, bucket, n) of quantile aggregate ``j``, for kept groups."""
        if not self._trimmed:
            self._trim()  # the statistics are complete: fix the kept groups first
        counts = self.histograms.setdefault(j, {})
        for row in rows:
            group = tuple(row[: self.nkeys])
            if group not in self.stats:
                continue
            buckets = counts.setdefault(group, [0] * dp.QUANTILE_BUCKETS)
            buckets[int(row[self.nkeys])] += int(row[self.nkeys + 1])

    def groups(self) -> list[Group]:
        """The groups released, in key order: the domain's, or the selected ones."""
        if self.cost.grouping == "public_domain":
            assert self.cost.domain_groups is not None
            return [tuple(g) for g in self.cost.domain_groups]
        if not self.nkeys:
            return [()]
        self._trim()
        return sorted(self.stats, key=repr)

    def _trim(self) -> None:
        """Keep the ``max_groups`` selected groups with the largest noisy counts."""
        self._trimmed = True
        if self.cost.grouping != "threshold" or len(self.stats) <= self.max_groups:
            return
        ranked = sorted(self.stats, key=lambda g: (-self.noisy_counts[g].value, repr(g)))
        for group in ranked[self.max_groups :]:
            del self.stats[group]
            del self.noisy_counts[group]


def select_rows(
    plan: QueryPlan,
    privacy: Privacy,
    cost: Cost,
    aggregate_rows: list[tuple[Any, ...]],
    histograms: dict[int, list[tuple[Any, ...]]] | None = None,
    *,
    max_groups: int,
    rng: np.random.RandomState | None = None,
) -> Selection:
    """A ``Selection`` fed with whole results at once (tests and benchmarks)."""
    selection = Selection(
        plan, privacy, cost, max_groups, quantiles=list(histograms or {}), rng=rng
    )
    selection.add_aggregates(aggregate_rows)
    for j, rows in (histograms or {}).items():
        selection.add_histogram(j, rows)
    return selection
