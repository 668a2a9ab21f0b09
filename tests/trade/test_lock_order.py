"""Expiry and refunds on the same entitlements at once: no deadlock, one consistent outcome.

Both paths lock an order and its entitlement; they must take the two in the same order (order
first, see ``trade.repository``), or PostgreSQL aborts one of them with a deadlock.
Real threads and committed rows on PostgreSQL (SQLite serializes writers, so the race cannot
happen there): two housekeeping runs expire every entitlement while each order is refunded in
two halves by two admins.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from accounts.models import Role
from accounts.principal import Principal
from billing import ledger
from ground.config import Settings
from ground.db import unit_of_work, utcnow
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import (
    create_listed_dataset,
    create_org,
    create_plan,
    create_user,
    place_order,
    principal_of,
)
from trade import service as trade
from trade import settlement
from trade.models import Entitlement, EntitlementStatus, OrderStatus, OrderTransition

ORDERS, PRICE, QUOTA = 12, 8_000, 40
HOUSEKEEPERS = 2


@pytest.fixture
def paid_orders(committed_database: str, settings: Settings) -> tuple[list[uuid.UUID], Principal]:
    """Orders paid by bank transfer (refundable), active, and past validity a month from now."""
    if not is_postgresql(committed_database):
        pytest.skip("the lock-order race needs PostgreSQL (set SLUICE_TEST_DATABASE_URL)")
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
        buyer = create_user(session, role=Role.buyer, org=create_org(session))
        admin = principal_of(create_user(session, role=Role.admin))
        listed = create_listed_dataset(session, settings, provider=provider)
        plan = create_plan(session, listed, provider=provider, price_minor=PRICE, calls=QUOTA)
        ids = []
        for n in range(ORDERS):
            order = place_order(session, buyer, listed, plan)
            settlement.record_bank_transfer(
                session,
                admin,
                order.id,
                reference=f"BOC-{n}",
                amount_minor=PRICE,
                currency="CNY",
                settings=settings,
            )
            ids.append(order.id)
    return ids, admin


def test_expiry_and_refunds_of_the_same_entitlements_do_not_deadlock(
    paid_orders: tuple[list[uuid.UUID], Principal], settings: Settings
) -> None:
    order_ids, admin = paid_orders
    after_validity = utcnow() + timedelta(days=400)
    gate = threading.Barrier(HOUSEKEEPERS + 2 * ORDERS)

    def expire() -> tuple[str, int]:
        gate.wait(timeout=60)
        try:
            with unit_of_work() as session:
                return "ok", trade.expire_and_reset(session, now=after_validity).expired
        except Exception as exc:  # a deadlock surfaces as a driver error, not a SluiceError
            return f"{type(exc).__name__}: {str(exc).splitlines()[0]}", 0

    def refund_half(order_id: uuid.UUID) -> tuple[str, int]:
        gate.wait(timeout=60)
        try:
            with unit_of_work() as session:
                settlement.refund_order(
                    session,
                    admin,
                    order_id,
                    amount_minor=PRICE // 2,
                    reason="half back",
                    settings=settings,
                )
            return "ok", 0
        except Exception as exc:  # a refusal (SluiceError) or a driver error: both fail it
            return f"{type(exc).__name__}: {str(exc).splitlines()[0]}", 0

    with ThreadPoolExecutor(max_workers=HOUSEKEEPERS + 2 * ORDERS) as pool:
        housekeeping = [pool.submit(expire) for _ in range(HOUSEKEEPERS)]
        refunding = [pool.submit(refund_half, i) for i in order_ids for _ in range(2)]
        outcomes = [f.result(timeout=300) for f in housekeeping + refunding]

    assert Counter(status for status, _ in outcomes) == {"ok": HOUSEKEEPERS + 2 * ORDERS}
    expired_by_housekeeping = sum(n for _, n in outcomes)
    with unit_of_work() as session:
        expired = 0
        for order_id in order_ids:
            order = trade.get_any_order(session, order_id)
            entitlement = session.exec(
                select(Entitlement).where(Entitlement.order_id == order_id)
            ).one()
            moves = [
                (t.from_status, t.to_status)
                for t in session.exec(
                    select(OrderTransition).where(OrderTransition.order_id == order_id)
                )
            ]
            assert order.status is OrderStatus.refunded
            assert ledger.paid_net(session, order_id) == 0
            # Both halves took back their share, whichever came first: nothing is left.
            assert (entitlement.quota_total, entitlement.quota_remaining) == (0, 0)
            assert moves.count((OrderStatus.active, OrderStatus.expired)) == (
                entitlement.status is EntitlementStatus.expired
            )
            # Expired first (then refunded), or refunded first (revoked, never expired).
            assert entitlement.status in (EntitlementStatus.expired, EntitlementStatus.revoked)
            assert len([m for m in moves if m[1] is OrderStatus.refunded]) == 1
            expired += entitlement.status is EntitlementStatus.expired
        assert expired_by_housekeeping == expired
