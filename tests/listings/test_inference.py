"""Column types that keep every value's text: CSV inference and Parquet exactness."""

from __future__ import annotations

import decimal
import json

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ground.errors import InvalidFile
from listings.inference import infer_text_column
from listings.parquet_columns import exact_parquet_column
from listings.rows import SAFE_INTEGER, json_rows


def _inferred(*values: str | None) -> pa.ChunkedArray:
    return infer_text_column(pa.chunked_array([pa.array(values, pa.string())]))


def _served(column: pa.ChunkedArray) -> list[object]:
    return [row["v"] for row in json_rows(pa.table({"v": column}))]


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (("1", "22", "-3", None), pa.int64()),
        (("999999999999999", "1"), pa.int64()),  # 15 digits: exact
        (("1234567890123456", "1"), pa.string()),  # 16 digits: an identifier
        (("6222029458073021579", "6222029458073021"), pa.string()),  # cards
        (("123456789012345678", "12345678901234567"), pa.string()),  # 17/18 digits
        (("0123", "45"), pa.string()),  # a leading zero
        (("100001", "100002"), pa.string()),  # a fixed width of 6+: codes
        (("-0", "1"), pa.string()),
        (("+5", "1"), pa.string()),
        (("2.5", "1", "-0.125"), pa.float64()),
        (("1.10", "2.5"), pa.string()),  # a trailing zero is part of the value
        (("1e5", "2"), pa.string()),
        (("0.00001", "1.5"), pa.string()),  # would print as 1e-05
        (("3.0", "2.5"), pa.decimal128(2, 1)),  # one scale: exact decimals
        (("3.0", "2.25"), pa.string()),
        (("0.1234567890123456", "1.5"), pa.string()),  # 16 significant digits
        (("12.50", "3.00", "-0.25"), pa.decimal128(4, 2)),
        (("1.10", "1.1"), pa.string()),  # two scales
        (("-0.00", "1.00"), pa.string()),  # a decimal has no negative zero
        (("2024-02-29", "2023-12-31"), pa.date32()),
        (("2023-02-29", "2023-12-31"), pa.string()),
        (("NA", "null", "None"), pa.string()),
    ],
)
def test_a_type_is_given_only_when_every_value_survives_it(
    values: tuple[str | None, ...], kind: pa.DataType
) -> None:
    column = _inferred(*values)
    assert column.type == kind
    served = ["" if v is None else str(v) for v in _served(column)]
    assert served == ["" if v is None else v for v in values]


def _served_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


_NUMBERS = st.one_of(
    st.integers(min_value=-(10**17), max_value=10**17).map(str),
    st.integers(0, 8).flatmap(
        lambda places: st.decimals(
            min_value=-(10**12), max_value=10**12, places=places, allow_nan=False
        ).map(lambda d: format(d, "f"))
    ),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{1,20})?", fullmatch=True),
)


@given(st.lists(_NUMBERS, min_size=1, max_size=6))
def test_any_column_of_numbers_is_served_as_written(values: list[str]) -> None:
    column = _inferred(*values)
    assert [_served_text(v) for v in _served(column)] == values
    for value in _served(column):
        assert not isinstance(value, int) or abs(value) <= SAFE_INTEGER


def test_parquet_integers_beyond_2_53_become_their_digits() -> None:
    cards = pa.chunked_array([pa.array([6222029458073021579, None], pa.int64())])
    assert exact_parquet_column("c", cards).to_pylist() == ["6222029458073021579", None]
    small = pa.chunked_array([pa.array([13812345678, 1], pa.int64())])
    assert exact_parquet_column("m", small).type == pa.int64()
    unsigned = pa.chunked_array([pa.array([2**64 - 1], pa.uint64())])
    assert exact_parquet_column("u", unsigned).to_pylist() == [str(2**64 - 1)]


def test_parquet_integral_decimals_beyond_2_53_become_their_digits() -> None:
    values = [decimal.Decimal("6222029458073021579.00"), decimal.Decimal("1.00")]
    column = pa.chunked_array([pa.array(values, pa.decimal128(22, 2))])
    assert exact_parquet_column("c", column).to_pylist() == ["6222029458073021579", "1"]
    money = pa.chunked_array([pa.array([decimal.Decimal("1.10")], pa.decimal128(22, 2))])
    assert exact_parquet_column("m", money).type == pa.decimal128(22, 2)


def test_a_parquet_float_column_of_identifiers_is_refused_naming_the_row() -> None:
    column = pa.chunked_array([pa.array([None, 1.5, 6.222029458073021e18])])
    with pytest.raises(InvalidFile) as refused:
        exact_parquet_column("卡号", column)
    assert "row 3" in refused.value.detail
    assert "卡号" in refused.value.detail
    assert "第 3 行" in refused.value.detail_zh
    fine = pa.chunked_array([pa.array([1.5, 1e14, None, float("nan")])])
    assert exact_parquet_column("x", fine) is fine


def test_binary_parquet_text_follows_the_one_encoding_rule() -> None:
    utf8 = pa.chunked_array([pa.array(["张伟".encode(), None], pa.binary())])
    assert exact_parquet_column("n", utf8).to_pylist() == ["张伟", None]
    gbk = pa.chunked_array([pa.array(["张伟".encode("gbk"), b"ok"], pa.binary())])
    assert exact_parquet_column("n", gbk).to_pylist() == ["张伟", "ok"]
    mixed = pa.chunked_array([pa.array(["李娜".encode(), "张伟".encode("gbk")], pa.binary())])
    with pytest.raises(InvalidFile) as refused:
        exact_parquet_column("n", mixed)
    assert "row 2 is not UTF-8, while row 1 is UTF-8" in refused.value.detail
    blob = pa.chunked_array([pa.array([b"\xff\xfe\x00\x81"], pa.binary())])
    # Real binary data is stored as the base64 text every output serves it as.
    assert exact_parquet_column("n", blob).to_pylist() == ["base64://4AgQ=="]
