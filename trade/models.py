"""Orders, their transition history, and the entitlements they grant."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Index, Text, text
from sqlmodel import Field, SQLModel

from ground.db import StrEnumType, UTCDateTime, utcnow


class OrderStatus(StrEnum):
    pending_review = "pending_review"
    awaiting_payment = "awaiting_payment"
    paid = "paid"
    active = "active"
    expired = "expired"
    cancelled = "cancelled"
    refunded = "refunded"


class OrderKind(StrEnum):
    purchase = "purchase"  # a plan bought: paying it grants an entitlement
    overage = "overage"  # an invoice for use past an entitlement's quota: paying it settles it


class EntitlementStatus(StrEnum):
    active = "active"
    revoked = "revoked"
    expired = "expired"


class Order(SQLModel, table=True):
    __tablename__ = "order"  # quoted by SQLAlchemy on every backend

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: OrderKind = Field(
        default=OrderKind.purchase,
        sa_type=StrEnumType(OrderKind),
        sa_column_kwargs={"server_default": OrderKind.purchase.value},
    )
    buyer_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    buyer_user_id: uuid.UUID = Field(foreign_key="user.id")
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    plan_id: uuid.UUID = Field(foreign_key="plan.id")
    usage_scenario: str = Field(sa_type=Text)
    # Only ever changed by trade.states.transition (one conditional UPDATE).
    status: OrderStatus = Field(sa_type=StrEnumType(OrderStatus), index=True)
    price_minor: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    checkout_session_id: str | None = Field(default=None, max_length=255)
    # Conditions compliance attached when approving: the entitlement gets at most this quota
    # and lasts at most this many days, whatever the plan says.
    max_quota: int | None = None
    max_valid_days: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrderTransition(SQLModel, table=True):
    """The order's history: who moved it from which state to which, and why."""

    __tablename__ = "order_transition"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="order.id", index=True)
    from_status: OrderStatus | None = Field(default=None, sa_type=StrEnumType(OrderStatus))
    to_status: OrderStatus = Field(sa_type=StrEnumType(OrderStatus))
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    reason: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Entitlement(SQLModel, table=True):
    """What a buyer may use on a dataset. ``quota_remaining`` only changes by conditional
    UPDATEs in ``TradeRepository`` (take, reset), and the database refuses a negative value."""

    __table_args__ = (CheckConstraint("quota_remaining >= 0", name="quota_not_negative"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="order.id", unique=True)
    buyer_org_id: uuid.UUID = Field(foreign_key="organization.id", index=True)
    dataset_id: uuid.UUID = Field(foreign_key="dataset.id", index=True)
    usage_scenario: str = Field(sa_type=Text)
    status: EntitlementStatus = Field(
        default=EntitlementStatus.active, sa_type=StrEnumType(EntitlementStatus)
    )
    quota_unit: str = Field(default="calls", max_length=20)
    quota_total: int
    # Sandbox packs (unit "queries") are not decremented here: the sandbox's privacy ledger
    # counts their queries, and what is left is derived (``service.quota_left``).
    quota_remaining: int
    # Sandbox packs: the privacy budget granted (the sandbox enforces it; we meter it).
    epsilon_total: float | None = None
    delta_total: float | None = None
    # Subscriptions: the current period ends here, and the quota is reset to quota_total.
    period_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StopStatus(StrEnum):
    active = "active"  # standing: every way into its scope is refused
    lifted = "lifted"  # compliance lifted it; what it revoked stays revoked


class EmergencyStop(SQLModel, table=True):
    """A standing emergency stop on a buyer organization, a dataset, or a buyer on a dataset.

    Placing one revokes every active entitlement in its scope (``revocation.emergency_stop``);
    while it stands (``lifted_at`` is NULL) ``stops.enforce`` refuses every way back in: new
    orders, checkout and payment, activation, API keys, data API calls, sandbox queries and
    grants. Lifting it only ends the refusals: revoked entitlements and ended sandbox budgets
    stay ended, so access comes back only through a new order.
    """

    __tablename__ = "emergency_stop"
    __table_args__ = (
        CheckConstraint("buyer_org_id IS NOT NULL OR dataset_id IS NOT NULL", name="has_scope"),
        # The check every door makes reads standing stops only: this partial index holds just
        # those (a handful), so the data API's extra query stays a lookup in a tiny index.
        Index(
            "ix_emergency_stop_standing",
            "buyer_org_id",
            "dataset_id",
            postgresql_where=text("lifted_at IS NULL"),
            sqlite_where=text("lifted_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    buyer_org_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    dataset_id: uuid.UUID | None = Field(default=None, foreign_key="dataset.id")
    reason: str = Field(sa_type=Text)
    # Entitlements the stop revoked when it was placed (named in its audit record).
    revoked_count: int = 0
    created_by_id: uuid.UUID = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lifted_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    lift_reason: str | None = Field(default=None, sa_type=Text)

    @property
    def status(self) -> StopStatus:
        return StopStatus.active if self.lifted_at is None else StopStatus.lifted
