"""The ingest task through a real Celery worker on the local Redis.

Everything else runs tasks in-process; this test proves the same code path works across
processes: the upload commits, then the task is sent, a worker picks it up from Redis,
profiles the file and commits the result the API then shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery.result import AsyncResult
from fastapi.testclient import TestClient

from listings.models import Dataset
from market import migrations, worker
from market.accounts.models import Role
from market.app import create_app
from market.config import Settings, get_settings
from market.db import engine_for, unit_of_work
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_user, csv_bytes, people_table
from tests.fixtures.settings import TEST_JWT_SECRET, apply_settings

REDIS_URL = os.environ.get("SLUICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def _redis_available() -> bool:
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI must exercise a real Celery worker, but Redis at {REDIS_URL} is down")
        pytest.skip(f"no Redis at {REDIS_URL}")
    # A database of its own: the worker is another process and must see committed rows.
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    settings = apply_settings(
        monkeypatch,
        environment="test",
        database_url=url,
        data_dir=str(tmp_path / "data"),
        jwt_secret=TEST_JWT_SECRET,
        celery_broker_url=REDIS_URL,
        # A queue of this run's own: another checkout's suite or worker on the same Redis
        # database can neither take this test's task nor hand it one.
        celery_queue=f"sluice-test-{uuid.uuid4().hex}",
    )
    migrations.upgrade(url)
    yield settings
    monkeypatch.undo()
    get_settings.cache_clear()
    worker.configure_celery(get_settings())
    engine_for(url).dispose()


@pytest.fixture
def celery_worker(redis_settings: Settings, tmp_path: Path) -> Iterator[None]:
    # Redis database 15 (not the default 0) keeps a developer's own worker off our task, and
    # the run's own queue (``redis_settings``) keeps other test runs off it.
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "--app=market.worker:celery_app",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env={**os.environ, **_sluice_env(redis_settings)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        queue = redis_settings.celery_queue
        with redis.Redis.from_url(REDIS_URL) as client:
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def _sluice_env(settings: Settings) -> dict[str, str]:
    return {
        "SLUICE_ENVIRONMENT": "test",
        "SLUICE_DATABASE_URL": settings.database_url,
        "SLUICE_DATA_DIR": str(settings.data_dir),
        "SLUICE_JWT_SECRET": TEST_JWT_SECRET,
        "SLUICE_CELERY_BROKER_URL": REDIS_URL,
        "SLUICE_CELERY_QUEUE": settings.celery_queue,
    }


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
