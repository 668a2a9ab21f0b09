"""API shapes for orders, entitlements, reviews, payments and refunds."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from trade.models import EntitlementStatus, OrderKind, OrderStatus, StopStatus


class OrderCreate(BaseModel):
    dataset_id: uuid.UUID
    plan_id: uuid.UUID
    usage_scenario: str = Field(
        min_length=1,
        max_length=5000,
        pattern=r"\S",
        description="What the data will be used for (required: no trade without a scenario)",
    )


class EntitlementRead(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    dataset_id: uuid.UUID
    usage_scenario: str
    status: EntitlementStatus
    quota_unit: str
    quota_total: int
    quota_remaining: int
    epsilon_total: float | None
    delta_total: float | None
    period_ends_at: datetime | None
    valid_until: datetime | None
    created_at: datetime


class OverageLine(BaseModel):
    """What an overage invoice bills."""

    entitlement_id: uuid.UUID
    units: int
    unit_price_minor: int
    settled: bool = Field(description="Paid: the units no longer count against the limit")


class OrderRead(BaseModel):
    id: uuid.UUID
    kind: OrderKind = Field(description="purchase (a plan), or overage (an invoice for use)")
    dataset_id: uuid.UUID
    plan_id: uuid.UUID
    buyer_org_id: uuid.UUID
    usage_scenario: str
    status: OrderStatus
    price_minor: int
    currency: str
    created_at: datetime
    updated_at: datetime
    entitlement: EntitlementRead | None
    overage: OverageLine | None = None


class ReviewDecisionBody(BaseModel):
    note: str = Field(default="", max_length=1000)


class CheckoutRead(BaseModel):
    order_id: uuid.UUID
    checkout_session_id: str
    url: str | None = Field(description="Send the buyer here to pay on Stripe")


class BankTransferCreate(BaseModel):
    reference: str = Field(
        min_length=1, max_length=255, pattern=r"\S", description="The bank's transfer reference"
    )
    amount_minor: int = Field(description="Must equal the order's price")
    currency: str = Field(min_length=3, max_length=3)


class RefundCreate(BaseModel):
    amount_minor: int | None = Field(
        default=None, description="Minor units to refund; everything refundable when omitted"
    )
    reason: str = Field(min_length=1, max_length=500)


class EntitlementStatement(BaseModel):
    """Paid, used and left on one entitlement: money, quota and privacy budget in one line."""

    entitlement_id: uuid.UUID
    order_id: uuid.UUID
    dataset_id: uuid.UUID
    status: EntitlementStatus
    currency: str
    paid_minor: int = Field(description="Paid for the order, less refunds")
    quota_unit: str
    quota_total: int
    quota_remaining: int
    calls_used: int
    units_used: int
    rows_used: int
    epsilon_total: float | None
    epsilon_used: float
    epsilon_left: float | None
    delta_total: float | None
    delta_used: float
    valid_until: datetime | None
    period_ends_at: datetime | None
    overage_price_minor: int | None = Field(
        default=None, description="Per unit past the quota; null: calls past it get 429"
    )
    overage_limit_units: int | None = Field(
        default=None, description="At most this many overage units may be owed at once"
    )
    overage_units: int = Field(default=0, description="Overage units used, in all")
    overage_unbilled_units: int = Field(default=0, description="Used, not invoiced yet")
    overage_unpaid_units: int = Field(default=0, description="Invoiced, not paid yet")
    overage_owed_minor: int = Field(
        default=0, description="Owed for overage now: (unbilled + unpaid) x price"
    )
    overage_paid_minor: int = Field(default=0, description="Paid for overage, less refunds")


class OrderReviewRead(OrderRead):
    """An order in the trade review queue, with what the reviewer needs to decide."""

    buyer_name: str
    dataset_title: str
    dataset_grade: str | None
    dataset_grade_level: int | None
    plan_name: str
    plan_kind: str
    plan_quota: int
    plan_valid_days: int | None
    plan_term_months: int | None
    buyer_history: dict[str, int] = Field(
        description="The buyer's orders by status, and revoked_entitlements"
    )


class OrderApproval(BaseModel):
    note: str = Field(default="", max_length=1000)
    max_quota: int | None = Field(
        default=None, gt=0, description="Condition: grant at most this quota"
    )
    max_valid_days: int | None = Field(
        default=None, gt=0, le=3650, description="Condition: access lasts at most this long"
    )


class RevocationBody(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, pattern=r"\S")


class EmergencyStop(BaseModel):
    buyer_org_id: uuid.UUID | None = None
    dataset_id: uuid.UUID | None = None
    reason: str = Field(min_length=1, max_length=1000, pattern=r"\S")


class EmergencyStopRead(BaseModel):
    """A standing or lifted emergency stop."""

    id: uuid.UUID
    buyer_org_id: uuid.UUID | None
    dataset_id: uuid.UUID | None
    reason: str
    status: StopStatus = Field(description="active: standing; lifted: no longer refusing")
    revoked: int = Field(description="Entitlements the stop revoked when it was placed")
    created_by_id: uuid.UUID
    created_at: datetime
    lifted_at: datetime | None
    lifted_by_id: uuid.UUID | None
    lift_reason: str | None


class EmergencyStopLift(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, pattern=r"\S")
