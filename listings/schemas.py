"""API shapes for datasets, the catalog and listing reviews."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from listings.models import DataGrade, DatasetStatus, ReviewDecision


class ColumnRead(BaseModel):
    name: str
    type: str
    kind: str = Field(description="Detected kind: resident_id, mobile, name, uscc, other …")
    confidence: float
    evidence: str


class DatasetRead(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    domain: str
    status: DatasetStatus
    provider_org_id: uuid.UUID
    original_filename: str
    source_format: str
    source_encoding: str | None
    size_bytes: int
    row_count: int
    columns: list[ColumnRead]
    proposed_grade: DataGrade | None
    proposed_grade_level: int | None
    grade_reason: str
    grade: DataGrade | None = Field(description="The grade compliance confirmed")
    grade_level: int | None
    has_personal_info: bool
    has_sensitive_personal_info: bool
    source: str
    legal_basis: str
    ingest_error: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    listed_at: datetime | None


class CatalogEntry(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    domain: str
    provider_org_id: uuid.UUID
    provider_name: str
    grade: DataGrade | None
    grade_level: int | None
    row_count: int
    columns: list[ColumnRead]
    listed_at: datetime | None


class ReviewChecklist(BaseModel):
    """Every item must be ticked to approve (see listings.review.CHECKLIST for the wording)."""

    authorization_verified: bool = False
    grade_confirmed: bool = False
    sensitive_columns_reviewed: bool = False
    policy_adequate: bool = False
    preview_checked: bool = False
    reidentification_risk_acceptable: bool = False


class ApprovalRequest(BaseModel):
    grade: DataGrade = Field(description="The grade compliance confirms (core cannot be listed)")
    grade_level: int | None = Field(default=None, ge=1, le=4, description="1–4 for general data")
    checklist: ReviewChecklist
    reason: str = Field(default="", max_length=5000, description="Optional note")


class GradeProposal(BaseModel):
    grade: DataGrade
    grade_level: int | None = Field(default=None, ge=1, le=4)
    reason: str = Field(default="", max_length=5000)


class AuthorizationUpdate(BaseModel):
    source: str = Field(min_length=1, max_length=500, pattern=r"\S", description="数据来源")
    legal_basis: str = Field(
        min_length=1, max_length=10000, pattern=r"\S", description="发布的法律依据"
    )


class AttachmentRead(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    created_at: datetime


class ChecklistItem(BaseModel):
    key: str
    en: str
    zh: str


class ProviderRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: str


class RejectionReason(BaseModel):
    reason: str = Field(
        min_length=1, max_length=5000, pattern=r"\S", description="Why the listing is refused"
    )


class ListingReviewRead(BaseModel):
    id: uuid.UUID
    dataset_id: uuid.UUID
    reviewer_id: uuid.UUID
    decision: ReviewDecision
    reason: str
    checklist: dict[str, bool]
    created_at: datetime


class ListingReviewDetail(BaseModel):
    """Everything a reviewer needs on one page."""

    dataset: DatasetRead
    provider: ProviderRead
    attachments: list[AttachmentRead]
    suggested_grade: DataGrade
    suggested_grade_level: int
    personal_columns: list[str]
    sensitive_columns: list[str]
    policy: dict[str, Any] | None
    history: list[ListingReviewRead]
    checklist: list[ChecklistItem]
