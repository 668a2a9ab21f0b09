"""The ingest task through a real Celery worker on the local Redis.

Everything else runs tasks in-process; this test proves the same code path works across
processes: the upload commits, then the task is sent, a worker picks it up from Redis,
profiles the file and commits the result the API then shows.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

from celery.result import AsyncResult
from fastapi.testclient import TestClient

from accounts.models import Role
from ground import worker
from ground.config import Settings
from ground.db import unit_of_work
from listings.models import Dataset
from market.shell.app import create_app
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_user, csv_bytes, people_table


def test_upload_is_ingested_by_a_real_worker(
    redis_settings: Settings, celery_worker: None, tmp_path: Path
) -> None:
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
    headers = bearer(provider, redis_settings)
    with TestClient(create_app()) as client:
        response = client.post(
            "/api/v1/datasets",
            headers=headers,
            files={"file": ("people.csv", csv_bytes(people_table(rows=40)), "text/csv")},
            data={"title": "Worker test", "domain": "test"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "processing"
        dataset_id = response.json()["id"]
        with unit_of_work() as session:
            dataset = session.get(Dataset, uuid.UUID(dataset_id))
            assert dataset is not None
            task_id = dataset.ingest_task_id
        assert task_id is not None
        outcome = AsyncResult(task_id, app=worker.celery_app).get(timeout=90)
        assert outcome == "draft", (tmp_path / "worker.log").read_text()
        detail = client.get(f"/api/v1/datasets/{dataset_id}", headers=headers).json()
    assert detail["status"] == "draft"
    assert {c["name"]: c["kind"] for c in detail["columns"]}["身份证号"] == "resident_id"


def test_a_real_worker_logs_json_with_the_request_id_and_serves_task_metrics(
    redis_settings: Settings, celery_worker: None, tmp_path: Path, worker_metrics_port: int
) -> None:
    """Across processes: the upload's request id travels in the task message, the worker's
    lines are JSON and carry it, and the worker's exporter counts the task's outcome."""
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
    request_id = "c0ffee00000000000000000000000001"
    with TestClient(create_app()) as client:
        response = client.post(
            "/api/v1/datasets",
            headers={**bearer(provider, redis_settings), "X-Request-ID": request_id},
            files={"file": ("people.csv", csv_bytes(people_table(rows=40)), "text/csv")},
            data={"title": "Worker logs", "domain": "test"},
        )
    assert response.status_code == 201, response.text
    with unit_of_work() as session:
        dataset = session.get(Dataset, uuid.UUID(response.json()["id"]))
        assert dataset is not None
        task_id = dataset.ingest_task_id
    log_text = (tmp_path / "worker.log").read_text
    assert AsyncResult(task_id, app=worker.celery_app).get(timeout=90) == "draft", log_text()
    # A result is stored before the task's last signal (our log line) fires. The worker runs
    # one task at a time (solo pool), so once a second task has answered, the first one has
    # finished everything, without the test waiting on a clock.
    worker.celery_app.send_task("trade.reset_quotas").get(timeout=90)
    lines = [json.loads(line) for line in log_text().splitlines() if line.startswith("{")]
    [finished] = [
        line
        for line in lines
        if line.get("event") == "task finished" and line["task"] == "listings.ingest"
    ]
    assert finished["task_id"] == task_id
    assert finished["request_id"] == request_id
    assert finished["outcome"] == "success"
    with urllib.request.urlopen(f"http://127.0.0.1:{worker_metrics_port}/metrics") as scrape:
        metrics = scrape.read().decode()
    assert 'sluice_tasks_total{outcome="success",task="listings.ingest"} 1.0' in metrics
