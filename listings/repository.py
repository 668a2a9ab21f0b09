"""Queries on datasets and reviews."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, delete, or_, update
from sqlmodel import Session, col, func, select

from listings.models import (
    DataGrade,
    Dataset,
    DatasetAttachment,
    DatasetStatus,
    ListingReview,
    PolicyVersion,
)

QueueKind = Literal["submission", "policy_change"]


def _stated_grade_is(grade: DataGrade) -> ColumnElement[bool]:
    """The grade compliance confirmed, or the provider's proposal while none is confirmed
    (a submission has only the proposal)."""
    return or_(
        col(Dataset.grade) == grade,
        and_(col(Dataset.grade).is_(None), col(Dataset.proposed_grade) == grade),
    )


class DatasetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, dataset_id: uuid.UUID, *, for_update: bool = False) -> Dataset | None:
        if not for_update:
            return self.session.get(Dataset, dataset_id)
        # populate_existing: a locked read must see the committed row, not a stale copy
        # already in the session's identity map.
        stmt = (
            select(Dataset)
            .where(Dataset.id == dataset_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.exec(stmt).first()

    def search(
        self,
        *,
        statuses: list[DatasetStatus] | None = None,
        provider_org_id: uuid.UUID | None = None,
        q: str | None = None,
        domain: str | None = None,
        grade: DataGrade | None = None,
        stated_grade: DataGrade | None = None,
        limit: int,
        offset: int,
        oldest_first: bool = False,
    ) -> tuple[list[Dataset], int]:
        conditions: list[ColumnElement[bool]] = []
        if stated_grade is not None:
            conditions.append(_stated_grade_is(stated_grade))
        if statuses:
            conditions.append(col(Dataset.status).in_(statuses))
        if provider_org_id is not None:
            conditions.append(col(Dataset.provider_org_id) == provider_org_id)
        if domain:
            conditions.append(col(Dataset.domain) == domain)
        if grade is not None:
            conditions.append(col(Dataset.grade) == grade)
        if q:
            escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            conditions.append(
                or_(
                    col(Dataset.title).ilike(pattern, escape="\\"),
                    col(Dataset.description).ilike(pattern, escape="\\"),
                )
            )
        total = self.session.exec(
            select(func.count()).select_from(Dataset).where(*conditions)
        ).one()
        order = col(Dataset.created_at).asc() if oldest_first else col(Dataset.created_at).desc()
        rows = self.session.exec(
            select(Dataset)
            .where(*conditions)
            .order_by(order, col(Dataset.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    def listed_facets(self) -> tuple[list[str], list[uuid.UUID]]:
        """The domains and provider organizations that have listed datasets (for filters)."""
        listed = col(Dataset.status) == DatasetStatus.listed
        domains = self.session.exec(
            select(Dataset.domain).where(listed).distinct().order_by(col(Dataset.domain))
        ).all()
        providers = self.session.exec(
            select(Dataset.provider_org_id).where(listed).distinct()
        ).all()
        return list(domains), list(providers)

    def review_queue(
        self,
        *,
        limit: int,
        offset: int,
        kind: QueueKind | None = None,
        grade: DataGrade | None = None,
    ) -> tuple[list[Dataset], int]:
        """Datasets in review, and listed ones whose draft policy awaits approval (``kind``
        keeps one of the two), optionally of one stated grade."""
        pending = and_(
            col(Dataset.status) == DatasetStatus.listed,
            col(Dataset.policy_version).is_not(None),
            or_(
                col(Dataset.approved_policy_version).is_(None),
                col(Dataset.policy_version) != col(Dataset.approved_policy_version),
            ),
        )
        submitted = col(Dataset.status) == DatasetStatus.in_review
        waiting = or_(submitted, pending)
        if kind == "submission":
            waiting = submitted
        elif kind == "policy_change":
            waiting = pending
        if grade is not None:
            waiting = and_(waiting, _stated_grade_is(grade))
        total = self.session.exec(select(func.count()).select_from(Dataset).where(waiting)).one()
        rows = self.session.exec(
            select(Dataset)
            .where(waiting)
            .order_by(col(Dataset.updated_at).asc(), col(Dataset.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    def latest_policy_version(self, dataset_id: uuid.UUID) -> int:
        stmt = select(func.max(PolicyVersion.version)).where(PolicyVersion.dataset_id == dataset_id)
        return self.session.exec(stmt).one() or 0

    def policy_version(self, dataset_id: uuid.UUID, version: int) -> PolicyVersion | None:
        stmt = select(PolicyVersion).where(
            PolicyVersion.dataset_id == dataset_id, PolicyVersion.version == version
        )
        return self.session.exec(stmt).first()

    def policy_versions(self, dataset_id: uuid.UUID) -> list[PolicyVersion]:
        stmt = (
            select(PolicyVersion)
            .where(PolicyVersion.dataset_id == dataset_id)
            .order_by(col(PolicyVersion.version).desc())
        )
        return list(self.session.exec(stmt).all())

    def current_versions(self, datasets: list[Dataset]) -> dict[uuid.UUID, PolicyVersion]:
        """The current draft version of each dataset, in one query."""
        wanted = [(d.id, d.policy_version) for d in datasets if d.policy_version is not None]
        if not wanted:
            return {}
        stmt = select(PolicyVersion).where(
            or_(
                *(
                    and_(col(PolicyVersion.dataset_id) == i, col(PolicyVersion.version) == v)
                    for i, v in wanted
                )
            )
        )
        return {v.dataset_id: v for v in self.session.exec(stmt).all()}

    def reviews_of(self, dataset_id: uuid.UUID) -> list[ListingReview]:
        stmt = (
            select(ListingReview)
            .where(ListingReview.dataset_id == dataset_id)
            .order_by(col(ListingReview.created_at))
        )
        return list(self.session.exec(stmt).all())

    def attachments(self, dataset_id: uuid.UUID) -> list[DatasetAttachment]:
        """A dataset's authorization documents, in the order they were uploaded."""
        stmt = (
            select(DatasetAttachment)
            .where(DatasetAttachment.dataset_id == dataset_id)
            .order_by(col(DatasetAttachment.created_at))
        )
        return list(self.session.exec(stmt).all())

    def attachment(self, attachment_id: uuid.UUID) -> DatasetAttachment | None:
        return self.session.get(DatasetAttachment, attachment_id)

    def sealed_secrets(self, *, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, str]]:
        """(id, sealed pseudonym secret) of datasets in id order, a page after ``after``, for
        key rotation (keyset paging: rows added meanwhile are not skipped or repeated)."""
        stmt = select(Dataset.id, Dataset.pseudonym_secret).order_by(col(Dataset.id)).limit(limit)
        if after is not None:
            stmt = stmt.where(col(Dataset.id) > after)
        return [(row[0], row[1]) for row in self.session.exec(stmt).all()]

    def replace_sealed_secret(self, dataset_id: uuid.UUID, old: str, new: str) -> bool:
        """Swap one sealed value for another of the same secret, only if the row still holds
        ``old`` (a concurrent rotation already did it otherwise)."""
        result = self.session.execute(
            update(Dataset)
            .where(col(Dataset.id) == dataset_id, col(Dataset.pseudonym_secret) == old)
            .values(pseudonym_secret=new)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def stale_ingests(self, *, started_before: datetime, limit: int) -> list[uuid.UUID]:
        """Datasets still ``processing`` whose latest ingest attempt was sent or began at or
        before ``started_before`` (the upload time when no attempt was stamped), oldest first."""
        started = func.coalesce(col(Dataset.ingest_started_at), col(Dataset.created_at))
        stmt = (
            select(Dataset.id)
            .where(col(Dataset.status) == DatasetStatus.processing, started <= started_before)
            .order_by(started, col(Dataset.id))
            .limit(limit)
        )
        return list(self.session.exec(stmt).all())

    def fail_if_processing(self, dataset_id: uuid.UUID, reason: str, now: datetime) -> bool:
        """Mark the dataset failed only if it is still ``processing`` (a concurrent attempt
        may have finished it, or the provider deleted it); whether it was marked."""
        result = self.session.execute(
            update(Dataset)
            .where(col(Dataset.id) == dataset_id, col(Dataset.status) == DatasetStatus.processing)
            .values(status=DatasetStatus.failed, ingest_error=reason, updated_at=now)
            .execution_options(synchronize_session="fetch")
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def existing_ids(self, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``ids`` that are datasets."""
        wanted = list(ids)
        if not wanted:
            return set()
        stmt = select(Dataset.id).where(col(Dataset.id).in_(wanted))
        return set(self.session.exec(stmt).all())

    def delete_with_history(self, dataset: Dataset) -> None:
        """Delete the dataset and the rows that belong to it alone: policy versions, reviews
        and attachments (the audit log keeps its records: they are the history)."""
        for table in (PolicyVersion, ListingReview, DatasetAttachment):
            self.session.execute(delete(table).where(col(table.dataset_id) == dataset.id))
        self.session.delete(dataset)
        self.session.flush()

    def add(self, obj: Dataset | ListingReview | PolicyVersion) -> None:
        self.session.add(obj)
        self.session.flush()

    def counts_by_grade_and_status(self) -> list[tuple[str | None, str, int]]:
        stmt = (
            select(Dataset.grade, Dataset.status, func.count())
            .group_by(col(Dataset.grade), col(Dataset.status))
            .order_by(col(Dataset.grade), col(Dataset.status))
        )
        return [
            (None if g is None else str(g), str(s), int(n)) for g, s, n in self.session.exec(stmt)
        ]
