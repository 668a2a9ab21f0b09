"""Audit records, hash-chained by the sealer, and the head of the chain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, text
from sqlmodel import Field, SQLModel

from ground.db import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditRecord(SQLModel, table=True):
    """One audited action. ``content_hash`` covers its fields from the moment it is written;
    ``seq``, ``prev_hash`` and ``hash`` are empty until the sealer chains it (see
    ``audit.service``), after which editing, inserting or deleting any record breaks the chain
    from that point on."""

    __tablename__ = "audit_record"
    # The sealer's work list: the unsealed records in the order it chains them.
    __table_args__ = (
        Index(
            "ix_audit_record_unsealed",
            "at",
            "id",
            sqlite_where=text("seq IS NULL"),
            postgresql_where=text("seq IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    seq: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    action: str = Field(max_length=64, index=True)
    actor_user_id: uuid.UUID | None = Field(default=None, index=True)
    actor_org_id: uuid.UUID | None = Field(default=None)
    actor_role: str | None = Field(default=None, max_length=20)
    dataset_id: uuid.UUID | None = Field(default=None, index=True)
    subject_id: uuid.UUID | None = Field(default=None)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # Empty only on records chained before sealing existed (``AuditHead.legacy_through``).
    content_hash: str | None = Field(default=None, max_length=64)
    prev_hash: str | None = Field(default=None, max_length=64, unique=True)
    hash: str | None = Field(default=None, max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The chain's last link. Only the sealer locks and advances it (never a request), and it
    lets verification notice records deleted from the end of the chain."""

    __tablename__ = "audit_head"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    last_seq: int = Field(default=0, sa_type=BigInteger)
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
    # Records up to this seq were chained before sealing existed and keep their original hash
    # (``audit.chain.legacy_record_hash``); 0 on an installation that started with sealing.
    legacy_through: int = Field(default=0, sa_type=BigInteger)
