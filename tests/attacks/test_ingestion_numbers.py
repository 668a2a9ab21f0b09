"""Attack: identifiers turned into numbers.

Card numbers, IDs and other long digit strings must keep every digit from upload to every
JSON output: not parsed as floats (digits lost, the detector blind, cards served whole), not
served as JSON integers beyond 2^53 (JavaScript rounds them). The outsider uploads header-less
and headed CSV, and Parquet files with int64, uint64, decimal and float columns."""

from __future__ import annotations

import decimal
import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from anonymize import luhn_valid, synthetic
from tests.attacks.harness import Account, Outsider, assert_absent, csv_of
from tests.attacks.views import buyer_views, unsafe_integers

ROWS = 10


def _cards(seed: int, width: int | None = None) -> list[str]:
    """Luhn-valid UnionPay-style cards; ``width`` forces 16 to 19 digits."""
    rng = np.random.default_rng(seed)
    if width is None:
        return synthetic.bank_cards(rng, ROWS)
    cards = []
    while len(cards) < ROWS:
        body = "62" + "".join(rng.choice(list("0123456789"), width - 3))
        check = next(d for d in "0123456789" if luhn_valid(body + d))
        cards.append(body + check)
    return cards


def _listed(outsider: Outsider, content: bytes, **kwargs: Any) -> tuple[dict[str, Any], Account]:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    dataset = outsider.uploaded(provider, content, **kwargs)
    outsider.list_dataset(provider, compliance, dataset["id"])
    return dataset, outsider.account("buyer")


@pytest.mark.parametrize("width", [16, 17, 18, 19, None])
def test_header_less_card_numbers_are_detected_and_masked_everywhere(
    outsider: Outsider, width: int | None
) -> None:
    cards = _cards(seed=200 + (width or 0), width=width)
    amounts = [str(100 + i) for i in range(ROWS)]
    dataset, buyer = _listed(outsider, csv_of(zip(cards, amounts, strict=True)))
    column = dataset["columns"][0]
    assert column["type"] == "string"
    assert column["kind"] == "bank_card", column
    views = buyer_views(outsider, buyer, dataset["id"], ROWS)
    for channel, body in views.items():
        assert_absent(body, cards, where=channel)
        assert unsafe_integers(body) == [], channel
    served = [row["column_1"] for row in views["rows"]["rows"]]
    assert served == [c[:6] + "*" * (len(c) - 10) + c[-4:] for c in cards]


def test_long_digit_strings_come_back_with_every_digit_and_never_as_big_integers(
    outsider: Outsider,
) -> None:
    """Mixed 17/18-digit codes that are no kind the detector knows: kept (policy keep),
    they must come back exactly, as strings."""
    rng = np.random.default_rng(201)
    codes = [
        "".join(rng.choice(list("123456789"), 17 + i % 2)) for i in range(ROWS)
    ]  # order numbers, not cards
    values = {
        "code": codes,
        "zip": ["010010"] * ROWS,
        "ratio": ["1.10"] * ROWS,
        "sign": ["-0"] * ROWS,
        "exp": ["1e5"] * ROWS,
        "big": [str(2**53 + 1 + i) for i in range(ROWS)],
    }
    rows = [list(values), *zip(*values.values(), strict=True)]
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    dataset = outsider.uploaded(provider, csv_of(rows))
    types = {c["name"]: c["type"] for c in dataset["columns"]}
    # "1.10" is an exact decimal (served as the string "1.10"); everything else is text.
    assert types == {**dict.fromkeys(values, "string"), "ratio": "decimal128(3, 2)"}
    outsider.set_policy(provider, dataset["id"], {n: {"operator": "keep"} for n in values})
    outsider.list_dataset(provider, compliance, dataset["id"])
    buyer = outsider.account("buyer")
    views = buyer_views(outsider, buyer, dataset["id"], ROWS)
    for channel, body in views.items():
        assert unsafe_integers(body) == [], channel
    for channel in ("preview", "rows"):
        served = views[channel]["rows"]
        assert {n: [row[n] for row in served] for n in values} == values, channel


def _parquet(**columns: pa.Array) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


@pytest.mark.parametrize("kind", ["int64", "uint64", "decimal"])
def test_parquet_integer_cards_beyond_2_53_are_detected_and_never_big_integers(
    outsider: Outsider, kind: str
) -> None:
    cards = _cards(seed=202, width=19)
    if kind == "decimal":
        column = pa.array([decimal.Decimal(c) for c in cards], pa.decimal128(20, 0))
    else:
        column = pa.array([int(c) for c in cards], getattr(pa, kind)())
    dataset, buyer = _listed(
        outsider, _parquet(card=column, n=pa.array(range(ROWS))), filename="cards.parquet"
    )
    assert {c["name"]: c["kind"] for c in dataset["columns"]}["card"] == "bank_card"
    for channel, body in buyer_views(outsider, buyer, dataset["id"], ROWS).items():
        assert_absent(body, cards, where=channel)
        assert unsafe_integers(body) == [], channel


def test_a_parquet_float_column_of_cards_is_refused_and_nothing_is_listed(
    outsider: Outsider,
) -> None:
    cards = _cards(seed=203, width=19)
    provider = outsider.account("provider")
    content = _parquet(card=pa.array([float(c) for c in cards]))
    response = outsider.upload(provider, content, filename="damaged.parquet")
    assert response.status_code == 422, response.text
    body = response.json()
    assert "16 or more digits" in body["detail"]
    assert "16 位及以上" in body["detail_zh"]
    assert outsider.get(provider, "/api/v1/datasets")["total"] == 0
