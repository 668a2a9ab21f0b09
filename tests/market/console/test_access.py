"""Every console page, walked anonymously and with every role.

The table must name every console route (pages are not in the OpenAPI document, so
``tests/flows/test_route_roles.py`` does not see them): a new page cannot ship without a
decision on who may open it. Anonymous visitors of a gated page are sent to sign in; a
signed-in user of another role gets the API's 403, as a page in their language.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role
from market.console import console_routes
from tests.fixtures.factories import create_user
from tests.market.console.conftest import console_login, post_form

P, B, C, A = Role.provider, Role.buyer, Role.compliance, Role.admin
EVERYONE = frozenset(Role)
PUBLIC = "public"

ACCESS: dict[tuple[str, str], frozenset[Role] | str] = {
    ("GET", "/console"): EVERYONE,
    ("GET", "/console/login"): PUBLIC,
    ("POST", "/console/login"): PUBLIC,
    ("POST", "/console/logout"): PUBLIC,
    ("GET", "/console/lang/{code}"): PUBLIC,
    ("GET", "/console/catalog"): EVERYONE,
    ("GET", "/console/datasets/{dataset_id}"): EVERYONE,
    ("GET", "/console/provider"): frozenset({P}),
    ("GET", "/console/provider/upload"): frozenset({P}),
    ("POST", "/console/provider/upload"): frozenset({P}),
    ("GET", "/console/provider/datasets/{dataset_id}"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/policy/preview"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/policy"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/submit"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/columns"): frozenset({P}),
    ("GET", "/console/provider/datasets/{dataset_id}/delete"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/delete"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/delivery-mode"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/plans"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/plans/{plan_id}"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/attachments"): frozenset({P}),
    ("GET", "/console/provider/datasets/{dataset_id}/attachments/{attachment_id}"): frozenset({P}),
    ("GET", "/console/provider/datasets/{dataset_id}/sandbox"): frozenset({P}),
    ("POST", "/console/provider/datasets/{dataset_id}/sandbox"): frozenset({P}),
    ("GET", "/console/compliance/listings"): frozenset({C}),
    ("GET", "/console/compliance/listings/{dataset_id}"): frozenset({C}),
    ("GET", "/console/compliance/listings/{dataset_id}/attachments/{attachment_id}"): frozenset(
        {C}
    ),
    ("POST", "/console/compliance/listings/{dataset_id}/approve"): frozenset({C}),
    ("POST", "/console/compliance/listings/{dataset_id}/{decision}"): frozenset({C}),
    ("GET", "/console/compliance/orders"): frozenset({C}),
    ("POST", "/console/compliance/orders/{order_id}/approve"): frozenset({C}),
    ("POST", "/console/compliance/orders/{order_id}/reject"): frozenset({C}),
    ("GET", "/console/compliance/entitlements"): frozenset({C}),
    ("POST", "/console/compliance/entitlements/{entitlement_id}/revoke"): frozenset({C}),
    ("GET", "/console/compliance/emergency-stop"): frozenset({C}),
    ("POST", "/console/compliance/emergency-stop"): frozenset({C}),
    ("GET", "/console/compliance/emergency-stops"): frozenset({C}),
    ("POST", "/console/compliance/emergency-stops/{stop_id}/lift"): frozenset({C}),
    ("GET", "/console/compliance/audit"): frozenset({C, A}),
    ("GET", "/console/compliance/audit/verify"): frozenset({C, A}),
    ("GET", "/console/compliance/audit/export"): frozenset({C, A}),
    ("GET", "/console/compliance/audit/{seq}"): frozenset({C, A}),
    ("GET", "/console/compliance/report"): frozenset({C, A}),
    ("GET", "/console/compliance/sandbox-profiles/{dataset_id}"): frozenset({C}),
    ("POST", "/console/compliance/sandbox-profiles/{dataset_id}/approve"): frozenset({C}),
    ("POST", "/console/orders"): frozenset({B}),
    ("GET", "/console/orders"): frozenset({B}),
    ("GET", "/console/orders/{order_id}"): frozenset({B}),
    ("POST", "/console/orders/{order_id}/checkout"): frozenset({B}),
    ("POST", "/console/orders/{order_id}/cancel"): frozenset({B}),
    ("GET", "/console/api-keys"): frozenset({B}),
    ("POST", "/console/api-keys"): frozenset({B}),
    ("GET", "/console/api-keys/{key_id}/revoke"): frozenset({B}),
    ("POST", "/console/api-keys/{key_id}/revoke"): frozenset({B}),
    ("GET", "/console/usage"): frozenset({B}),
    ("GET", "/console/sandbox"): frozenset({B}),
    ("GET", "/console/sandbox/{dataset_id}"): frozenset({B}),
    ("POST", "/console/sandbox/{dataset_id}"): frozenset({B}),
}


def test_the_table_names_every_console_route() -> None:
    assert console_routes() == set(ACCESS)


def _url(path: str) -> str:
    for name in ("dataset_id", "plan_id", "order_id", "entitlement_id", "attachment_id", "key_id"):
        path = path.replace("{" + name + "}", str(uuid.uuid4()))
    return path.replace("{seq}", "1").replace("{decision}", "reject")


GATED_PAGES = [p for (m, p), who in ACCESS.items() if m == "GET" and isinstance(who, frozenset)]
GATED_POSTS = [p for (m, p), who in ACCESS.items() if m == "POST" and isinstance(who, frozenset)]


@pytest.mark.parametrize("path", GATED_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient, path: str) -> None:
    response = client.get(_url(path), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=/console")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", GATED_PAGES)
def test_each_role_is_let_through_or_refused(
    client: TestClient, session: Session, path: str, role: Role
) -> None:
    user = create_user(session, role=role)
    session.commit()
    console_login(client, user)
    response = client.get(_url(path), follow_redirects=False)
    allowed = ACCESS[("GET", path)]
    assert isinstance(allowed, frozenset)
    if role in allowed:
        assert response.status_code not in (303, 401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        assert "此操作需要角色" in response.text


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", GATED_POSTS)
def test_each_role_may_post_or_is_refused(
    client: TestClient, session: Session, path: str, role: Role
) -> None:
    user = create_user(session, role=role)
    session.commit()
    console_login(client, user)
    response = post_form(client, _url(path), {})
    allowed = ACCESS[("POST", path)]
    assert isinstance(allowed, frozenset)
    if role in allowed:
        assert response.status_code not in (303, 401, 403), response.text
    else:
        assert response.status_code == 403, response.text
