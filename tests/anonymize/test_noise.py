"""The noise ladder: each level exactly Laplace, levels coupled so that releases of one cell
at several scales reveal no more than the least noisy one."""

import numpy as np
import pytest
from scipy import stats

from anonymize._keystream import keyed_words, open_uniforms
from anonymize.noise import (
    _JUMP_THRESHOLD,
    MAX_NOISE_SCALE,
    NOISE_MIN_LEVEL,
    laplace_ladder,
    noise_level,
    released_scale,
)

KEY = bytes(range(32))
N = 100_000


@pytest.mark.parametrize("level", [NOISE_MIN_LEVEL, -3, 0, 8, 27])
def test_every_level_is_laplace_of_its_scale(level: int) -> None:
    draws = laplace_ladder(KEY, level, 0, N)
    scale = 2.0 ** (level / 4)
    assert stats.kstest(draws, stats.laplace(scale=scale).cdf).pvalue > 1e-3
    assert np.mean(np.abs(draws)) == pytest.approx(scale, rel=0.02)  # E|X| = b


def test_a_larger_scale_adds_independent_noise_to_the_smaller_one() -> None:
    """N(b') - N(b) is 0 with probability (b/b')^2, otherwise Laplace(b'), and independent of
    N(b): the larger-scale release is a post-processing of the smaller-scale one."""
    small, large = laplace_ladder(KEY, 8, 0, N), laplace_ladder(KEY, 12, 0, N)
    added = large - small
    assert np.mean(added == 0.0) == pytest.approx((4.0 / 8.0) ** 2, abs=0.01)
    jumped = added[added != 0.0]
    assert stats.kstest(jumped, stats.laplace(scale=8.0).cdf).pvalue > 1e-3
    assert abs(np.corrcoef(np.abs(small), np.abs(added))[0, 1]) < 0.02
    assert abs(np.corrcoef(small, added)[0, 1]) < 0.02


def test_two_scales_of_one_cell_cannot_be_solved_for_the_true_value() -> None:
    """Had the same standard draw been scaled (x + b L and x + b' L), two releases would give
    x = (b' y1 - b y2) / (b' - b) exactly. On the ladder that estimate is worse than y1."""
    truth = np.linspace(0, 1000, N)
    y1 = truth + laplace_ladder(KEY, 8, 0, N)  # scale 4
    y2 = truth + laplace_ladder(KEY, 12, 0, N)  # scale 8
    solved = (8.0 * y1 - 4.0 * y2) / (8.0 - 4.0)
    assert np.mean(np.abs(solved - truth)) > np.mean(np.abs(y1 - truth))


def test_averaging_releases_at_several_scales_is_no_better_than_the_least_noisy_one() -> None:
    truth = np.zeros(N)
    levels = [8, 10, 12, 14]
    releases = [truth + laplace_ladder(KEY, level, 0, N) for level in levels]
    variances = np.array([2 * (2.0 ** (level / 4)) ** 2 for level in levels])
    weights = (1 / variances) / np.sum(1 / variances)  # optimal if the draws were independent
    averaged = sum(w * r for w, r in zip(weights, releases, strict=True))
    assert np.mean(averaged**2) >= 0.99 * np.mean(releases[0] ** 2)


def test_a_page_gets_the_same_draws_as_the_whole() -> None:
    whole = laplace_ladder(KEY, 10, 0, 1_000)
    assert np.array_equal(laplace_ladder(KEY, 10, 400, 50), whole[400:450])


def test_other_keys_give_other_draws() -> None:
    assert not np.array_equal(laplace_ladder(KEY, 4, 0, 100), laplace_ladder(b"x" * 32, 4, 0, 100))


@pytest.mark.parametrize(
    ("epsilon", "sensitivity", "scale"),
    [(1.0, 1.0, 1.0), (0.5, 2.0, 4.0), (2.0, 1.0, 0.5), (100.0, 1.0, 2.0**-6.5)],
)
def test_scales_on_the_grid_are_kept(epsilon: float, sensitivity: float, scale: float) -> None:
    assert released_scale(epsilon=epsilon, sensitivity=sensitivity) == pytest.approx(scale)


@pytest.mark.parametrize(("epsilon", "sensitivity"), [(3.0, 1.0), (0.7, 13.0), (0.01, 250.0)])
def test_other_scales_are_rounded_up_by_less_than_a_quarter_octave(
    epsilon: float, sensitivity: float
) -> None:
    asked = sensitivity / epsilon
    released = released_scale(epsilon=epsilon, sensitivity=sensitivity)
    assert asked <= released < asked * 2**0.25


def test_scales_under_the_ladder_get_its_bottom_level() -> None:
    assert noise_level(epsilon=100.0, sensitivity=1e-12) == NOISE_MIN_LEVEL


@pytest.mark.parametrize(
    ("epsilon", "sensitivity"), [(1e-3, MAX_NOISE_SCALE), (0.0, 1.0), (1.0, 0.0)]
)
def test_scales_off_the_ladder_or_invalid_parameters_are_refused(
    epsilon: float, sensitivity: float
) -> None:
    with pytest.raises(ValueError, match="(?i)noise scale|epsilon|sensitivity"):
        noise_level(epsilon=epsilon, sensitivity=sensitivity)


def _ladder_one_stream_at_a_time(key: bytes, level: int, row_offset: int, count: int) -> np.ndarray:
    """The ladder as first written: one keystream call per level (the reference)."""
    total = np.zeros(count, dtype=np.float64)
    for current in range(NOISE_MIN_LEVEL, level + 1):
        words = keyed_words(key, current - NOISE_MIN_LEVEL, row_offset, count)
        scale = 2.0 ** (current / 4)
        centred_all = open_uniforms(words[:, 1]) - 0.5
        draws = -scale * np.sign(centred_all) * np.log1p(-2.0 * np.abs(centred_all))
        if current == NOISE_MIN_LEVEL:
            total += draws
            continue
        jumped = np.flatnonzero(words[:, 0] < _JUMP_THRESHOLD)
        total[jumped] += draws[jumped]
    return total


@pytest.mark.parametrize(
    ("level", "row_offset", "count"),
    [
        (NOISE_MIN_LEVEL, 0, 10),
        (0, 5, 100),
        (44, 99_900, 100),
        (44, 0, 1_000),
        (60, 7, 3_000),
        (44, 3, 20_000),
    ],
)
def test_batched_levels_release_bit_for_bit_what_one_call_per_level_did(
    level: int, row_offset: int, count: int
) -> None:
    """Cells already released must keep their exact values: a changed draw would be a second,
    independent release of the same cell, which averaging could exploit."""
    assert np.array_equal(
        laplace_ladder(KEY, level, row_offset, count),
        _ladder_one_stream_at_a_time(KEY, level, row_offset, count),
    )
