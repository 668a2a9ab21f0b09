"""Compliance review of listings: no dataset is listed without a reviewer's approval."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from listings import events
from listings.grading import check_grade
from listings.models import DataGrade, Dataset, DatasetStatus, ListingReview, ReviewDecision
from listings.repository import DatasetRepository
from listings.service import get_dataset
from market.accounts.principal import Principal
from market.audit import service as audit
from market.db import utcnow
from market.errors import BadRequest, Conflict, Forbidden


def queue(session: Session, *, limit: int, offset: int) -> tuple[list[Dataset], int]:
    """Datasets waiting for review, the longest-waiting first."""
    return DatasetRepository(session).search(
        statuses=[DatasetStatus.in_review], limit=limit, offset=offset, oldest_first=True
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
    """List the dataset with the grade compliance confirms; its current policy becomes the one
    every buyer is served with. Every checklist item must be ticked; core data is never listed."""
    dataset = _locked_in_review(session, reviewer, dataset_id)
    _require_status(dataset, DatasetStatus.in_review, "approved", "审核通过")
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
    dataset.status = DatasetStatus.listed
    dataset.approved_policy = dataset.policy
    dataset.listed_at = utcnow()
    _log(session, reviewer, dataset, ReviewDecision.approved, note, {k: True for k in CHECKLIST})
    events.dataset_listed(session, dataset)
    return dataset


def reject(session: Session, reviewer: Principal, dataset_id: uuid.UUID, reason: str) -> Dataset:
    """Send the dataset back to its provider with the reason; it may be resubmitted."""
    dataset = _locked_in_review(session, reviewer, dataset_id)
    _require_status(dataset, DatasetStatus.in_review, "rejected", "驳回")
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


def history(session: Session, dataset_id: uuid.UUID) -> list[ListingReview]:
    return DatasetRepository(session).reviews_of(dataset_id)
