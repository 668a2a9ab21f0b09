"""Deleting a dataset: its provider deletes drafts, rejected, failed and stuck datasets with
their rows and files; everything else is refused with the state unchanged."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from accounts.models import Role, User
from audit.models import AuditRecord
from billing.models import Plan, PlanKind
from ground.config import Settings
from ground.db import unit_of_work, utcnow
from ground.errors import Conflict, Forbidden, NotFound
from listings import deletion, recovery, review
from listings.authorization import add_attachment
from listings.models import DataGrade, Dataset, DatasetAttachment, DatasetStatus, PolicyVersion
from sandbox import profiles
from sandbox.models import SandboxGrant, SandboxProfile
from tests.fixtures.factories import (
    SANDBOX_PROFILE,
    create_dataset,
    create_plan,
    create_processing_dataset,
    create_user,
    csv_bytes,
    principal_of,
    sandbox_table,
    submit_dataset,
)


def _delete(
    provider: User, dataset: Dataset, settings: Settings, now: datetime | None = None
) -> None:
    """In a unit of work of its own, as a request: commits, then removes the files."""
    with unit_of_work() as session:
        deletion.delete_dataset(
            session, principal_of(provider), dataset.id, settings=settings, now=now or utcnow()
        )


def _count(session: Session, column: Any, dataset_id: uuid.UUID) -> int:
    """Rows whose ``column`` (a table's dataset_id) names the dataset."""
    stmt = select(func.count()).where(col(column) == dataset_id)
    return int(session.exec(stmt).one())


@pytest.fixture
def draft(session: Session, settings: Settings, provider: User) -> Dataset:
    dataset = create_dataset(
        session, settings, provider=provider, content=csv_bytes(sandbox_table())
    )
    session.commit()
    return dataset


def test_a_draft_goes_with_its_rows_files_plans_and_sandbox_profile(
    session: Session, settings: Settings, provider: User, draft: Dataset
) -> None:
    who = principal_of(provider)
    add_attachment(
        session,
        who,
        draft.id,
        source=io.BytesIO(b"%PDF-1.7\n%letter\n"),
        filename="a.pdf",
        settings=settings,
    )
    create_plan(session, draft, provider=provider, kind=PlanKind.api_quota)
    profiles.declare(session, who, draft.id, dict(SANDBOX_PROFILE), settings.data_dir)
    session.commit()
    directory = settings.data_dir / "datasets" / str(draft.id)
    stored = {
        p.parent.name if p.parent.name == "attachments" else p.name
        for p in directory.rglob("*")
        if p.is_file()
    }
    assert {"data.parquet", "attachments"} <= stored  # and the kept upload, until its commit

    dataset_id = draft.id
    _delete(provider, draft, settings)
    session.expunge_all()
    assert session.get(Dataset, dataset_id) is None
    for column in (
        PolicyVersion.dataset_id,
        DatasetAttachment.dataset_id,
        Plan.dataset_id,
        SandboxProfile.dataset_id,
    ):
        assert _count(session, column, dataset_id) == 0, column
    assert not directory.exists()
    actions = session.exec(
        select(AuditRecord.action).where(AuditRecord.dataset_id == dataset_id)
    ).all()
    assert "dataset.upload" in actions  # the history stays
    assert "dataset.delete" in actions


def test_rejected_and_failed_datasets_are_deletable(
    session: Session, settings: Settings, provider: User, reviewer: User
) -> None:
    rejected = create_dataset(session, settings, provider=provider)
    submit_dataset(session, rejected, provider=provider)
    review.reject(session, principal_of(reviewer), rejected.id, "incomplete")
    failed = create_dataset(session, settings, provider=provider)
    failed.status = DatasetStatus.failed
    session.add(failed)
    session.commit()
    for dataset in (rejected, failed):
        dataset_id = dataset.id
        _delete(provider, dataset, settings)
        session.expunge_all()
        assert session.get(Dataset, dataset_id) is None


def test_a_processing_dataset_is_deletable_only_once_stuck(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = create_processing_dataset(session, settings, provider=provider)
    with pytest.raises(Conflict, match="still being ingested"):
        _delete(provider, dataset, settings)
    session.refresh(dataset)
    assert dataset.status is DatasetStatus.processing
    stuck_at = utcnow() + timedelta(minutes=settings.ingest_stale_minutes)
    assert recovery.is_stuck(dataset, now=stuck_at, settings=settings)
    dataset_id = dataset.id
    _delete(provider, dataset, settings, now=stuck_at)
    session.expunge_all()
    assert session.get(Dataset, dataset_id) is None


@pytest.mark.parametrize("how", ["submitted", "listed", "suspended"])
def test_submitted_listed_and_suspended_datasets_are_refused_unchanged(
    session: Session, settings: Settings, provider: User, reviewer: User, how: str
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    submit_dataset(session, dataset, provider=provider)
    if how != "submitted":
        review.approve(
            session,
            principal_of(reviewer),
            dataset.id,
            grade=DataGrade.general,
            grade_level=2,
            checklist=dict.fromkeys(review.CHECKLIST, True),
        )
    if how == "suspended":
        review.suspend(session, principal_of(reviewer), dataset.id, "stop")
    session.commit()
    status = dataset.status
    with pytest.raises(Conflict) as refused:
        _delete(provider, dataset, settings)
    if how != "submitted":
        assert "suspend" in refused.value.detail
    session.refresh(dataset)
    assert dataset.status is status
    assert (settings.data_dir / dataset.file_path).exists()


def test_only_the_providing_organization_deletes(
    session: Session,
    settings: Settings,
    provider: User,
    buyer: User,
    reviewer: User,
    draft: Dataset,
) -> None:
    other = create_user(session, role=Role.provider)
    session.commit()
    for stranger in (other, buyer):
        with pytest.raises(NotFound):
            _delete(stranger, draft, settings)
    with pytest.raises(Forbidden):
        _delete(reviewer, draft, settings)
    with pytest.raises(NotFound):
        with unit_of_work() as s:
            deletion.delete_dataset(
                s, principal_of(provider), uuid.uuid4(), settings=settings, now=utcnow()
            )
    session.refresh(draft)
    assert draft.status is DatasetStatus.draft


def test_a_record_of_another_domain_refuses_the_deletion_and_keeps_everything(
    session: Session, settings: Settings, provider: User, buyer: User, draft: Dataset
) -> None:
    session.add(
        SandboxGrant(
            buyer_org_id=buyer.organization_id,
            dataset_id=draft.id,
            epsilon_total_units=1,
            delta_total_units=0,
            max_queries=1,
            default_query_epsilon_units=1,
            source="compliance",
        )
    )
    session.commit()
    with pytest.raises(Conflict, match="Other records"):
        _delete(provider, draft, settings)
    session.expire_all()
    assert session.get(Dataset, draft.id) is not None
    assert _count(session, PolicyVersion.dataset_id, draft.id) == 1
    assert (settings.data_dir / draft.file_path).exists()
