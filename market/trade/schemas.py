"""API shapes for orders and entitlements."""

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
    quota_total: int
    quota_remaining: int
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
    entitlement: EntitlementRead | None
