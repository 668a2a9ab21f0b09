"""Celery tasks: every one is idempotent and retried on transient errors with a backoff, and
every run logs and counts its outcome and duration."""

from __future__ import annotations

import importlib

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from accounts.models import Role
from ground.config import Settings
from ground.db import unit_of_work
from ground.worker import IDEMPOTENT_TASK, TRANSIENT_ERRORS, celery_app, will_retry
from market.shell.worker import TASK_MODULES
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_user, csv_bytes, people_table
from tests.fixtures.logs import LogOutput
from trade import service as trade_service
from trade.service import Housekeeping

RESET = "trade.reset_quotas"


def _our_tasks() -> list[str]:
    for module in TASK_MODULES:
        importlib.import_module(module)
    return sorted(name for name in celery_app.tasks if not name.startswith("celery."))


def _tasks_run(task: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("sluice_tasks_total", {"task": task, "outcome": outcome}) or 0


def _transient() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))


@pytest.fixture
def worker_semantics(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs that keep an error in the result instead of raising it, as a worker
    does: Celery then carries out retries in-process (without waiting out the backoff)."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


def test_every_task_is_acknowledged_late_and_retried_with_backoff() -> None:
    names = _our_tasks()
    assert names == [
        "audit.seal",
        "billing.reset_quotas",
        "idempotency.sweep_expired",
        "listings.ingest",
        "listings.recover_stuck_ingests",
        "listings.sweep_orphaned_files",
        "sandbox.run_query",
        "trade.reset_quotas",
    ]
    for name in names:
        task = celery_app.tasks[name]
        assert task.acks_late is True, name
        assert task.autoretry_for == TRANSIENT_ERRORS, name
        assert task.retry_backoff, name
        assert task.retry_jitter, name
        assert task.retry_backoff_max == IDEMPOTENT_TASK["retry_backoff_max"], name
        assert task.max_retries == 5, name


def test_a_transient_error_is_retried_and_the_retry_is_logged_and_counted(
    worker_semantics: None, monkeypatch: pytest.MonkeyPatch, log_output: LogOutput
) -> None:
    calls: list[int] = []

    def flaky(_session: object) -> Housekeeping:
        calls.append(1)
        if len(calls) == 1:
            raise _transient()
        return Housekeeping(expired=0, reset=0, invoiced=0)

    monkeypatch.setattr(trade_service, "expire_and_reset", flaky)
    retried, succeeded = _tasks_run(RESET, "retry"), _tasks_run(RESET, "success")
    result = celery_app.tasks[RESET].apply()
    assert result.get() == {"expired": 0, "reset": 0, "invoiced": 0}
    assert len(calls) == 2
    assert _tasks_run(RESET, "retry") - retried == 1
    assert _tasks_run(RESET, "success") - succeeded == 1
    [retry] = log_output.events("task will be retried")
    assert retry["task"] == RESET
    assert retry["outcome"] == "retry"
    assert retry["exception"]["type"] == "sqlalchemy.exc.OperationalError"
    [done] = log_output.events("task finished")
    assert (done["task"], done["outcome"], done["retries"]) == (RESET, "success", 1)
    assert done["duration_ms"] >= 0
    assert retry["task_id"]
    assert done["task_id"]


def test_a_task_gives_up_after_its_last_retry(
    worker_semantics: None, monkeypatch: pytest.MonkeyPatch, log_output: LogOutput
) -> None:
    calls: list[int] = []

    def down(_session: object) -> Housekeeping:
        calls.append(1)
        raise _transient()

    monkeypatch.setattr(trade_service, "expire_and_reset", down)
    failed = _tasks_run(RESET, "failure")
    result = celery_app.tasks[RESET].apply()
    assert result.state == "FAILURE"
    assert len(calls) == 1 + 5
    assert len(log_output.events("task will be retried")) == 5
    [line] = log_output.events("task failed")
    assert line["exception"]["type"] == "sqlalchemy.exc.OperationalError"
    assert _tasks_run(RESET, "failure") - failed == 1


def test_an_error_that_is_not_transient_is_not_retried(
    worker_semantics: None, monkeypatch: pytest.MonkeyPatch, log_output: LogOutput
) -> None:
    calls: list[int] = []

    def broken(_session: object) -> Housekeeping:
        calls.append(1)
        raise KeyError("plan")

    monkeypatch.setattr(trade_service, "expire_and_reset", broken)
    assert celery_app.tasks[RESET].apply().state == "FAILURE"
    assert len(calls) == 1
    assert not log_output.events("task will be retried")
    [line] = log_output.events("task failed")
    assert line["exception"]["type"] == "KeyError"


@pytest.mark.parametrize(
    ("request_fields", "error", "expected"),
    [
        ({"retries": 0, "is_eager": False, "called_directly": False}, _transient(), True),
        ({"retries": 4, "is_eager": False, "called_directly": False}, TimeoutError(), True),
        ({"retries": 5, "is_eager": False, "called_directly": False}, _transient(), False),
        ({"retries": 0, "is_eager": False, "called_directly": False}, ValueError(), False),
        ({"retries": 0, "is_eager": True, "called_directly": False}, _transient(), False),
        ({"retries": 0, "is_eager": False, "called_directly": True}, _transient(), False),
    ],
)
def test_will_retry_only_transient_errors_on_a_worker_with_retries_left(
    request_fields: dict[str, object], error: Exception, expected: bool
) -> None:
    """``listings.ingest`` catches every error to record it on the dataset; it re-raises
    only what ``autoretry_for`` will retry, so a dataset is marked failed only for good."""
    task = celery_app.tasks["listings.ingest"]
    task.push_request(id="t-1", **request_fields)
    try:
        assert will_retry(task, error) is expected
    finally:
        task.pop_request()


def test_an_in_process_task_logs_with_the_request_that_enqueued_it(
    client: TestClient, settings: Settings, log_output: LogOutput
) -> None:
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
    response = client.post(
        "/api/v1/datasets",
        headers={**bearer(provider, settings), "X-Request-ID": "abad000000000001"},
        files={"file": ("people.csv", csv_bytes(people_table(rows=20)), "text/csv")},
        data={"title": "Tasks", "domain": "test"},
    )
    assert response.status_code == 201, response.text
    [line] = [r for r in log_output.events("task finished") if r["task"] == "listings.ingest"]
    assert (line["request_id"], line["outcome"]) == ("abad000000000001", "success")
