"""50 concurrent queries on one grant, on real committed rows: ε is never overspent.

Each thread runs the full service path (reserve, commit, run DuckDB, settle) in its own unit
of work against the session's database (PostgreSQL in CI's second run, SQLite otherwise). The
grant holds ε = 1.0 and every query asks for 0.1: exactly ten may run, and the ledger of
record must sum to exactly 1.0. The test commits its rows in a scratch database of its own.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from anonymize import accountant
from market.accounts.models import User
from market.config import Settings
from market.db import unit_of_work
from market.errors import SluiceError
from sandbox import service
from sandbox.errors import BudgetExhausted
from sandbox.models import QueryStatus
from sandbox.repository import SandboxRepository
from tests.fixtures.factories import create_sandbox_buyer, create_sandbox_dataset, principal_of

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


def test_fifty_concurrent_queries_never_overspend(committed: Committed, settings: Settings) -> None:
    buyer = principal_of(committed.buyer)
    barrier = threading.Barrier(THREADS)

    def one_query(i: int) -> str:
        barrier.wait()
        try:
            with unit_of_work() as session:
                # Distinct texts, so none is answered from a stored result.
                sql = f"SELECT count(*) AS n{i} FROM dataset"
                item, stored = service.submit(
                    session, buyer, committed.dataset_id, sql, 0.1, settings
                )
                assert not stored
                return str(item.status)
        except BudgetExhausted:
            return "exhausted"
        except SluiceError as exc:
            return type(exc).__name__

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(one_query, range(THREADS)))

    assert outcomes.count(str(QueryStatus.succeeded)) == 10, outcomes
    assert outcomes.count("exhausted") == THREADS - 10, outcomes
    with unit_of_work() as session:
        repo = SandboxRepository(session)
        grant = repo.grant_of(buyer.org_id, committed.dataset_id)
        assert grant is not None
        balance = repo.balance(grant.id)
        assert balance.epsilon_used == grant.epsilon_total_units == accountant.epsilon_to_units(1.0)
        assert balance.queries == 10
