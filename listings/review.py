"""Compliance review of listings: no dataset is listed without a reviewer's approval."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from listings import events, versions
from listings.models import Dataset, DatasetStatus, ListingReview, PolicyVersion, ReviewDecision
from listings.repository import DatasetRepository
from listings.service import get_dataset
from market.accounts.principal import Principal
from market.db import utcnow
from market.errors import Conflict, Forbidden


def queue(session: Session, *, limit: int, offset: int) -> tuple[list[Dataset], int]:
    """Datasets waiting for review, and listed datasets with a policy change waiting for
    approval, the longest-waiting first."""
    return DatasetRepository(session).review_queue(limit=limit, offset=offset)


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
    policy_change = versions.has_pending_change(dataset)
    if dataset.status != DatasetStatus.in_review and not policy_change:
        raise Conflict(
            f"Only a dataset in review, or a listed dataset's policy change, can be decided; "
            f"this one is {dataset.status}.",
            f"只有待审核的数据集或已上架数据集的策略变更可以审批，当前状态为 {dataset.status}。",
        )
    now = utcnow()
    newly_listed = decision is ReviewDecision.approved and not policy_change
    if decision is ReviewDecision.approved:
        # From here on buyers are served this version, and only this version.
        dataset.status = DatasetStatus.listed
        dataset.approved_policy = dataset.policy
        dataset.approved_policy_version = dataset.policy_version
        if not policy_change:
            dataset.listed_at = now
    elif policy_change:
        # The listing stays up under the approved version; the refused draft stays in the
        # history and the draft pointer returns to the approved version.
        dataset.policy = dataset.approved_policy
        dataset.policy_version = dataset.approved_policy_version
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
    if newly_listed:
        events.dataset_listed(session, dataset)
    return dataset


def approve(session: Session, reviewer: Principal, dataset_id: uuid.UUID, note: str) -> Dataset:
    """List the dataset; its current policy becomes the one every buyer is served with."""
    return _decide(session, reviewer, dataset_id, ReviewDecision.approved, note)


def reject(session: Session, reviewer: Principal, dataset_id: uuid.UUID, reason: str) -> Dataset:
    """Send the dataset back to its provider with the reason; it may be resubmitted."""
    return _decide(session, reviewer, dataset_id, ReviewDecision.rejected, reason)


def current_versions(session: Session, datasets: list[Dataset]) -> dict[uuid.UUID, PolicyVersion]:
    """The current draft policy version of each dataset (for the queue's k-anonymity flag)."""
    return DatasetRepository(session).current_versions(datasets)


def history(session: Session, dataset_id: uuid.UUID) -> list[ListingReview]:
    return DatasetRepository(session).reviews_of(dataset_id)
