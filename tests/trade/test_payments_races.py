"""The same Stripe event delivered twice at the same moment credits the order once.

Real threads and committed rows on PostgreSQL: the unique (source, external_id) constraint makes
the second insert wait for the first transaction and then fail, so it is answered as a replay.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.models import Role
from billing import ledger, stripe_webhooks
from ground.config import Settings
from ground.db import unit_of_work
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import (
    create_listed_dataset,
    create_order,
    create_user,
)
from tests.fixtures.stripe import checkout_completed, sign
from trade import service as trade
from trade.models import OrderStatus

DELIVERIES = 8
PRICE = 50_00


@pytest.fixture
def awaiting(committed_database: str, stripe_settings: Settings) -> tuple[uuid.UUID, str]:
    if not is_postgresql(committed_database):
        pytest.skip("the delivery race needs PostgreSQL (set SLUICE_TEST_DATABASE_URL)")
    event_id = f"evt_race_{uuid.uuid4().hex}"
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
        reviewer = create_user(session, role=Role.compliance)
        buyer = create_user(session, role=Role.buyer)
        listed = create_listed_dataset(
            session, stripe_settings, provider=provider, reviewer=reviewer
        )
        order_id = create_order(session, buyer, listed, provider, price_minor=PRICE).id
    return order_id, event_id


def test_concurrent_deliveries_of_one_event_credit_once(
    awaiting: tuple[uuid.UUID, str], stripe_settings: Settings
) -> None:
    order_id, event_id = awaiting
    payload = checkout_completed(str(order_id), PRICE, f"pi_{event_id}", event_id=event_id)
    gate = threading.Barrier(DELIVERIES)

    def deliver() -> str:
        gate.wait(timeout=60)
        with unit_of_work() as session:
            event = stripe_webhooks.handle_stripe_webhook(
                session, payload, sign(payload), stripe_settings
            )
            return "replay" if event is None else str(event.status)

    with ThreadPoolExecutor(max_workers=DELIVERIES) as pool:
        outcomes = Counter(pool.map(lambda _: deliver(), range(DELIVERIES)))
    assert outcomes == {"processed": 1, "replay": DELIVERIES - 1}
    with unit_of_work() as session:
        assert ledger.paid_net(session, order_id) == PRICE
        assert trade.get_any_order(session, order_id).status is OrderStatus.active
