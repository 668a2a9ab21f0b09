"""Liveness and readiness probes: 200 when the dependencies answer, 503 naming the one that
does not (by class, never by its message, which names hosts and databases)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ground import worker
from ground.config import Settings, get_settings
from tests.fixtures.logs import LogOutput
from tests.fixtures.settings import apply_settings
from tests.fixtures.worker import REDIS_URL, _redis_available

BROKEN_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/unreachable_test"
BROKEN_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def restore_celery(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """For tests that point the app at another broker: in-process tasks again afterwards."""
    yield monkeypatch
    monkeypatch.delenv("SLUICE_CELERY_BROKER_URL", raising=False)
    get_settings.cache_clear()
    worker.configure_celery(get_settings())


def test_liveness_answers_without_touching_anything(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_the_database_answers_and_tasks_run_in_process(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "in-process"},
    }


def test_not_ready_when_the_database_url_is_broken(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch, log_output: LogOutput
) -> None:
    apply_settings(monkeypatch, database_url=BROKEN_DATABASE)
    response = client.get("/readyz", headers={"X-Request-ID": "feed000000000001"})
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["error"] == "NotReady"
    assert body["checks"]["database"] == "unreachable (OperationalError)"
    assert body["detail"] == "Not ready: database: unreachable (OperationalError)."
    assert body["detail_zh"]
    assert body["request_id"] == "feed000000000001"
    # Neither the body nor the log line names the host, the port or the database.
    for text in (response.text, log_output.text):
        assert "127.0.0.1" not in text
        assert "unreachable_test" not in text
    [line] = log_output.events("readiness: database unreachable")
    assert line["request_id"] == "feed000000000001"
    assert line["exception"]["type"] == "psycopg.OperationalError"


def test_not_ready_when_the_broker_is_unreachable(
    client: TestClient, settings: Settings, restore_celery: pytest.MonkeyPatch
) -> None:
    apply_settings(restore_celery, celery_broker_url=BROKEN_BROKER)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {
        "database": "ok",
        "broker": "unreachable (OperationalError)",
    }
    assert "127.0.0.1" not in response.text


def test_ready_with_a_reachable_broker(
    client: TestClient, settings: Settings, restore_celery: pytest.MonkeyPatch
) -> None:
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI must check readiness against Redis at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    apply_settings(restore_celery, celery_broker_url=REDIS_URL)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
