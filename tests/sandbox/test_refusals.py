"""A refused sandbox query is kept in the audit log, though its request rolls back.

Compliance watches buyers probing the allow-list (``market.reports`` counts
``sandbox.query_refused``), so the refusal is written by ``audit.record_refusal`` after the
request's unit of work rolls back; the refused request itself leaves nothing else behind.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import User
from audit.models import AuditRecord
from ground.config import Settings
from listings.models import Dataset
from sandbox.models import PrivacyLedgerEntry, SandboxQuery
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_sandbox_buyer, create_sandbox_dataset

QUERIES = "/api/v1/sandbox/queries"
PROBE = "SELECT 身份证号 FROM dataset"


def refusals(session: Session) -> list[AuditRecord]:
    session.expire_all()
    stmt = select(AuditRecord).where(AuditRecord.action == "sandbox.query_refused")
    return list(session.exec(stmt))


@pytest.fixture
def probing(session: Session, settings: Settings) -> tuple[Dataset, User]:
    """A sandbox dataset and a buyer with a budget on it, committed."""
    dataset, _, _ = create_sandbox_dataset(session, settings)
    buyer = create_sandbox_buyer(session, settings, dataset)
    session.commit()
    return dataset, buyer


def test_a_refused_query_is_audited_and_nothing_else_is_kept(
    client: TestClient, session: Session, settings: Settings, probing: tuple[Dataset, User]
) -> None:
    dataset, buyer = probing
    body = {"dataset_id": str(dataset.id), "sql": PROBE}
    response = client.post(QUERIES, json=body, headers=bearer(buyer, settings))
    assert response.status_code == 400, response.text
    [record] = refusals(session)
    assert record.dataset_id == dataset.id
    assert record.actor_user_id == buyer.id
    assert record.details["sql"] == PROBE
    assert list(session.exec(select(SandboxQuery))) == []
    assert list(session.exec(select(PrivacyLedgerEntry))) == []


def test_a_refused_query_sent_again_under_its_key_replays_the_refusal(
    client: TestClient, session: Session, settings: Settings, probing: tuple[Dataset, User]
) -> None:
    """The refusal rolls the key's claim back with the rest, so the key keeps the refusal
    (as for every deterministic 4xx) instead of staying claimed by a request that ended."""
    dataset, buyer = probing
    headers = {**bearer(buyer, settings), "Idempotency-Key": "probe-1"}
    body = {"dataset_id": str(dataset.id), "sql": PROBE}
    first = client.post(QUERIES, json=body, headers=headers)
    again = client.post(QUERIES, json=body, headers=headers)
    assert first.status_code == again.status_code == 400, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(refusals(session)) == 1
