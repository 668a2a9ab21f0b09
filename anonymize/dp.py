"""Differentially private release of counts, sums and quantiles, hardened against known attacks.

Pure functions over numbers: the caller has already clamped every value to public bounds and
limited each person's contribution to ``max_rows`` rows, so the sensitivities below hold under
add/remove-one-person neighbouring datasets.

Why not diffprivlib's textbook tools (``tools.mean``/``tools.sum``/``Laplace``):

* floating-point Laplace/Gaussian samplers leak through the low bits of the released double
  (Mironov 2012; diffprivlib issue #94). Every release here adds **integer** noise from the
  two-sided geometric mechanism (``diffprivlib.mechanisms.Geometric``) to an **integer**
  statistic: counts directly, sums after fixed-point scaling (each clamped value is rounded to a
  multiple of a public granularity, so the sum is an exact integer of granules);
* ``tools.mean`` treats the row count as public and ``tools.sum`` takes ``upper - lower`` as
  the sensitivity, which is wrong when the bounds exclude 0; here AVG is a noisy SUM divided by
  a noisy COUNT (both charged) and the SUM sensitivity is ``max_rows * max(|lower|, |upper|)``;
* missing bounds only *warn* in diffprivlib (``PrivacyLeakWarning``) and then read the data's
  own min/max; ``strict_privacy`` turns that warning into an error for every call made here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from diffprivlib.mechanisms import Exponential, Geometric
from diffprivlib.utils import PrivacyLeakWarning

#: Number of granules between 0 and the larger absolute bound in fixed-point sums: fine enough
#: that rounding error (at most half a granule per row) is far below the noise.
SUM_GRANULES = 1 << 20

#: Buckets between the public bounds that the quantile mechanism chooses among.
QUANTILE_BUCKETS = 256


class PrivacyError(ValueError):
    """A release would not be differentially private (missing bounds, bad ε, ...)."""


@contextmanager
def strict_privacy() -> Iterator[None]:
    """Turn diffprivlib's ``PrivacyLeakWarning`` into an exception inside the block."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrivacyLeakWarning)
        yield


def _check_epsilon(epsilon: float) -> None:
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise PrivacyError("epsilon must be a positive finite number")


def geometric_alpha(epsilon: float, sensitivity: int) -> float:
    """``alpha = exp(-epsilon / sensitivity)``: P(noise = z) is proportional to alpha^|z|."""
    return math.exp(-epsilon / sensitivity)


def geometric_std(epsilon: float, sensitivity: int) -> float:
    """Standard deviation of two-sided geometric noise: sqrt(2 alpha) / (1 - alpha)."""
    alpha = geometric_alpha(epsilon, sensitivity)
    return math.sqrt(2 * alpha) / (1 - alpha)


def geometric_interval(epsilon: float, sensitivity: int, confidence: float = 0.95) -> int:
    """The smallest t with P(|noise| <= t) >= confidence (exact, not a normal approximation).

    P(|Z| > t) = 2 alpha^(t+1) / (1 + alpha) for the two-sided geometric distribution.
    """
    alpha = geometric_alpha(epsilon, sensitivity)
    tail = (1 - confidence) * (1 + alpha) / 2
    return max(0, math.ceil(math.log(tail) / math.log(alpha) - 1))


@dataclass(frozen=True)
class Release:
    """One noisy number and what a buyer needs to judge it."""

    value: float
    epsilon: float
    sensitivity: float
    mechanism: str
    ci95: float  # half-width of a 95% interval around the true value (mechanism noise only)


def _geometric(
    value: int, epsilon: float, sensitivity: int, rng: np.random.RandomState | None
) -> int:
    _check_epsilon(epsilon)
    if sensitivity < 1:
        raise PrivacyError("sensitivity must be a positive integer")
    with strict_privacy():
        mechanism = Geometric(epsilon=epsilon, sensitivity=sensitivity, random_state=rng)
        return int(mechanism.randomise(int(value)))


def release_count(
    count: int, *, epsilon: float, max_rows: int, rng: np.random.RandomState | None = None
) -> Release:
    """ε-DP count: two-sided geometric noise, L1 sensitivity ``max_rows``.

    One person adds at most ``max_rows`` rows (contribution bounding), so the count, and the
    whole vector of per-group counts, changes by at most ``max_rows`` in L1 norm.
    """
    return count_release(
        _geometric(count, epsilon, max_rows, rng), epsilon=epsilon, max_rows=max_rows
    )


def release_counts(
    counts: np.ndarray,
    *,
    epsilon: float,
    max_rows: int,
    rng: np.random.RandomState | np.random.Generator | None = None,
) -> np.ndarray:
    """ε-DP counts of many groups at once: the same two-sided geometric noise as
    ``release_count`` (P(z) ∝ α^|z|, α = exp(−ε / max_rows)), drawn for a whole array.

    Used where the number of groups is chosen by the data (thresholded GROUP BY): one draw per
    group through diffprivlib costs ~80 µs, so a query's run time (and whether it meets the
    time limit) would grow with the groups found. The noise is the difference of two
    independent geometric variables on {0, 1, …} with success probability 1 − α, which has
    exactly the two-sided geometric distribution; integer noise on integer counts, so no
    floating-point Laplace artefact. The L1 sensitivity of the whole vector is ``max_rows``.
    """
    _check_epsilon(epsilon)
    if max_rows < 1:
        raise PrivacyError("sensitivity must be a positive integer")
    source = rng if rng is not None else np.random.default_rng()
    p = 1.0 - geometric_alpha(epsilon, max_rows)
    size = len(counts)
    noise = source.geometric(p, size) - source.geometric(p, size)
    return np.asarray(counts, dtype=np.int64) + noise.astype(np.int64)


def count_release(noisy: int, *, epsilon: float, max_rows: int) -> Release:
    """The ``Release`` of a count noised by ``release_counts`` (same mechanism and interval)."""
    return Release(
        value=float(noisy),
        epsilon=epsilon,
        sensitivity=float(max_rows),
        mechanism="geometric",
        ci95=float(geometric_interval(epsilon, max_rows)),
    )


def sum_granularity(lower: float, upper: float) -> float:
    """The public fixed-point step for sums of values clamped to ``[lower, upper]``."""
    bound = max(abs(lower), abs(upper))
    if not math.isfinite(bound) or bound == 0:
        raise PrivacyError("sum bounds must be finite and not both zero")
    return bound / SUM_GRANULES


def release_sum(
    granule_sum: int,
    *,
    lower: float,
    upper: float,
    epsilon: float,
    max_rows: int,
    rng: np.random.RandomState | None = None,
) -> Release:
    """ε-DP sum of clamped values given as an integer number of granules.

    The caller computed ``granule_sum = Σ round(clamp(v, lower, upper) / granularity)`` over the
    bounded rows. Each row contributes at most ``SUM_GRANULES`` granules in absolute value, so
    the L1 sensitivity is ``max_rows * SUM_GRANULES`` granules, i.e.
    ``max_rows * max(|lower|, |upper|)`` in the data's units. Integer geometric noise is added to
    the integer sum and the result scaled back: no floating-point noise sampling.
    """
    if lower > upper:
        raise PrivacyError("lower bound above upper bound")
    granularity = sum_granularity(lower, upper)
    sensitivity = max_rows * SUM_GRANULES
    noisy = _geometric(granule_sum, epsilon, sensitivity, rng)
    return Release(
        value=noisy * granularity,
        epsilon=epsilon,
        sensitivity=max_rows * max(abs(lower), abs(upper)),
        mechanism="fixed-point geometric",
        ci95=geometric_interval(epsilon, sensitivity) * granularity,
    )


def ratio_interval(numerator: Release, denominator: Release) -> float:
    """Approximate 95% half-width of ``numerator / denominator`` (first-order propagation)."""
    d = max(abs(denominator.value), 1.0)
    return numerator.ci95 / d + abs(numerator.value / d) * denominator.ci95 / d


def quantile_buckets(lower: float, upper: float, buckets: int = QUANTILE_BUCKETS) -> list[float]:
    """The public bucket edges between the bounds (``buckets + 1`` values)."""
    if not (math.isfinite(lower) and math.isfinite(upper)) or lower >= upper:
        raise PrivacyError("quantile bounds must be finite with lower < upper")
    return [lower + (upper - lower) * i / buckets for i in range(buckets + 1)]


def release_quantile(
    bucket_counts: Sequence[int],
    *,
    quantile: float,
    lower: float,
    upper: float,
    epsilon: float,
    max_rows: int,
    rng: np.random.RandomState | None = None,
) -> Release:
    """ε-DP quantile by the exponential mechanism over public buckets.

    ``bucket_counts[j]`` counts the clamped values in bucket j. The utility of bucket j is
    minus the distance from ``quantile * n`` to the ranks the bucket covers; one person moves
    it by at most ``max_rows``, so
    choosing with probability ∝ exp(ε u / (2 max_rows)) is ε-DP. The released value is the
    chosen bucket's midpoint. ``ci95`` carries the bucket width; the error in ranks (rows) is
    ``quantile_rank_error95``.
    """
    _check_epsilon(epsilon)
    if not 0 <= quantile <= 1:
        raise PrivacyError("quantile must be between 0 and 1")
    edges = quantile_buckets(lower, upper, len(bucket_counts))
    counts = np.asarray(bucket_counts, dtype=np.int64)
    total = int(counts.sum())
    below = np.concatenate(([0], np.cumsum(counts)[:-1]))
    target = quantile * total
    # Distance from the target rank to the rank interval [below, below + count] the bucket
    # covers: 0 for the bucket holding the quantile. Each term moves by at most max_rows.
    utility = (-np.maximum(0.0, np.maximum(below - target, target - (below + counts)))).tolist()
    with strict_privacy():
        mechanism = Exponential(
            epsilon=epsilon, sensitivity=float(max_rows), utility=utility, random_state=rng
        )
        chosen = int(mechanism.randomise())
    width = edges[1] - edges[0]
    return Release(
        value=(edges[chosen] + edges[chosen + 1]) / 2,
        epsilon=epsilon,
        sensitivity=float(max_rows),
        mechanism="exponential",
        ci95=width,
    )


def quantile_rank_error95(epsilon: float, max_rows: int, buckets: int) -> float:
    """Rows by which the chosen bucket's rank misses the target, with probability >= 0.95.

    The exponential mechanism's utility guarantee: u(chosen) >= OPT - (2Δ/ε) ln(B / 0.05).
    """
    return 2 * max_rows / epsilon * math.log(buckets / 0.05)


def partition_threshold(epsilon: float, max_rows: int, delta: float) -> int:
    """The noisy-count threshold that makes releasing data-chosen GROUP BY keys (ε, δ)-DP.

    A person's rows reach at most ``max_rows`` groups, and a group that exists only because of
    them has a true count of at most ``max_rows``. Each such group passes the threshold ``τ``
    with probability P(Z >= τ - max_rows) = alpha^(τ - max_rows) / (1 + alpha), so with the
    union bound over ``max_rows`` groups, τ = max_rows + ceil(log(δ (1+alpha) / max_rows) /
    log alpha) keeps the chance of revealing a new key at most δ; counts of groups present in
    both neighbours are covered by ε.
    """
    _check_epsilon(epsilon)
    if not 0 < delta < 1:
        raise PrivacyError("delta must be in (0, 1) to release data-chosen group keys")
    alpha = geometric_alpha(epsilon, max_rows)
    return max_rows + max(1, math.ceil(math.log(delta * (1 + alpha) / max_rows) / math.log(alpha)))


def describe(release: Release) -> dict[str, Any]:
    return {
        "mechanism": release.mechanism,
        "epsilon": release.epsilon,
        "sensitivity": release.sensitivity,
        "ci95": release.ci95,
    }
