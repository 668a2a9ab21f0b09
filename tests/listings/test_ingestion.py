"""Reading uploads: the header decision, neutral names for personal-data names, exact
values, and the provider's own preview returning exactly what was uploaded."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import Session

from accounts.models import User
from anonymize import synthetic
from ground.config import Settings
from ground.errors import InvalidFile
from listings.ingestion import ParsedUpload, parse_upload
from tests.fixtures.client import bearer


def _people(n: int, seed: int = 3) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    columns = (
        synthetic.chinese_names(rng, n),
        synthetic.resident_ids(rng, n),
        synthetic.mobiles(rng, n),
        synthetic.bank_cards(rng, n),
        [str(v) for v in rng.integers(100, 10_000, n)],
    )
    return [list(row) for row in zip(*columns, strict=True)]


def _csv(rows: list[list[str]]) -> bytes:
    sink = io.StringIO()
    csv.writer(sink).writerows(rows)
    return sink.getvalue().encode()


def _parse(tmp_path: Path, content: bytes, name: str = "x.csv", **kwargs: str) -> ParsedUpload:
    path = tmp_path / "upload"
    path.write_bytes(content)
    return parse_upload(path, name, **kwargs)  # type: ignore[arg-type]


def test_a_header_less_file_keeps_its_first_row_and_gets_neutral_names(tmp_path: Path) -> None:
    people = _people(5)
    parsed = _parse(tmp_path, _csv(people))
    assert parsed.header is False
    assert parsed.table.column_names == [f"column_{i}" for i in range(1, 6)]
    assert parsed.table.num_rows == 5
    assert parsed.table.column("column_2").to_pylist()[0] == people[0][1]
    # Cards and IDs stay exact text; amounts become integers.
    assert parsed.table.schema.field("column_4").type == pa.string()
    assert parsed.table.schema.field("column_5").type == pa.int64()


def test_a_one_line_record_is_a_row_not_a_header(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, _csv(_people(1)))
    assert parsed.table.num_rows == 1
    assert parsed.table.column_names[0] == "column_1"


def test_the_provider_can_say_whether_there_is_a_header(tmp_path: Path) -> None:
    content = _csv([["地区", "2020"], ["北京", "100"], ["上海", "200"]])
    assert _parse(tmp_path, content).header is False  # a year over numbers looks like data
    present = _parse(tmp_path, content, header="present")
    assert present.table.column_names == ["地区", "2020"]
    assert present.table.num_rows == 2
    absent = _parse(tmp_path, _csv([["城市"], ["北京"]]), header="absent")
    assert absent.table.column("column_1").to_pylist() == ["城市", "北京"]


def test_a_header_cell_that_is_personal_data_gets_a_neutral_name(tmp_path: Path) -> None:
    people = _people(4)
    header = ["姓名", people[0][1], "手机号", people[0][3], "金额"]
    parsed = _parse(tmp_path, _csv([header, *people[1:]]), header="present")
    assert parsed.table.column_names == ["姓名", "column_2", "手机号", "column_4", "金额"]
    assert parsed.neutralized == [2, 4]
    name_header = [people[0][0], "身份证号", "手机号", "卡号", "金额"]
    parsed = _parse(tmp_path, _csv([name_header, *people[1:]]), header="present")
    assert parsed.table.column_names[0] == "column_1"


def test_parquet_column_names_that_are_personal_data_get_neutral_names(tmp_path: Path) -> None:
    people = _people(4)
    table = pa.table(
        {people[0][0]: [p[0] for p in people], people[0][2]: [p[4] for p in people], "x": [1] * 4}
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    parsed = _parse(tmp_path, sink.getvalue(), "people.parquet")
    assert parsed.table.column_names == ["column_1", "column_2", "x"]
    assert parsed.neutralized == [1, 2]


def test_parquet_integers_beyond_2_53_are_stored_as_their_digits(tmp_path: Path) -> None:
    cards = [6222029458073021579, 4000000000000000006]
    sink = io.BytesIO()
    pq.write_table(pa.table({"card": pa.array(cards, pa.int64())}), sink)
    parsed = _parse(tmp_path, sink.getvalue(), "cards.parquet")
    assert parsed.table.column("card").to_pylist() == [str(c) for c in cards]


def test_empty_cells_are_null_and_words_like_null_are_values(tmp_path: Path) -> None:
    parsed = _parse(tmp_path, b'a,b\nNA,"line\nbreak"\n,null\n')
    assert parsed.table.column("a").to_pylist() == ["NA", None]
    assert parsed.table.column("b").to_pylist() == ["line\nbreak", "null"]


# ----- the provider's own keep preview returns what was uploaded --------------------------

_CELL = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
    st.from_regex(r"-?[0-9]{1,19}(\.[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(["1.10", "-0", "1e5", "0123", "NA", "null", "2024-02-29", " 7 "]),
)


@st.composite
def _csv_tables(draw: st.DrawFn) -> list[list[str]]:
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(_CELL, min_size=width, max_size=width), min_size=1, max_size=8))
    return [[f"h{i}" for i in range(width)], *rows]


def _as_uploaded(value: object) -> str:
    """A served value as the text it stands for: null is an empty cell."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=_csv_tables())
def test_the_providers_keep_preview_returns_every_value_as_uploaded(
    client: TestClient, session: Session, settings: Settings, provider: User, table: list[list[str]]
) -> None:
    """Empty cells come back as null (the one accepted difference); every other value comes
    back with exactly its text, whatever type ingestion gave its column."""
    headers = bearer(provider, settings)
    upload = client.post(
        "/api/v1/datasets",
        headers=headers,
        files={"file": ("any.csv", _csv(table), "text/csv")},
        data={"title": "Any strings", "domain": "test"},
    )
    assert upload.status_code == 201, upload.text
    dataset_id = upload.json()["id"]
    keep = {name: {"operator": "keep"} for name in table[0]}
    policy = client.put(
        f"/api/v1/datasets/{dataset_id}/policy", headers=headers, json={"columns": keep}
    )
    assert policy.status_code == 200, policy.text
    preview = client.get(f"/api/v1/datasets/{dataset_id}/preview?rows=50", headers=headers)
    assert preview.status_code == 200, preview.text
    served = [[_as_uploaded(row[name]) for name in table[0]] for row in preview.json()["rows"]]
    assert served == table[1:]


def test_a_nested_field_named_with_personal_data_is_refused(tmp_path: Path) -> None:
    sink = io.BytesIO()
    records = pa.array([{"13812345678": "x"}], pa.struct([("13812345678", pa.string())]))
    pq.write_table(pa.table({"record": records}), sink)
    with pytest.raises(InvalidFile) as refused:
        _parse(tmp_path, sink.getvalue(), "nested.parquet")
    assert "(a mobile value)" in refused.value.detail
    assert "13812345678" not in refused.value.detail
