"""The ingest task through a real Celery worker on the local Redis.

Everything else runs tasks in-process; this test proves the same code path works across
processes: the upload commits, then the task is sent, a worker picks it up from Redis,
profiles the file and commits the result the API then shows.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from celery.result import AsyncResult
from fastapi.testclient import TestClient

from listings.models import Dataset
from market import worker
from market.accounts.models import Role
from market.app import create_app
from market.config import Settings
from market.db import unit_of_work
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
