"""Streaming ingestion: types decided over every batch, bounded batches, limits on columns and
cells (a 4xx with nothing stored at upload, a fixed reason when only the task finds them),
and ingest failures recorded as fixed bilingual reasons."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from accounts.models import User
from ground.config import Settings
from ground.errors import InvalidFile
from listings import ingestion
from listings.ingestion import IngestLimits, ingest_file
from listings.models import Dataset, DatasetStatus
from tests.fixtures.client import bearer
from tests.fixtures.settings import apply_settings

SMALL_BATCHES = IngestLimits(batch_bytes=64 * 1024, sample_rows=100)


def _ingest(tmp_path: Path, text: str, limits: IngestLimits) -> tuple[pa.Table, int]:
    source = tmp_path / "upload.csv"
    source.write_text(text, encoding="utf-8")
    result = ingest_file(source, "data.csv", tmp_path / "data.parquet", limits=limits)
    return pq.read_table(tmp_path / "data.parquet"), result.batches


def _column_file(values: list[str]) -> str:
    return "amount,price,day\n" + "".join(f"{v}\n" for v in values)


def test_a_value_in_the_last_batch_keeps_the_whole_column_text(tmp_path: Path) -> None:
    rows = [f"{i},{i}.50,2024-01-{1 + i % 28:02d}" for i in range(20_000)]
    rows.append("12a,1.5,2024-02-30")  # not an integer, another scale, not a real date
    table, batches = _ingest(tmp_path, _column_file(rows), SMALL_BATCHES)
    assert batches > 1  # the file is bigger than one batch: read and written in several
    assert table.schema.types == [pa.string(), pa.string(), pa.string()]
    assert table.num_rows == 20_001
    assert table.column("amount").to_pylist()[-2:] == ["19999", "12a"]
    assert table.column("price").to_pylist()[-1] == "1.5"


def test_types_hold_across_batches_when_every_value_fits(tmp_path: Path) -> None:
    rows = [f"{i},{i}.50,2024-01-{1 + i % 28:02d}" for i in range(20_000)]
    table, batches = _ingest(tmp_path, _column_file(rows), SMALL_BATCHES)
    assert batches > 1
    assert table.schema.types == [pa.int64(), pa.decimal128(7, 2), pa.date32()]
    assert table.column("amount").to_pylist()[-1] == 19_999
    assert str(table.column("price").to_pylist()[-1]) == "19999.50"


def test_a_row_the_early_check_does_not_reach_is_still_checked(tmp_path: Path) -> None:
    rows = [f"{i},1.25,2024-01-01" for i in range(20_000)] + ["1,2"]
    source = tmp_path / "upload.csv"
    source.write_text(_column_file(rows))
    checked = ingestion.check_upload(source, "data.csv", limits=SMALL_BATCHES)
    assert checked.rows is None  # the check read the start only
    with pytest.raises(InvalidFile) as refused:
        ingest_file(source, "data.csv", tmp_path / "out.parquet", limits=SMALL_BATCHES)
    assert "Expected 3 columns, got 2" in refused.value.detail
    assert "1,2" not in refused.value.detail  # Arrow quotes the row; the message does not
    assert not (tmp_path / "out.parquet").exists()


def _upload(
    client: TestClient, user: User, settings: Settings, content: bytes
) -> dict[str, object]:
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(user, settings),
        files={"file": ("wide.csv", content, "text/csv")},
        data={"title": "Limits", "domain": "test"},
    )
    return {**response.json(), "http_status": response.status_code}


def _nothing_stored(session: Session, settings: Settings) -> None:
    assert session.exec(select(func.count()).select_from(Dataset)).one() == 0
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert files == []


def test_too_many_columns_is_refused_at_upload_with_nothing_stored(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch, provider: User
) -> None:
    limited = apply_settings(monkeypatch, max_columns="50")
    header = ",".join(f"c{i}" for i in range(5_000))
    result = _upload(client, provider, limited, f"{header}\n{header}\n".encode())
    assert result["http_status"] == 422
    assert "5,000 columns; at most 50" in str(result["detail"])
    assert "5,000 列" in str(result["detail_zh"])
    _nothing_stored(session, limited)


def test_a_cell_over_the_limit_is_refused_at_upload_with_nothing_stored(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch, provider: User
) -> None:
    limited = apply_settings(monkeypatch, max_cell_bytes="1000")
    content = f"id,note\n1,short\n2,{'x' * 1001}\n".encode()
    result = _upload(client, provider, limited, content)
    assert result["http_status"] == 422
    assert "column 2 is 1,001 bytes long; at most 1,000" in str(result["detail"])
    assert "xxxx" not in str(result["detail"])
    _nothing_stored(session, limited)


def test_a_cell_over_the_limit_past_the_check_fails_the_dataset_with_a_fixed_reason(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch, provider: User
) -> None:
    limited = apply_settings(
        monkeypatch, max_cell_bytes="1000", ingest_batch_bytes="65536", ingest_sample_rows="10"
    )
    rows = "".join(f"{i},note {i}\n" for i in range(20_000))
    result = _upload(client, provider, limited, f"id,note\n{rows}1,{'x' * 1001}\n".encode())
    assert result["http_status"] == 201  # the check read the start, which is fine
    dataset = session.get(Dataset, uuid.UUID(str(result["id"])))
    assert dataset is not None
    session.refresh(dataset)
    assert dataset.status == DatasetStatus.failed
    english, chinese = (dataset.ingest_error or "").split("\n")
    assert english.startswith("A cell of column 2 is 1,001 bytes long")
    assert chinese.startswith("第 2 列有一个单元格长 1,001 字节")
    assert [p for p in limited.data_dir.rglob("*") if p.is_file()] == []


def test_an_internal_error_records_a_fixed_reason_never_the_exception_text(
    client: TestClient,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    provider: User,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("/srv/sluice/var/data/secret-path exploded")

    monkeypatch.setattr(ingestion, "ingest_file", broken)
    result = _upload(client, provider, settings, b"id,amount\n1,2\n")
    assert result["http_status"] == 201
    dataset = session.get(Dataset, uuid.UUID(str(result["id"])))
    assert dataset is not None
    session.refresh(dataset)
    assert dataset.status == DatasetStatus.failed
    assert dataset.ingest_error is not None
    assert "secret-path" not in dataset.ingest_error
    assert "RuntimeError" not in dataset.ingest_error
    assert dataset.ingest_error.startswith("The file could not be ingested")
