"""Queries on orders and entitlements, including the atomic quota decrement and reset."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, func, select

from market.trade.models import (
    Entitlement,
    EntitlementStatus,
    Order,
    OrderStatus,
    OrderTransition,
)


class TradeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, obj: Order | Entitlement) -> None:
        self.session.add(obj)
        self.session.flush()

    def order(self, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
        if not for_update:
            return self.session.get(Order, order_id)
        stmt = select(Order).where(Order.id == order_id).with_for_update()
        return self.session.exec(stmt.execution_options(populate_existing=True)).first()

    def orders(
        self,
        *,
        org_id: uuid.UUID | None = None,
        statuses: Sequence[OrderStatus] | None = None,
        limit: int,
        offset: int,
    ) -> tuple[list[Order], int]:
        where: list[ColumnElement[bool]] = []
        if org_id is not None:
            where.append(col(Order.buyer_org_id) == org_id)
        if statuses:
            where.append(col(Order.status).in_(list(statuses)))
        total = self.session.exec(select(func.count()).select_from(Order).where(*where)).one()
        rows = self.session.exec(
            select(Order)
            .where(*where)
            .order_by(col(Order.created_at).desc(), col(Order.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    def transitions(self, order_id: uuid.UUID) -> list[OrderTransition]:
        stmt = (
            select(OrderTransition)
            .where(OrderTransition.order_id == order_id)
            .order_by(col(OrderTransition.created_at), col(OrderTransition.id))
        )
        return list(self.session.exec(stmt).all())

    def entitlement_of_order(self, order_id: uuid.UUID) -> Entitlement | None:
        stmt = select(Entitlement).where(Entitlement.order_id == order_id)
        return self.session.exec(stmt).first()

    def entitlement(self, entitlement_id: uuid.UUID) -> Entitlement | None:
        return self.session.get(Entitlement, entitlement_id)

    def entitlements_of(
        self, org_id: uuid.UUID, *, limit: int, offset: int
    ) -> tuple[list[Entitlement], int]:
        where = Entitlement.buyer_org_id == org_id
        total = self.session.exec(select(func.count()).select_from(Entitlement).where(where)).one()
        rows = self.session.exec(
            select(Entitlement)
            .where(where)
            .order_by(col(Entitlement.created_at).desc(), col(Entitlement.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    def active_entitlements(
        self, org_id: uuid.UUID, dataset_id: uuid.UUID, now: datetime, units: Sequence[str]
    ) -> list[tuple[uuid.UUID, str]]:
        """``(id, quota_unit)`` of usable entitlements, oldest first (use what expires first)."""
        stmt = (
            select(Entitlement.id, Entitlement.quota_unit)
            .where(
                Entitlement.buyer_org_id == org_id,
                Entitlement.dataset_id == dataset_id,
                Entitlement.status == EntitlementStatus.active,
                col(Entitlement.quota_unit).in_(list(units)),
                or_(col(Entitlement.valid_until).is_(None), col(Entitlement.valid_until) > now),
            )
            .order_by(col(Entitlement.created_at), col(Entitlement.id))
        )
        return [(i, u) for i, u in self.session.exec(stmt).all()]

    def has_live_order_for_plan(self, org_id: uuid.UUID, plan_id: uuid.UUID) -> bool:
        stmt = select(Order.id).where(
            Order.buyer_org_id == org_id,
            Order.plan_id == plan_id,
            Order.status != OrderStatus.cancelled,
        )
        return self.session.exec(stmt).first() is not None

    def take_quota(
        self, entitlement_id: uuid.UUID, units: int, now: datetime
    ) -> tuple[int, str] | None:
        """Decrement in one conditional UPDATE; the quota left and the entitlement's usage
        scenario (named in the audit record), or ``None`` when too little quota is left.

        The condition is evaluated by the database on the current row (PostgreSQL re-checks it
        after waiting on a concurrent writer), so concurrent calls can never oversell.
        """
        stmt = (
            update(Entitlement)
            .where(
                col(Entitlement.id) == entitlement_id,
                col(Entitlement.status) == EntitlementStatus.active,
                col(Entitlement.quota_remaining) >= units,
                or_(col(Entitlement.valid_until).is_(None), col(Entitlement.valid_until) > now),
            )
            .values(quota_remaining=Entitlement.quota_remaining - units)
            .returning(col(Entitlement.quota_remaining), col(Entitlement.usage_scenario))
            .execution_options(synchronize_session=False)
        )
        row = self.session.execute(stmt).one_or_none()
        return None if row is None else (int(row[0]), str(row[1]))

    def set_status(self, entitlement_id: uuid.UUID, status: EntitlementStatus) -> None:
        self.session.execute(
            update(Entitlement)
            .where(col(Entitlement.id) == entitlement_id)
            .values(status=status)
            .execution_options(synchronize_session=False)
        )

    def due_for_reset(self, now: datetime, limit: int) -> list[Entitlement]:
        stmt = (
            select(Entitlement)
            .where(
                Entitlement.status == EntitlementStatus.active,
                col(Entitlement.period_ends_at).is_not(None),
                col(Entitlement.period_ends_at) <= now,
            )
            .order_by(col(Entitlement.period_ends_at))
            .limit(limit)
        )
        return list(self.session.exec(stmt).all())

    def reset_period(
        self, entitlement_id: uuid.UUID, seen_period_end: datetime, next_period_end: datetime
    ) -> bool:
        """Refill the quota for a new period, once: the UPDATE only matches the period we saw,
        so two schedulers running at once cannot reset the same period twice."""
        result = self.session.execute(
            update(Entitlement)
            .where(
                col(Entitlement.id) == entitlement_id,
                col(Entitlement.status) == EntitlementStatus.active,
                col(Entitlement.period_ends_at) == seen_period_end,
            )
            .values(quota_remaining=Entitlement.quota_total, period_ends_at=next_period_end)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def past_validity(self, now: datetime, limit: int) -> list[Entitlement]:
        stmt = (
            select(Entitlement)
            .where(
                Entitlement.status == EntitlementStatus.active,
                col(Entitlement.valid_until).is_not(None),
                col(Entitlement.valid_until) <= now,
            )
            .limit(limit)
        )
        return list(self.session.exec(stmt).all())

    def order_counts_by_status(self) -> dict[str, int]:
        stmt = select(Order.status, func.count()).group_by(col(Order.status))
        return {str(status): int(n) for status, n in self.session.exec(stmt)}

    def entitlements_on(self, dataset_ids: list[uuid.UUID]) -> list[Entitlement]:
        if not dataset_ids:
            return []
        stmt = (
            select(Entitlement)
            .where(col(Entitlement.dataset_id).in_(dataset_ids))
            .order_by(col(Entitlement.created_at).desc())
        )
        return list(self.session.exec(stmt).all())

    def newest_active_entitlement(
        self, buyer_org_id: uuid.UUID, dataset_id: uuid.UUID, unit: str, now: datetime
    ) -> uuid.UUID | None:
        stmt = (
            select(Entitlement.id)
            .where(
                Entitlement.buyer_org_id == buyer_org_id,
                Entitlement.dataset_id == dataset_id,
                Entitlement.quota_unit == unit,
                Entitlement.status == EntitlementStatus.active,
                or_(col(Entitlement.valid_until).is_(None), col(Entitlement.valid_until) > now),
            )
            .order_by(col(Entitlement.created_at).desc())
            .limit(1)
        )
        return self.session.exec(stmt).first()

    def current_scenario(
        self, buyer_org_id: uuid.UUID, dataset_id: uuid.UUID, now: datetime
    ) -> str | None:
        stmt = (
            select(Entitlement.usage_scenario)
            .where(
                Entitlement.buyer_org_id == buyer_org_id,
                Entitlement.dataset_id == dataset_id,
                Entitlement.status == EntitlementStatus.active,
                or_(col(Entitlement.valid_until).is_(None), col(Entitlement.valid_until) > now),
            )
            .order_by(col(Entitlement.created_at).desc())
            .limit(1)
        )
        return self.session.exec(stmt).first()
