"""The demo seeds organizations, users and two datasets, one listed; a rerun changes nothing."""

from __future__ import annotations

import uuid

import redis
from fastapi.testclient import TestClient
from rich.console import Console
from sqlmodel import Session, func, select

from ground import db
from ground.config import Settings
from listings.models import Dataset, DatasetStatus
from market.shell import demo
from tests.fixtures.worker import REDIS_URL


def test_demo_seed_lists_one_dataset_and_is_idempotent(
    client: TestClient, session: Session, settings: Settings
) -> None:
    console = Console(quiet=True)
    summary = demo.seed(settings, console=console, rows=300)
    assert summary.created
    token = client.post(
        "/api/v1/auth/token",
        data={"username": "buyer@demo.sluice", "password": demo.DEMO_PASSWORD},
    ).json()["access_token"]
    catalog = client.get("/api/v1/catalog", headers={"Authorization": f"Bearer {token}"}).json()
    assert [d["id"] for d in catalog["items"]] == [summary.listed_dataset_id]
    # Buyers see each column's released form (declared), not the detector's kinds (measured).
    columns = catalog["items"][0]["columns"]
    assert {"mask", "mask_name"} <= {c["released"]["operator"] for c in columns if c["released"]}
    assert not any("kind" in c or "evidence" in c for c in columns)
    plans = client.get(
        f"/api/v1/datasets/{summary.listed_dataset_id}/plans",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert {p["kind"] for p in plans} == {
        "free_sample",
        "api_quota",
        "subscription",
        "sandbox_pack",
    }

    again = demo.seed(settings, console=console, rows=300)
    assert not again.created
    assert again.listed_dataset_id == summary.listed_dataset_id
    assert again.in_review_dataset_id == summary.in_review_dataset_id
    assert session.exec(select(func.count()).select_from(Dataset)).one() == 2


def test_demo_buyer_can_query_the_sandbox(
    client: TestClient, session: Session, settings: Settings
) -> None:
    summary = demo.seed(settings, console=Console(quiet=True), rows=300)
    token = client.post(
        "/api/v1/auth/token",
        data={"username": "buyer@demo.sluice", "password": demo.DEMO_PASSWORD},
    ).json()["access_token"]
    response = client.post(
        "/api/v1/sandbox/queries",
        json={
            "dataset_id": summary.listed_dataset_id,
            "sql": "SELECT 街道, count(*) AS n, avg(缴费基数) AS base FROM dataset GROUP BY 街道",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["result"]["rows"]) == 4
    assert response.json()["budget"]["epsilon_left"] == 9.5


def test_the_demo_seeds_with_a_broker_and_no_worker_running(redis_settings: Settings) -> None:
    """With a broker the ingest tasks go to a queue nobody consumes yet; the demo still lists
    its dataset (it profiles in-process; the queued task later finds nothing to do)."""
    summary = demo.seed(redis_settings, console=Console(quiet=True), rows=200)
    try:
        assert summary.created
        with db.new_session() as session:
            listed = session.get(Dataset, uuid.UUID(summary.listed_dataset_id))
            assert listed is not None
            assert listed.status is DatasetStatus.listed
            in_review = session.get(Dataset, uuid.UUID(summary.in_review_dataset_id))
            assert in_review is not None
            assert in_review.status is DatasetStatus.in_review
    finally:
        queue = redis_settings.celery_queue
        with redis.Redis.from_url(REDIS_URL) as client:
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
