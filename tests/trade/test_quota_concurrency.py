"""No oversell under concurrency: 200 simultaneous data API calls against a quota of 100, and
no debt past the overage limit: 60 calls against a quota of 10 with an overage limit of 20.

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

from accounts.models import Role, User
from billing.models import OverageAccount, UsageEvent
from ground.config import Settings
from ground.db import unit_of_work
from ground.errors import SluiceError
from market.dataapi import service as dataapi
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import (
    activate_plan,
    create_listed_dataset,
    create_org,
    create_user,
    principal_of,
)
from trade.models import Entitlement

CALLS, QUOTA = 200, 100
OVERAGE_CALLS, OVERAGE_QUOTA, OVERAGE_LIMIT, OVERAGE_PRICE = 60, 10, 20, 3


def _committed(committed_database: str, settings: Settings, **plan: int) -> dict[str, uuid.UUID]:
    if not is_postgresql(committed_database):
        pytest.skip("the concurrency race needs PostgreSQL (set SLUICE_TEST_DATABASE_URL)")
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
        buyer = create_user(session, role=Role.buyer, org=create_org(session))
        reviewer = create_user(session, role=Role.compliance)
        listed = create_listed_dataset(session, settings, provider=provider, reviewer=reviewer)
        _order, entitlement = activate_plan(session, buyer, listed, provider, **plan)
        ids = {
            "buyer": buyer.id,
            "dataset": listed.id,
            "entitlement": entitlement.id,
        }
    return ids


@pytest.fixture
def committed(committed_database: str, settings: Settings) -> dict[str, uuid.UUID]:
    return _committed(committed_database, settings, calls=QUOTA)


def _call(
    buyer_id: uuid.UUID, dataset_id: uuid.UUID, settings: Settings, gate: threading.Barrier
) -> tuple[int, int]:
    """One data API call in its own transaction: the status and the overage units charged."""
    with unit_of_work() as session:
        user = session.get(User, buyer_id)
        assert user is not None
        principal = principal_of(user)
    gate.wait(timeout=60)
    try:
        with unit_of_work() as session:
            page = dataapi.read_rows(
                session, principal, dataset_id, limit=1, offset=0, data_dir=settings.data_dir
            )
        return 200, int(page["overage_units"])
    except SluiceError as exc:
        return exc.status_code, 0


def _race(ids: dict[str, uuid.UUID], settings: Settings, calls: int) -> Counter[tuple[int, int]]:
    gate = threading.Barrier(calls)
    with ThreadPoolExecutor(max_workers=calls) as pool:
        futures = [
            pool.submit(_call, ids["buyer"], ids["dataset"], settings, gate) for _ in range(calls)
        ]
        return Counter(f.result(timeout=300) for f in futures)


def test_200_concurrent_calls_against_a_quota_of_100(
    committed: dict[str, uuid.UUID], settings: Settings
) -> None:
    outcomes = _race(committed, settings, CALLS)
    assert outcomes == {(200, 0): QUOTA, (429, 0): CALLS - QUOTA}
    with unit_of_work() as session:
        entitlement = session.get(Entitlement, committed["entitlement"])
        assert entitlement is not None
        assert entitlement.quota_remaining == 0
        metered = session.exec(
            select(UsageEvent).where(UsageEvent.entitlement_id == committed["entitlement"])
        ).all()
        assert len(metered) == QUOTA


def test_concurrent_overage_never_passes_the_limit(
    committed_database: str, settings: Settings
) -> None:
    ids = _committed(
        committed_database,
        settings,
        calls=OVERAGE_QUOTA,
        overage_price_minor=OVERAGE_PRICE,
        overage_limit_units=OVERAGE_LIMIT,
    )
    outcomes = _race(ids, settings, OVERAGE_CALLS)
    refused = OVERAGE_CALLS - OVERAGE_QUOTA - OVERAGE_LIMIT
    assert outcomes == {(200, 0): OVERAGE_QUOTA, (200, 1): OVERAGE_LIMIT, (429, 0): refused}
    with unit_of_work() as session:
        entitlement = session.get(Entitlement, ids["entitlement"])
        assert entitlement is not None
        assert entitlement.quota_remaining == 0
        account = session.exec(
            select(OverageAccount).where(OverageAccount.entitlement_id == entitlement.id)
        ).one()
        assert account.accrued_units == OVERAGE_LIMIT
        metered = session.exec(
            select(UsageEvent).where(UsageEvent.entitlement_id == entitlement.id)
        ).all()
        assert len(metered) == OVERAGE_QUOTA + OVERAGE_LIMIT
        assert sum(e.overage_minor for e in metered) == OVERAGE_LIMIT * OVERAGE_PRICE
