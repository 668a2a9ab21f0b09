"""Datasets and their review history."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ground.db import StrEnumType, UTCDateTime, utcnow


class DatasetStatus(StrEnum):
    processing = "processing"  # stored; the ingest task has not profiled it yet
    failed = "failed"  # the ingest task could not profile it (reason in ingest_error)
    draft = "draft"  # profiled; the provider may edit and submit it
    in_review = "in_review"
    listed = "listed"
    rejected = "rejected"
    suspended = "suspended"  # listed, then stopped by compliance: every access is refused


class DeliveryMode(StrEnum):
    """What the provider declares a dataset offers buyers.

    - ``rows``: masked rows through the data API (the approved policy); no sandbox.
    - ``sandbox``: sandbox only: raw values leave only as differentially private aggregates;
      the data API never reads the file (its free sample is synthetic).
    - ``both``: masked rows and the sandbox. The rows give exactly what the policy releases
      whole, so the sandbox cannot protect aggregates of those columns: compliance sees that
      trade-off when reviewing the listing (``listings.exposure``).
    """

    rows = "rows"
    sandbox = "sandbox"
    both = "both"

    @property
    def offers_rows(self) -> bool:
        return self is not DeliveryMode.sandbox

    @property
    def offers_sandbox(self) -> bool:
        return self is not DeliveryMode.rows


class DataGrade(StrEnum):
    """The national classification scheme (数据分类分级): core data is never listed; general
    data is further graded 1–4 by the impact of a leak (4 is the highest)."""

    core = "core"
    important = "important"
    general = "general"


class Dataset(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    provider_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    created_by_id: uuid.UUID = Field(foreign_key="user.id")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    domain: str = Field(max_length=100, index=True)
    # Declared by the provider; fixed once submitted (a change would alter what buyers of a
    # listed dataset receive). Datasets from before delivery modes offered both channels.
    delivery_mode: DeliveryMode = Field(
        default=DeliveryMode.both,
        sa_type=StrEnumType(DeliveryMode),
        sa_column_kwargs={"server_default": DeliveryMode.both.value},
    )
    status: DatasetStatus = Field(
        default=DatasetStatus.processing, sa_type=StrEnumType(DatasetStatus), index=True
    )
    # Relative to the data directory, so the directory can move between machines.
    file_path: str = Field(max_length=500)
    original_filename: str = Field(max_length=300)
    source_format: str = Field(max_length=20)
    source_encoding: str | None = Field(default=None, max_length=20)
    size_bytes: int = Field(sa_type=BigInteger)
    row_count: int = Field(default=0, sa_type=BigInteger)
    # [{"name", "type", "kind", "confidence", "evidence"}], written by the ingest task.
    columns: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # The provider's current policy, and the one compliance approved: only the latter serves.
    # Both are copies of rows of `policy_version` (the history), named by version number.
    policy: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    approved_policy: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # The provider's proposal and compliance's confirmation of the grade; only the confirmed
    # grade drives policy defaults and trade review.
    proposed_grade: DataGrade | None = Field(default=None, sa_type=StrEnumType(DataGrade))
    proposed_grade_level: int | None = None
    grade_reason: str = Field(default="", sa_type=Text)
    grade: DataGrade | None = Field(default=None, sa_type=StrEnumType(DataGrade))
    grade_level: int | None = None
    # The provider's authorization to publish: where the data comes from and on what legal basis.
    source: str = Field(default="", max_length=500)
    legal_basis: str = Field(default="", sa_type=Text)
    policy_version: int | None = Field(default=None)
    approved_policy_version: int | None = Field(default=None)
    # 32 random bytes, the root of every key of the dataset (per-buyer pseudonym keys, the
    # cell key of noise and date shifts: `listings.keys`), stored only sealed under
    # SLUICE_SECRETS_KEY (`ground.secretbox`, bound to this row's id), never in the clear.
    # Never leaves the server (no API schema has it). No default: a dataset is created with
    # `keys.new_sealed_secret(id)`, so nothing can store an unsealed one by omission.
    pseudonym_secret: str = Field(max_length=255, repr=False)
    ingest_task_id: str | None = Field(default=None, max_length=64)
    ingest_error: str | None = Field(default=None, sa_type=Text)
    # How many times the ingest task was sent (the upload's, then each re-send of a stale
    # ingest), and when the latest attempt was sent or began running: a dataset `processing`
    # long past this is stuck (`listings.recovery`).
    ingest_attempts: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    ingest_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    listed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewDecision(StrEnum):
    approved = "approved"
    rejected = "rejected"
    suspended = "suspended"
    reinstated = "reinstated"


class ListingReview(SQLModel, table=True):
    """One compliance decision on a dataset; the history is kept, never overwritten."""

    __tablename__ = "listing_review"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    reviewer_id: uuid.UUID = Field(foreign_key="user.id")
    decision: ReviewDecision = Field(sa_type=StrEnumType(ReviewDecision))
    reason: str = Field(default="", sa_type=Text)
    checklist: dict[str, bool] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DatasetAttachment(SQLModel, table=True):
    """A document backing the provider's authorization to publish (contract, approval letter)."""

    __tablename__ = "dataset_attachment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    uploaded_by_id: uuid.UUID = Field(foreign_key="user.id")
    filename: str = Field(max_length=300)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_type=BigInteger)
    file_path: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PolicyVersion(SQLModel, table=True):
    """One saved version of a dataset's masking policy; versions are never edited.

    `created_by_id` is null for the policy the platform proposed at profiling. The
    k-anonymity report of the released form over the declared quasi-identifiers is taken
    when the version is saved, so the review queue can flag it without re-reading the data.
    """

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    version: int
    policy: dict[str, Any] = Field(sa_type=JSON)
    k_anonymity: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
