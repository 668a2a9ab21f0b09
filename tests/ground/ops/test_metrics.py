"""Prometheus metrics: they move with the work, and only the configured scraper reads them."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from accounts.models import User
from billing.models import PlanKind
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    activate_plan,
    create_api_key,
    create_sandbox_buyer,
    create_sandbox_dataset,
)
from tests.fixtures.settings import apply_settings

TOKEN = "scrape-token-0123456789abcdef"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


@pytest.fixture
def scraper(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return apply_settings(monkeypatch, metrics_token=TOKEN)


def test_a_data_call_moves_rows_served_and_the_latency_histogram(
    client: TestClient,
    session: Session,
    scraper: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    activate_plan(session, buyer, listed, provider, kind=PlanKind.api_quota, calls=5)
    key = create_api_key(session, buyer)
    session.commit()
    route = (("method", "GET"), ("route", "/api/v1/data/{dataset_id}/rows"), ("status", "200"))
    before = scraped(client)
    response = client.get(
        f"/api/v1/data/{listed.id}/rows", headers={"X-API-Key": key}, params={"limit": 7}
    )
    assert response.status_code == 200, response.text
    after = scraped(client)
    rows = ("sluice_data_rows_served_total", ())
    assert after[rows] - before.get(rows, 0.0) == len(response.json()["rows"]) == 7
    count = ("sluice_http_request_duration_seconds_count", route)
    assert after[count] - before.get(count, 0.0) == 1


def test_a_sandbox_query_counts_its_outcome_and_the_epsilon_it_spent(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings)
    buyer = create_sandbox_buyer(session, settings, dataset)
    session.commit()
    spent = sample("sluice_sandbox_epsilon_spent_total")
    succeeded = sample("sluice_sandbox_queries_total", outcome="succeeded")
    response = client.post(
        "/api/v1/sandbox/queries",
        headers=bearer(buyer, settings),
        json={"dataset_id": str(dataset.id), "sql": "SELECT COUNT(*) FROM dataset", "epsilon": 0.5},
    )
    assert response.status_code == 200, response.text
    assert sample("sluice_sandbox_epsilon_spent_total") - spent == pytest.approx(0.5)
    assert sample("sluice_sandbox_queries_total", outcome="succeeded") - succeeded == 1


def test_a_path_no_route_knows_never_becomes_a_label(client: TestClient, scraper: Settings) -> None:
    client.get("/api/v1/data/110105199003071234/rows/extra")
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert "110105199003071234" not in text
    assert 'route="unmatched"' in text


def test_with_a_token_only_its_bearer_may_scrape(client: TestClient, scraper: Settings) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * len(TOKEN)})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "NotAuthenticated"
    assert "sluice_" not in wrong.text
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_without_a_token_only_loopback_clients_may_scrape(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    remote = client.get("/metrics")
    assert remote.status_code == 403
    assert remote.json()["error"] == "Forbidden"
    with TestClient(app, client=("127.0.0.1", 50123)) as local:
        assert local.get("/metrics").status_code == 200
    with TestClient(app, client=("::1", 50123)) as local6:
        assert local6.get("/metrics").status_code == 200
    with TestClient(app, client=("10.0.0.8", 50123)) as lan:
        assert lan.get("/metrics").status_code == 403


def test_a_short_token_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="SLUICE_METRICS_TOKEN"):
        Settings(metrics_token="short")
