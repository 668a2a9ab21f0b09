"""Every route walked with every role: the allowed get past authorization, the rest get 403.

The table must name every API route, so a new route cannot ship without a decision on who may
call it. "Past authorization" means any answer but 401/403 (a random id gives 404, an empty
body 422): the point here is the gate, the behaviour is tested per domain.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role
from ground.config import Settings
from market.shell.app import create_app
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_user

P, B, C, A = Role.provider, Role.buyer, Role.compliance, Role.admin
EVERYONE = frozenset(Role)
PUBLIC = "public"
API_KEY = "api key"

ACCESS: dict[tuple[str, str], frozenset[Role] | str] = {
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,
    ("GET", "/api/v1/me"): EVERYONE,
    ("GET", "/api/v1/organizations"): frozenset({A}),
    ("POST", "/api/v1/organizations"): frozenset({A}),
    ("POST", "/api/v1/users"): frozenset({A}),
    ("GET", "/api/v1/users"): frozenset({A}),
    ("POST", "/api/v1/users/{user_id}/deactivate"): frozenset({A}),
    ("POST", "/api/v1/users/{user_id}/reactivate"): frozenset({A}),
    ("POST", "/api/v1/api-keys"): frozenset({B}),
    ("GET", "/api/v1/api-keys"): frozenset({B}),
    ("DELETE", "/api/v1/api-keys/{key_id}"): frozenset({B}),
    ("POST", "/api/v1/datasets"): frozenset({P}),
    ("GET", "/api/v1/datasets"): frozenset({P, C, A}),
    ("GET", "/api/v1/datasets/{dataset_id}"): EVERYONE,
    # Decided per dataset: its provider deletes, staff get 403, anyone else 404.
    ("DELETE", "/api/v1/datasets/{dataset_id}"): EVERYONE,
    ("POST", "/api/v1/datasets/{dataset_id}/submit"): frozenset({P}),
    ("PUT", "/api/v1/datasets/{dataset_id}/columns"): frozenset({P}),
    ("PUT", "/api/v1/datasets/{dataset_id}/delivery-mode"): frozenset({P}),
    ("GET", "/api/v1/datasets/{dataset_id}/reviews"): frozenset({P, C, A}),
    ("GET", "/api/v1/datasets/{dataset_id}/plans"): EVERYONE,
    ("GET", "/api/v1/datasets/{dataset_id}/policy"): frozenset({P, C, A}),
    ("PUT", "/api/v1/datasets/{dataset_id}/policy"): frozenset({P}),
    ("GET", "/api/v1/datasets/{dataset_id}/policy/versions"): frozenset({P, C, A}),
    ("GET", "/api/v1/datasets/{dataset_id}/preview"): EVERYONE,
    ("GET", "/api/v1/datasets/{dataset_id}/k-anonymity"): frozenset({P, C, A}),
    ("GET", "/api/v1/catalog"): EVERYONE,
    ("GET", "/api/v1/reviews/listings"): frozenset({C}),
    ("POST", "/api/v1/reviews/listings/{dataset_id}/approve"): frozenset({C}),
    ("POST", "/api/v1/reviews/listings/{dataset_id}/reject"): frozenset({C}),
    ("POST", "/api/v1/orders"): frozenset({B}),
    ("GET", "/api/v1/orders"): frozenset({B}),
    ("GET", "/api/v1/orders/{order_id}"): frozenset({B}),
    ("GET", "/api/v1/data/{dataset_id}/rows"): API_KEY,
    ("PUT", "/api/v1/datasets/{dataset_id}/grade"): frozenset({P}),
    ("PUT", "/api/v1/datasets/{dataset_id}/authorization"): frozenset({P}),
    ("POST", "/api/v1/datasets/{dataset_id}/attachments"): frozenset({P}),
    ("GET", "/api/v1/datasets/{dataset_id}/attachments"): frozenset({P, C, A}),
    ("GET", "/api/v1/datasets/{dataset_id}/attachments/{attachment_id}"): frozenset({P, C, A}),
    ("GET", "/api/v1/reviews/listings/{dataset_id}"): frozenset({C}),
    ("POST", "/api/v1/reviews/listings/{dataset_id}/suspend"): frozenset({C}),
    ("POST", "/api/v1/reviews/listings/{dataset_id}/reinstate"): frozenset({C}),
    ("GET", "/api/v1/audit"): frozenset({C, A}),
    ("GET", "/api/v1/reports/provider"): frozenset({P}),
    ("GET", "/api/v1/reports/compliance"): frozenset({C, A}),
    ("GET", "/api/v1/audit/verify"): frozenset({C, A}),
    ("GET", "/api/v1/audit/export"): frozenset({C, A}),
    ("POST", "/api/v1/datasets/{dataset_id}/plans"): frozenset({P}),
    ("PATCH", "/api/v1/datasets/{dataset_id}/plans/{plan_id}"): frozenset({P}),
    ("DELETE", "/api/v1/datasets/{dataset_id}/plans/{plan_id}"): frozenset({P}),
    ("POST", "/api/v1/orders/{order_id}/cancel"): frozenset({B}),
    ("POST", "/api/v1/orders/{order_id}/checkout"): frozenset({B}),
    ("POST", "/api/v1/orders/{order_id}/bank-transfers"): frozenset({A}),
    ("POST", "/api/v1/orders/{order_id}/refunds"): frozenset({A}),
    ("GET", "/api/v1/reviews/orders"): frozenset({C}),
    ("POST", "/api/v1/reviews/entitlements/{entitlement_id}/revoke"): frozenset({C}),
    ("POST", "/api/v1/reviews/emergency-stop"): frozenset({C}),
    ("GET", "/api/v1/reviews/emergency-stops"): frozenset({C}),
    ("GET", "/api/v1/reviews/emergency-stops/{stop_id}"): frozenset({C}),
    ("POST", "/api/v1/reviews/emergency-stops/{stop_id}/lift"): frozenset({C}),
    ("POST", "/api/v1/reviews/orders/{order_id}/approve"): frozenset({C}),
    ("POST", "/api/v1/reviews/orders/{order_id}/reject"): frozenset({C}),
    ("GET", "/api/v1/entitlements"): frozenset({B}),
    ("GET", "/api/v1/entitlements/{entitlement_id}"): frozenset({B}),
    ("POST", "/api/v1/entitlements/{entitlement_id}/overage-invoice"): frozenset({B}),
    ("GET", "/api/v1/usage"): frozenset({B, P, A}),
    ("GET", "/api/v1/billing/statements"): frozenset({P}),
    ("GET", "/api/v1/billing/balances"): frozenset({A}),
    ("GET", "/api/v1/billing/payments/anomalies"): frozenset({A}),
    ("POST", "/api/v1/billing/payments/anomalies/{anomaly_id}/refund"): frozenset({A}),
    ("POST", "/api/v1/billing/payments/anomalies/{anomaly_id}/resolve"): frozenset({A}),
    ("POST", "/api/v1/billing/stripe/webhook"): PUBLIC,
    ("PUT", "/api/v1/sandbox/profiles/{dataset_id}"): frozenset({P}),
    ("POST", "/api/v1/sandbox/profiles/{dataset_id}/approve"): frozenset({C}),
    ("GET", "/api/v1/sandbox/profiles/{dataset_id}"): EVERYONE,
    ("POST", "/api/v1/sandbox/grants"): frozenset({C, A}),
    ("POST", "/api/v1/sandbox/queries"): frozenset({B}),
    ("GET", "/api/v1/sandbox/queries"): frozenset({B, C, A}),
    ("GET", "/api/v1/sandbox/queries/{query_id}"): frozenset({B, C, A}),
    ("GET", "/api/v1/sandbox/budget"): frozenset({B, C, A}),
    ("GET", "/api/v1/sandbox/ledger"): frozenset({B, C, A}),
}


def _api_routes() -> set[tuple[str, str]]:
    # The OpenAPI document lists every operation the app serves, however routers are mounted.
    paths = create_app().openapi()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/")
        for method in operations
    }


def test_the_table_names_every_api_route() -> None:
    assert _api_routes() == set(ACCESS)


def _url(path: str) -> str:
    for name in (
        "key_id",
        "dataset_id",
        "order_id",
        "plan_id",
        "entitlement_id",
        "attachment_id",
        "query_id",
        "anomaly_id",
    ):
        path = path.replace("{" + name + "}", str(uuid.uuid4()))
    return path


GATED = [(m, p) for (m, p), who in ACCESS.items() if isinstance(who, frozenset)]


@pytest.mark.parametrize(("method", "path"), GATED)
def test_anonymous_callers_get_401(client: TestClient, method: str, path: str) -> None:
    assert client.request(method, _url(path)).status_code == 401


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "path"), GATED)
def test_each_role_is_let_through_or_refused(
    client: TestClient, session: Session, settings: Settings, method: str, path: str, role: Role
) -> None:
    user = create_user(session, role=role)
    session.commit()
    response = client.request(method, _url(path), headers=bearer(user, settings))
    allowed = ACCESS[(method, path)]
    assert isinstance(allowed, frozenset)
    if role in allowed:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["detail_zh"]


def test_data_api_takes_an_api_key_not_a_bearer_token(
    client: TestClient, session: Session, settings: Settings
) -> None:
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    url = _url("/api/v1/data/{dataset_id}/rows")
    assert client.get(url, headers=bearer(buyer, settings)).status_code == 401
