"""API shapes for datasets, the catalog and listing reviews."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from anonymize import ColumnRule
from anonymize.exposure import Exposure
from listings.models import DataGrade, DatasetStatus, DeliveryMode, ReviewDecision

CoarseType = Literal["text", "integer", "number", "date", "datetime", "boolean", "other"]


class ColumnRead(BaseModel):
    name: str
    type: str
    kind: str = Field(description="Detected kind: resident_id, mobile, name, uscc, other …")
    confidence: float
    evidence: str


class DatasetRead(BaseModel):
    """The full view: what the dataset's owner and staff see, measurements included."""

    id: uuid.UUID
    title: str
    description: str
    domain: str
    status: DatasetStatus
    delivery_mode: DeliveryMode = Field(
        description="What the provider declares the dataset offers: rows (masked rows "
        "through the data API), sandbox (DP aggregates only), or both"
    )
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


class ReleasedFormRead(BaseModel):
    """How the approved policy releases a column in the rows."""

    operator: str = Field(description="keep, mask, mask_name, redact, pseudonymize, …")
    parameters: dict[str, Any] = Field(description="The operator's declared parameters")
    type: CoarseType = Field(description="The type of the released values")


class PublicColumnRead(BaseModel):
    """A column as buyers meet it: declared and approved, never measured."""

    name: str
    type: CoarseType = Field(
        description="Its type in the sandbox's SQL when the sandbox offers it, else the type "
        "of its released form"
    )
    released: ReleasedFormRead | None = Field(
        description="Its form in the rows (the approved policy); null when rows do not carry it"
    )
    sandbox: bool = Field(description="The sandbox answers aggregates over it")


class DatasetPublicRead(BaseModel):
    """The buyer view: declarations only. No detector evidence, confidence or detected
    kinds, no file name, size or encoding, no ingest error; the exact row count only where
    rows are delivered (masked rows reveal it anyway)."""

    id: uuid.UUID
    title: str
    description: str
    domain: str
    status: DatasetStatus
    provider_org_id: uuid.UUID
    provider_name: str
    grade: DataGrade | None = Field(description="The grade compliance confirmed")
    grade_level: int | None
    delivery_mode: DeliveryMode = Field(
        description="rows (masked rows), sandbox (DP aggregates only), or both"
    )
    row_count: int | None = Field(
        description="Exact number of rows where rows are delivered; null for a sandbox-only "
        "dataset, whose size the sandbox releases only as DP counts"
    )
    columns: list[PublicColumnRead]
    synthetic_sample: bool = Field(
        description="Its free sample and preview are synthetic rows (sandbox-only datasets)"
    )
    listed_at: datetime | None


class CatalogEntry(DatasetPublicRead):
    """A listed dataset in the catalog: the buyer view, for everyone."""


class DeliveryModeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery_mode: DeliveryMode


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


class KAnonymityRead(BaseModel):
    """k-anonymity of the released rows over the quasi-identifiers."""

    quasi_identifiers: list[str] = Field(
        description="Released quasi-identifier columns the rows were grouped by"
    )
    dropped_quasi_identifiers: list[str] = Field(
        default_factory=list,
        description="Chosen quasi-identifiers the policy does not release (drop, or no "
        "rule): they cannot split classes, so the rows were not grouped by them",
    )
    rows: int
    k: int = Field(description="Size of the smallest equivalence class")
    equivalence_classes: int
    rows_at_risk: int = Field(description="Rows in classes smaller than the threshold")
    classes_at_risk: int
    threshold: int = Field(description="The configured minimum k (SLUICE_K_ANONYMITY_MIN)")
    below_threshold: bool


class PolicyUpdate(BaseModel):
    """A full replacement policy: one rule per released column (a column without a rule is
    not released), and the quasi-identifiers to measure k-anonymity over."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, ColumnRule] = Field(max_length=2000)
    quasi_identifiers: list[str] = Field(default_factory=list, max_length=32)


class PolicyVersionRead(BaseModel):
    dataset_id: uuid.UUID
    version: int
    columns: dict[str, ColumnRule]
    quasi_identifiers: list[str]
    k_anonymity: KAnonymityRead | None
    created_by_id: uuid.UUID | None = Field(description="Null for the platform's proposal")
    created_at: datetime


class PolicyRead(PolicyVersionRead):
    """The current draft policy, and which version buyers are served."""

    approved_version: int | None = Field(description="The version buyers are served")
    pending_review: bool = Field(
        description="A listed dataset's draft differs from the approved version"
    )


class ColumnRenames(BaseModel):
    """New names for columns, by current name; columns not named keep theirs."""

    model_config = ConfigDict(extra="forbid")

    names: dict[str, str] = Field(
        max_length=2000, description="{current name: new name}", examples=[{"column_1": "城市"}]
    )


class PreviewRead(BaseModel):
    dataset_id: uuid.UUID
    policy: str = Field(description="draft or approved")
    policy_version: int | None
    columns: list[str]
    rows: list[dict[str, Any]]
    synthetic: bool = Field(
        default=False,
        description="True: made from public metadata alone (schema, released form, declared "
        "public domains and bounds), not from stored rows (sandbox-only datasets)",
    )


class BilingualText(BaseModel):
    en: str
    zh: str


class ColumnExposureRead(BaseModel):
    column: str
    operator: str
    exposure: Exposure = Field(
        description="exact (every value as stored), partly_exact (some values whole), grouped "
        "(exact counts by the released form), approximate (noise that averages out), protected"
    )
    whole_values: int | None = Field(description="Values released unchanged, of values_read")
    values_read: int | None = Field(description="Values measured (the first rows); null: not")
    en: str
    zh: str


class DeliveryTradeoffRead(BaseModel):
    """For a dataset offered as rows and through the sandbox: what the row release gives
    exactly, and so what the sandbox's noise can no longer protect."""

    delivery_mode: DeliveryMode
    measured: bool = Field(description="Whole values were counted on the stored rows")
    exact_columns: list[str]
    partly_exact_columns: list[str]
    grouped_columns: list[str]
    approximate_columns: list[str]
    columns: list[ColumnExposureRead]
    sandbox_cannot_protect: list[BilingualText]


class ReviewQueueEntry(DatasetRead):
    """A dataset waiting for compliance, with what the reviewer must look at."""

    policy_version: int | None
    approved_policy_version: int | None
    policy_change: bool = Field(description="A listed dataset's policy change, not a new listing")
    quasi_identifiers: list[str]
    k_anonymity: KAnonymityRead | None
    k_anonymity_flag: bool = Field(
        description="The released form is under the configured k for its quasi-identifiers"
    )
    delivery_tradeoff: DeliveryTradeoffRead | None = Field(
        description="Offered as rows and sandbox: what the rows give exactly (from the policy "
        "alone; the review page also measures). Null for rows-only or sandbox-only datasets"
    )


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
    policy_version: int | None
    preview: PreviewRead | None = Field(description="The first rows as a buyer would see them")
    k_anonymity: KAnonymityRead | None = Field(
        description="The release's k over the declared quasi-identifiers, if any"
    )
    delivery_tradeoff: DeliveryTradeoffRead | None = Field(
        description="Offered as rows and sandbox: what the rows give exactly and what the "
        "sandbox therefore cannot protect. Null for rows-only or sandbox-only datasets"
    )
    history: list[ListingReviewRead]
    checklist: list[ChecklistItem]
