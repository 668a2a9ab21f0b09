import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric, uscc

from anonymize.checksums import (
    PROVINCE_CODES,
    USCC_ALPHABET,
    USCC_REGION_PREFIXES,
    is_valid_resident_id,
    is_valid_uscc,
    luhn_valid,
    resident_id_check_char,
    uscc_check_char,
)
from anonymize.synthetic import REGION_CODES

digit_bodies = st.text(alphabet="0123456789", min_size=17, max_size=17)
uscc_bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@st.composite
def resident_id_candidates(draw: st.DrawFn) -> str:
    """A province, a real birth date and a sequence, then the right or any check character."""
    region = draw(
        st.one_of(
            st.sampled_from(REGION_CODES.tolist()),  # counties stdnum knows
            st.builds(
                "{:02d}{:04d}".format,
                st.sampled_from(sorted(PROVINCE_CODES)),
                st.integers(0, 9999),
            ),
        )
    )
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date.today()))
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    check = draw(st.one_of(st.just(resident_id_check_char(body)), st.sampled_from("0123456789X")))
    return body + check


def _stdnum_ric_is_valid(value: str) -> bool:
    # stdnum 2.2 raises KeyError, instead of returning False, for a county code it does not
    # know under a province it does.
    try:
        return ric.is_valid(value)
    except KeyError:
        return False


def test_resident_id_check_char_of_the_standard_example() -> None:
    assert resident_id_check_char("11010519491231002") == "X"


@settings(max_examples=200)
@given(digit_bodies)
def test_resident_id_check_char_agrees_with_stdnum(body: str) -> None:
    assert resident_id_check_char(body) == ric.calc_check_digit(body + "0")


@pytest.mark.parametrize("body", ["", "1234567890123456", "1101051949123100X", "１" * 17])
def test_resident_id_check_char_rejects_malformed_bodies(body: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        resident_id_check_char(body)


@settings(max_examples=300)
@given(resident_id_candidates())
def test_resident_id_valid_exactly_when_stdnum_check_digit_matches(value: str) -> None:
    # Province and birth date are valid by construction, so only the check char decides.
    assert is_valid_resident_id(value) == (ric.calc_check_digit(value) == value[-1])


@settings(max_examples=300)
@given(resident_id_candidates())
def test_stdnum_valid_resident_ids_are_valid_here(value: str) -> None:
    # stdnum additionally requires a county known at the birth year: it is the stricter one.
    if _stdnum_ric_is_valid(value):
        assert is_valid_resident_id(value)


@pytest.mark.parametrize(
    "value", ["11010519491231002X", "11010519491231002x", " 360426199101010071 "]
)
def test_resident_id_accepts_check_x_in_either_case_and_surrounding_space(value: str) -> None:
    assert is_valid_resident_id(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105199002300012", "30 February"),
        ("110105189912310012", "born before 1900"),
        (f"110105{datetime.date.today().year + 1}01010012", "born in the future"),
        ("990105199001010012", "no province 99"),
        ("11010519491231002", "17 characters"),
        ("１１０１０５１９４９１２３１００２Ｘ", "full-width digits"),
        ("11010519491231002Y", "check character Y"),
    ],
)
def test_resident_id_rejects(value: str, reason: str) -> None:
    assert not is_valid_resident_id(value), reason


def test_resident_id_legacy_15_digit_form() -> None:
    assert is_valid_resident_id("110105491231002")
    assert not is_valid_resident_id("110105491331002")  # month 13
    assert not is_valid_resident_id("990105491231002")  # no province 99


def test_uscc_check_char_of_a_published_code() -> None:
    assert uscc_check_char("91110000600037341") == "L"
    assert is_valid_uscc("91110000600037341L")
    assert is_valid_uscc("91110000600037341l")


@settings(max_examples=200)
@given(uscc_bodies)
def test_uscc_check_char_agrees_with_stdnum(body: str) -> None:
    assert uscc_check_char(body) == uscc.calc_check_digit(body)


@settings(max_examples=200)
@given(
    st.sampled_from("123456789"),
    st.sampled_from(sorted(USCC_REGION_PREFIXES)),
    st.text(alphabet="0123456789", min_size=5, max_size=5),
    st.sampled_from("0123456789"),
)
def test_uscc_validity_agrees_with_stdnum_on_numeric_heads(
    authority: str, region: int, head: str, entity: str
) -> None:
    # stdnum does not check the region code, so the heads start with a valid one.
    body = f"{authority}{entity}{region:02d}{head[:4]}600037341"
    for check in USCC_ALPHABET:
        assert is_valid_uscc(body + check) == uscc.is_valid(body + check)


@pytest.mark.parametrize(
    "value", ["01110000600037341L", "9111000060003734IL", "91110000600037341", "A1AB0000600037341L"]
)
def test_uscc_rejects_malformed_codes(value: str) -> None:
    assert not is_valid_uscc(value)


def test_uscc_accepts_authority_y_which_stdnum_rejects() -> None:
    body = "Y1110000600037341"
    value = body + uscc_check_char(body)
    assert is_valid_uscc(value)
    assert not uscc.is_valid(value)


@settings(max_examples=200)
@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_luhn_agrees_with_stdnum(digits: str) -> None:
    assert luhn_valid(digits) == luhn.is_valid(digits)


@pytest.mark.parametrize("value", ["", "4111 1111 1111 1111", "abc", "４１１１"])
def test_luhn_rejects_non_digits(value: str) -> None:
    assert not luhn_valid(value)


def test_luhn_on_a_test_card_number() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_uscc_with_an_unknown_region_prefix_is_refused_even_with_a_right_check() -> None:
    body17 = "91990000600037341"  # region 99 does not exist
    assert not is_valid_uscc(body17 + uscc_check_char(body17))
    assert uscc.is_valid(body17 + uscc_check_char(body17))  # stdnum accepts it
