"""Classification and grading (数据分类分级): the provider proposes, compliance confirms.

Personal-information flags are derived from the detected column kinds, never stored, so they
always agree with the current profile. The mapping follows the PIPL: names, contacts and
addresses are personal information; identity document numbers, financial accounts and precise
whereabouts are *sensitive* personal information (PIPL art. 28).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from accounts.principal import Principal
from anonymize import ColumnDetection, ColumnKind, Sensitivity, propose_policy
from audit import service as audit
from ground.db import utcnow
from ground.errors import BadRequest, Conflict
from listings import versions
from listings.models import DataGrade, Dataset, DatasetStatus
from listings.repository import DatasetRepository
from listings.service import get_owned

PERSONAL_KINDS = frozenset(
    {
        "name",
        "mobile",
        "landline",
        "email",
        "address",
        "plate",
        "ip",
        "ipv4",
        "ipv6",
        "date_of_birth",
    }
)
SENSITIVE_KINDS = frozenset(
    {"resident_id", "passport", "hk_macao_permit", "permit", "bank_card", "gps"}
)
GENERAL_LEVELS = range(1, 5)


@dataclass(frozen=True)
class PersonalInfo:
    personal_columns: list[str]
    sensitive_columns: list[str]

    @property
    def has_personal_info(self) -> bool:
        return bool(self.personal_columns or self.sensitive_columns)

    @property
    def has_sensitive_personal_info(self) -> bool:
        return bool(self.sensitive_columns)


def personal_info(columns: list[dict[str, Any]]) -> PersonalInfo:
    return PersonalInfo(
        personal_columns=[c["name"] for c in columns if c.get("kind") in PERSONAL_KINDS],
        sensitive_columns=[c["name"] for c in columns if c.get("kind") in SENSITIVE_KINDS],
    )


def suggested_grade(columns: list[dict[str, Any]]) -> tuple[DataGrade, int]:
    """A starting point for the provider, not a decision: sensitive personal information
    suggests general level 3, other personal information level 2, anything else level 1."""
    flags = personal_info(columns)
    if flags.has_sensitive_personal_info:
        return DataGrade.general, 3
    return DataGrade.general, 2 if flags.has_personal_info else 1


def check_grade(grade: DataGrade, level: int | None) -> None:
    if grade is DataGrade.general and level not in GENERAL_LEVELS:
        raise BadRequest(
            "General data needs a level from 1 to 4 (4: the most harmful if leaked).",
            "一般数据需要 1 至 4 级的级别（4 级影响最严重）。",
        )
    if grade is not DataGrade.general and level is not None:
        raise BadRequest(
            f"Only general data has a level; {grade} data has none.",
            f"只有一般数据分级别，{grade} 数据不设级别。",
        )


def propose_grade(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    *,
    grade: DataGrade,
    level: int | None,
    reason: str,
) -> Dataset:
    dataset = get_owned(session, principal, dataset_id, for_update=True)
    if dataset.status not in (DatasetStatus.draft, DatasetStatus.rejected):
        raise Conflict(
            f"The grade can be proposed on a draft or rejected dataset; this one is "
            f"{dataset.status}.",
            f"只能为草稿或被驳回的数据集提出分级，当前状态为 {dataset.status}。",
        )
    check_grade(grade, level)
    dataset.proposed_grade, dataset.proposed_grade_level = grade, level
    dataset.grade_reason = reason
    dataset.updated_at = utcnow()
    session.add(dataset)
    session.flush()
    _repropose_untouched_policy(session, dataset, grade, level)
    audit.record(
        session,
        "dataset.grade_proposed",
        actor=principal,
        dataset_id=dataset.id,
        details={"grade": str(grade), "level": level, "reason": reason},
    )
    return dataset


def sensitivity(grade: DataGrade, level: int | None) -> Sensitivity:
    """The anonymize library's grade for ours: it makes default rules stricter as it rises."""
    if grade is DataGrade.general:
        return Sensitivity(f"general_{level or 1}")
    return Sensitivity(str(grade))


def _repropose_untouched_policy(
    session: Session, dataset: Dataset, grade: DataGrade, level: int | None
) -> None:
    """The default policy follows the grade: while the draft is still the system's proposal
    (the provider has not edited it), a new grade brings a new proposal as a new version. A
    policy the provider edited is theirs and is left alone."""
    current = DatasetRepository(session).current_versions([dataset]).get(dataset.id)
    if current is None or current.created_by_id is not None:
        return
    detections = {
        c["name"]: ColumnDetection(ColumnKind(c["kind"]), float(c["confidence"]), c["evidence"])
        for c in dataset.columns
    }
    proposal = propose_policy(detections, grade=sensitivity(grade, level))
    if proposal.model_dump(mode="json") != dataset.policy:
        versions.record_version(session, dataset, proposal, created_by=None, k_report=None)


def requires_trade_review(dataset: Dataset) -> bool:
    """Orders on data graded important (core is never listed) wait for compliance."""
    return dataset.grade in (DataGrade.important, DataGrade.core)
