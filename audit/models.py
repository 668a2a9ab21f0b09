"""Audit records, hash-chained, and the head of the chain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer
from sqlmodel import Field, SQLModel

from ground.db import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditRecord(SQLModel, table=True):
    """One audited action. ``hash`` covers every other field and ``prev_hash``, so editing or
    deleting any record breaks the chain from that point on."""

    __tablename__ = "audit_record"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    seq: int = Field(sa_type=BigInteger, unique=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    action: str = Field(max_length=64, index=True)
    actor_user_id: uuid.UUID | None = Field(default=None, index=True)
    actor_org_id: uuid.UUID | None = Field(default=None)
    actor_role: str | None = Field(default=None, max_length=20)
    dataset_id: uuid.UUID | None = Field(default=None, index=True)
    subject_id: uuid.UUID | None = Field(default=None)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The chain's last link. Its row is locked by every append, which serializes appends, and
    it lets verification notice records deleted from the end of the chain."""

    __tablename__ = "audit_head"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    last_seq: int = Field(default=0, sa_type=BigInteger)
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
