"""API keys in the console: the secret shown once, the list, revoking after confirmation."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts import service as accounts
from accounts.models import ApiKey, Role, User
from ground.errors import NotAuthenticated
from tests.fixtures.console import html as shown
from tests.fixtures.console import pattern
from tests.fixtures.factories import create_user, principal_of
from tests.market.console.conftest import SignIn, post_form


def _secret_of(page: str) -> str:
    match = re.search(r'<input id="secret" type="text" readonly value="([^"]+)"', page)
    assert match, "the new key's secret is on the page"
    return match.group(1)


def _keys(session: Session, user: User) -> list[ApiKey]:
    session.expire_all()
    return list(session.exec(select(ApiKey).where(ApiKey.organization_id == user.organization_id)))


def test_a_new_key_is_shown_once_and_works(
    client: TestClient, session: Session, buyer: User, signed_in: SignIn
) -> None:
    signed_in(buyer)
    created = post_form(client, "/console/api-keys", {"name": "风控模型-生产"})
    assert created.status_code == 303  # post-redirect-get: a reload of the page mints nothing
    response = client.get(created.headers["location"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    secret = _secret_of(response.text)
    assert shown("buyer.keys.once") in response.text
    assert 'data-copy="secret"' in response.text  # the copy button, for copy.js
    assert '<script src="/console/static/copy.js"' in response.text
    principal = accounts.principal_from_api_key(session, secret)
    assert principal.org_id == buyer.organization_id
    [key] = _keys(session, buyer)
    assert secret not in client.get(created.headers["location"]).text  # shown once
    listing = client.get("/console/api-keys").text
    assert secret not in listing
    assert f"<code>{key.prefix}…</code>" in listing
    assert "风控模型-生产" in listing
    assert shown("buyer.keys.never") in listing


def test_the_copy_script_is_served(client: TestClient) -> None:
    script = client.get("/console/static/copy.js")
    assert script.status_code == 200
    assert "navigator.clipboard" in script.text


def test_a_key_without_a_name_is_refused_and_none_is_created(
    client: TestClient, session: Session, buyer: User, signed_in: SignIn
) -> None:
    signed_in(buyer)
    response = post_form(client, "/console/api-keys", {"name": "  "})
    assert response.status_code == 400
    assert "请修改表单" in response.text
    too_long = post_form(client, "/console/api-keys", {"name": "k" * 101})
    assert too_long.status_code == 400
    assert _keys(session, buyer) == []


def test_creating_a_key_needs_the_csrf_token(
    client: TestClient, session: Session, buyer: User, signed_in: SignIn
) -> None:
    signed_in(buyer)
    response = client.post("/console/api-keys", data={"name": "k"})
    assert response.status_code == 403
    assert _keys(session, buyer) == []


def test_revoking_asks_first_then_stops_the_key(
    client: TestClient, session: Session, buyer: User, signed_in: SignIn
) -> None:
    key, secret = accounts.create_api_key(session, principal_of(buyer), "旧密钥")
    signed_in(buyer)
    listing = client.get("/console/api-keys").text
    assert f'href="/console/api-keys/{key.id}/revoke"' in listing
    confirm = client.get(f"/console/api-keys/{key.id}/revoke")
    assert confirm.status_code == 200
    assert shown("buyer.keys.revoke_confirm", name="旧密钥", prefix=key.prefix) in confirm.text
    assert f'action="/console/api-keys/{key.id}/revoke"' in confirm.text
    assert _keys(session, buyer)[0].revoked_at is None  # asking changes nothing
    response = post_form(client, f"/console/api-keys/{key.id}/revoke", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/console/api-keys?done=revoked"
    assert _keys(session, buyer)[0].revoked_at is not None
    page = client.get(response.headers["location"]).text
    assert shown("buyer.done.key_revoked") in page
    assert pattern("buyer.keys.revoked_at").search(page)
    with pytest.raises(NotAuthenticated):
        accounts.principal_from_api_key(session, secret)


def test_another_organizations_key_cannot_be_revoked(
    client: TestClient, session: Session, buyer: User, signed_in: SignIn
) -> None:
    other = create_user(session, role=Role.buyer)
    key, _ = accounts.create_api_key(session, principal_of(other), "别人的")
    signed_in(buyer)
    assert client.get(f"/console/api-keys/{key.id}/revoke").status_code == 404
    response = post_form(client, f"/console/api-keys/{key.id}/revoke", {})
    assert response.status_code == 404
    assert "API 密钥不存在" in response.text
    assert _keys(session, other)[0].revoked_at is None


def test_providers_have_no_api_keys_page(
    client: TestClient, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    assert client.get("/console/api-keys").status_code == 403
    assert post_form(client, "/console/api-keys", {"name": "k"}).status_code == 403


def test_revoking_without_the_csrf_token_changes_nothing(
    client: TestClient, session: Session, buyer: User, signed_in: SignIn
) -> None:
    key, _ = accounts.create_api_key(session, principal_of(buyer), "k")
    signed_in(buyer)
    assert client.post(f"/console/api-keys/{key.id}/revoke").status_code == 403
    assert _keys(session, buyer)[0].revoked_at is None
