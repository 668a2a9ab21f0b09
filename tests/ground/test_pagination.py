"""Every paginated route bounds ``offset``: a client's 2**63 is a 422, never a driver's 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from ground.pagination import MAX_OFFSET
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_api_key


def _offset_routes(app: FastAPI) -> list[str]:
    """GET routes without path parameters that take an ``offset`` query parameter."""
    paths: dict[str, Any] = app.openapi()["paths"]
    return sorted(
        path
        for path, operations in paths.items()
        if "{" not in path
        and "get" in operations
        and any(p["name"] == "offset" for p in operations["get"].get("parameters", []))
    )


def test_the_offset_routes_are_found(app: FastAPI) -> None:
    routes = _offset_routes(app)
    assert "/api/v1/catalog" in routes
    assert "/api/v1/audit" in routes
    assert len(routes) >= 10


def _allowed_headers(
    client: TestClient, path: str, people: list[User], settings: Settings
) -> dict[str, str]:
    """Headers of the first of ``people`` whose role may read ``path``."""
    for user in people:
        headers = bearer(user, settings)
        if client.get(path, headers=headers).status_code == 200:
            return headers
    raise AssertionError(f"no role can read {path}")


@pytest.mark.parametrize("offset", [2**63, 2**64, MAX_OFFSET + 1])
def test_an_offset_past_the_bound_is_a_bilingual_422(
    client: TestClient,
    app: FastAPI,
    admin: User,
    buyer: User,
    provider: User,
    reviewer: User,
    settings: Settings,
    offset: int,
) -> None:
    people = [admin, buyer, provider, reviewer]
    for path in _offset_routes(app):
        headers = _allowed_headers(client, path, people, settings)
        response = client.get(path, headers=headers, params={"offset": offset})
        assert response.status_code == 422, (path, response.text)
        body = response.json()
        assert body["error"] == "ValidationError"
        assert "offset" in body["detail"]
        assert "offset" in body["detail_zh"]


def test_the_largest_offset_answers_an_empty_page(
    client: TestClient, admin: User, settings: Settings
) -> None:
    response = client.get(
        "/api/v1/audit", headers=bearer(admin, settings), params={"offset": MAX_OFFSET}
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


def test_the_data_api_bounds_its_offset_too(
    client: TestClient, session: Session, listed: Dataset, buyer: User
) -> None:
    key = create_api_key(session, buyer)
    session.commit()
    response = client.get(
        f"/api/v1/data/{listed.id}/rows", headers={"X-API-Key": key}, params={"offset": 2**63}
    )
    assert response.status_code == 422, response.text
    assert "offset" in response.json()["detail"]
