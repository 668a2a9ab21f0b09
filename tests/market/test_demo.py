"""The demo seeds organizations, users and two datasets, one listed; a rerun changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from rich.console import Console
from sqlmodel import Session, func, select

from listings.models import Dataset
from market import demo
from market.config import Settings


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
    kinds = {c["kind"] for c in catalog["items"][0]["columns"]}
    assert {"name", "resident_id", "mobile"} <= kinds
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
