"""How dataset files are stored: row groups of the configured size, whatever the upload."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from listings import columns, storage
from tests.fixtures.factories import create_dataset, csv_bytes, people_table, principal_of
from tests.fixtures.settings import apply_settings

ROWS = 5000
GROUP = 1024


@pytest.fixture
def small_groups(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Row groups of 1,024 rows, and ingest batches (64 KiB) that do not line up with them."""
    return apply_settings(
        monkeypatch, parquet_row_group_rows=str(GROUP), ingest_batch_bytes=str(64 * 1024)
    )


def _group_rows(path: Path) -> list[int]:
    metadata = pq.ParquetFile(path).metadata
    return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]


def _expected(rows: int) -> list[int]:
    return [GROUP] * (rows // GROUP) + ([rows % GROUP] if rows % GROUP else [])


def _parquet(table: pa.Table, *, row_group_size: int) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=row_group_size)
    return sink.getvalue()


def test_a_csv_upload_is_stored_in_row_groups_of_the_configured_size(
    session: Session, small_groups: Settings, provider: User
) -> None:
    table = people_table(ROWS)
    dataset = create_dataset(session, small_groups, provider=provider, content=csv_bytes(table))
    path = small_groups.data_dir / dataset.file_path
    assert _group_rows(path) == _expected(ROWS)
    assert pq.read_table(path).column("金额").to_pylist() == table.column("金额").to_pylist()


@pytest.mark.parametrize("uploaded_groups", [ROWS, 300])
def test_a_parquet_upload_is_regrouped_whatever_its_own_row_groups(
    session: Session, small_groups: Settings, provider: User, uploaded_groups: int
) -> None:
    table = people_table(ROWS)
    content = _parquet(table, row_group_size=uploaded_groups)
    dataset = create_dataset(
        session, small_groups, provider=provider, content=content, filename="people.parquet"
    )
    path = small_groups.data_dir / dataset.file_path
    assert _group_rows(path) == _expected(ROWS)
    assert pq.read_table(path).column("姓名").to_pylist() == table.column("姓名").to_pylist()


def test_the_default_is_a_group_of_16384_rows(settings: Settings) -> None:
    assert settings.parquet_row_group_rows == 16_384
    assert storage.row_group_rows() == 16_384


def test_a_rewritten_file_keeps_the_configured_row_groups(
    session: Session, small_groups: Settings, provider: User
) -> None:
    dataset = create_dataset(
        session, small_groups, provider=provider, content=csv_bytes(people_table(ROWS))
    )
    session.commit()
    renamed = columns.rename_columns(
        session,
        principal_of(provider),
        dataset.id,
        {"城市": "所在城市"},
        data_dir=small_groups.data_dir,
        k_threshold=small_groups.k_anonymity_min,
    )
    session.commit()
    path = small_groups.data_dir / renamed.file_path
    assert "所在城市" in pq.read_schema(path).names
    assert _group_rows(path) == _expected(ROWS)


def test_an_empty_stream_writes_a_readable_file_without_rows(
    settings: Settings, tmp_path: Path
) -> None:
    schema = pa.schema([("a", pa.int64())])
    dest = tmp_path / "data.parquet"
    assert storage.write_batches_atomically(iter([]), schema, dest) == 0
    assert pq.read_table(dest).num_rows == 0
    assert pq.read_schema(dest) == schema
