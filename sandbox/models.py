"""Sandbox tables: privacy profiles, budget grants and their allotments, the privacy ledger and
stored queries.

ε and δ are stored as integers of fixed units (``anonymize.accountant``) so ledger sums are
exact. The ledger is append-only and is the budget of record: a grant's spent budget is the
sum of its entries (reservations +, releases −, commits 0 mark a reservation as final), and
each entry names the allotment (the sandbox pack or compliance grant) the query was charged to.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ground.db import StrEnumType, UTCDateTime, utcnow


class ProfileStatus(StrEnum):
    pending = "pending"  # declared or changed by the provider, awaiting compliance
    approved = "approved"


class SandboxProfile(SQLModel, table=True):
    """Privacy metadata of a dataset: declared by its provider, approved by compliance.

    ``declared`` and ``approved`` hold {"privacy_unit", "max_rows_per_person", "bounds":
    {column: [lower, upper]}, "public_domains": {column: [values]}}; only ``approved`` serves
    queries, so a pending revision does not interrupt buyers.
    """

    __tablename__ = "sandbox_profile"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", unique=True)
    status: ProfileStatus = Field(sa_type=StrEnumType(ProfileStatus))
    declared: dict[str, Any] = Field(sa_type=JSON)
    approved: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    approved_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SandboxGrant(SQLModel, table=True):
    """A buyer organization's privacy budget on one dataset: topped up by grants and packs,
    reduced only when a refunded sandbox pack takes back the part not yet spent."""

    __tablename__ = "sandbox_grant"
    __table_args__ = (
        UniqueConstraint("buyer_org_id", "dataset_id"),
        # Zero once a refunded sandbox pack took back all the budget it had brought.
        CheckConstraint("epsilon_total_units >= 0", name="epsilon_not_negative"),
        CheckConstraint("delta_total_units >= 0", name="delta_not_negative"),
        CheckConstraint("max_queries >= 0", name="max_queries_not_negative"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    buyer_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    epsilon_total_units: int = Field(sa_type=BigInteger)
    delta_total_units: int = Field(sa_type=BigInteger)
    max_queries: int
    default_query_epsilon_units: int = Field(sa_type=BigInteger)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    source: str = Field(max_length=40)  # "compliance", "billing", "demo"
    note: str = Field(default="", sa_type=Text)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SandboxAllotment(SQLModel, table=True):
    """One addition to a grant: a paid sandbox pack (its entitlement) or a compliance grant.

    A grant's totals are the sum of its allotments. Each query is charged to one allotment, so
    what a pack's buyer spent is known per entitlement (metered on it, shown in its statement)
    and a refund takes back only that pack's unspent share. An allotment serves until its
    ``valid_until`` (a pack's: its entitlement's).
    """

    __tablename__ = "sandbox_allotment"
    __table_args__ = (
        CheckConstraint("epsilon_units >= 0", name="epsilon_not_negative"),
        CheckConstraint("delta_units >= 0", name="delta_not_negative"),
        CheckConstraint("queries >= 0", name="queries_not_negative"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(foreign_key="sandbox_grant.id", index=True)
    # The entitlement of the sandbox pack that brought it; NULL for a compliance grant.
    entitlement_id: uuid.UUID | None = Field(
        default=None, foreign_key="entitlement.id", unique=True
    )
    epsilon_units: int = Field(sa_type=BigInteger)
    delta_units: int = Field(sa_type=BigInteger)
    queries: int
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    source: str = Field(max_length=40)
    note: str = Field(default="", sa_type=Text)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QueryStatus(StrEnum):
    queued = "queued"  # reserved; waiting for a worker
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class SandboxQuery(SQLModel, table=True):
    """One charged query and its stored noisy answer (returned again for the same text)."""

    __tablename__ = "sandbox_query"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(foreign_key="sandbox_grant.id", index=True)
    buyer_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    user_id: uuid.UUID = Field(foreign_key="user.id")
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    sql_text: str = Field(sa_type=Text)
    fingerprint: str = Field(max_length=64, index=True)
    status: QueryStatus = Field(sa_type=StrEnumType(QueryStatus), index=True)
    epsilon_units: int = Field(sa_type=BigInteger)
    delta_units: int = Field(sa_type=BigInteger)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    error: str | None = Field(default=None, max_length=40)  # a fixed code, never data
    task_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LedgerKind(StrEnum):
    reserve = "reserve"
    commit = "commit"
    release = "release"


class PrivacyLedgerEntry(SQLModel, table=True):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "privacy_ledger"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(foreign_key="sandbox_grant.id", index=True)
    allotment_id: uuid.UUID = Field(foreign_key="sandbox_allotment.id", index=True)
    query_id: uuid.UUID = Field(foreign_key="sandbox_query.id", index=True)
    kind: LedgerKind = Field(sa_type=StrEnumType(LedgerKind))
    epsilon_units: int = Field(sa_type=BigInteger)
    delta_units: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
