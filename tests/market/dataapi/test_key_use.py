"""An API key's last use: set on its first call, then written at most once per interval (the
``api_key_last_used_interval_seconds`` setting), never by the key lookup itself."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import ApiKey, Role, User
from accounts.security import digest_api_key
from accounts.service import KeyUseMemo
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.factories import activate_plan, create_api_key, create_user
from tests.fixtures.settings import apply_settings


def _last_used(session: Session, secret: str) -> datetime | None:
    return session.exec(
        select(ApiKey.last_used_at).where(ApiKey.key_hash == digest_api_key(secret))
    ).one()


def _entitled_key(session: Session, provider: User, listed: Dataset) -> str:
    buyer = create_user(session, role=Role.buyer)
    activate_plan(session, buyer, listed, provider, calls=10)
    key = create_api_key(session, buyer)
    session.commit()
    return key


def _call(client: TestClient, listed: Dataset, key: str) -> None:
    response = client.get(f"/api/v1/data/{listed.id}/rows", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text


def test_the_first_call_sets_last_used_and_the_next_within_the_interval_does_not(
    client: TestClient, session: Session, settings: Settings, provider: User, listed: Dataset
) -> None:
    key = _entitled_key(session, provider, listed)
    assert _last_used(session, key) is None
    _call(client, listed, key)
    first = _last_used(session, key)
    assert first is not None
    _call(client, listed, key)
    assert _last_used(session, key) == first


def test_with_an_interval_of_zero_every_call_refreshes_last_used(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    listed: Dataset,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply_settings(monkeypatch, api_key_last_used_interval_seconds="0")
    key = _entitled_key(session, provider, listed)
    _call(client, listed, key)
    first = _last_used(session, key)
    _call(client, listed, key)
    second = _last_used(session, key)
    assert first is not None
    assert second is not None
    assert second > first


def test_a_refused_call_does_not_mark_the_key_used(
    client: TestClient, session: Session, settings: Settings, listed: Dataset
) -> None:
    """No entitlement: 403, and the key's last use stays unset (the write is in the unit of
    work the refusal rolls back, and the memo forgets it)."""
    buyer = create_user(session, role=Role.buyer)
    key = create_api_key(session, buyer)
    session.commit()
    response = client.get(f"/api/v1/data/{listed.id}/rows", headers={"X-API-Key": key})
    assert response.status_code == 403
    assert _last_used(session, key) is None


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_memo_claims_one_write_per_key_per_interval() -> None:
    clock = _Clock()
    memo = KeyUseMemo(clock=clock)
    key = uuid.uuid4()
    assert memo.claim(key, 60)
    assert not memo.claim(key, 60)
    assert memo.claim(uuid.uuid4(), 60)  # another key is its own
    clock.now += 59.9
    assert not memo.claim(key, 60)
    clock.now += 0.1
    assert memo.claim(key, 60)


def test_a_forgotten_claim_is_claimed_again_and_the_memo_stays_bounded() -> None:
    clock = _Clock()
    memo = KeyUseMemo(clock=clock, max_keys=3)
    key = uuid.uuid4()
    assert memo.claim(key, 60)
    memo.forget(key)
    assert memo.claim(key, 60)
    for _ in range(3):
        memo.claim(uuid.uuid4(), 60)
    clock.now += 61
    memo.claim(uuid.uuid4(), 60)  # past the bound: the stale entries go
    assert len(memo) == 1
