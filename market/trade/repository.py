"""Queries on orders and entitlements, including the atomic quota decrement."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from market.trade.models import Entitlement, EntitlementStatus, Order


class TradeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, obj: Order | Entitlement) -> None:
        self.session.add(obj)
        self.session.flush()

    def order(self, order_id: uuid.UUID) -> Order | None:
        return self.session.get(Order, order_id)

    def orders_of(self, org_id: uuid.UUID, *, limit: int, offset: int) -> tuple[list[Order], int]:
        where = Order.buyer_org_id == org_id
        total = self.session.exec(select(func.count()).select_from(Order).where(where)).one()
        rows = self.session.exec(
            select(Order)
            .where(where)
            .order_by(col(Order.created_at).desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    def entitlement_of_order(self, order_id: uuid.UUID) -> Entitlement | None:
        stmt = select(Entitlement).where(Entitlement.order_id == order_id)
        return self.session.exec(stmt).first()

    def active_entitlement_ids(
        self, org_id: uuid.UUID, dataset_id: uuid.UUID, now: datetime
    ) -> list[uuid.UUID]:
        stmt = (
            select(Entitlement.id)
            .where(
                Entitlement.buyer_org_id == org_id,
                Entitlement.dataset_id == dataset_id,
                Entitlement.status == EntitlementStatus.active,
                or_(col(Entitlement.valid_until).is_(None), col(Entitlement.valid_until) > now),
            )
            .order_by(col(Entitlement.created_at), col(Entitlement.id))
        )
        return list(self.session.exec(stmt).all())

    def has_order_for_plan(self, org_id: uuid.UUID, plan_id: uuid.UUID) -> bool:
        stmt = select(Order.id).where(Order.buyer_org_id == org_id, Order.plan_id == plan_id)
        return self.session.exec(stmt).first() is not None

    def take_quota(self, entitlement_id: uuid.UUID, units: int) -> int | None:
        """Decrement in one conditional UPDATE; ``None`` when too little quota is left.

        The condition is evaluated by the database on the current row (PostgreSQL re-checks it
        after waiting on a concurrent writer), so concurrent calls can never oversell.
        """
        stmt = (
            update(Entitlement)
            .where(
                col(Entitlement.id) == entitlement_id,
                col(Entitlement.status) == EntitlementStatus.active,
                col(Entitlement.quota_remaining) >= units,
            )
            .values(quota_remaining=Entitlement.quota_remaining - units)
            .returning(col(Entitlement.quota_remaining))
            .execution_options(synchronize_session=False)
        )
        remaining = self.session.execute(stmt).scalar_one_or_none()
        return None if remaining is None else int(remaining)
