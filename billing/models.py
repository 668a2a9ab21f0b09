"""Billing tables: plans, payments, the double-entry ledger, webhook events, usage, overage
accounts and payment anomalies.

Money is always an integer amount of minor units (fen) plus a currency. Balances are never
stored: they are sums of ``ledger_entry`` rows, and every ledger transaction sums to zero.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ground.db import StrEnumType, UTCDateTime, utcnow


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
        CheckConstraint(
            "overage_limit_units IS NULL OR overage_limit_units > 0",
            name="overage_limit_positive",
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
    # Per unit of quota_unit past the included quota (a call, or a row of a per-row plan).
    overage_price_minor: int | None = Field(default=None, sa_type=BigInteger)
    # At most this many overage units may be owed (accrued and not yet paid) per entitlement.
    overage_limit_units: int | None = Field(default=None, sa_type=BigInteger)
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


class SaleCategory(StrEnum):
    """What a ledger transaction's money paid for, so statements can break overage out."""

    plan = "plan"  # an order for a plan
    overage = "overage"  # an invoice for use past an entitlement's included quota


class LedgerTransaction(SQLModel, table=True):
    """One balanced journal transaction; its entries sum to zero in its currency."""

    __tablename__ = "ledger_transaction"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: TransactionKind = Field(sa_type=StrEnumType(TransactionKind))
    category: SaleCategory = Field(
        default=SaleCategory.plan,
        sa_type=StrEnumType(SaleCategory),
        sa_column_kwargs={"server_default": SaleCategory.plan.value},
    )
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
    # Of ``units``, how many were past the included quota, what they cost and in which currency
    # (the entitlement's overage price at the time; NULL currency when nothing was overage).
    overage_units: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    overage_minor: int = Field(
        default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"}
    )
    currency: str | None = Field(default=None, max_length=3)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class OverageAccount(SQLModel, table=True):
    """Overage of one entitlement: units used past its included quota, billed and paid.

    Opened when an entitlement whose plan has an overage price is granted; the price and the
    limit are copied from the plan then, so repricing a plan never changes what a buyer agreed
    to. ``accrued`` only grows by a conditional UPDATE that the database checks against the
    limit (``accrued - settled <= limit``: what is owed, billed or not, stays bounded);
    ``invoiced`` by compare-and-set when an invoice is issued; ``settled`` when it is paid.
    """

    __tablename__ = "overage_account"
    __table_args__ = (
        CheckConstraint("unit_price_minor > 0", name="unit_price_positive"),
        CheckConstraint("limit_units >= 0", name="limit_not_negative"),
        CheckConstraint(
            "settled_units >= 0 AND settled_units <= invoiced_units "
            "AND invoiced_units <= accrued_units",
            name="settled_invoiced_accrued",
        ),
        CheckConstraint("accrued_units - settled_units <= limit_units", name="within_limit"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    entitlement_id: uuid.UUID = Field(foreign_key="entitlement.id", unique=True)
    buyer_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    provider_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    quota_unit: str = Field(max_length=20)
    currency: str = Field(max_length=3)
    unit_price_minor: int = Field(sa_type=BigInteger)
    limit_units: int = Field(sa_type=BigInteger)
    accrued_units: int = Field(default=0, sa_type=BigInteger)
    invoiced_units: int = Field(default=0, sa_type=BigInteger)
    settled_units: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OverageInvoice(SQLModel, table=True):
    """The overage units an order bills: the order is paid like any other, and its payment
    settles these units on the account."""

    __tablename__ = "overage_invoice"
    __table_args__ = (CheckConstraint("units > 0", name="units_positive"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="overage_account.id", index=True)
    order_id: uuid.UUID = Field(foreign_key="order.id", unique=True)
    units: int = Field(sa_type=BigInteger)
    unit_price_minor: int = Field(sa_type=BigInteger)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    settled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AnomalyKind(StrEnum):
    double_payment = "double_payment"  # the order had already been paid
    order_not_payable = "order_not_payable"  # cancelled, or still under review
    amount_mismatch = "amount_mismatch"  # paid a different amount or currency than the price
    emergency_stop = "emergency_stop"  # paid while an emergency stop covered the order's scope


class AnomalyStatus(StrEnum):
    open = "open"
    refunded = "refunded"  # the money went back to the buyer through Stripe
    resolved = "resolved"  # settled otherwise, with an operator's note


class PaymentAnomaly(SQLModel, table=True):
    """Money a payment provider captured that was not credited to any order.

    It is kept out of the ledger on purpose: the ledger books money that became the platform's
    and the provider's, and this money is neither until an operator decides. Each captured
    payment is registered once (unique per method and reference), so a replayed or re-sent
    event cannot list it twice.
    """

    __tablename__ = "payment_anomaly"
    __table_args__ = (
        UniqueConstraint("method", "external_ref"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: AnomalyKind = Field(sa_type=StrEnumType(AnomalyKind))
    status: AnomalyStatus = Field(
        default=AnomalyStatus.open, sa_type=StrEnumType(AnomalyStatus), index=True
    )
    order_id: uuid.UUID = Field(foreign_key="order.id", index=True)
    buyer_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id")
    method: PaymentMethod = Field(sa_type=StrEnumType(PaymentMethod))
    # Stripe's PaymentIntent id of the uncredited payment, and its Checkout Session.
    external_ref: str = Field(max_length=255)
    checkout_session_id: str | None = Field(default=None, max_length=255)
    amount_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    order_status: str = Field(max_length=20, description="The order's status when it came")
    webhook_event_id: uuid.UUID | None = Field(default=None, foreign_key="webhook_event.id")
    detected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    refund_ref: str | None = Field(default=None, max_length=255)
    resolution_note: str = Field(default="", max_length=1000)
    resolved_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
