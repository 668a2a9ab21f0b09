"""The stored outcome of a write made under an ``Idempotency-Key``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ground.db import UTCDateTime, utcnow


class IdempotencyRecord(SQLModel, table=True):
    """One key of one principal: what the first request was (its fingerprint) and what it got.

    Written in the unit of work of the write it guards, so the write and its key commit or
    roll back together. ``status_code`` is NULL only inside that unit of work (the key is
    claimed before the endpoint runs, the response filled in after); a committed row always
    holds a response.
    """

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Whose key it is ("user:<uuid>"): the same key sent by someone else is another key.
    owner: str = Field(max_length=64)
    key: str = Field(max_length=255)
    # SHA-256 of method, path, owner and body: the same key with another request is refused.
    fingerprint: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    status_code: int | None = None
    # The response body sealed (``ground.secretbox``, bound to this row's id): it may hold a
    # secret shown once (a new API key), which the database must never hold in the clear.
    response_body: str | None = Field(default=None, sa_column=Column(Text))
    # JSON object of the few headers a replay repeats (Content-Type, Location, Cache-Control).
    response_headers: str = Field(default="{}")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
