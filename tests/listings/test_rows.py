"""The one row serializer: every value exact in JSON, for any client."""

from __future__ import annotations

import datetime
import decimal
import json

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listings.rows import SAFE_INTEGER, json_rows, json_value


def _one(values: pa.Array) -> list[object]:
    return [row["v"] for row in json_rows(pa.table({"v": values}))]


def test_integers_beyond_2_53_leave_as_strings_of_their_digits() -> None:
    values = pa.array([1, -SAFE_INTEGER, SAFE_INTEGER, SAFE_INTEGER + 1, 6222029458073021579])
    assert _one(values) == [
        1,
        -SAFE_INTEGER,
        SAFE_INTEGER,
        str(SAFE_INTEGER + 1),
        "6222029458073021579",
    ]
    assert _one(pa.array([2**64 - 1], pa.uint64())) == [str(2**64 - 1)]
    assert _one(pa.array([-(2**63)], pa.int64())) == [str(-(2**63))]


def test_floats_are_exact_numbers_and_json_has_no_nan() -> None:
    values = pa.array([1.0, 2.5, 0.1, -0.0, float("nan"), float("inf"), -float("inf"), 1e300])
    assert _one(values) == [1, 2.5, 0.1, 0, "NaN", "Infinity", "-Infinity", 1e300]
    text = json.dumps(json_rows(pa.table({"v": values})), allow_nan=False)
    assert "NaN" in text


def test_decimals_keep_their_digits() -> None:
    values = pa.array(
        [decimal.Decimal("1.10"), decimal.Decimal("-0.50"), None], pa.decimal128(5, 2)
    )
    assert _one(values) == ["1.10", "-0.50", None]
    big = pa.array(
        [decimal.Decimal("6222029458073021579"), decimal.Decimal("7")], pa.decimal128(20, 0)
    )
    assert _one(big) == ["6222029458073021579", 7]


def test_dates_binary_and_nested_values() -> None:
    table = pa.table(
        {
            "d": pa.array([datetime.date(2024, 2, 29)]),
            "t": pa.array([datetime.datetime(2024, 1, 1, 8, 30, tzinfo=datetime.UTC)]),
            "b": pa.array([b"\xe5\xbc\xa0"]),
            "raw": pa.array([b"\xff\x00"]),
            "l": pa.array([[SAFE_INTEGER + 2, None]]),
            "s": pa.array([{"card": 6222029458073021579, "x": 1.0}]),
        }
    )
    [row] = json_rows(table)
    assert row == {
        "d": "2024-02-29",
        "t": "2024-01-01T08:30:00+00:00",
        "b": "张",
        "raw": "base64:/wA=",
        "l": [str(SAFE_INTEGER + 2), None],
        "s": {"card": "6222029458073021579", "x": 1},
    }


def test_a_table_without_columns_keeps_its_row_count() -> None:
    table = pa.table({"a": [1, 2]}).select([])
    assert json_rows(table) == [{}, {}]


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_no_integer_a_javascript_client_would_round_is_a_number(value: int) -> None:
    out = json_value(value)
    if isinstance(out, int):
        assert abs(out) <= SAFE_INTEGER
        assert float(out) == out  # a double holds it exactly
    else:
        assert out == str(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_double_reads_back_as_itself(value: float) -> None:
    out = json_value(value)
    assert float(json.loads(json.dumps(out))) == value
    if isinstance(out, int):
        assert abs(out) <= SAFE_INTEGER


@pytest.mark.parametrize("kind", [pa.int8(), pa.int16(), pa.int32(), pa.uint32()])
def test_small_integer_types_pass_through(kind: pa.DataType) -> None:
    assert _one(pa.array([1, None, 7], kind)) == [1, None, 7]
