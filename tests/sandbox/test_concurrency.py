"""50 concurrent queries on one grant, on real committed rows: ε is never overspent.

Each thread runs the full service path (reserve, commit, run DuckDB, settle) in its own unit
of work against the session's database (PostgreSQL in CI's second run, SQLite otherwise). The
grant holds ε = 1.0 and every query asks for 0.1: exactly ten may run, and the ledger of
record must sum to exactly 1.0. With the budget bought as two packs of ε = 0.5, each pack pays
exactly five and each pack's entitlement is metered with exactly its ε. The test commits its
rows in a scratch database of its own.
"""

from __future__ import annotations

import functools
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlmodel import Session, col, select

from accounts.models import Role, User
from anonymize import accountant
from billing.models import PlanKind, UsageEvent
from ground.config import Settings
from ground.db import Checkpoint, commit_so_far, unit_of_work
from ground.errors import SluiceError
from sandbox import service
from sandbox.errors import BudgetExhausted
from sandbox.models import QueryStatus
from sandbox.repository import SandboxRepository
from tests.fixtures.factories import (
    activate_plan,
    create_sandbox_buyer,
    create_sandbox_dataset,
    create_user,
    principal_of,
)

THREADS = 50


@dataclass
class Committed:
    dataset_id: uuid.UUID
    buyer: User


@pytest.fixture
def committed(committed_database: str, settings: Settings) -> Committed:
    """Real commits in a database of the test's own, so threads see each other's rows."""
    with unit_of_work() as session:
        dataset, _provider, _reviewer = create_sandbox_dataset(session, settings)
        buyer = create_sandbox_buyer(session, settings, dataset, epsilon=1.0, delta=1e-5)
    return Committed(dataset.id, buyer)


def checkpoint(session: Session) -> Checkpoint:
    """What the request's unit of work hands the service (``ground.dependencies``)."""
    return functools.partial(commit_so_far, session)


def _race(committed: Committed, settings: Settings) -> list[str]:
    """THREADS queries of ε = 0.1 at once; each one's outcome."""
    buyer = principal_of(committed.buyer)
    barrier = threading.Barrier(THREADS)

    def one_query(i: int) -> str:
        barrier.wait()
        try:
            with unit_of_work() as session:
                # Distinct texts, so none is answered from a stored result.
                sql = f"SELECT count(*) AS n{i} FROM dataset"
                item, stored = service.submit(
                    session, buyer, committed.dataset_id, sql, 0.1, settings, checkpoint(session)
                )
                assert not stored
                return str(item.status)
        except BudgetExhausted:
            return "exhausted"
        except SluiceError as exc:
            return type(exc).__name__

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(one_query, range(THREADS)))


def test_fifty_concurrent_queries_never_overspend(committed: Committed, settings: Settings) -> None:
    buyer = principal_of(committed.buyer)
    outcomes = _race(committed, settings)
    assert outcomes.count(str(QueryStatus.succeeded)) == 10, outcomes
    assert outcomes.count("exhausted") == THREADS - 10, outcomes
    with unit_of_work() as session:
        repo = SandboxRepository(session)
        grant = repo.grant_of(buyer.org_id, committed.dataset_id)
        assert grant is not None
        balance = repo.balance(grant.id)
        assert balance.epsilon_used == grant.epsilon_total_units == accountant.epsilon_to_units(1.0)
        assert balance.queries == 10


def test_concurrent_queries_spend_each_pack_exactly_and_meter_it(
    committed_database: str, settings: Settings
) -> None:
    with unit_of_work() as session:
        dataset, provider, _reviewer = create_sandbox_dataset(session, settings)
        buyer = create_user(session, role=Role.buyer)
        packs = [
            activate_plan(
                session,
                buyer,
                dataset,
                provider,
                kind=PlanKind.sandbox_pack,
                calls=THREADS,
                epsilon=0.5,
                delta=1e-5,
            )[1].id
            for _ in range(2)
        ]
    outcomes = _race(Committed(dataset.id, buyer), settings)

    assert outcomes.count(str(QueryStatus.succeeded)) == 10, outcomes
    assert outcomes.count("exhausted") == THREADS - 10, outcomes
    with unit_of_work() as session:
        repo = SandboxRepository(session)
        grant = repo.grant_of(buyer.organization_id, dataset.id)
        assert grant is not None
        spent = repo.spent_by_allotment(grant.id)
        half = accountant.epsilon_to_units(0.5)
        for pack in packs:
            allotment = repo.allotment_of(pack)
            assert allotment is not None
            assert (spent[allotment.id].epsilon_used, spent[allotment.id].queries) == (half, 5)
            metered = session.exec(select(UsageEvent).where(UsageEvent.entitlement_id == pack))
            assert sorted(e.epsilon for e in metered) == [0.1] * 5
        unattributed = select(UsageEvent).where(col(UsageEvent.entitlement_id).is_(None))
        assert session.exec(unattributed).all() == []
