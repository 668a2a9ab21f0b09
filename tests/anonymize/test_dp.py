"""DP mechanisms: the noise has the scale the declared ε demands (not less), intervals cover,
thresholds follow the formula, and diffprivlib's privacy warnings are errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from diffprivlib.utils import PrivacyLeakWarning

from anonymize import dp

SAMPLES = 4000


def _rng() -> np.random.RandomState:
    return np.random.RandomState(20261123)


@pytest.mark.parametrize(("epsilon", "max_rows"), [(0.5, 1), (1.0, 3), (0.1, 2)])
def test_count_noise_spread_matches_the_geometric_scale(epsilon: float, max_rows: int) -> None:
    rng = _rng()
    noise = np.array(
        [
            dp.release_count(1000, epsilon=epsilon, max_rows=max_rows, rng=rng).value - 1000
            for _ in range(SAMPLES)
        ]
    )
    expected = dp.geometric_std(epsilon, max_rows)
    # With 4000 samples the standard error of the sample std is about 2%: ±12% never flakes
    # with the fixed seed, and too little noise (e.g. ε misread as 2ε) fails.
    assert abs(noise.std() - expected) < 0.12 * expected
    assert abs(noise.mean()) < 4 * expected / math.sqrt(SAMPLES)
    assert np.all(noise == np.round(noise))  # integer noise: no floating-point leak


def test_sum_noise_spread_matches_sensitivity_from_the_larger_bound() -> None:
    rng = _rng()
    lower, upper, epsilon, m = 50.0, 200.0, 1.0, 2
    granularity = dp.sum_granularity(lower, upper)
    true_granules = round(12_345.0 / granularity)
    values = np.array(
        [
            dp.release_sum(
                true_granules, lower=lower, upper=upper, epsilon=epsilon, max_rows=m, rng=rng
            ).value
            for _ in range(SAMPLES)
        ]
    )
    # Sensitivity is m * max(|L|, |U|) = 400, not m * (U - L) = 300 (wrong when 0 ∉ [L, U]).
    laplace_std = math.sqrt(2) * m * max(abs(lower), abs(upper)) / epsilon
    assert abs(values.std() - laplace_std) < 0.12 * laplace_std
    assert abs(values.mean() - 12_345.0) < 4 * laplace_std / math.sqrt(SAMPLES)


def test_the_95_percent_interval_covers_95_percent_of_releases() -> None:
    rng = _rng()
    epsilon, m = 0.7, 2
    half_width = dp.geometric_interval(epsilon, m)
    inside = sum(
        abs(dp.release_count(50, epsilon=epsilon, max_rows=m, rng=rng).value - 50) <= half_width
        for _ in range(SAMPLES)
    )
    assert 0.93 <= inside / SAMPLES <= 0.975


def test_quantile_with_large_epsilon_lands_in_the_true_bucket() -> None:
    counts = [0] * 100
    counts[30] = 500
    counts[70] = 500
    release = dp.release_quantile(
        counts, quantile=0.25, lower=0, upper=100, epsilon=50.0, max_rows=1, rng=_rng()
    )
    assert 30 <= release.value <= 31


def test_partition_threshold_keeps_new_groups_below_delta() -> None:
    epsilon, m, delta = 1.0, 3, 1e-6
    tau = dp.partition_threshold(epsilon, m, delta)
    alpha = dp.geometric_alpha(epsilon, m)
    # P(a group of count m passes) for each of at most m groups a person can create.
    assert m * alpha ** (tau - m) / (1 + alpha) <= delta
    assert m * alpha ** (tau - m - 1) / (1 + alpha) > delta  # and it is the smallest such τ


def test_invalid_parameters_are_refused() -> None:
    with pytest.raises(dp.PrivacyError):
        dp.release_count(1, epsilon=0.0, max_rows=1)
    with pytest.raises(dp.PrivacyError):
        dp.sum_granularity(0.0, 0.0)
    with pytest.raises(dp.PrivacyError):
        dp.partition_threshold(1.0, 1, 0.0)


def test_privacy_leak_warning_is_an_error_inside_strict_privacy() -> None:
    with pytest.raises(PrivacyLeakWarning), dp.strict_privacy():
        warnings.warn("bounds not given", PrivacyLeakWarning, stacklevel=1)


def test_vectorized_counts_have_the_geometric_spread_of_single_counts() -> None:
    """``release_counts`` draws the same two-sided geometric noise as ``release_count``."""
    rng = np.random.RandomState(3)
    noisy = dp.release_counts(np.full(200_000, 50), epsilon=0.5, max_rows=2, rng=rng)
    expected = dp.geometric_std(0.5, 2)
    assert abs(noisy.std() - expected) < 0.02 * expected
    assert abs(noisy.mean() - 50) < 0.05
    assert noisy.dtype == np.int64
