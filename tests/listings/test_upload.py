"""Uploads: accepted formats, and every refusal leaves nothing stored."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from accounts.models import User
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import csv_bytes, people_table
from tests.fixtures.settings import apply_settings


def _upload(
    client: TestClient, user: User, settings: Settings, content: bytes, filename: str
) -> dict[str, object]:
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(user, settings),
        files={"file": (filename, content, "application/octet-stream")},
        data={"title": "Upload", "domain": "test"},
    )
    return {**response.json(), "http_status": response.status_code}


def _stored_files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.is_file()] if data_dir.exists() else []


def test_utf8_csv_is_stored_as_parquet_with_an_inferred_schema(
    client: TestClient, session: Session, settings: Settings, provider: User
) -> None:
    table = people_table(rows=12)
    result = _upload(client, provider, settings, csv_bytes(table), "people.csv")
    assert result["http_status"] == 201
    dataset = session.get(Dataset, uuid.UUID(str(result["id"])))
    assert dataset is not None
    stored = pq.read_table(settings.data_dir / dataset.file_path)
    assert stored.num_rows == 12
    assert str(stored.schema.field("金额").type) == "int64"
    # Identifier-like digits keep their text form (leading zeros, fixed width).
    assert str(stored.schema.field("手机号").type) == "string"
    assert stored.column("身份证号").to_pylist() == table.column("身份证号").to_pylist()
    detail = client.get(f"/api/v1/datasets/{result['id']}", headers=bearer(provider, settings))
    assert {c["name"]: c["type"] for c in detail.json()["columns"]}["金额"] == "int64"


def test_parquet_upload_keeps_its_types(
    client: TestClient, session: Session, settings: Settings, provider: User
) -> None:
    sink = io.BytesIO()
    pq.write_table(people_table(rows=8), sink)
    result = _upload(client, provider, settings, sink.getvalue(), "people.parquet")
    assert result["http_status"] == 201
    assert result["source_format"] == "parquet"
    assert result["row_count"] == 8


def test_gbk_export_is_decoded(
    client: TestClient, session: Session, settings: Settings, provider: User
) -> None:
    content = "单位名称,联系人\n海淀区社保中心,张伟\n".encode("gbk")
    result = _upload(client, provider, settings, content, "export.csv")
    assert result["http_status"] == 201
    assert result["source_encoding"] == "gb18030"
    detail = client.get(f"/api/v1/datasets/{result['id']}", headers=bearer(provider, settings))
    assert [c["name"] for c in detail.json()["columns"]] == ["单位名称", "联系人"]


BAD_FILES = [
    pytest.param(b"", "empty.csv", 422, "empty", id="empty file"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo.csv", 415, "PNG", id="png as csv"),
    pytest.param(b"PK\x03\x04" + b"\x00" * 64, "book.csv", 415, "ZIP", id="xlsx as csv"),
    pytest.param(b"a,b,c\n1,2,3\n4,5\n", "ragged.csv", 422, "Expected 3 columns", id="short row"),
    pytest.param(b"a,b\n1,2\n3,4,5\n", "ragged.csv", 422, "Expected 2 columns", id="long row"),
    pytest.param(
        "name,city\nJos\u00e9,S\u00e3o Paulo\n".encode("latin-1"),
        "latin1.csv",
        422,
        "encoding",
        id="unknown encoding",
    ),
    pytest.param("a,b\n1,2\n".encode("utf-16"), "utf16.csv", 415, "UTF-16", id="utf-16"),
    pytest.param(b"\n\n\n", "blank.csv", 422, "no columns", id="zero columns"),
    pytest.param(b"a,b\n", "header.csv", 422, "no data rows", id="header only"),
    pytest.param(b"a,,c\n1,2,3\n", "noname.csv", 422, "no name", id="unnamed column"),
    pytest.param(b"a,a\n1,2\n", "dup.csv", 422, "more than once", id="duplicate column"),
    pytest.param(b"PAR1 but not really", "fake.parquet", 422, "Parquet", id="broken parquet"),
    pytest.param(b"a,b\n1,2\n", "data.xlsx", 415, "CSV or Parquet", id="wrong extension"),
]


@pytest.mark.parametrize(("content", "filename", "status", "reason"), BAD_FILES)
def test_bad_files_are_refused_with_a_reason_and_nothing_stored(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    content: bytes,
    filename: str,
    status: int,
    reason: str,
) -> None:
    result = _upload(client, provider, settings, content, filename)
    assert result["http_status"] == status, result
    assert reason in str(result["detail"])
    assert result["detail_zh"] != result["detail"]
    assert session.exec(select(func.count()).select_from(Dataset)).one() == 0
    assert _stored_files(settings.data_dir) == []


def test_a_file_over_the_size_limit_is_413_and_nothing_stored(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limited = apply_settings(monkeypatch, max_upload_bytes="1024")
    content = csv_bytes(people_table(rows=200))
    assert len(content) > 1024
    result = _upload(client, provider, limited, content, "big.csv")
    assert result["http_status"] == 413
    assert "1,024 bytes" in str(result["detail"])
    assert session.exec(select(func.count()).select_from(Dataset)).one() == 0
    assert _stored_files(limited.data_dir) == []


def test_upload_needs_title_and_domain(
    client: TestClient, settings: Settings, provider: User
) -> None:
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(provider, settings),
        files={"file": ("a.csv", b"a\n1\n", "text/csv")},
    )
    assert response.status_code == 422
    assert "title" in response.json()["detail"]
