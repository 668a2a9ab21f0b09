"""Header or record: the first row's cells judged against their columns' values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from anonymize import synthetic
from anonymize.detect import ColumnKind
from anonymize.headers import (
    first_row_is_header,
    kind_over_its_column,
    neutral_name,
    sensitive_name_kind,
    value_kinds,
)

RNG_SEED = 11


def _people(n: int) -> dict[str, list[str]]:
    rng = np.random.default_rng(RNG_SEED)
    return {
        "name": synthetic.chinese_names(rng, n),
        "id": synthetic.resident_ids(rng, n),
        "mobile": synthetic.mobiles(rng, n),
        "card": synthetic.bank_cards(rng, n),
        "uscc": synthetic.usccs(rng, n),
        "email": synthetic.emails(rng, n),
        "ip": synthetic.ipv4s(rng, n),
        "plate": synthetic.plates(rng, n),
        "passport": synthetic.passports(rng, n),
        "landline": synthetic.landlines(rng, n),
    }


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("id", ColumnKind.RESIDENT_ID),
        ("mobile", ColumnKind.MOBILE),
        ("card", ColumnKind.BANK_CARD),
        ("uscc", ColumnKind.USCC),
        ("email", ColumnKind.EMAIL),
        ("ip", ColumnKind.IP_ADDRESS),
        ("plate", ColumnKind.PLATE),
        ("passport", ColumnKind.PASSPORT),
        ("landline", ColumnKind.LANDLINE),
    ],
)
def test_a_self_evident_value_is_never_a_header(column: str, kind: ColumnKind) -> None:
    values = _people(6)[column]
    assert value_kinds(values[:1]) == [kind]
    assert sensitive_name_kind(values[0]) is kind
    body = [pa.array(values[1:])]
    assert not first_row_is_header(values[:1], body).is_header


def test_a_name_heads_a_column_of_names_only_as_a_record() -> None:
    names = _people(8)["name"]
    column = pa.array(names[1:])
    assert kind_over_its_column(names[0], column) is ColumnKind.NAME
    assert sensitive_name_kind(names[0], column) is ColumnKind.NAME
    assert not first_row_is_header([names[0]], [column]).is_header
    # Header words, even those starting with a surname character, are headers.
    for word in ("姓名", "申请人", "联系人", "业务员"):
        assert kind_over_its_column(word, column) is None
        assert first_row_is_header([word], [column]).is_header
    # A name over something else is not judged by this rule.
    assert kind_over_its_column(names[0], pa.array(["北京", "上海"])) is None


def test_an_address_needs_a_house_number_or_a_column_of_addresses() -> None:
    assert value_kinds(["北京市海淀区学院路1号"]) == [ColumnKind.ADDRESS]
    assert value_kinds(["城市街道"]) == [None]
    assert first_row_is_header(["城市街道"], [pa.array(["北京", "上海"])]).is_header


@pytest.mark.parametrize(
    ("first", "columns", "is_header"),
    [
        (["id", "amount"], [["1", "2"], ["10", "20"]], True),  # text over numbers
        (["手机号", "城市"], [["13812345678"], ["北京"]], True),  # a kind's header word
        (["城市", "人口"], [["北京", "上海"], ["多", "少"]], True),  # nothing says record
        (["1", "100"], [["2", "3"], ["200", "300"]], False),  # numbers over numbers
        (["2024-01-01", "5"], [["2024-01-02"], ["6"]], False),  # dates over dates
        (["date", "5"], [["2024-01-02"], ["6"]], True),  # a header vote wins a weak record
    ],
)
def test_typed_columns_and_header_words(
    first: list[str], columns: list[list[str]], is_header: bool
) -> None:
    body = [pa.array(values) for values in columns]
    assert first_row_is_header(first, body).is_header is is_header


def test_a_strong_record_cell_wins_over_header_votes() -> None:
    person = _people(2)
    first = ["amount", person["mobile"][0]]
    body = [pa.array(["1", "2"]), pa.array(person["mobile"][1:])]
    decision = first_row_is_header(first, body)
    assert not decision.is_header
    assert "mobile" in decision.reason


def test_neutral_names_avoid_names_already_taken() -> None:
    assert neutral_name(2, set()) == "column_2"
    assert neutral_name(2, {"column_2", "column_2_2"}) == "column_2_3"
