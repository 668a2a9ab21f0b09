"""The request's unit of work commits before the response leaves."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
from fastapi import FastAPI
from sqlalchemy import event
from sqlmodel import Session

from market.accounts.models import User
from market.config import Settings
from tests.fixtures.client import bearer


def test_the_commit_happens_before_the_response_is_sent(
    app: FastAPI, session: Session, settings: Settings, buyer: User
) -> None:
    session.commit()
    happened: list[str] = []
    body = json.dumps({"name": "k"}).encode()
    headers = [(b"content-type", b"application/json")] + [
        (k.lower().encode(), v.encode()) for k, v in bearer(buyer, settings).items()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/api-keys",
        "raw_path": b"/api/v1/api-keys",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            happened.append(f"response {message['status']}")

    def committed(_session: Session) -> None:
        happened.append("commit")

    event.listen(Session, "after_commit", committed)
    try:
        # A thread of its own, as the TestClient does: the browser tests' Playwright keeps an
        # event loop in the main thread.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(anyio.run, app, scope, receive, send).result()
    finally:
        event.remove(Session, "after_commit", committed)
    assert happened[-2:] == ["commit", "response 201"]
