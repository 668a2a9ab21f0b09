"""Billing tables: plans, payments, the double-entry ledger, webhook events and usage.

Money is always an integer amount of minor units (fen) plus a currency. Balances are never
stored: they are sums of ``ledger_entry`` rows, and every ledger transaction sums to zero.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.db import StrEnumType, UTCDateTime, utcnow


class PlanKind(StrEnum):
    free_sample = "free_sample"  # a free quota of calls or rows, once per buyer organization
    api_quota = "api_quota"  # a pack of N calls or N rows, valid for a number of days
    subscription = "subscription"  # a monthly quota that resets, for a term of months
    sandbox_pack = "sandbox_pack"  # a privacy budget (ε, δ) and a number of sandbox queries


class QuotaUnit(StrEnum):
    calls = "calls"  # one unit per data API call
    rows = "rows"  # one unit per row served
    queries = "queries"  # one unit per sandbox query


class Plan(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("calls > 0", name="calls_positive"),
        CheckConstraint(
            "overage_price_minor IS NULL OR overage_price_minor > 0", name="overage_positive"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    kind: PlanKind = Field(default=PlanKind.api_quota, sa_type=StrEnumType(PlanKind))
    # Units of quota the plan grants (per month for a subscription), counted in quota_unit.
    calls: int = Field(description="Units of quota the plan grants")
    quota_unit: QuotaUnit = Field(default=QuotaUnit.calls, sa_type=StrEnumType(QuotaUnit))
    valid_days: int | None = Field(default=None, description="Validity of a pack, in days")
    term_months: int | None = Field(default=None, description="Term of a subscription")
    epsilon: float | None = Field(default=None, description="Total ε of a sandbox pack")
    delta: float | None = Field(default=None, description="Total δ of a sandbox pack")
    price_minor: int = Field(default=0, sa_type=BigInteger)
    overage_price_minor: int | None = Field(default=None, sa_type=BigInteger)
    currency: str = Field(default="CNY", max_length=3)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def is_free(self) -> bool:
        return self.price_minor == 0


class PaymentMethod(StrEnum):
    stripe = "stripe"
    bank_transfer = "bank_transfer"


class Payment(SQLModel, table=True):
    """Money received for an order. What was refunded is derived from the ledger."""

    __table_args__ = (
        UniqueConstraint("method", "external_ref"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="order.id", index=True)
    method: PaymentMethod = Field(sa_type=StrEnumType(PaymentMethod))
    # Stripe's PaymentIntent id, or the bank transfer reference an admin recorded.
    external_ref: str = Field(max_length=255)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LedgerAccount(StrEnum):
    payments_clearing = "payments_clearing"  # cash received from buyers, held by the platform
    platform_fee_revenue = "platform_fee_revenue"
    provider_payable = "provider_payable"  # owed to the provider organization (org_id)


class TransactionKind(StrEnum):
    payment = "payment"
    refund = "refund"


class LedgerTransaction(SQLModel, table=True):
    """One balanced journal transaction; its entries sum to zero in its currency."""

    __tablename__ = "ledger_transaction"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: TransactionKind = Field(sa_type=StrEnumType(TransactionKind))
    order_id: uuid.UUID = Field(foreign_key="order.id", index=True)
    payment_id: uuid.UUID = Field(foreign_key="payment.id", index=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    buyer_org_id: uuid.UUID = Field(foreign_key="organization.id")
    provider_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    currency: str = Field(max_length=3)
    # The amount that moved: paid, or refunded (always positive).
    amount_minor: int = Field(sa_type=BigInteger)
    memo: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class LedgerEntry(SQLModel, table=True):
    """A signed amount on one account: positive is a debit, negative a credit."""

    __tablename__ = "ledger_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    transaction_id: uuid.UUID = Field(foreign_key="ledger_transaction.id", index=True)
    account: LedgerAccount = Field(sa_type=StrEnumType(LedgerAccount, length=30), index=True)
    org_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", index=True)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)


class WebhookStatus(StrEnum):
    received = "received"
    processed = "processed"
    deferred = "deferred"  # refers to a payment we have not seen yet; replayed when it arrives
    ignored = "ignored"


class WebhookEvent(SQLModel, table=True):
    """Every verified webhook, stored by (source, external_id) before it is acted on."""

    __tablename__ = "webhook_event"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    source: str = Field(max_length=20)
    external_id: str = Field(max_length=255)
    type: str = Field(max_length=100)
    # The PaymentIntent the event concerns, to find deferred events when the payment arrives.
    reference: str | None = Field(default=None, max_length=255, index=True)
    payload: str = Field(sa_type=Text)
    status: WebhookStatus = Field(
        default=WebhookStatus.received, sa_type=StrEnumType(WebhookStatus)
    )
    note: str = Field(default="", max_length=500)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UsageKind(StrEnum):
    api_call = "api_call"
    sandbox_query = "sandbox_query"


class UsageEvent(SQLModel, table=True):
    """One metered use: a data API call or a sandbox query, with what it consumed."""

    __tablename__ = "usage_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    buyer_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    api_key_id: uuid.UUID | None = Field(default=None)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    provider_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    entitlement_id: uuid.UUID | None = Field(default=None, foreign_key="entitlement.id", index=True)
    kind: UsageKind = Field(sa_type=StrEnumType(UsageKind))
    units: int = Field(default=1, description="Quota units charged")
    rows: int = Field(default=0, sa_type=BigInteger)
    epsilon: float = 0.0
    delta: float = 0.0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
