"""What a rule releases exactly: classification and whole-value counts."""

from __future__ import annotations

import pyarrow as pa
import pytest

from anonymize import ColumnRule
from anonymize.exposure import classify, count_released_whole


@pytest.mark.parametrize(
    ("rule", "exposure"),
    [
        (ColumnRule(operator="keep"), "exact"),
        (ColumnRule(operator="keep", normalize="mobile"), "exact"),
        (ColumnRule(operator="mask", keep_first=3, keep_last=4), "grouped"),
        (ColumnRule(operator="mask_name"), "grouped"),
        (ColumnRule(operator="truncate", length=4), "partly_exact"),
        (ColumnRule(operator="generalize", generalize_to="city"), "partly_exact"),
        (ColumnRule(operator="pseudonymize"), "grouped"),
        (ColumnRule(operator="noise", epsilon=1.0, sensitivity=1.0), "approximate"),
        (ColumnRule(operator="date_shift", max_days=3), "approximate"),
        (ColumnRule(operator="redact"), "protected"),
    ],
)
def test_each_rule_is_classified(rule: ColumnRule, exposure: str) -> None:
    assert classify(rule) == exposure


def test_keep_releases_every_non_null_value() -> None:
    values = pa.array([1, None, 3])
    assert count_released_whole(values, ColumnRule(operator="keep")) == 2


@pytest.mark.parametrize(
    "rule",
    [
        ColumnRule(operator="mask", keep_first=3, keep_last=4),
        ColumnRule(operator="mask", keep_first=11, normalize="mobile"),
        ColumnRule(operator="mask_name"),
    ],
)
def test_a_mask_never_releases_a_value_whole(rule: ColumnRule) -> None:
    """Even values too short to keep the mask's ends: the operator masks them whole."""
    values = pa.array(["13812345678", "1234567", "12", "王", "138-1234-5678", None])
    assert count_released_whole(values, rule) == 0


def test_a_truncation_releases_values_no_longer_than_its_length() -> None:
    values = pa.array(["北京", "北京市朝阳区", "上海市"])
    assert count_released_whole(values, ColumnRule(operator="truncate", length=3)) == 2


def test_a_generalization_releases_values_already_at_its_level() -> None:
    values = pa.array(["北京市", "北京市朝阳区建国路1号"])
    rule = ColumnRule(operator="generalize", generalize_to="city")
    assert count_released_whole(values, rule) == 1


def test_a_truncation_over_numbers_counts_them_as_text() -> None:
    values = pa.array([5, 12345, 99], pa.int64())
    assert count_released_whole(values, ColumnRule(operator="truncate", length=2)) == 2


@pytest.mark.parametrize(
    "rule",
    [
        ColumnRule(operator="redact"),
        ColumnRule(operator="pseudonymize"),
        ColumnRule(operator="noise", epsilon=1.0, sensitivity=1.0),
    ],
)
def test_rules_that_never_release_a_value_unchanged_count_none(rule: ColumnRule) -> None:
    assert count_released_whole(pa.array(["a", "b"]), rule) == 0
