import datetime
import hashlib
import hmac

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.operators import (
    ADDRESS_LEVELS,
    add_laplace_noise,
    derive_key,
    generalize_address,
    generalize_age,
    generalize_date,
    generalize_resident_id,
    pseudonymize,
    shift_dates,
    truncate,
)

KEY = b"0123456789abcdef0123456789abcdef"


def test_pseudonyms_are_hmac_sha256_and_deterministic() -> None:
    tokens = pseudonymize(pa.array(["13812345678", None, "13812345678"]), KEY).to_pylist()
    expected = hmac.new(KEY, b"13812345678", hashlib.sha256).hexdigest()[:16]
    assert tokens == [expected, None, expected]


def test_pseudonyms_of_two_buyers_cannot_be_linked() -> None:
    secret = b"s" * 32
    values = pa.array(["a", "b", "c"])
    first = pseudonymize(values, derive_key(secret, "buyer", "org-1")).to_pylist()
    second = pseudonymize(values, derive_key(secret, "buyer", "org-2")).to_pylist()
    assert set(first).isdisjoint(second)


def test_pseudonyms_read_numbers_as_text() -> None:
    assert pseudonymize(pa.array([13812345678]), KEY) == pseudonymize(
        pa.array(["13812345678"]), KEY
    )


@pytest.mark.parametrize(("length", "key"), [(4, KEY), (16, b"short")])
def test_pseudonymize_refuses_weak_parameters(length: int, key: bytes) -> None:
    with pytest.raises(ValueError, match="length|key"):
        pseudonymize(pa.array(["a"]), key, length=length)


def test_age_bands() -> None:
    result = generalize_age(pa.array([37, 0, None, 151, 99]), band=10).to_pylist()
    assert result == ["30-39", "0-9", None, None, "90-99"]
    assert generalize_age(pa.array(["42", "forty"]), band=5).to_pylist() == ["40-44", None]


def test_dates_to_month_and_year() -> None:
    text = pa.array(["1990-05-03", "1990年5月3日", "19900503", "not a date", None])
    assert generalize_date(text, to="month").to_pylist() == [
        "1990-05",
        "1990-05",
        "1990-05",
        None,
        None,
    ]
    dates = pa.array([datetime.date(1990, 5, 3)])
    assert generalize_date(dates, to="year").to_pylist() == ["1990"]


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("province", ["广东省", "北京市"]),
        ("city", ["广东省深圳市", "北京市"]),
        ("district", ["广东省深圳市南山区", "北京市朝阳区"]),
    ],
)
def test_addresses_to_a_level(level: str, expected: list[str]) -> None:
    values = pa.array(["广东省深圳市南山区科技园路1号", "北京市朝阳区建国路88号"])
    assert generalize_address(values, level=level).to_pylist() == expected


_ADDRESS_CHARACTERS = "广东省深圳市南山区自治州盟地县旗路号 a1"


@settings(max_examples=200)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet=_ADDRESS_CHARACTERS, max_size=16))),
    st.sampled_from(sorted(ADDRESS_LEVELS)),
)
def test_address_levels_equal_the_capture_group_of_their_pattern(
    values: list[str | None], level: str
) -> None:
    """Whole-match extraction gives what extracting the pattern as a group gives."""
    text = pl.Series(pc.utf8_trim_whitespace(pa.array(values, pa.string())))
    expected = text.str.extract(f"^({ADDRESS_LEVELS[level].removeprefix('^')})", 1)
    assert generalize_address(pa.array(values), level=level).to_pylist() == expected.to_list()


def test_an_address_without_a_known_unit_becomes_null() -> None:
    assert generalize_address(pa.array(["somewhere", None])).to_pylist() == [None, None]


def test_resident_ids_to_region_and_birth_year() -> None:
    values = pa.array(["11010519900101123X", "110105900101123", "12345", None])
    assert generalize_resident_id(values).to_pylist() == [
        "110105-1990",
        "110105-1990",
        None,
        None,
    ]


def test_truncate_keeps_a_prefix_and_hides_the_length() -> None:
    assert truncate(pa.array(["北京市朝阳区", "ab", None]), length=3).to_pylist() == [
        "北京市",
        "ab",
        None,
    ]


def test_noise_is_stable_per_row_so_repeated_reads_cannot_average_it_away() -> None:
    values = pa.array([100.0] * 10)
    first = add_laplace_noise(values, KEY, epsilon=1.0, sensitivity=1.0, column="x")
    again = add_laplace_noise(values, KEY, epsilon=1.0, sensitivity=1.0, column="x")
    assert first == again
    page = add_laplace_noise(
        values.slice(4), KEY, epsilon=1.0, sensitivity=1.0, column="x", row_offset=4
    )
    assert page.to_pylist() == first.to_pylist()[4:]
    assert len(set(first.to_pylist())) == 10


def test_noise_is_one_draw_per_cell_for_every_holder_of_the_key() -> None:
    """The caller passes one key per dataset: two readers get the same noisy cell, and the
    noise differs between columns and between datasets' keys."""
    values = pa.array([50.0] * 100)
    reader_a = add_laplace_noise(values, KEY, epsilon=1.0, sensitivity=1.0, column="x")
    reader_b = add_laplace_noise(values, KEY, epsilon=1.0, sensitivity=1.0, column="x")
    assert reader_a == reader_b
    other_column = add_laplace_noise(values, KEY, epsilon=1.0, sensitivity=1.0, column="y")
    other_key = add_laplace_noise(values, b"9" * 32, epsilon=1.0, sensitivity=1.0, column="x")
    assert reader_a != other_column
    assert reader_a != other_key


def test_a_new_epsilon_moves_the_cell_along_the_ladder_instead_of_redrawing_it() -> None:
    """Loosening the noise (epsilon 1 -> 0.5) adds independent noise to the old release: a
    quarter of the cells (the probability (b/b')^2) keep their value exactly."""
    values = pa.array(np.zeros(20_000))
    tight = add_laplace_noise(values, KEY, epsilon=1.0, sensitivity=1.0, column="x").to_numpy()
    loose = add_laplace_noise(values, KEY, epsilon=0.5, sensitivity=1.0, column="x").to_numpy()
    assert np.mean(tight == loose) == pytest.approx(0.25, abs=0.02)


def test_noise_has_the_laplace_scale_sensitivity_over_epsilon() -> None:
    n = 200_000
    noisy = add_laplace_noise(
        pa.array(np.zeros(n)), KEY, epsilon=0.5, sensitivity=2.0, column="x"
    ).to_numpy()
    scale = 2.0 / 0.5
    assert abs(np.mean(noisy)) < 0.1
    assert np.mean(np.abs(noisy)) == pytest.approx(scale, rel=0.02)  # E|X| = b


def test_noise_keeps_nulls_and_nulls_text_that_is_not_a_number() -> None:
    result = add_laplace_noise(
        pa.array(["12.5", "n/a", None]), KEY, epsilon=1.0, sensitivity=1.0, column="x"
    ).to_pylist()
    assert result[0] is not None
    assert result[1:] == [None, None]


def test_noise_refuses_a_non_positive_epsilon() -> None:
    with pytest.raises(ValueError, match="[Ee]psilon"):
        add_laplace_noise(pa.array([1.0]), KEY, epsilon=0.0, sensitivity=1.0, column="x")


def test_date_shift_moves_every_date_of_a_row_by_the_same_bounded_offset() -> None:
    start = [datetime.date(2020, 1, 1) + datetime.timedelta(days=i) for i in range(50)]
    end = [d + datetime.timedelta(days=7) for d in start]
    moved_start = shift_dates(pa.array(start), KEY, max_days=30).to_pylist()
    moved_end = shift_dates(pa.array(end), KEY, max_days=30).to_pylist()
    assert all((b - a).days == 7 for a, b in zip(moved_start, moved_end, strict=True))
    offsets = [(m - d).days for m, d in zip(moved_start, start, strict=True)]
    assert all(-30 <= o <= 30 for o in offsets)
    assert len(set(offsets)) > 1


def test_date_shift_is_one_offset_per_row_for_every_holder_of_the_key() -> None:
    dates = pa.array([datetime.date(2021, 3, 1)] * 200)
    assert shift_dates(dates, KEY, max_days=30) == shift_dates(dates, KEY, max_days=30)
    page = shift_dates(dates.slice(50, 10), KEY, max_days=30, row_offset=50)
    assert page.to_pylist() == shift_dates(dates, KEY, max_days=30).to_pylist()[50:60]


def test_date_shift_of_another_width_is_an_independent_draw() -> None:
    """One uniform reused at two widths would pin the offset down across policy versions
    (floor(u * 61) and floor(u * 63) together locate u); another width draws afresh."""
    start = datetime.date(2021, 3, 1)
    dates = pa.array([start] * 20_000)
    narrow = [(d - start).days for d in shift_dates(dates, KEY, max_days=30).to_pylist()]
    wide = [(d - start).days for d in shift_dates(dates, KEY, max_days=31).to_pylist()]
    assert abs(np.corrcoef(narrow, wide)[0, 1]) < 0.03


def test_date_shift_on_text_dates_keeps_text_and_nulls_garbage() -> None:
    result = shift_dates(pa.array(["2020-01-01", "soon", None]), KEY, max_days=3).to_pylist()
    assert isinstance(result[0], str)
    assert result[1:] == [None, None]
