"""Optional Sentry reports: only with a DSN, and never a body, a header, a message or a local."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from ground.config import Settings, get_settings
from ground.ops import sentry
from market.shell.app import create_app
from tests.fixtures.settings import apply_settings

SECRET = "110105199003071234"
DSN = "https://public-key@sentry.example.invalid/42"


class Recorder(Transport):
    """Keeps the envelopes the SDK would send."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict[str, Any]]:
        return [
            json.loads(item.get_bytes())
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == "event"
        ]


@pytest.fixture
def failing_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    """Built with a DSN configured, as a deployment would be; the recorder then takes over
    the transport, so nothing leaves the machine."""
    apply_settings(monkeypatch, sentry_dsn=DSN)
    app = create_app()

    @app.post("/boom")
    async def boom(request: Request) -> None:
        body = await request.body()
        local_value = body.decode()
        raise RuntimeError(f"could not handle {local_value}")

    return app


@pytest.fixture
def recorder(failing_app: FastAPI) -> Iterator[Recorder]:
    transport = Recorder()
    assert sentry.init_sentry(get_settings(), transport=transport)
    yield transport
    sentry.stop_sentry()


def test_without_a_dsn_nothing_is_initialised(settings: Settings) -> None:
    assert sentry.init_sentry(settings) is False


def test_an_unexpected_error_is_reported_without_body_headers_message_or_locals(
    failing_app: FastAPI, recorder: Recorder
) -> None:
    with TestClient(
        failing_app, raise_server_exceptions=False, cookies={"sluice_access": "cookie-456"}
    ) as client:
        response = client.post(
            "/boom",
            content=f'{{"id_no": "{SECRET}"}}',
            headers={"X-Request-ID": "5e47000000000001", "Authorization": "Bearer tok-123"},
        )
    assert response.status_code == 500
    [event] = recorder.events()
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == sentry.REDACTED
    assert event["tags"]["request_id"] == "5e47000000000001"
    assert "request" not in event
    assert "breadcrumbs" not in event
    assert "user" not in event
    assert all("vars" not in frame for frame in exception["stacktrace"]["frames"])
    sent = b"".join(envelope.serialize() for envelope in recorder.envelopes).decode()
    for secret in (SECRET, "tok-123", "cookie-456"):
        assert secret not in sent
