"""API shapes for plans, usage and statements."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from billing.models import AnomalyKind, AnomalyStatus, PaymentMethod, PlanKind, QuotaUnit


class PlanCreate(BaseModel):
    """A plan on one of your datasets. Prices are integer minor units (fen for CNY).

    - `free_sample`: price 0; `calls` units of `quota_unit` (calls or rows), optional validity.
    - `api_quota`: a pack of `calls` calls or rows, valid for `valid_days` days.
    - `subscription`: `calls` units per month, reset each month, for `term_months` months.
    - `sandbox_pack`: `epsilon` and `delta` in total and `calls` sandbox queries.

    Packs and subscriptions may set `overage_price_minor`, the price of each unit (call, or row
    on a per-row plan) used past the included quota, billed afterwards; `overage_limit_units`
    caps how many such units a buyer may owe at once (default: a share of `calls` set by
    `SLUICE_OVERAGE_DEFAULT_LIMIT_PERCENT`). Without an overage price, calls past the quota get
    429.
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
    overage_limit_units: int | None = None
    currency: str = "CNY"


class PlanUpdate(BaseModel):
    """Every field optional; orders already placed keep the price they were placed at."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    price_minor: int | None = None
    overage_price_minor: int | None = Field(
        default=None, description="null removes overage (and its limit)"
    )
    overage_limit_units: int | None = None
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
    overage_limit_units: int | None
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
    overage_units: int = Field(default=0, description="Of the units, those past the quota")
    overage_minor: dict[str, int] = Field(
        default_factory=dict, description="What the overage units cost, per currency"
    )


class OverageOwed(BaseModel):
    """Overage one entitlement owes now: accrued and not paid (billed or not yet)."""

    entitlement_id: uuid.UUID
    dataset_id: uuid.UUID
    buyer_org_id: uuid.UUID
    quota_unit: str
    currency: str
    unit_price_minor: int
    limit_units: int = Field(description="At most this many units may be owed at once")
    accrued_units: int = Field(description="All overage units ever used")
    unbilled_units: int = Field(description="Used, not invoiced yet")
    unpaid_units: int = Field(description="Invoiced, invoice not paid yet")
    owed_minor: int = Field(description="(unbilled + unpaid) x unit price")


class UsageReport(BaseModel):
    since: date
    until: date
    days: list[UsageDay]
    totals_by_dataset: list[UsageDay] = Field(
        description="The same sums per dataset over the whole range (day = range start)"
    )
    overage_owed: list[OverageOwed] = Field(
        default_factory=list, description="Overage owed now, per entitlement in scope"
    )


class StatementLine(BaseModel):
    dataset_id: uuid.UUID
    dataset_title: str
    currency: str
    orders_paid: int = Field(description="Payments booked (overage invoices included)")
    refunds: int
    gross_minor: int = Field(description="Paid by buyers, less refunds")
    platform_fee_minor: int
    provider_revenue_minor: int = Field(description="Owed to you: gross less the platform fee")
    calls: int
    rows: int
    overage_units: int = Field(default=0, description="Units used past quotas in the month")
    overage_accrued_minor: int = Field(
        default=0, description="What those units cost (billed at period end or on request)"
    )
    overage_gross_minor: int = Field(
        default=0, description="Overage invoices paid in the month, less refunds (in gross)"
    )
    overage_revenue_minor: int = Field(
        default=0, description="Your share of that (in provider_revenue_minor)"
    )


class Statement(BaseModel):
    month: str
    provider_org_id: uuid.UUID
    lines: list[StatementLine]


class Balance(BaseModel):
    account: str
    org_id: uuid.UUID | None
    currency: str
    balance_minor: int


class CreditedPayment(BaseModel):
    method: PaymentMethod
    external_ref: str
    amount_minor: int


class PaymentAnomalyRead(BaseModel):
    """A payment captured by Stripe and credited to no order, and what was done about it."""

    id: uuid.UUID
    kind: AnomalyKind
    status: AnomalyStatus
    order_id: uuid.UUID
    buyer_org_id: uuid.UUID
    dataset_id: uuid.UUID
    method: PaymentMethod
    external_ref: str = Field(description="Stripe's PaymentIntent of the uncredited payment")
    checkout_session_id: str | None
    amount_minor: int
    currency: str
    order_status: str = Field(description="The order's status when the payment came")
    credited_payments: list[CreditedPayment] = Field(
        description="The payments the order was credited with (the first one, for a double)"
    )
    detected_at: datetime
    refund_ref: str | None = Field(description="Stripe's refund (or charge) reference")
    resolution_note: str
    resolved_by_id: uuid.UUID | None
    resolved_at: datetime | None


class AnomalyRefund(BaseModel):
    note: str = Field(default="", max_length=1000)


class AnomalyResolution(BaseModel):
    note: str = Field(
        min_length=1, max_length=1000, pattern=r"\S", description="How it was settled"
    )


class WebhookAck(BaseModel):
    """What Stripe is answered: received, and whether it was a replay of a stored event."""

    received: bool
    duplicate: bool
    status: str | None = None
