"""Compliance review of listings: no dataset is listed without a reviewer's approval."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from accounts.principal import Principal
from audit import service as audit
from ground.db import utcnow
from ground.errors import BadRequest, Conflict, Forbidden
from ground.events import publish
from listings import events, versions
from listings.grading import check_grade
from listings.models import (
    DataGrade,
    Dataset,
    DatasetStatus,
    ListingReview,
    PolicyVersion,
    ReviewDecision,
)
from listings.repository import DatasetRepository, QueueKind
from listings.service import get_dataset


def queue(
    session: Session,
    *,
    limit: int,
    offset: int,
    kind: QueueKind | None = None,
    grade: DataGrade | None = None,
) -> tuple[list[Dataset], int]:
    """Datasets waiting for review, and listed datasets with a policy change waiting for
    approval, the longest-waiting first. ``kind`` keeps only submissions or only policy
    changes; ``grade`` only datasets of that grade (confirmed, else proposed)."""
    return DatasetRepository(session).review_queue(
        limit=limit, offset=offset, kind=kind, grade=grade
    )


CHECKLIST = {
    "authorization_verified": (
        "the provider's authorization to publish is verified",
        "数据来源与授权已核实",
    ),
    "grade_confirmed": ("the classification and grade are confirmed", "分类分级已确认"),
    "sensitive_columns_reviewed": (
        "every sensitive column and its evidence is reviewed",
        "敏感字段及识别依据已逐一核对",
    ),
    "policy_adequate": ("the masking policy is adequate for the grade", "脱敏策略与分级相符"),
    "preview_checked": ("the masked preview is checked", "脱敏预览已检查"),
    "reidentification_risk_acceptable": (
        "the re-identification risk is acceptable",
        "重识别风险可接受",
    ),
}


def _locked_in_review(session: Session, reviewer: Principal, dataset_id: uuid.UUID) -> Dataset:
    # Locked so two reviewers deciding at once cannot both act on the same submission.
    dataset = get_dataset(session, dataset_id, for_update=True)
    if dataset.provider_org_id == reviewer.org_id:
        raise Forbidden(
            "You cannot review a dataset your own organization provides.",
            "不能审核本机构提供的数据集。",
        )
    return dataset


def _decidable(dataset: Dataset) -> bool:
    """Whether the decision is on a listed dataset's policy change (else on a submission)."""
    policy_change = dataset.status == DatasetStatus.listed and versions.has_pending_change(dataset)
    if dataset.status != DatasetStatus.in_review and not policy_change:
        raise Conflict(
            f"Only a dataset in review, or a listed dataset's policy change, can be decided; "
            f"this one is {dataset.status}.",
            f"只有待审核的数据集或已上架数据集的策略变更可以审批，当前状态为 {dataset.status}。",
        )
    return policy_change


def _require_status(dataset: Dataset, status: DatasetStatus, action: str, action_zh: str) -> None:
    if dataset.status != status:
        raise Conflict(
            f"Only a dataset that is {status} can be {action}; this one is {dataset.status}.",
            f"只有状态为 {status} 的数据集可以{action_zh}，当前状态为 {dataset.status}。",
        )


_ACTIONS = {
    ReviewDecision.approved: "listing.approve",
    ReviewDecision.rejected: "listing.reject",
    ReviewDecision.suspended: "listing.suspend",
    ReviewDecision.reinstated: "listing.reinstate",
}


def _log(
    session: Session,
    reviewer: Principal,
    dataset: Dataset,
    decision: ReviewDecision,
    reason: str,
    checklist: dict[str, bool] | None = None,
) -> None:
    dataset.updated_at = utcnow()
    repo = DatasetRepository(session)
    repo.add(dataset)
    repo.add(
        ListingReview(
            dataset_id=dataset.id,
            reviewer_id=reviewer.user_id,
            decision=decision,
            reason=reason,
            checklist=checklist or {},
        )
    )
    audit.record(
        session,
        _ACTIONS[decision],
        actor=reviewer,
        dataset_id=dataset.id,
        details={
            "reason": reason,
            "status": str(dataset.status),
            **({"checklist": checklist} if checklist else {}),
        },
    )


def approve(
    session: Session,
    reviewer: Principal,
    dataset_id: uuid.UUID,
    *,
    grade: DataGrade,
    grade_level: int | None,
    checklist: dict[str, bool],
    note: str = "",
) -> Dataset:
    """List the dataset with the grade compliance confirms, or approve a listed dataset's
    policy change: its current draft policy version becomes the one every buyer is served
    with. Every checklist item must be ticked; core data is never listed."""
    dataset = _locked_in_review(session, reviewer, dataset_id)
    policy_change = _decidable(dataset)
    unticked = [key for key in CHECKLIST if not checklist.get(key)]
    if unticked:
        raise BadRequest(
            "Complete the review checklist first: "
            + "; ".join(CHECKLIST[k][0] for k in unticked)
            + ".",
            "请先完成审核清单：" + "；".join(CHECKLIST[k][1] for k in unticked) + "。",
        )
    check_grade(grade, grade_level)
    if grade is DataGrade.core:
        raise Conflict(
            "Core data can never be listed; reject the submission instead.",
            "核心数据一律不得上架交易，请驳回该申请。",
        )
    dataset.grade, dataset.grade_level = grade, grade_level
    # From here on buyers are served this version, and only this version.
    dataset.status = DatasetStatus.listed
    dataset.approved_policy = dataset.policy
    dataset.approved_policy_version = dataset.policy_version
    if not policy_change:
        dataset.listed_at = utcnow()
    _log(session, reviewer, dataset, ReviewDecision.approved, note, dict(checklist))
    if not policy_change:
        publish(session, events.DatasetListed(dataset))
    return dataset


def reject(session: Session, reviewer: Principal, dataset_id: uuid.UUID, reason: str) -> Dataset:
    """Send the dataset back to its provider with the reason; it may be resubmitted. For a
    listed dataset's policy change, the listing stays up under the approved version and the
    refused draft stays in the history."""
    dataset = _locked_in_review(session, reviewer, dataset_id)
    if _decidable(dataset):
        dataset.policy = dataset.approved_policy
        dataset.policy_version = dataset.approved_policy_version
    else:
        dataset.status = DatasetStatus.rejected
    _log(session, reviewer, dataset, ReviewDecision.rejected, reason)
    return dataset


def suspend(session: Session, reviewer: Principal, dataset_id: uuid.UUID, reason: str) -> Dataset:
    """Stop a listed dataset at once: the data API and sandbox refuse every call on it, and it
    leaves the catalog, until compliance reinstates it."""
    dataset = _locked_in_review(session, reviewer, dataset_id)
    _require_status(dataset, DatasetStatus.listed, "suspended", "暂停")
    dataset.status = DatasetStatus.suspended
    _log(session, reviewer, dataset, ReviewDecision.suspended, reason)
    return dataset


def reinstate(session: Session, reviewer: Principal, dataset_id: uuid.UUID, reason: str) -> Dataset:
    dataset = _locked_in_review(session, reviewer, dataset_id)
    _require_status(dataset, DatasetStatus.suspended, "reinstated", "恢复")
    dataset.status = DatasetStatus.listed
    _log(session, reviewer, dataset, ReviewDecision.reinstated, reason)
    return dataset


def current_versions(session: Session, datasets: list[Dataset]) -> dict[uuid.UUID, PolicyVersion]:
    """The current draft policy version of each dataset (for the queue's k-anonymity flag)."""
    return DatasetRepository(session).current_versions(datasets)


def history(session: Session, dataset_id: uuid.UUID) -> list[ListingReview]:
    return DatasetRepository(session).reviews_of(dataset_id)
