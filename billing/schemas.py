"""API shapes for plans, usage and statements."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from billing.models import PaymentMethod, PlanKind, QuotaUnit


class PlanCreate(BaseModel):
    """A plan on one of your datasets. Prices are integer minor units (fen for CNY).

    - `free_sample`: price 0; `calls` units of `quota_unit` (calls or rows), optional validity.
    - `api_quota`: a pack of `calls` calls or rows, valid for `valid_days` days.
    - `subscription`: `calls` units per month, reset each month, for `term_months` months.
    - `sandbox_pack`: `epsilon` and `delta` in total and `calls` sandbox queries.
    """

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    kind: PlanKind
    calls: int = Field(description="Units granted: calls, rows, or sandbox queries")
    quota_unit: QuotaUnit = QuotaUnit.calls
    valid_days: int | None = None
    term_months: int | None = None
    epsilon: float | None = None
    delta: float | None = None
    price_minor: int
    overage_price_minor: int | None = None
    currency: str = "CNY"


class PlanUpdate(BaseModel):
    """Every field optional; orders already placed keep the price they were placed at."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    price_minor: int | None = None
    overage_price_minor: int | None = None
    currency: str | None = None
    is_active: bool | None = None


class PlanRead(BaseModel):
    id: uuid.UUID
    dataset_id: uuid.UUID
    name: str
    description: str
    kind: PlanKind
    calls: int
    quota_unit: QuotaUnit
    valid_days: int | None
    term_months: int | None
    epsilon: float | None
    delta: float | None
    price_minor: int
    overage_price_minor: int | None
    currency: str
    is_active: bool
    created_at: datetime


class PaymentRead(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    method: PaymentMethod
    external_ref: str
    amount_minor: int
    refunded_minor: int
    currency: str
    created_at: datetime


class UsageDay(BaseModel):
    day: date
    dataset_id: uuid.UUID
    calls: int = Field(description="Metered events (API calls and sandbox queries)")
    units: int
    rows: int
    epsilon: float


class UsageReport(BaseModel):
    since: date
    until: date
    days: list[UsageDay]
    totals_by_dataset: list[UsageDay] = Field(
        description="The same sums per dataset over the whole range (day = range start)"
    )


class StatementLine(BaseModel):
    dataset_id: uuid.UUID
    dataset_title: str
    currency: str
    orders_paid: int
    refunds: int
    gross_minor: int = Field(description="Paid by buyers, less refunds")
    platform_fee_minor: int
    provider_revenue_minor: int = Field(description="Owed to you: gross less the platform fee")
    calls: int
    rows: int


class Statement(BaseModel):
    month: str
    provider_org_id: uuid.UUID
    lines: list[StatementLine]


class Balance(BaseModel):
    account: str
    org_id: uuid.UUID | None
    currency: str
    balance_minor: int
