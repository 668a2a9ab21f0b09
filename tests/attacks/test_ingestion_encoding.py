"""Attack: mixed encodings turn names into mojibake no detector recognises.

A file mixing UTF-8 and GBK lines used to be read as GB18030: the UTF-8 lines became
mojibake, the name column was no longer detected, and a real name was served unmasked. Every
mixed file must be refused with the line that gives it away, with nothing stored or listed;
a file wholly in one encoding is read, detected and masked."""

from __future__ import annotations

import base64
import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from anonymize import synthetic
from tests.attacks.harness import Outsider, assert_absent, csv_of
from tests.attacks.views import buyer_views

ROWS = 8
HEADER = ["姓名", "身份证号", "城市"]


def _people(seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    names = synthetic.chinese_names(rng, ROWS)
    ids = synthetic.resident_ids(rng, ROWS)
    cities = rng.choice(["北京", "上海"], ROWS).tolist()
    return [list(row) for row in zip(names, ids, cities, strict=True)]


def _lines(rows: list[list[str]], encoding: str) -> bytes:
    return csv_of(rows, encoding=encoding)


def _mixed(people: list[list[str]], case: str) -> tuple[bytes, int]:
    """The file and the 1-based line that is not UTF-8 (the refusal must name it)."""
    if case == "utf8 with one gbk row":
        return _lines([HEADER, *people[:3]], "utf-8") + _lines(people[3:], "gbk"), 5
    if case == "gbk with one utf8 row":
        return _lines([HEADER, *people[:-1]], "gbk") + _lines(people[-1:], "utf-8"), 1
    if case == "utf8 header over gbk rows":
        return _lines([HEADER], "utf-8") + _lines(people, "gbk"), 2
    if case == "bom over gbk rows":
        return b"\xef\xbb\xbf" + _lines([["name", "id", "city"], *people], "gbk"), 2
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "utf8 with one gbk row",
        "gbk with one utf8 row",
        "utf8 header over gbk rows",
        "bom over gbk rows",
    ],
)
def test_a_mixed_encoding_file_is_refused_naming_the_line_and_nothing_is_listed(
    outsider: Outsider, case: str
) -> None:
    provider, buyer = outsider.account("provider"), outsider.account("buyer")
    people = _people(seed=300)
    content, bad_line = _mixed(people, case)
    response = outsider.upload(provider, content, title=f"Mixed: {case}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert f"line {bad_line} is not UTF-8" in body["detail"]
    assert f"第 {bad_line} 行" in body["detail_zh"]
    assert_absent(response.text, [p[0] for p in people] + [p[1] for p in people])
    assert outsider.get(provider, "/api/v1/datasets")["total"] == 0
    catalog = outsider.get(buyer, "/api/v1/catalog", q=f"Mixed: {case}")
    assert catalog["total"] == 0


def test_a_file_in_no_supported_encoding_is_refused_with_its_first_bad_line(
    outsider: Outsider,
) -> None:
    provider = outsider.account("provider")
    content = b"name,city\nAlice,Paris\n" + "Jos\u00e9,S\u00e3o Paulo\n".encode("latin-1")
    response = outsider.upload(provider, content)
    assert response.status_code == 422
    assert "line 3" in response.json()["detail"]
    assert outsider.get(provider, "/api/v1/datasets")["total"] == 0


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030", "utf-8-sig"])
def test_a_file_wholly_in_one_encoding_is_read_detected_and_masked(
    outsider: Outsider, encoding: str
) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    people = _people(seed=301)
    dataset = outsider.uploaded(provider, _lines([HEADER, *people], encoding))
    kinds = {c["name"]: c["kind"] for c in dataset["columns"]}
    assert kinds == {"姓名": "name", "身份证号": "resident_id", "城市": "other"}
    outsider.list_dataset(provider, compliance, dataset["id"])
    views = buyer_views(outsider, buyer, dataset["id"], ROWS)
    for channel, body in views.items():
        assert_absent(body, [p[0] for p in people] + [p[1] for p in people], where=channel)
    assert [row["城市"] for row in views["rows"]["rows"]] == [p[2] for p in people]


def _parquet_of_bytes(values: list[bytes]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"person": pa.array(values, pa.binary())}), sink)
    return sink.getvalue()


def test_gbk_names_in_a_parquet_binary_column_are_detected_and_masked(
    outsider: Outsider,
) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    names = [p[0] for p in _people(seed=302)]
    content = _parquet_of_bytes([n.encode("gbk") for n in names])
    dataset = outsider.uploaded(provider, content, filename="people.parquet")
    assert dataset["columns"][0]["kind"] == "name"
    outsider.list_dataset(provider, compliance, dataset["id"])
    views = buyer_views(outsider, buyer, dataset["id"], ROWS)
    gbk_as_base64 = [base64.b64encode(n.encode("gbk")).decode() for n in names]
    for channel, body in views.items():
        assert_absent(body, names + gbk_as_base64, where=channel)


def test_a_parquet_binary_column_mixing_encodings_is_refused(outsider: Outsider) -> None:
    provider = outsider.account("provider")
    names = [p[0] for p in _people(seed=303)]
    content = _parquet_of_bytes([names[0].encode(), *(n.encode("gbk") for n in names[1:])])
    response = outsider.upload(provider, content, filename="mixed.parquet")
    assert response.status_code == 422, response.text
    assert "row 2 is not UTF-8, while row 1 is UTF-8" in response.json()["detail"]
    assert_absent(response.text, names)
    assert outsider.get(provider, "/api/v1/datasets")["total"] == 0
