"""Compliance review of listings: no dataset is listed without a reviewer's approval."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from listings import events
from listings.models import Dataset, DatasetStatus, ListingReview, ReviewDecision
from listings.repository import DatasetRepository
from listings.service import get_dataset
from market.accounts.principal import Principal
from market.audit import service as audit
from market.db import utcnow
from market.errors import Conflict, Forbidden


def queue(session: Session, *, limit: int, offset: int) -> tuple[list[Dataset], int]:
    """Datasets waiting for review, the longest-waiting first."""
    return DatasetRepository(session).search(
        statuses=[DatasetStatus.in_review], limit=limit, offset=offset, oldest_first=True
    )


def _decide(
    session: Session,
    reviewer: Principal,
    dataset_id: uuid.UUID,
    decision: ReviewDecision,
    reason: str,
) -> Dataset:
    # Locked so two reviewers deciding at once cannot both act on the same submission.
    dataset = get_dataset(session, dataset_id, for_update=True)
    if dataset.provider_org_id == reviewer.org_id:
        raise Forbidden(
            "You cannot review a dataset your own organization provides.",
            "不能审核本机构提供的数据集。",
        )
    if dataset.status != DatasetStatus.in_review:
        raise Conflict(
            f"Only a dataset in review can be decided; this one is {dataset.status}.",
            f"只有待审核的数据集可以审批，当前状态为 {dataset.status}。",
        )
    now = utcnow()
    if decision is ReviewDecision.approved:
        dataset.status = DatasetStatus.listed
        dataset.approved_policy = dataset.policy
        dataset.listed_at = now
    else:
        dataset.status = DatasetStatus.rejected
    dataset.updated_at = now
    repo = DatasetRepository(session)
    repo.add(dataset)
    repo.add(
        ListingReview(
            dataset_id=dataset.id, reviewer_id=reviewer.user_id, decision=decision, reason=reason
        )
    )
    audit.record(
        session,
        f"listing.{'approve' if decision is ReviewDecision.approved else 'reject'}",
        actor=reviewer,
        dataset_id=dataset.id,
        details={"reason": reason},
    )
    if decision is ReviewDecision.approved:
        events.dataset_listed(session, dataset)
    return dataset


def approve(session: Session, reviewer: Principal, dataset_id: uuid.UUID, note: str) -> Dataset:
    """List the dataset; its current policy becomes the one every buyer is served with."""
    return _decide(session, reviewer, dataset_id, ReviewDecision.approved, note)


def reject(session: Session, reviewer: Principal, dataset_id: uuid.UUID, reason: str) -> Dataset:
    """Send the dataset back to its provider with the reason; it may be resubmitted."""
    return _decide(session, reviewer, dataset_id, ReviewDecision.rejected, reason)


def history(session: Session, dataset_id: uuid.UUID) -> list[ListingReview]:
    return DatasetRepository(session).reviews_of(dataset_id)
