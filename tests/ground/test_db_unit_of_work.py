"""The request's unit of work commits before the response leaves."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from ground.db import on_commit, unit_of_work
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


def test_cleanups_run_only_after_a_commit_and_a_failing_one_does_not_raise(
    connection: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def failing() -> None:
        raise OSError("disk gone")

    with unit_of_work() as session:
        on_commit(session, lambda: ran.append("first"))
        on_commit(session, failing)
        on_commit(session, lambda: ran.append("after the failure"))
        assert ran == []
    assert ran == ["first", "after the failure"]
    assert "a cleanup after commit failed" in caplog.text

    def failing_request() -> None:
        with unit_of_work() as session:
            on_commit(session, lambda: ran.append("rolled back"))
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        failing_request()
    assert "rolled back" not in ran
