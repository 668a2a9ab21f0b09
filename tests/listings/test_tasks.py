"""The listings tasks: the ingest is idempotent (a redelivered or duplicate run does nothing
twice), and the two beat tasks are scheduled."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from accounts.models import User
from audit.models import AuditRecord
from ground.config import Settings
from ground.db import unit_of_work, utcnow
from listings import service as listings
from listings import tasks
from listings.models import Dataset, DatasetStatus, PolicyVersion
from market.shell.worker import BEAT_SCHEDULE
from tests.fixtures.factories import create_processing_dataset


@pytest.fixture
def processing(session: Session, settings: Settings, provider: User) -> Dataset:
    return create_processing_dataset(session, settings, provider=provider)


def _versions(session: Session, dataset_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(col(PolicyVersion.dataset_id) == dataset_id)
    return int(session.exec(stmt).one())


def test_an_ingest_stamps_its_start_then_profiles(
    session: Session, settings: Settings, processing: Dataset
) -> None:
    assert processing.ingest_started_at is None
    assert tasks.ingest(str(processing.id)) == "draft"
    session.refresh(processing)
    assert processing.status is DatasetStatus.draft
    assert processing.ingest_started_at is not None


def test_a_redelivered_ingest_does_nothing_twice(
    session: Session, settings: Settings, processing: Dataset
) -> None:
    """acks_late: a worker killed after the work committed but before the acknowledgement
    gets the same message again."""
    assert tasks.ingest(str(processing.id)) == "draft"
    assert tasks.ingest(str(processing.id)) == "skipped"
    session.refresh(processing)
    assert processing.status is DatasetStatus.draft
    assert _versions(session, processing.id) == 1


def test_an_ingest_of_a_deleted_dataset_is_skipped(settings: Settings) -> None:
    assert tasks.ingest(str(uuid.uuid4())) == "skipped"


def test_a_late_failure_does_not_overwrite_a_finished_ingest(
    session: Session, settings: Settings, processing: Dataset
) -> None:
    """A slow first attempt fails after a second one finished: the dataset stays a draft."""
    assert tasks.ingest(str(processing.id)) == "draft"
    with unit_of_work() as s:
        listings.mark_ingest_failed(s, processing.id, "OSError: too late")
    session.refresh(processing)
    assert (processing.status, processing.ingest_error) == (DatasetStatus.draft, None)
    failures = select(func.count()).where(
        col(AuditRecord.dataset_id) == processing.id,
        col(AuditRecord.action) == "dataset.ingest_failed",
    )
    assert session.exec(failures).one() == 0


def test_an_ingest_that_raises_marks_the_dataset_failed(
    session: Session, settings: Settings, processing: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> Dataset:
        raise ValueError("unreadable")

    monkeypatch.setattr(listings, "run_ingest", broken)
    assert tasks.ingest(str(processing.id)) == "failed"
    session.refresh(processing)
    assert processing.status is DatasetStatus.failed


def test_a_stuck_ingest_sent_again_by_the_beat_task_finishes(
    session: Session, settings: Settings, processing: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = utcnow() + timedelta(minutes=settings.ingest_stale_minutes + 1)
    monkeypatch.setattr(tasks, "utcnow", lambda: later)
    assert tasks.recover_stuck_ingests() == {"resent": 1, "failed": 0}
    session.refresh(processing)
    assert (processing.status, processing.ingest_attempts) == (DatasetStatus.draft, 2)


def test_the_beat_runs_the_recovery_and_the_sweep() -> None:
    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert {"listings.recover_stuck_ingests", "listings.sweep_orphaned_files"} <= scheduled
