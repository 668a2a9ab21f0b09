"""API shapes for orders, entitlements, reviews, payments and refunds."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from market.trade.models import EntitlementStatus, OrderStatus


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


class OrderRead(BaseModel):
    id: uuid.UUID
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


class WebhookAck(BaseModel):
    received: bool
    duplicate: bool
    status: str | None = None


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
