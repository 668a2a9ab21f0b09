"""API schemas of the sandbox (tables are not API schemas)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sandbox.models import LedgerKind, ProfileStatus, QueryStatus

Domain = list[str | int | float | bool]


class ProfileDeclare(BaseModel):
    """What the provider declares; compliance approves it before any query runs."""

    privacy_unit: str = Field(
        min_length=1, description="The column identifying a person, e.g. the ID number column."
    )
    max_rows_per_person: int = Field(
        ge=1, le=1000, description="At most this many rows of one person enter any aggregate."
    )
    bounds: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="Public [lower, upper] bounds of numeric columns; values are clamped.",
    )
    public_domains: dict[str, Domain] = Field(
        default_factory=dict,
        description="Public GROUP BY domains: every value is released, none from the data.",
    )


class ProfileRead(BaseModel):
    """The provider's and staff's view: the declaration, and the approved profile with what
    approval measured on the file (``file_within_bound``, ``bounded_file``,
    ``checked_size_bytes``)."""

    dataset_id: uuid.UUID
    status: ProfileStatus
    declared: dict[str, Any] | None = Field(
        description="The provider's latest declaration (provider and staff only)."
    )
    approved: dict[str, Any] | None
    approved_at: datetime | None
    updated_at: datetime


class ProfileDeclaration(BaseModel):
    """An approved profile as declared: public by definition, and nothing measured on the
    data (no actual rows per person, no file, no size)."""

    model_config = ConfigDict(extra="forbid")

    privacy_unit: str
    max_rows_per_person: int = Field(
        description="The bound as declared and approved: at most this many rows of one person "
        "enter any aggregate. Not a measurement of the data."
    )
    bounds: dict[str, tuple[float, float]]
    public_domains: dict[str, Domain]


class ProfilePublicRead(BaseModel):
    """Everyone else's view (buyers, other providers): declarations only."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: uuid.UUID
    status: ProfileStatus
    approved: ProfileDeclaration | None
    approved_at: datetime | None


class GrantCreate(BaseModel):
    buyer_org_id: uuid.UUID
    dataset_id: uuid.UUID
    epsilon: float = Field(gt=0, description="ε added to the grant's total.")
    delta: float = Field(default=1e-5, ge=0, lt=1, description="δ added to the grant's total.")
    max_queries: int | None = Field(default=None, gt=0, description="Queries added to the cap.")
    default_query_epsilon: float | None = Field(default=None, gt=0)
    valid_until: datetime | None = None
    note: str = Field(default="", max_length=2000)


class AllotmentRead(BaseModel):
    source: str = Field(description="What brought it: a sandbox pack or a compliance grant.")
    entitlement_id: uuid.UUID | None = Field(
        description="The sandbox pack's entitlement; null for a compliance grant."
    )
    epsilon_total: float
    epsilon_spent: float
    epsilon_left: float
    delta_total: float
    delta_spent: float
    delta_left: float
    queries_total: int
    queries_used: int
    queries_left: int
    valid_until: datetime | None
    usable: bool = Field(
        description="Queries can still be charged to it: neither it nor the grant has expired "
        "or been ended (a revoked pack, an emergency stop). Otherwise what it has left is lapsed."
    )


class BudgetRead(BaseModel):
    grant_id: uuid.UUID
    buyer_org_id: uuid.UUID
    dataset_id: uuid.UUID
    epsilon_total: float = Field(description="Sum of every allotment's ε, usable or not.")
    epsilon_spent: float = Field(description="Reserved or committed: sums of the ledger.")
    epsilon_left: float = Field(
        description="ε that queries can still spend: what usable allotments have left."
    )
    epsilon_lapsed: float = Field(
        description="ε left unspent in allotments that expired or were ended (a revoked pack, "
        "an emergency stop): no query can spend it."
    )
    epsilon_max_single_query: float = Field(
        description="The most ε one usable allotment with a query left holds. A query is paid "
        "whole from one allotment, so this, not epsilon_left, caps the next query's ε."
    )
    delta_total: float
    delta_spent: float
    delta_left: float = Field(description="δ that usable allotments have left.")
    delta_lapsed: float = Field(description="δ left unspent in expired or ended allotments.")
    max_queries: int
    queries_used: int
    queries_left: int = Field(description="Queries that usable allotments have left.")
    queries_lapsed: int = Field(description="Queries left in expired or ended allotments.")
    default_query_epsilon: float
    valid_until: datetime | None
    source: str
    allotments: list[AllotmentRead] = Field(
        description="Each pack or compliance grant, oldest first (the order queries are "
        "charged to them), with its total, spent, left, validity and whether it is usable."
    )


class LedgerEntryRead(BaseModel):
    id: uuid.UUID
    grant_id: uuid.UUID
    query_id: uuid.UUID
    kind: LedgerKind
    epsilon: float
    delta: float
    created_at: datetime


class QueryCreate(BaseModel):
    dataset_id: uuid.UUID
    sql: str = Field(
        min_length=1,
        max_length=20_000,
        description="One SELECT of aggregates over the table `dataset` (DuckDB dialect).",
    )
    epsilon: float | None = Field(
        default=None, gt=0, description="ε to spend; the grant's default per-query ε if absent."
    )
    dry_run: bool = Field(default=False, description="Only price the query: no data, no budget.")


class QueryRead(BaseModel):
    id: uuid.UUID
    dataset_id: uuid.UUID
    status: QueryStatus
    sql: str
    epsilon_spent: float
    delta_spent: float
    stored_answer: bool = Field(
        description="True when this is the stored answer of the same earlier query (no charge)."
    )
    result: dict[str, Any] | None = Field(
        description="columns, rows (noisy values), errors (per value: mechanism, ε, "
        "sensitivity, ci95 half-width), grouping (none/public_domain/threshold), threshold."
    )
    error: str | None
    budget: BudgetRead
    created_at: datetime
    finished_at: datetime | None


class QueryEstimate(BaseModel):
    dry_run: bool = True
    dataset_id: uuid.UUID
    epsilon: float
    delta: float
    price_minor: int
    currency: str
    grouping: str
    threshold: int | None
    runs_async: bool
    outputs: list[dict[str, Any]]
    budget: BudgetRead
