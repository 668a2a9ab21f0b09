"""Sign-in throttling per account and per client, and admins deactivating users."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role
from ground.config import Settings
from tests.fixtures.client import bearer
from tests.fixtures.factories import PASSWORD, create_api_key, create_user
from tests.fixtures.settings import apply_settings
from tests.market.console.conftest import csrf_token


def _sign_in(client: TestClient, email: str, password: str) -> tuple[int, dict, dict]:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    return response.status_code, response.json(), dict(response.headers)


@pytest.fixture
def strict(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return apply_settings(
        monkeypatch,
        login_max_failures_per_account="3",
        login_max_failures_per_client="5",
    )


def test_an_account_is_locked_after_its_failures_even_for_the_right_password(
    client: TestClient, session: Session, strict: Settings
) -> None:
    user = create_user(session, role=Role.admin)
    session.commit()
    for _ in range(3):
        assert _sign_in(client, user.email, "wrong password!")[0] == 401
    status, body, headers = _sign_in(client, user.email, PASSWORD)
    assert status == 429
    assert body["error"] == "TooManyAttempts"
    assert "登录失败次数过多" in body["detail_zh"]
    assert 0 < int(headers["retry-after"]) <= strict.login_failure_window_minutes * 60
    # Other accounts from the same client are still below the client's limit.
    other = create_user(session, role=Role.buyer)
    session.commit()
    assert _sign_in(client, other.email, PASSWORD)[0] == 200


def test_one_client_trying_many_accounts_is_throttled(
    client: TestClient, session: Session, strict: Settings
) -> None:
    users = [create_user(session, role=Role.buyer) for _ in range(6)]
    session.commit()
    codes = [_sign_in(client, u.email, "wrong password!")[0] for u in users[:5]]
    assert codes == [401] * 5
    assert _sign_in(client, users[5].email, PASSWORD)[0] == 429


def test_unknown_accounts_count_like_known_ones(
    client: TestClient, session: Session, strict: Settings
) -> None:
    for _ in range(3):
        assert _sign_in(client, "nobody@example.com", "x" * 12)[0] == 401
    assert _sign_in(client, "nobody@example.com", "x" * 12)[0] == 429


def test_a_success_clears_the_accounts_count(
    client: TestClient, session: Session, strict: Settings
) -> None:
    user = create_user(session, role=Role.buyer)
    session.commit()
    for _ in range(2):
        _sign_in(client, user.email, "wrong password!")
    assert _sign_in(client, user.email, PASSWORD)[0] == 200
    for _ in range(2):
        assert _sign_in(client, user.email, "wrong password!")[0] == 401
    assert _sign_in(client, user.email, PASSWORD)[0] == 200


def test_the_console_sign_in_shares_the_throttle(
    client: TestClient, session: Session, strict: Settings
) -> None:
    user = create_user(session, role=Role.buyer)
    session.commit()
    for _ in range(3):
        _sign_in(client, user.email, "wrong password!")
    page = client.post(
        "/console/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert page.status_code == 429
    assert "retry-after" in page.headers


def test_admins_deactivate_and_reactivate_users(
    client: TestClient, session: Session, settings: Settings
) -> None:
    admin = create_user(session, role=Role.admin)
    buyer = create_user(session, role=Role.buyer)
    key = create_api_key(session, buyer)
    session.commit()
    as_admin, as_buyer = bearer(admin, settings), bearer(buyer, settings)
    off = client.post(
        f"/api/v1/users/{buyer.id}/deactivate", headers=as_admin, json={"reason": "left"}
    )
    assert off.status_code == 200, off.text
    assert off.json()["is_active"] is False
    assert client.get("/api/v1/me", headers=as_buyer).status_code == 401
    assert client.get("/api/v1/api-keys", headers={"X-API-Key": key}).status_code == 401
    assert _sign_in(client, buyer.email, PASSWORD)[0] == 401
    listed = client.get("/api/v1/users", headers=as_admin, params={"is_active": False}).json()
    assert [u["id"] for u in listed["items"]] == [str(buyer.id)]
    audit = client.get("/api/v1/audit", headers=as_admin, params={"action": "user."}).json()
    assert "user.deactivate" in [r["action"] for r in audit["items"]]
    on = client.post(f"/api/v1/users/{buyer.id}/reactivate", headers=as_admin, json={})
    assert on.json()["is_active"] is True
    assert client.get("/api/v1/me", headers=as_buyer).status_code == 200


def test_an_admin_cannot_deactivate_themselves_and_others_cannot_at_all(
    client: TestClient, session: Session, settings: Settings
) -> None:
    admin = create_user(session, role=Role.admin)
    compliance = create_user(session, role=Role.compliance)
    session.commit()
    mine = client.post(
        f"/api/v1/users/{admin.id}/deactivate", headers=bearer(admin, settings), json={}
    )
    assert mine.status_code == 409
    assert "自己" in mine.json()["detail_zh"]
    theirs = client.post(
        f"/api/v1/users/{admin.id}/deactivate", headers=bearer(compliance, settings), json={}
    )
    assert theirs.status_code == 403
    assert client.get("/api/v1/me", headers=bearer(admin, settings)).status_code == 200
