"""Stuck ingests are sent again (bounded) or failed with a fixed reason; orphaned files are
swept after the grace period and young ones kept. The clock is passed in, never waited for."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from accounts.models import User
from audit.models import AuditRecord
from ground.config import Settings
from ground.db import utcnow
from listings import recovery
from listings.models import DatasetStatus
from tests.fixtures.factories import create_dataset, create_processing_dataset


def _stale_now(settings: Settings) -> datetime:
    return utcnow() + timedelta(minutes=settings.ingest_stale_minutes)


def _actions(session: Session, dataset_id: uuid.UUID) -> list[str]:
    stmt = select(AuditRecord.action).where(AuditRecord.dataset_id == dataset_id)
    return list(session.exec(stmt.order_by(col(AuditRecord.seq))).all())


def test_a_stale_ingest_with_attempts_left_is_sent_again(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_processing_dataset(session, settings, provider=provider)
    first_task = dataset.ingest_task_id
    now = _stale_now(settings)
    assert recovery.recover_stuck_ingests(session, settings=settings, now=now) == (
        recovery.Recovered(resent=1, failed=0)
    )
    session.commit()
    assert (dataset.status, dataset.ingest_attempts) == (DatasetStatus.processing, 2)
    assert dataset.ingest_started_at == now
    assert dataset.ingest_task_id not in (None, first_task)
    assert "dataset.ingest_resent" in _actions(session, dataset.id)
    # Sent again now, it is not stale any more: the next run leaves it alone.
    again = recovery.recover_stuck_ingests(session, settings=settings, now=now)
    assert again == recovery.Recovered(resent=0, failed=0)


def test_an_ingest_not_yet_stale_is_left_alone(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_processing_dataset(session, settings, provider=provider)
    now = _stale_now(settings) - timedelta(minutes=1)
    assert recovery.recover_stuck_ingests(session, settings=settings, now=now) == (
        recovery.Recovered(resent=0, failed=0)
    )
    assert dataset.ingest_attempts == 1


def test_a_stale_ingest_out_of_attempts_fails_with_the_fixed_reason(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_processing_dataset(session, settings, provider=provider)
    dataset.ingest_attempts = settings.ingest_max_attempts
    session.add(dataset)
    session.commit()
    recovered = recovery.recover_stuck_ingests(session, settings=settings, now=_stale_now(settings))
    assert recovered == recovery.Recovered(resent=0, failed=1)
    session.commit()
    session.refresh(dataset)
    assert dataset.status is DatasetStatus.failed
    assert dataset.ingest_error == recovery.interrupted_reason(settings.ingest_max_attempts)
    assert "请删除该数据集并重新上传文件" in (dataset.ingest_error or "")
    assert "dataset.ingest_failed" in _actions(session, dataset.id)


def test_profiled_datasets_are_never_touched(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    session.commit()
    far = utcnow() + timedelta(days=30)
    assert recovery.recover_stuck_ingests(session, settings=settings, now=far) == (
        recovery.Recovered(resent=0, failed=0)
    )
    assert dataset.status is DatasetStatus.draft


def test_an_attempt_begins_only_on_a_processing_dataset(
    session: Session, settings: Settings, provider: User
) -> None:
    stuck = create_processing_dataset(session, settings, provider=provider)
    now = _stale_now(settings)
    assert recovery.begin_attempt(session, stuck.id, now=now) is True
    assert stuck.ingest_started_at == now
    draft = create_dataset(session, settings, provider=provider)
    assert recovery.begin_attempt(session, draft.id, now=now) is False
    assert draft.ingest_started_at is None
    assert recovery.begin_attempt(session, uuid.uuid4(), now=now) is False


def _file(path: Path, *, age_minutes: float, now: datetime) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    stamp = (now - timedelta(minutes=age_minutes)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def now() -> datetime:
    return utcnow()


def test_the_sweep_removes_old_orphans_only(
    session: Session, settings: Settings, provider: User, now: datetime
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    session.commit()
    old, young = settings.orphan_grace_minutes + 1, settings.orphan_grace_minutes - 1
    data = settings.data_dir
    old_staging = _file(data / "staging" / "a.upload", age_minutes=old, now=now)
    young_staging = _file(data / "staging" / "b.upload", age_minutes=young, now=now)
    old_tmp = _file(
        data / "datasets" / str(dataset.id) / "data.parquet.tmp", age_minutes=old, now=now
    )
    orphan = _file(data / "datasets" / str(uuid.uuid4()) / "data.parquet", age_minutes=old, now=now)
    os.utime(orphan.parent, (orphan.stat().st_mtime,) * 2)
    # An orphan directory something was just written into is young, however old the rest.
    busy = _file(data / "datasets" / str(uuid.uuid4()) / "data.parquet", age_minutes=old, now=now)
    _file(busy.parent / "data-2.parquet", age_minutes=young, now=now)
    not_ours = _file(data / "datasets" / "readme" / "notes.txt", age_minutes=old, now=now)

    swept = recovery.sweep_orphaned_files(session, settings=settings, now=now)
    assert swept == recovery.Swept(staging_files=1, dataset_directories=1, temporary_files=1)
    assert [p.exists() for p in (old_staging, old_tmp, orphan.parent)] == [False] * 3
    assert [p.exists() for p in (young_staging, busy, not_ours)] == [True] * 3
    assert (data / dataset.file_path).exists()


def test_the_sweep_of_an_empty_data_directory_finds_nothing(
    session: Session, settings: Settings, now: datetime
) -> None:
    assert recovery.sweep_orphaned_files(session, settings=settings, now=now) == recovery.Swept(
        0, 0, 0
    )
