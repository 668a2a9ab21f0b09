"""No oversell under concurrency: 200 simultaneous data API calls against a quota of 100.

Real threads, each with its own connection and committed transaction, on PostgreSQL (SQLite
serializes writers with BEGIN IMMEDIATE, so the race cannot happen there). The test commits
its own data and deletes it afterwards, because the threads must see committed rows.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from billing.models import UsageEvent
from market.accounts.models import Role, User
from market.config import Settings
from market.dataapi import service as dataapi
from market.db import unit_of_work
from market.errors import SluiceError
from market.trade import service as trade
from market.trade import states
from market.trade.models import Entitlement, OrderStatus
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import (
    create_dataset,
    create_org,
    create_plan,
    create_user,
    list_dataset,
    place_order,
    principal_of,
)

CALLS, QUOTA = 200, 100


@pytest.fixture
def committed(committed_database: str, settings: Settings) -> dict[str, uuid.UUID]:
    if not is_postgresql(committed_database):
        pytest.skip("the concurrency race needs PostgreSQL (set SLUICE_DATABASE_URL)")
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
        buyer = create_user(session, role=Role.buyer, org=create_org(session))
        reviewer = create_user(session, role=Role.compliance)
        listed = list_dataset(
            session,
            create_dataset(session, settings, provider=provider),
            provider=provider,
            reviewer=reviewer,
        )
        plan = create_plan(session, listed, provider=provider, calls=QUOTA)
        order = place_order(session, buyer, listed, plan)
        states.transition(session, order, OrderStatus.paid)
        entitlement = trade.activate(session, order, actor_id=None)
        ids = {
            "buyer": buyer.id,
            "dataset": listed.id,
            "entitlement": entitlement.id,
        }
    return ids


def _call(
    buyer_id: uuid.UUID, dataset_id: uuid.UUID, settings: Settings, gate: threading.Barrier
) -> int:
    with unit_of_work() as session:
        user = session.get(User, buyer_id)
        assert user is not None
        principal = principal_of(user)
    gate.wait(timeout=60)
    try:
        with unit_of_work() as session:
            dataapi.read_rows(
                session, principal, dataset_id, limit=1, offset=0, data_dir=settings.data_dir
            )
        return 200
    except SluiceError as exc:
        return exc.status_code


def test_200_concurrent_calls_against_a_quota_of_100(
    committed: dict[str, uuid.UUID], settings: Settings
) -> None:
    gate = threading.Barrier(CALLS)
    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        futures = [
            pool.submit(_call, committed["buyer"], committed["dataset"], settings, gate)
            for _ in range(CALLS)
        ]
        outcomes = Counter(f.result(timeout=300) for f in futures)
    assert outcomes == {200: QUOTA, 429: CALLS - QUOTA}
    with unit_of_work() as session:
        entitlement = session.get(Entitlement, committed["entitlement"])
        assert entitlement is not None
        assert entitlement.quota_remaining == 0
        metered = session.exec(
            select(UsageEvent).where(UsageEvent.entitlement_id == committed["entitlement"])
        ).all()
        assert len(metered) == QUOTA
