"""Attack: personal data smuggled into column names through the upload's header.

A file whose first line is already a record (no header row) must not publish that record as
column names, and must not lose it: the outsider uploads real-looking people as a provider,
lists the dataset, and reads everything a buyer can. Variants: every self-evident kind in
the first line, a header forced "present" over a record, a Parquet file whose column names
are values, and renames to values."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from anonymize import synthetic
from tests.attacks.harness import Outsider, assert_absent, csv_of
from tests.attacks.views import buyer_views

ROWS = 8


def _people(seed: int) -> dict[str, list[str]]:
    rng = np.random.default_rng(seed)
    return {
        "name": synthetic.chinese_names(rng, ROWS),
        "resident_id": synthetic.resident_ids(rng, ROWS),
        "mobile": synthetic.mobiles(rng, ROWS),
        "bank_card": synthetic.bank_cards(rng, ROWS),
        "amount": [str(v) for v in rng.integers(100, 9_999, ROWS)],
    }


def _rows(people: dict[str, list[str]]) -> list[list[str]]:
    return [list(row) for row in zip(*people.values(), strict=True)]


def test_a_header_less_register_publishes_no_value_and_keeps_the_first_person(
    outsider: Outsider,
) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    people = _people(seed=101)
    dataset = outsider.uploaded(provider, csv_of(_rows(people)), title="No header row")
    assert [c["name"] for c in dataset["columns"]] == [f"column_{i}" for i in range(1, 6)]
    assert dataset["row_count"] == ROWS  # the first person's row is data, not a header
    kinds = {c["name"]: c["kind"] for c in dataset["columns"]}
    assert kinds["column_2"] == "resident_id"
    assert kinds["column_3"] == "mobile"
    assert kinds["column_4"] == "bank_card"
    outsider.list_dataset(provider, compliance, dataset["id"])

    views = buyer_views(outsider, buyer, dataset["id"], ROWS)
    secrets = people["name"] + people["resident_id"] + people["mobile"] + people["bank_card"]
    for channel, body in views.items():
        assert_absent(body, secrets, where=channel)
    assert len(views["rows"]["rows"]) == ROWS
    first = views["rows"]["rows"][0]
    assert (
        first["column_2"]
        == people["resident_id"][0][:6] + "********" + people["resident_id"][0][-4:]
    )
    assert first["column_5"] == int(people["amount"][0])


@pytest.mark.parametrize(
    "kind",
    ["resident_id", "mobile", "bank_card", "uscc", "email", "ip", "plate", "passport", "landline"],
)
def test_a_first_line_holding_any_self_evident_value_is_a_record(
    outsider: Outsider, kind: str
) -> None:
    rng = np.random.default_rng(sum(map(ord, kind)))
    generate = {
        "resident_id": synthetic.resident_ids,
        "mobile": synthetic.mobiles,
        "bank_card": synthetic.bank_cards,
        "uscc": synthetic.usccs,
        "email": synthetic.emails,
        "ip": synthetic.ipv4s,
        "plate": synthetic.plates,
        "passport": synthetic.passports,
        "landline": synthetic.landlines,
    }[kind]
    values = generate(rng, ROWS)
    cities = rng.choice(["北京", "上海", "广州"], ROWS).tolist()
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    dataset = outsider.uploaded(provider, csv_of(zip(cities, values, strict=True)))
    assert [c["name"] for c in dataset["columns"]] == ["column_1", "column_2"]
    assert dataset["row_count"] == ROWS
    outsider.list_dataset(provider, compliance, dataset["id"])
    catalog = outsider.get(buyer, "/api/v1/catalog", limit=100)
    assert_absent(catalog, values, where="catalog")
    assert_absent(outsider.get(buyer, f"/api/v1/datasets/{dataset['id']}"), values)


def test_a_header_forced_present_never_publishes_its_personal_cells(outsider: Outsider) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    people = _people(seed=102)
    rows = _rows(people)
    dataset = outsider.uploaded(provider, csv_of(rows), header="present")
    assert [c["name"] for c in dataset["columns"]] == [
        "column_1",
        "column_2",
        "column_3",
        "column_4",
        rows[0][4],  # an amount is not personal data: it stays the provider's header
    ]
    outsider.list_dataset(provider, compliance, dataset["id"])
    views = buyer_views(outsider, buyer, dataset["id"], ROWS)
    first_person = rows[0][:4]
    for channel, body in views.items():
        assert_absent(body, first_person, where=channel)


def test_parquet_column_names_that_are_values_are_neutral(outsider: Outsider) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    people = _people(seed=103)
    leaked = [people["name"][0], people["resident_id"][0], people["mobile"][0]]
    table = pa.table(
        {
            leaked[0]: people["name"],
            leaked[1]: people["amount"],
            leaked[2]: people["amount"],
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    dataset = outsider.uploaded(provider, sink.getvalue(), filename="people.parquet")
    assert [c["name"] for c in dataset["columns"]] == ["column_1", "column_2", "column_3"]
    outsider.list_dataset(provider, compliance, dataset["id"])
    for channel, body in buyer_views(outsider, buyer, dataset["id"], ROWS).items():
        assert_absent(body, leaked, where=channel)


def test_a_rename_to_a_value_is_refused_and_a_listed_dataset_cannot_be_renamed(
    outsider: Outsider,
) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    people = _people(seed=104)
    dataset = outsider.uploaded(provider, csv_of(_rows(people)))
    url = f"/api/v1/datasets/{dataset['id']}/columns"
    values = {
        "column_1": people["name"][0],  # a name over a column of names
        "column_2": people["resident_id"][0],
        "column_3": people["mobile"][0],
        "column_5": people["bank_card"][0],
    }
    for column, value in values.items():
        refused = outsider.client.put(
            url, headers=provider.headers, json={"names": {column: value}}
        )
        assert refused.status_code == 400, refused.text
        assert_absent(refused.text, [value], where="refusal")
    fine = outsider.client.put(
        url, headers=provider.headers, json={"names": {"column_1": "姓名", "column_5": "金额"}}
    )
    assert fine.status_code == 200, fine.text
    outsider.list_dataset(provider, compliance, dataset["id"])
    listed = outsider.client.put(url, headers=provider.headers, json={"names": {"金额": "x"}})
    assert listed.status_code == 409
    views = buyer_views(outsider, buyer, dataset["id"], ROWS)
    assert views["rows"]["columns"][0] == "姓名"
    for channel, body in views.items():
        assert_absent(body, list(values.values()), where=channel)
