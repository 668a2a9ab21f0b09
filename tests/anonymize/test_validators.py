import datetime

import numpy as np
import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from anonymize import synthetic
from anonymize.checksums import USCC_ALPHABET, is_valid_resident_id, is_valid_uscc
from anonymize.detect import (
    valid_mobile_mask,
    valid_name_mask,
    valid_resident_id_mask,
    valid_uscc_mask,
)

id_like = st.one_of(
    st.from_regex(r"[1-8][0-9]{5}(19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx]", fullmatch=True),
    st.from_regex(r"[1-8][0-9]{5}[0-9]{2}[01][0-9][0-3][0-9]{4}", fullmatch=True),
    st.text(alphabet="0123456789Xx -", max_size=20),
    st.text(max_size=20),
)
uscc_like = st.one_of(
    st.text(alphabet=USCC_ALPHABET, min_size=18, max_size=18),
    st.text(alphabet=USCC_ALPHABET + "IOSVZ ", max_size=19),
)


@settings(max_examples=150)
@given(st.lists(st.one_of(st.none(), id_like), max_size=30))
def test_resident_id_mask_matches_the_per_value_rule(values: list[str | None]) -> None:
    expected = [value is not None and is_valid_resident_id(value) for value in values]
    assert valid_resident_id_mask(pa.array(values, pa.string())).to_pylist() == expected


@settings(max_examples=150)
@given(st.lists(st.one_of(st.none(), uscc_like), max_size=30))
def test_uscc_mask_matches_the_per_value_rule(values: list[str | None]) -> None:
    expected = [value is not None and is_valid_uscc(value) for value in values]
    assert valid_uscc_mask(pa.array(values, pa.string())).to_pylist() == expected


def test_resident_id_mask_agrees_with_stdnum_on_synthetic_ids() -> None:
    rng = np.random.default_rng(7)
    valid, near_misses = synthetic.resident_ids(rng, 500), synthetic.invalid_resident_ids(rng, 500)
    assert all(valid_resident_id_mask(pa.array(valid)).to_pylist())
    assert not any(valid_resident_id_mask(pa.array(near_misses)).to_pylist())
    assert all(ric.calc_check_digit(value) == value[-1] for value in valid)
    assert not any(ric.is_valid(value) for value in near_misses)
    # Every synthetic district code exists in stdnum's database from 1997 on.
    recent = [value for value in valid if ric.get_birth_date(value) >= datetime.date(1997, 1, 1)]
    assert recent
    assert all(ric.is_valid(value) for value in recent)


def test_uscc_mask_agrees_with_stdnum_on_synthetic_codes() -> None:
    codes = synthetic.usccs(np.random.default_rng(8), 500)
    assert all(valid_uscc_mask(pa.array(codes)).to_pylist())
    assert all(uscc.is_valid(code) for code in codes)


def test_masks_work_on_sliced_and_chunked_arrays() -> None:
    rng = np.random.default_rng(9)
    ids = synthetic.resident_ids(rng, 3) + synthetic.invalid_resident_ids(rng, 3)
    sliced = pa.array(["x", *ids]).slice(1)
    chunked = pa.chunked_array([ids[:2], ids[2:]])
    expected = [True, True, True, False, False, False]
    assert valid_resident_id_mask(sliced).to_pylist() == expected
    assert valid_resident_id_mask(chunked).to_pylist() == expected


def _phonenumbers_says_cn_mobile(value: str) -> bool:
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return False
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.region_code_for_number(number) == "CN"
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    )


def test_mobile_mask_agrees_with_phonenumbers_on_synthetic_numbers() -> None:
    bare = synthetic.mobiles(np.random.default_rng(10), 300)
    written = [
        *bare[:100],
        *(f"+86 {n[:3]} {n[3:7]} {n[7:]}" for n in bare[100:200]),
        *(f"{n[:3]}-{n[3:7]}-{n[7:]}" for n in bare[200:]),
    ]
    assert all(_phonenumbers_says_cn_mobile(value) for value in written)
    assert all(valid_mobile_mask(pa.array(written)).to_pylist())


@pytest.mark.parametrize(
    "value", ["12812345678", "1381234567", "138123456789", "01012345678", "+1 202 555 0123"]
)
def test_mobile_mask_agrees_with_phonenumbers_on_non_mobiles(value: str) -> None:
    assert not _phonenumbers_says_cn_mobile(value)
    assert valid_mobile_mask(pa.array([value])).to_pylist() == [False]


def test_mobile_mask_reads_integer_columns_and_maps_null_to_false() -> None:
    values = pa.array([13812345678, 8613812345678, None, 12345], pa.int64())
    assert valid_mobile_mask(values).to_pylist() == [True, True, False, False]


@pytest.mark.parametrize(
    ("value", "is_name"),
    [
        ("张三", True),
        ("欧阳娜娜", True),
        ("上官婉儿", True),  # 上 is no surname on its own
        ("苏州市", False),  # place suffix
        ("北京", False),  # 北 is no common surname
        ("张", False),  # too short
        ("王小明明明", False),  # too long
        ("Zhang San", False),
        (None, False),
    ],
)
def test_name_mask(value: str | None, is_name: bool) -> None:
    assert valid_name_mask(pa.array([value], pa.string())).to_pylist() == [is_name]
