"""The audit log's guarantees where they matter: appends from concurrent transactions never wait
for each other (PostgreSQL), and a server killed mid-flight leaves every committed action with
its record and a chain that verifies once sealed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import event, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from accounts.models import ApiKey, Role, User
from audit import service as audit
from audit.models import AuditRecord
from ground import db
from ground.config import Settings
from market.shell.cli import app as cli_app
from tests.fixtures.client import bearer
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import create_user
from tests.fixtures.servers import wait_until_answers
from tests.fixtures.settings import apply_settings

ROOT = Path(__file__).resolve().parents[2]
OPEN_AT_ONCE = 8


def test_appending_transactions_are_open_at_once_and_commit_independently(
    committed_database: str,
) -> None:
    """Each transaction appends its record and, before committing, opens the next one: all
    eight hold an appended, uncommitted record at the same time, and each commits while the
    ones around it are still open. A shared lock taken by an append (the old chain head) would
    make the second one wait for the first to commit, which never happens: ``lock_timeout``
    turns that wait into an error instead of a hang. Sealed afterwards, the chain is whole."""
    if not is_postgresql(committed_database):
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time by design")
    committed: list[int] = []

    def open_and_append(depth: int) -> None:
        with db.unit_of_work() as session:
            session.execute(text("SET LOCAL lock_timeout = '10s'"))
            audit.record(session, "test.open", actor=None, details={"depth": depth})
            if depth < OPEN_AT_ONCE:
                # Runs inside this commit, after the audit hook has INSERTed this record.
                event.listen(
                    session, "before_commit", lambda _s: open_and_append(depth + 1), once=True
                )
        committed.append(depth)

    open_and_append(1)
    assert committed == list(range(OPEN_AT_ONCE, 0, -1))  # the innermost committed first
    with db.unit_of_work() as session:
        report = audit.verify(session)
        seqs = session.exec(select(AuditRecord.seq).order_by(col(AuditRecord.seq))).all()
    assert report.ok, report.reason
    assert report.records_checked == OPEN_AT_ONCE
    assert list(seqs) == list(range(1, OPEN_AT_ONCE + 1))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(port: int, log: Path, output: IO[bytes]) -> subprocess.Popen[bytes]:
    """``sluice serve`` in its own process (the settings are in the environment), once it
    answers ``/healthz``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "market.shell.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/healthz", process, log)
    except BaseException:
        process.kill()
        raise
    return process


@pytest.fixture
def server_settings(
    settings: Settings, committed_database: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The test's settings, on its own committed database (a server process must see the
    rows the test commits, and the test the rows the server commits)."""
    return apply_settings(monkeypatch, database_url=committed_database)


def _create_keys_until_stopped(
    base: str,
    headers: dict[str, str],
    acknowledged: list[str],
    stop: threading.Event,
    acked: threading.Condition,
) -> None:
    """Audited actions (API key creations) one after another until the server dies."""
    while not stop.is_set():
        request = urllib.request.Request(
            f"{base}/api/v1/api-keys",
            data=json.dumps({"name": uuid.uuid4().hex[:8]}).encode(),
            headers={**headers, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 201
                with acked:
                    acknowledged.append(json.load(response)["id"])
                    acked.notify_all()
        except urllib.error.HTTPError:
            raise  # a refusal is a failure of the test, not the kill
        except OSError:
            return  # the server was killed: connection refused or reset


def _kill_mid_flight(
    server: subprocess.Popen[bytes],
    port: int,
    buyers: list[User],
    settings: Settings,
    log: Path,
) -> list[str]:
    """Four clients create API keys; the server is SIGKILLed once 40 were acknowledged,
    while the clients are still sending. Returns the acknowledged key ids."""
    acknowledged: list[str] = []
    acked = threading.Condition()
    stop = threading.Event()
    clients = [
        threading.Thread(
            target=_create_keys_until_stopped,
            args=(f"http://127.0.0.1:{port}", bearer(b, settings), acknowledged, stop, acked),
        )
        for b in buyers
    ]
    try:
        for thread in clients:
            thread.start()
        with acked:  # woken by every acknowledgement; the timeout notices a dead server
            while len(acknowledged) < 40 and server.poll() is None:
                acked.wait(timeout=1)
        server.send_signal(signal.SIGKILL)  # mid-flight: four clients are sending
        server.wait(timeout=30)
    finally:
        stop.set()
        if server.poll() is None:
            server.kill()
        for thread in clients:
            thread.join(timeout=60)
    assert len(acknowledged) >= 40, log.read_text()
    return acknowledged


def test_a_killed_server_leaves_every_committed_action_recorded_and_a_valid_chain(
    server_settings: Settings, tmp_path: Path
) -> None:
    with db.unit_of_work() as session:
        buyers = [create_user(session, role=Role.buyer) for _ in range(4)]
    port, log = _free_port(), tmp_path / "server.log"
    with log.open("wb") as output:
        server = _start_server(port, log, output)
        acknowledged = _kill_mid_flight(server, port, buyers, server_settings, log)

    verified = CliRunner().invoke(cli_app, ["audit", "verify"])  # seals, then verifies
    assert verified.exit_code == 0, verified.output
    assert "OK" in verified.output

    with db.new_session() as session:
        keys = {str(k) for k in session.exec(select(ApiKey.id)).all()}
        records = _records_of(session, "api_key.create")
    assert set(acknowledged) <= keys  # every acknowledged action committed
    assert sorted(str(r.subject_id) for r in records) == sorted(keys)  # each recorded once
    assert all(r.seq is not None for r in records)  # and sealed by `audit verify`


def _records_of(session: Session, action: str) -> list[AuditRecord]:
    return list(session.exec(select(AuditRecord).where(AuditRecord.action == action)).all())
