"""Many concurrent data calls on one key and one entitlement against a real uvicorn server:
every call ends (200 or 429), and the quota is exact.

A deadlock detector, not a benchmark: before issue 14, 44 or more concurrent calls hung a
PostgreSQL server for good (every worker thread waiting for the API key's row lock, held by
transactions waiting for a worker thread to commit), and 64 on SQLite all failed with
"database is locked". The server runs in its own process with uvicorn's defaults (AnyIO's 40
worker threads), on a database of the test's own where every call really commits.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import func, select

from accounts.models import Role
from billing.models import UsageEvent
from ground.config import Settings
from ground.db import unit_of_work
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import (
    activate_plan,
    create_api_key,
    create_listed_dataset,
    create_org,
    create_user,
)
from tests.fixtures.servers import wait_until_answers
from trade.models import Entitlement

ROOT = Path(__file__).resolve().parents[3]
# PostgreSQL: more clients than worker threads, and more than the quota. SQLite: the 64.
CLIENTS = {"postgresql": 100, "sqlite": 64}
QUOTA = {"postgresql": 60, "sqlite": 40}
# Generous: the bound only tells a hang from a slow machine.
DEADLINE_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(committed_database: str, settings: Settings, tmp_path: Path) -> Iterator[str]:
    """uvicorn serving the app on the test's committed database; its base URL."""
    port = _free_port()
    env = {**os.environ, "SLUICE_DATABASE_URL": committed_database}
    log = (tmp_path / "uvicorn.log").open("w")
    command = [sys.executable, "-m", "uvicorn", "market.shell.app:create_app", "--factory"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base}/healthz", process, tmp_path / "uvicorn.log")
        yield base
    finally:
        process.kill()
        process.wait(timeout=30)
        log.close()


def _entitled_key(settings: Settings, quota: int) -> tuple[str, uuid.UUID, uuid.UUID]:
    """A buyer's key, a listed dataset and the buyer's entitlement of ``quota`` calls on it."""
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
        buyer = create_user(session, role=Role.buyer, org=create_org(session))
        listed = create_listed_dataset(session, settings, provider=provider)
        _order, entitlement = activate_plan(session, buyer, listed, provider, calls=quota)
        key = create_api_key(session, buyer)
    return key, listed.id, entitlement.id


def _call(url: str, key: str, gate: threading.Barrier) -> str:
    """One call's outcome: its status, or how it failed to get one."""
    gate.wait(timeout=60)
    request = urllib.request.Request(url, headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE_SECONDS) as response:
            return str(response.status)
    except urllib.error.HTTPError as refused:
        body = refused.read().decode(errors="replace")
        return str(refused.code) if refused.code != 500 else f"500 {body[:200]}"
    except OSError as failed:
        return f"no answer: {failed}"


def test_concurrent_calls_on_one_key_all_end_and_the_quota_is_exact(
    server: str, committed_database: str, settings: Settings
) -> None:
    backend = "postgresql" if is_postgresql(committed_database) else "sqlite"
    clients, quota = CLIENTS[backend], QUOTA[backend]
    key, dataset_id, entitlement_id = _entitled_key(settings, quota)
    url = f"{server}/api/v1/data/{dataset_id}/rows?limit=10"
    gate = threading.Barrier(clients)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(_call, url, key, gate) for _ in range(clients)]
        outcomes = Counter(f.result(timeout=DEADLINE_SECONDS + 90) for f in futures)
    assert outcomes == {"200": quota, "429": clients - quota}
    with unit_of_work() as session:
        entitlement = session.get(Entitlement, entitlement_id)
        assert entitlement is not None
        assert entitlement.quota_remaining == 0
        metered = session.exec(
            select(func.count())
            .select_from(UsageEvent)
            .where(UsageEvent.entitlement_id == entitlement_id)
        ).one()
        assert metered == quota
