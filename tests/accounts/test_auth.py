"""Sign-in, tokens and API keys: who gets in, who gets 401."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts import security
from accounts.models import ApiKey, Role, User
from ground.config import Settings
from tests.fixtures.client import bearer
from tests.fixtures.factories import PASSWORD, create_user


def _sign_in(client: TestClient, email: str, password: str) -> dict[str, object]:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    return {"status": response.status_code, **response.json()}


def test_sign_in_issues_a_short_lived_access_token_with_identity_claims(
    client: TestClient, session: Session, settings: Settings
) -> None:
    user = create_user(session, role=Role.buyer)
    session.commit()
    result = _sign_in(client, user.email.upper(), PASSWORD)
    assert result["status"] == 200
    claims = jwt.decode(str(result["access_token"]), settings.jwt_key(), algorithms=["HS256"])
    assert claims["sub"] == str(user.id)
    assert claims["org"] == str(user.organization_id)
    assert claims["role"] == "buyer"
    assert claims["exp"] - claims["iat"] == settings.access_token_minutes * 60
    assert claims["jti"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {result['access_token']}"})
    assert me.json()["email"] == user.email


@pytest.mark.parametrize("which", ["wrong password", "unknown e-mail"])
def test_failed_sign_in_is_401_with_the_same_message(
    client: TestClient, session: Session, which: str
) -> None:
    user = create_user(session, role=Role.buyer)
    session.commit()
    email = user.email if which == "wrong password" else "nobody@example.test"
    result = _sign_in(client, email, "not the password")
    assert result["status"] == 401
    assert result["detail"] == "Incorrect e-mail or password."
    assert result["detail_zh"] == "邮箱或密码错误。"


def _token(user: User, settings: Settings, **overrides: object) -> str:
    args: dict[str, object] = {
        "key": settings.jwt_key(),
        "user_id": user.id,
        "org_id": user.organization_id,
        "role": str(user.role),
        "token_type": "access",
        "lifetime": timedelta(minutes=5),
    }
    args.update(overrides)
    return security.create_token(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "case",
    ["expired", "tampered", "wrong key", "refresh as access", "garbage", "other org"],
)
def test_bad_access_tokens_are_401(
    client: TestClient, session: Session, settings: Settings, case: str
) -> None:
    user = create_user(session, role=Role.provider)
    session.commit()
    token = {
        "expired": lambda: _token(user, settings, lifetime=timedelta(seconds=-1)),
        "tampered": lambda: _token(user, settings)[:-4] + "AAAA",
        "wrong key": lambda: _token(user, settings, key="another-secret-" * 4),
        "refresh as access": lambda: _token(user, settings, token_type="refresh"),
        "garbage": lambda: "not-a-jwt",
        "other org": lambda: _token(user, settings, org_id=uuid.uuid4()),
    }[case]()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"] == "NotAuthenticated"


def test_missing_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/catalog")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_refresh_token_gives_a_new_pair_and_access_tokens_cannot_refresh(
    client: TestClient, session: Session
) -> None:
    user = create_user(session, role=Role.buyer)
    session.commit()
    pair = _sign_in(client, user.email, PASSWORD)
    renewed = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert renewed.status_code == 200
    assert renewed.json()["access_token"] != pair["access_token"]
    misuse = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert misuse.status_code == 401


def test_a_deactivated_user_loses_access_with_a_valid_token(
    client: TestClient, session: Session, settings: Settings
) -> None:
    user = create_user(session, role=Role.buyer)
    session.commit()
    headers = bearer(user, settings)
    user.is_active = False
    session.add(user)
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_api_key_secret_is_shown_once_and_stored_only_as_a_digest(
    client: TestClient, session: Session, settings: Settings
) -> None:
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    headers = bearer(buyer, settings)
    created = client.post("/api/v1/api-keys", headers=headers, json={"name": "etl"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    listed = client.get("/api/v1/api-keys", headers=headers).json()
    assert [k["id"] for k in listed] == [created.json()["id"]]
    assert "secret" not in listed[0]
    stored = session.exec(select(ApiKey)).all()
    assert [k.key_hash for k in stored] == [security.digest_api_key(secret)]
    assert all(secret not in str(k.model_dump()) for k in stored)


def test_revoked_api_key_is_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    headers = bearer(buyer, settings)
    created = client.post("/api/v1/api-keys", headers=headers, json={"name": "etl"}).json()
    revoke = client.delete(f"/api/v1/api-keys/{created['id']}", headers=headers)
    assert revoke.status_code == 204
    response = client.get(
        f"/api/v1/data/{uuid.uuid4()}/rows", headers={"X-API-Key": created["secret"]}
    )
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_unknown_api_key_is_401(client: TestClient) -> None:
    response = client.get(f"/api/v1/data/{uuid.uuid4()}/rows", headers={"X-API-Key": "slk_nope"})
    assert response.status_code == 401


def test_another_organizations_key_cannot_be_revoked(
    client: TestClient, session: Session, settings: Settings
) -> None:
    owner, stranger = create_user(session, role=Role.buyer), create_user(session, role=Role.buyer)
    session.commit()
    key = client.post(
        "/api/v1/api-keys", headers=bearer(owner, settings), json={"name": "mine"}
    ).json()
    response = client.delete(f"/api/v1/api-keys/{key['id']}", headers=bearer(stranger, settings))
    assert response.status_code == 404
    assert (
        client.get("/api/v1/api-keys", headers=bearer(owner, settings)).json()[0]["revoked_at"]
        is None
    )
