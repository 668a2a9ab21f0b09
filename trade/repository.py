"""Queries on orders and entitlements, including the atomic quota decrement and reset.

Lock order. A unit of work that locks both an order and its entitlement locks the **order
first** (``order(..., for_update=True)``), then changes the entitlement: payment and activation,
refunds (``trade.settlement.take_back_refund``, after ``billing.refunds`` locked the order's
payments), expiry (``service.expire_and_reset``). Taking them the other
way round in one path would let PostgreSQL deadlock it against another (each holding the row
the other waits for). Several orders in one unit of work are locked in ascending ``order_id``
(``past_validity`` returns them so), so two housekeeping runs cannot deadlock either. Paths
that lock an entitlement alone (quota charges, overage, revocation) never wait for an order
lock afterwards; an overage invoice creates a new order under the entitlement's lock, a row
nobody else can hold. Further down the same order: overage accounts, then sandbox grants (a
refunded sandbox pack withdraws its budget after the entitlement is reduced). An emergency stop
locks its entitlements in ascending id, then the grants in ascending id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, exists, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, func, select

from trade.models import (
    Entitlement,
    EntitlementStatus,
    Order,
    OrderStatus,
    OrderTransition,
)
from trade.stop_repository import covering


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

    def move_order(
        self, order_id: uuid.UUID, seen: OrderStatus, to: OrderStatus, now: datetime
    ) -> bool:
        """Set the order's status to ``to`` in one conditional UPDATE, only if it is still
        ``seen``; whether it moved (a concurrent change made it lose: zero rows)."""
        result = self.session.execute(
            update(Order)
            .where(col(Order.id) == order_id, col(Order.status) == seen)
            .values(status=to, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def order_status(self, order_id: uuid.UUID) -> OrderStatus:
        """The order's status as committed now (not the session's copy)."""
        return OrderStatus(
            str(self.session.scalar(select(Order.status).where(Order.id == order_id)))
        )

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

    def entitlements(
        self,
        *,
        buyer_org_id: uuid.UUID | None,
        dataset_id: uuid.UUID | None,
        status: EntitlementStatus | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Entitlement], int]:
        where: list[ColumnElement[bool]] = []
        if buyer_org_id is not None:
            where.append(col(Entitlement.buyer_org_id) == buyer_org_id)
        if dataset_id is not None:
            where.append(col(Entitlement.dataset_id) == dataset_id)
        if status is not None:
            where.append(col(Entitlement.status) == status)
        total = self.session.exec(select(func.count()).select_from(Entitlement).where(*where)).one()
        rows = self.session.exec(
            select(Entitlement)
            .where(*where)
            .order_by(col(Entitlement.created_at).desc(), col(Entitlement.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    def usable_entitlements(
        self, org_id: uuid.UUID, dataset_id: uuid.UUID, now: datetime, units: Sequence[str]
    ) -> list[tuple[uuid.UUID, str, int, bool]]:
        """``(id, quota_unit, quota_remaining, stopped)`` of usable entitlements, oldest first,
        where ``stopped`` says a standing emergency stop covers the buyer on the dataset: one
        plain SELECT (no lock), the data API's check before it reads anything."""
        stopped = exists().where(*covering(org_id, dataset_id))
        stmt = (
            core_select(
                col(Entitlement.id),
                col(Entitlement.quota_unit),
                col(Entitlement.quota_remaining),
                stopped.label("stopped"),
            )
            .where(
                col(Entitlement.buyer_org_id) == org_id,
                col(Entitlement.dataset_id) == dataset_id,
                col(Entitlement.status) == EntitlementStatus.active,
                col(Entitlement.quota_unit).in_(list(units)),
                or_(col(Entitlement.valid_until).is_(None), col(Entitlement.valid_until) > now),
            )
            .order_by(col(Entitlement.created_at), col(Entitlement.id))
        )
        return [(i, str(u), int(r), bool(s)) for i, u, r, s in self.session.execute(stmt).all()]

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

    def lock_usable(self, entitlement_id: uuid.UUID, now: datetime) -> tuple[int, str] | None:
        """Lock a usable entitlement's row until the unit of work ends; its quota left and usage
        scenario, or ``None`` if it is no longer usable. For charges that must read the quota
        before deciding (part included, part overage); SQLite's BEGIN IMMEDIATE already
        serializes writers."""
        stmt = (
            select(Entitlement.quota_remaining, Entitlement.usage_scenario)
            .where(
                Entitlement.id == entitlement_id,
                Entitlement.status == EntitlementStatus.active,
                or_(col(Entitlement.valid_until).is_(None), col(Entitlement.valid_until) > now),
            )
            .with_for_update()
        )
        row = self.session.exec(stmt).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def lock(self, entitlement_id: uuid.UUID) -> Entitlement | None:
        stmt = (
            select(Entitlement)
            .where(Entitlement.id == entitlement_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.exec(stmt).first()

    def set_remaining(self, entitlement_id: uuid.UUID, *, seen: int, new: int) -> bool:
        """Compare-and-set the quota left (the caller holds the row lock, so it matches)."""
        result = self.session.execute(
            update(Entitlement)
            .where(col(Entitlement.id) == entitlement_id, col(Entitlement.quota_remaining) == seen)
            .values(quota_remaining=new)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def reduce_quota(self, entitlement_id: uuid.UUID, units: int) -> tuple[int, int]:
        """Take ``units`` off the quota per period and off what is left now, never below zero,
        in one UPDATE evaluated on the current row; the new (total, remaining)."""
        stmt = (
            update(Entitlement)
            .where(col(Entitlement.id) == entitlement_id)
            .values(
                quota_total=case(
                    (col(Entitlement.quota_total) > units, col(Entitlement.quota_total) - units),
                    else_=0,
                ),
                quota_remaining=case(
                    (
                        col(Entitlement.quota_remaining) > units,
                        col(Entitlement.quota_remaining) - units,
                    ),
                    else_=0,
                ),
            )
            .returning(col(Entitlement.quota_total), col(Entitlement.quota_remaining))
            .execution_options(synchronize_session=False)
        )
        total, remaining = self.session.execute(stmt).one()
        return int(total), int(remaining)

    def set_budget(
        self, entitlement_id: uuid.UUID, epsilon_total: float | None, delta_total: float | None
    ) -> None:
        self.session.execute(
            update(Entitlement)
            .where(col(Entitlement.id) == entitlement_id)
            .values(epsilon_total=epsilon_total, delta_total=delta_total)
            .execution_options(synchronize_session=False)
        )

    def ended_among(self, entitlement_ids: Sequence[uuid.UUID], now: datetime) -> list[Entitlement]:
        """Those of these entitlements that no longer serve calls (ended or past validity)."""
        if not entitlement_ids:
            return []
        stmt = select(Entitlement).where(
            col(Entitlement.id).in_(list(entitlement_ids)),
            or_(
                col(Entitlement.status) != EntitlementStatus.active,
                col(Entitlement.valid_until) <= now,
            ),
        )
        return list(self.session.exec(stmt).all())

    def end_if_active(
        self,
        entitlement_id: uuid.UUID,
        status: EntitlementStatus,
        *,
        valid_until_by: datetime | None = None,
    ) -> bool:
        """End an active entitlement (expired or revoked) in one conditional UPDATE; whether it
        did. An entitlement ended meanwhile keeps the status it got first (a refund's
        ``revoked`` is not overwritten by an expiry that read the row before it), and with
        ``valid_until_by`` only one past its validity then is ended. The caller holds the
        order's lock (see the lock order above)."""
        conditions = [
            col(Entitlement.id) == entitlement_id,
            col(Entitlement.status) == EntitlementStatus.active,
        ]
        if valid_until_by is not None:
            conditions.append(col(Entitlement.valid_until) <= valid_until_by)
        result = self.session.execute(
            update(Entitlement)
            .where(*conditions)
            .values(status=status)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    def revoke_active(
        self, *, buyer_org_id: uuid.UUID | None, dataset_id: uuid.UUID | None
    ) -> list[uuid.UUID]:
        """Revoke every active entitlement of a buyer, on a dataset, or both; their ids.

        Locked in ascending id, like every multi-row lock here: two stops (by buyer and by
        dataset) that overlap queue behind each other instead of deadlocking, and the second
        re-reads the status after the first commits, so no entitlement is counted (and
        audited as revoked) by both."""
        conditions = [col(Entitlement.status) == EntitlementStatus.active]
        if buyer_org_id is not None:
            conditions.append(col(Entitlement.buyer_org_id) == buyer_org_id)
        if dataset_id is not None:
            conditions.append(col(Entitlement.dataset_id) == dataset_id)
        ids = list(
            self.session.exec(
                select(Entitlement.id)
                .where(*conditions)
                .order_by(col(Entitlement.id))
                .with_for_update()
            ).all()
        )
        if ids:
            self.session.execute(
                update(Entitlement)
                .where(col(Entitlement.id).in_(ids), *conditions)
                .values(status=EntitlementStatus.revoked)
                .execution_options(synchronize_session=False)
            )
        return ids

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
        """Active entitlements past their validity, in ascending ``order_id``: the order in which
        their orders are locked (read without locks; the caller locks and re-checks)."""
        stmt = (
            select(Entitlement)
            .where(
                Entitlement.status == EntitlementStatus.active,
                col(Entitlement.valid_until).is_not(None),
                col(Entitlement.valid_until) <= now,
            )
            .order_by(col(Entitlement.order_id))
            .limit(limit)
        )
        return list(self.session.exec(stmt).all())

    def order_counts_by_status(self, buyer_org_id: uuid.UUID | None = None) -> dict[str, int]:
        """Orders per status: all of them, or one buyer organization's."""
        stmt = select(Order.status, func.count()).group_by(col(Order.status))
        if buyer_org_id is not None:
            stmt = stmt.where(Order.buyer_org_id == buyer_org_id)
        return {str(status): int(n) for status, n in self.session.exec(stmt)}

    def revoked_count(self, buyer_org_id: uuid.UUID) -> int:
        """How many of the buyer organization's entitlements were revoked."""
        stmt = (
            select(func.count())
            .select_from(Entitlement)
            .where(
                Entitlement.buyer_org_id == buyer_org_id,
                Entitlement.status == EntitlementStatus.revoked,
            )
        )
        return int(self.session.exec(stmt).one())

    def entitlements_on(self, dataset_ids: list[uuid.UUID]) -> list[Entitlement]:
        if not dataset_ids:
            return []
        stmt = (
            select(Entitlement)
            .where(col(Entitlement.dataset_id).in_(dataset_ids))
            .order_by(col(Entitlement.created_at).desc())
        )
        return list(self.session.exec(stmt).all())

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
