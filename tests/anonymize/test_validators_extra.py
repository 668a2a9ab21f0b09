"""The detectors added for the desensitization engine, cross-checked where PyPI has a
reference (python-stdnum's Luhn, phonenumbers)."""

import numpy as np
import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from anonymize import synthetic
from anonymize.checksums import luhn_valid
from anonymize.validators import (
    plausible_date_mask,
    valid_address_mask,
    valid_bank_card_mask,
    valid_email_mask,
    valid_gps_coordinate_mask,
    valid_gps_pair_mask,
    valid_ip_mask,
    valid_landline_mask,
    valid_passport_mask,
    valid_plate_mask,
)


def _mask(validator, values: list[object]) -> list[bool]:  # type: ignore[no-untyped-def]
    return validator(pa.array(values)).to_pylist()


@given(st.lists(st.text(alphabet="0123456789", min_size=16, max_size=19), max_size=30))
def test_bank_card_luhn_agrees_with_stdnum(values: list[str]) -> None:
    expected = [
        v[0] in "3456" and luhn.is_valid(v) and luhn_valid(v) and not _id_shaped(v) for v in values
    ]
    assert valid_bank_card_mask(pa.array(values, pa.string())).to_pylist() == expected


def _id_shaped(value: str) -> bool:
    from anonymize.checksums import PROVINCE_CODES, is_plausible_birth_date

    if len(value) != 18 or int(value[:2]) not in PROVINCE_CODES:
        return False
    import datetime

    y, m, d = int(value[6:10]), int(value[10:12]), int(value[12:14])
    return is_plausible_birth_date(y, m, d, today=datetime.date.today())


def test_generated_cards_pass_stdnum_and_near_misses_fail() -> None:
    rng = np.random.default_rng(5)
    cards = synthetic.bank_cards(rng, 300)
    assert all(luhn.is_valid(c) for c in cards)
    assert all(valid_bank_card_mask(pa.array(cards)).to_pylist())
    assert not any(
        valid_bank_card_mask(pa.array(synthetic.invalid_bank_cards(rng, 300))).to_pylist()
    )


def test_order_numbers_are_not_bank_cards() -> None:
    orders = synthetic.order_numbers(np.random.default_rng(2), 500)
    assert not any(valid_bank_card_mask(pa.array(orders)).to_pylist())


def test_landlines_agree_with_phonenumbers() -> None:
    numbers = synthetic.landlines(np.random.default_rng(4), 300)
    assert all(valid_landline_mask(pa.array(numbers)).to_pylist())
    for number in numbers:
        parsed = phonenumbers.parse(number, "CN")
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE


def test_mobiles_are_not_landlines() -> None:
    mobiles = synthetic.mobiles(np.random.default_rng(4), 200)
    assert not any(valid_landline_mask(pa.array(mobiles)).to_pylist())


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("010-62345678", True),
        ("(0755) 2345 6789", True),
        ("0571-8888888转123", True),
        ("+86 10 6234 5678", False),  # the trunk 0 is dropped after +86: not our form
        ("010-1234567", False),
        ("12345678", False),
    ],
)
def test_landline_forms(value: str, valid: bool) -> None:
    assert _mask(valid_landline_mask, [value]) == [valid]


@pytest.mark.parametrize(
    ("value", "valid"),
    [("zhang.wei@163.com", True), ("a@b", False), ("@163.com", False), ("x y@qq.com", False)],
)
def test_emails(value: str, valid: bool) -> None:
    assert _mask(valid_email_mask, [value]) == [valid]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("192.168.1.1", True),
        ("256.1.1.1", False),
        ("1.2.3", False),
        ("::1", True),
        ("2001:db8::8a2e:370:7334", True),
        ("::ffff:192.0.2.1", True),
        ("2001:db8::1::2", False),
        ("12345::", False),
    ],
)
def test_ip_addresses(value: str, valid: bool) -> None:
    assert _mask(valid_ip_mask, [value]) == [valid]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("京A12345", True),
        ("京A·12345", True),
        ("粤B1234学", True),
        ("沪AD12345", True),  # new-energy, small car
        ("苏A12345F", True),  # new-energy, large vehicle
        ("京I12345", False),  # no I in plates
        ("京A1234", False),
        ("XA12345", False),
    ],
)
def test_plates(value: str, valid: bool) -> None:
    assert _mask(valid_plate_mask, [value]) == [valid]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("E12345678", True),
        ("EA1234567", True),
        ("G12345678", True),
        ("C12345678", True),  # 往来港澳通行证
        ("H1234567890", True),  # 回乡证
        ("E1234567", False),
        ("123456789", False),
    ],
)
def test_passports_and_permits(value: str, valid: bool) -> None:
    assert _mask(valid_passport_mask, [value]) == [valid]


def test_dates_must_exist_and_not_be_in_the_future() -> None:
    values = ["1990-02-28", "1992/02/29", "1990-02-30", "2999-01-01", "1990年5月3日", "19900101"]
    assert _mask(plausible_date_mask, values) == [True, True, False, False, True, True]


def test_gps_pairs_and_single_coordinates() -> None:
    assert _mask(valid_gps_pair_mask, ["39.904200,116.407400", "116.4074, 39.9042"]) == [
        True,
        True,
    ]
    assert _mask(valid_gps_pair_mask, ["200.0000,200.0000", "39.9,116.4"]) == [False, False]
    assert _mask(valid_gps_coordinate_mask, [39.9042, 12.5, None]) == [True, False, False]


def test_addresses_need_a_city_and_a_street_level_place() -> None:
    values = [
        "北京市朝阳区建国路88号",
        "新疆维吾尔自治区乌鲁木齐市天山区解放路3号",
        "北京市",
        "建国路",
    ]
    assert _mask(valid_address_mask, values) == [True, True, False, False]
