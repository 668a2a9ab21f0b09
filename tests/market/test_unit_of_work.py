"""The request's unit of work commits before the response leaves."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from market.accounts.models import User
from market.config import Settings
from tests.fixtures.client import bearer


def test_the_commit_happens_before_the_response_is_sent(
    app: FastAPI,
    connection: Any,
    settings: Settings,
    session: Session,
    buyer: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session.commit()
    events: list[str] = []
    original_commit = Session.commit

    def recording_commit(self: Session) -> None:
        events.append("commit")
        original_commit(self)

    monkeypatch.setattr(Session, "commit", recording_commit)

    async def recording_app(scope: Any, receive: Any, send: Any) -> None:
        async def recording_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                events.append("response")
            await send(message)

        await app(scope, receive, recording_send)

    with TestClient(recording_app) as client:  # type: ignore[arg-type]
        response = client.post(
            "/api/v1/api-keys", json={"name": "etl"}, headers=bearer(buyer, settings)
        )
    assert response.status_code == 201
    assert events == ["commit", "response"]
