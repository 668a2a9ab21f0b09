"""API shapes for datasets, the catalog and listing reviews."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from listings.models import DatasetStatus, ReviewDecision


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
    row_count: int
    columns: list[ColumnRead]
    listed_at: datetime | None


class ReviewNote(BaseModel):
    reason: str = Field(default="", max_length=5000, description="Optional note for approval")


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
    created_at: datetime
