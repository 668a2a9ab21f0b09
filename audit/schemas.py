"""API shapes for the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditRecordRead(BaseModel):
    id: uuid.UUID
    seq: int
    at: datetime
    action: str
    actor_user_id: uuid.UUID | None
    actor_org_id: uuid.UUID | None
    actor_role: str | None
    dataset_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    details: dict[str, Any]
    content_hash: str | None
    prev_hash: str
    hash: str


class VerifyRead(BaseModel):
    ok: bool
    records_checked: int
    head_seq: int
    head_hash: str
    first_broken_seq: int | None
    first_broken_id: uuid.UUID | None
    reason: str | None
    reason_zh: str | None
    unsealed: int
