"""Attack: Parquet types the serializer cannot handle, and damaged files, to get a 500 or a
server path out of an upload, a preview or the data API.

A time-of-day column with nanoseconds and a non-UTF-8 binary column used to break the
preview and the data API (500); a truncated Parquet's refusal quoted Arrow's error, with the
server's path in it. Every type must now be served exactly (2xx) or refused at upload with a
bilingual 4xx that stores nothing; a damaged file gets one fixed message."""

from __future__ import annotations

import datetime
import decimal
import io
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from ground.config import Settings
from listings.models import Dataset, DatasetStatus
from tests.attacks.harness import Account, Outsider
from tests.attacks.views import buyer_views
from tests.fixtures.settings import apply_settings

ROWS = 6
NANOS = 12 * 3600 * 10**9 + 30 * 60 * 10**9 + 123_456_789  # 12:30:00.123456789


def _parquet(table: pa.Table, **options: Any) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **options)
    return sink.getvalue()


def _odd_types() -> pa.Table:
    blob = bytes([0xFF, 0xFE, 0x00, 0x81])
    return pa.table(
        {
            "clock": pa.array([NANOS + i for i in range(ROWS)], pa.time64("ns")),
            "minute": pa.array([i * 60 for i in range(ROWS)], pa.time32("s")),
            "stamp": pa.array([NANOS + i for i in range(ROWS)], pa.timestamp("ns")),
            "price": pa.array([decimal.Decimal("12.50")] * ROWS, pa.decimal128(10, 2)),
            "digest": pa.array([blob] * ROWS, pa.binary()),
            "fixed": pa.array([b"ab"] * ROWS, pa.binary(2)),
            "half": pa.array([1.5] * ROWS, pa.float16()),
            "big": pa.array([2**64 - 1] * ROWS, pa.uint64()),
            "level": pa.array(["low", "high"] * (ROWS // 2)).dictionary_encode(),
            "day": pa.array([datetime.date(2024, 2, 29)] * ROWS, pa.date64()),
            "flag": pa.array([True, None] * (ROWS // 2), pa.bool_()),
        }
    )


def _no_server_error(*responses: Any) -> None:
    for response in responses:
        assert response.status_code < 500, response.text


def test_every_stored_type_is_served_exactly_by_preview_and_data_api(
    outsider: Outsider,
) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    dataset = outsider.uploaded(provider, _parquet(_odd_types()), filename="odd.parquet")
    assert dataset["status"] == "draft", dataset
    keep = {c["name"]: {"operator": "keep"} for c in dataset["columns"]}
    outsider.set_policy(provider, dataset["id"], keep)
    own = outsider.preview(provider, dataset["id"], rows=ROWS)
    _no_server_error(own)
    assert own.status_code == 200, own.text
    outsider.list_dataset(provider, compliance, dataset["id"])
    views = buyer_views(outsider, buyer, dataset["id"], ROWS)
    for channel in ("preview", "rows"):
        first = views[channel]["rows"][0]
        assert first["clock"] == "12:30:00.123456789", channel
        assert first["minute"] == "00:00:00", channel
        assert first["stamp"] == "1970-01-01T12:30:00.123456789", channel
        assert first["price"] == "12.50", channel
        assert first["digest"] == "base64://4AgQ==", channel
        assert first["fixed"] == "ab", channel
        assert first["half"] == 1.5, channel
        assert first["big"] == str(2**64 - 1), channel
        assert first["level"] == "low", channel
        assert first["day"] == "2024-02-29", channel


REFUSED = [
    pytest.param(pa.array([[1, 2]] * ROWS, pa.list_(pa.int64())), "nested", id="list"),
    pytest.param(
        pa.array([{"a": 1}] * ROWS, pa.struct([("a", pa.int64())])), "nested", id="struct"
    ),
    pytest.param(
        pa.array([[("k", 1)]] * ROWS, pa.map_(pa.string(), pa.int64())), "nested", id="map"
    ),
    pytest.param(pa.array([5] * ROWS, pa.duration("ns")), "duration", id="duration"),
]


@pytest.mark.parametrize(("column", "reason"), REFUSED)
def test_types_that_are_not_stored_are_refused_at_upload_with_nothing_stored(
    outsider: Outsider, column: pa.Array, reason: str
) -> None:
    provider = outsider.account("provider")
    response = outsider.upload(
        provider, _parquet(pa.table({"payload": column})), filename="odd.parquet"
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert reason in body["detail"]
    assert "payload" in body["detail"]
    assert body["detail_zh"] != body["detail"]
    assert "payload" in body["detail_zh"]
    assert outsider.get(provider, "/api/v1/datasets")["total"] == 0


def _assert_fixed_damage_message(response: Any) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"].startswith("The Parquet file cannot be read: it is damaged")
    assert "无法读取该 Parquet 文件" in body["detail_zh"]
    for text in (body["detail"], body["detail_zh"]):
        assert "/" not in text
        assert "thrift" not in text.lower()
        assert "magic" not in text.lower()


def test_a_truncated_parquet_gets_a_fixed_message_without_a_path(outsider: Outsider) -> None:
    provider = outsider.account("provider")
    whole = _parquet(_odd_types())
    for cut in (len(whole) // 2, len(whole) - 3, 12):
        response = outsider.upload(provider, whole[:cut], filename="cut.parquet")
        _assert_fixed_damage_message(response)
    assert outsider.get(provider, "/api/v1/datasets")["total"] == 0


def _damaged_late(rows: int) -> bytes:
    """A Parquet file of many row groups whose last row group's pages are garbage: the
    footer and the first batch read, the end does not."""
    table = pa.table({"note": [f"row {i} " + "x" * 200 for i in range(rows)]})
    content = bytearray(_parquet(table, row_group_size=rows // 8, compression="none"))
    metadata = pq.ParquetFile(io.BytesIO(bytes(content))).metadata
    last = metadata.row_group(metadata.num_row_groups - 1).column(0)
    start = last.data_page_offset
    content[start : start + 64] = b"\xff" * 64
    return bytes(content)


def test_damage_past_the_uploads_check_fails_the_dataset_with_a_fixed_reason(
    outsider: Outsider,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    client: TestClient,
) -> None:
    apply_settings(monkeypatch, ingest_batch_bytes=str(64 * 1024))
    provider: Account = outsider.account("provider")
    response = outsider.upload(provider, _damaged_late(4000), filename="late.parquet")
    assert response.status_code == 201, response.text
    dataset = session.get(Dataset, uuid.UUID(response.json()["id"]))
    assert dataset is not None
    session.refresh(dataset)
    assert dataset.status == DatasetStatus.failed
    assert dataset.ingest_error is not None
    english, chinese = dataset.ingest_error.split("\n")
    assert english.startswith("The Parquet file cannot be read: it is damaged")
    assert chinese.startswith("无法读取该 Parquet 文件")
    assert "/" not in dataset.ingest_error
    shown = outsider.get(provider, f"/api/v1/datasets/{dataset.id}")
    assert shown["status"] == "failed"
    assert shown["ingest_error"] == dataset.ingest_error
    # Nothing half-written is left: no stored file, no kept upload.
    leftovers = list((settings.data_dir / "datasets").rglob("*"))
    assert [p for p in leftovers if p.is_file()] == []
    assert session.exec(select(func.count()).select_from(Dataset)).one() == 1
