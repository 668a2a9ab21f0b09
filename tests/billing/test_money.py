"""Money arithmetic: fee splits and refunds never lose or invent a fen."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing import money
from ground.errors import BadRequest

amounts = st.integers(min_value=1, max_value=10**13)
fees = st.integers(min_value=0, max_value=10_000)


@given(amount=amounts, fee_bps=fees)
def test_a_split_adds_up_to_the_amount(amount: int, fee_bps: int) -> None:
    fee, share = money.split(amount, fee_bps)
    assert fee + share == amount
    assert 0 <= fee <= amount
    # Rounded half up to the nearest fen: within half a fen of the exact fee.
    assert abs(fee * 10_000 - amount * fee_bps) <= 5_000


@given(
    amount=amounts,
    fee_bps=fees,
    cuts=st.lists(st.integers(min_value=1, max_value=10**12), min_size=0, max_size=8),
)
def test_partial_refunds_give_back_exactly_the_fee_taken(
    amount: int, fee_bps: int, cuts: list[int]
) -> None:
    fee_taken, _ = money.split(amount, fee_bps)
    refunded = fee_back_total = share_back_total = 0
    # Any sequence of partial refunds, then the rest: the last one completes the refund.
    for cut in [*cuts, amount]:
        part = min(cut, amount - refunded)
        if part == 0:
            break
        fee_back, share_back = money.refund_split(amount, fee_taken, refunded, part)
        assert fee_back + share_back == part
        assert 0 <= fee_back <= part
        refunded += part
        fee_back_total += fee_back
        share_back_total += share_back
        assert fee_back_total <= fee_taken
    assert refunded == amount
    assert fee_back_total == fee_taken
    assert share_back_total == amount - fee_taken


def test_a_refund_beyond_the_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="refund out of range"):
        money.refund_split(100, 10, 60, 41)


@pytest.mark.parametrize("code", ["XYZ", "RMB", "", "cn"])
def test_unknown_currencies_are_refused_in_both_languages(code: str) -> None:
    with pytest.raises(BadRequest) as caught:
        money.validate_currency(code)
    assert "CNY" in caught.value.detail
    assert "币种" in caught.value.detail_zh


def test_currency_codes_are_normalized() -> None:
    assert money.validate_currency(" usd ") == "USD"


@given(
    total=st.integers(min_value=0, max_value=10**12),
    price=amounts,
    cuts=st.lists(st.integers(min_value=1, max_value=10**13), max_size=8),
)
def test_refunded_shares_never_leave_the_buyer_more_than_was_paid_for(
    total: int, price: int, cuts: list[int]
) -> None:
    refunded = taken = 0
    for cut in [*cuts, price]:
        part = min(cut, price - refunded)
        if part == 0:
            break
        step = money.refunded_share(total, refunded + part, price) - money.refunded_share(
            total, refunded, price
        )
        assert step >= 0
        refunded += part
        taken += step
        kept = total - taken
        # Kept units never cost less than their share of the money still paid.
        assert kept * price <= total * (price - refunded)
        # And no more than one unit is taken beyond the exact share.
        assert (kept + 1) * price > total * (price - refunded)
    assert taken == total  # a full refund takes everything back


def test_money_is_formatted_in_major_units() -> None:
    assert money.format_minor(14, "CNY") == "0.14 CNY"
    assert money.format_minor(123_456, "USD") == "1234.56 USD"
    assert money.format_minor(500, "JPY") == "500 JPY"
