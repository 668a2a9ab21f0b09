"""The OpenAPI document describes the error bodies and statuses the app really sends."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from ground.openapi import ErrorBody
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_dataset

API = "/api/v1"


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(API)
        for method, operation in operations.items()
    ]


def _documented(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = app.openapi()["paths"][path][method]["responses"]
    return responses


def test_every_error_response_is_an_error_body(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorBody"]["required"]) == {"error", "detail", "detail_zh"}
    for method, path, operation in _operations(app):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)


def test_signed_in_operations_document_401_and_403(app: FastAPI) -> None:
    for method, path, operation in _operations(app):
        if operation.get("security"):
            assert {"401", "403", "404", "422"} <= operation["responses"].keys(), (method, path)


def _check(app: FastAPI, method: str, path: str, response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    assert str(status) in _documented(app, method, path), (method, path, status)
    ErrorBody.model_validate(response.json())


def test_real_errors_match_what_the_document_says(
    app: FastAPI,
    client: TestClient,
    settings: Settings,
    buyer: User,
    provider: User,
    listed: Dataset,
) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    _check(app, "get", f"{API}/catalog", client.get(f"{API}/catalog"), 401)
    _check(
        app,
        "get",
        f"{API}/catalog",
        client.get(f"{API}/catalog", headers=bearer(buyer, settings), params={"limit": 0}),
        422,
    )
    _check(
        app,
        "get",
        f"{API}/datasets/{{dataset_id}}",
        client.get(f"{API}/datasets/{missing}", headers=bearer(buyer, settings)),
        404,
    )
    _check(
        app,
        "post",
        f"{API}/datasets/{{dataset_id}}/submit",
        client.post(f"{API}/datasets/{listed.id}/submit", headers=bearer(provider, settings)),
        409,
    )
    _check(
        app,
        "post",
        f"{API}/api-keys",
        client.post(f"{API}/api-keys", headers=bearer(provider, settings), json={"name": "x"}),
        403,
    )
    _check(
        app,
        "post",
        f"{API}/auth/token",
        client.post(f"{API}/auth/token", data={"username": buyer.email, "password": "wrong"}),
        401,
    )


def test_refused_refresh_upload_and_scrape_are_documented(
    app: FastAPI, client: TestClient, settings: Settings, provider: User, session: Session
) -> None:
    """Statuses schemathesis found undocumented: a bad refresh token (401), an attachment that
    is no PDF/PNG/JPEG (415), and a metrics scrape from outside the loopback interface (403)."""
    draft = create_dataset(session, settings, provider=provider)
    _check(
        app,
        "post",
        f"{API}/auth/refresh",
        client.post(f"{API}/auth/refresh", json={"refresh_token": "not-a-token"}),
        401,
    )
    _check(
        app,
        "post",
        f"{API}/datasets/{{dataset_id}}/attachments",
        client.post(
            f"{API}/datasets/{draft.id}/attachments",
            headers=bearer(provider, settings),
            files={"file": ("letter.txt", b"plain text", "text/plain")},
        ),
        415,
    )
    _check(app, "get", "/metrics", client.get("/metrics"), 403)
