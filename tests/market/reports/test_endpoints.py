"""Reports: the provider's view of its buyers, and compliance's view of the exchange."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from billing import metering
from billing.models import UsageKind
from billing.service import plans_for
from ground.config import Settings
from ground.db import utcnow
from listings.models import Dataset
from tests.fixtures.client import api_key_over_http, bearer
from tests.fixtures.factories import (
    create_listed_dataset,
    create_user,
)


@pytest.fixture
def listed(session: Session, settings: Settings, provider: User, reviewer: User) -> Dataset:
    return create_listed_dataset(
        session, settings, provider=provider, reviewer=reviewer, title="参保登记"
    )


def _buy_and_read(
    client: TestClient,
    session: Session,
    settings: Settings,
    buyer: User,
    dataset: Dataset,
    calls: int,
) -> None:
    headers = bearer(buyer, settings)
    plan = plans_for(session, dataset.id)[0]
    client.post(
        "/api/v1/orders",
        headers=headers,
        json={"dataset_id": str(dataset.id), "plan_id": str(plan.id), "usage_scenario": "信贷审批"},
    )
    key = api_key_over_http(client, buyer, settings)
    for _ in range(calls):
        response = client.get(
            f"/api/v1/data/{dataset.id}/rows", params={"limit": 3}, headers={"X-API-Key": key}
        )
        assert response.status_code == 200


def test_the_provider_sees_who_bought_for_which_scenario_and_how_much(
    client: TestClient, session: Session, settings: Settings, provider: User, listed: Dataset
) -> None:
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    _buy_and_read(client, session, settings, buyer, listed, calls=3)
    report = client.get("/api/v1/reports/provider", headers=bearer(provider, settings)).json()
    [dataset] = report["datasets"]
    assert dataset["title"] == "参保登记"
    [use] = dataset["buyers"]
    assert use["buyer_org_id"] == str(buyer.organization_id)
    assert use["usage_scenario"] == "信贷审批"
    assert (use["calls"], use["rows"]) == (3, 9)
    assert use["quota_remaining"] == settings.free_plan_calls - 3

    stranger = create_user(session, role=Role.provider)
    session.commit()
    other = client.get("/api/v1/reports/provider", headers=bearer(stranger, settings)).json()
    assert other["datasets"] == []


def test_the_compliance_report_counts_listings_trades_and_consumers(
    client: TestClient, session: Session, settings: Settings, reviewer: User, listed: Dataset
) -> None:
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    _buy_and_read(client, session, settings, buyer, listed, calls=2)
    report = client.get("/api/v1/reports/compliance", headers=bearer(reviewer, settings)).json()
    assert {"grade": "general", "status": "listed", "count": 1} in report["listings"]
    assert report["trades"] == {"active": 1}
    [top] = report["top_consumers"]
    assert (top["buyer_org_id"], top["units"], top["rows"]) == (str(buyer.organization_id), 2, 6)
    assert report["anomalies"] == []


def _use(session: Session, buyer: User, dataset: Dataset, units: int, days_ago: float) -> None:
    event = metering.record_usage(
        session,
        buyer_org_id=buyer.organization_id,
        dataset_id=dataset.id,
        provider_org_id=dataset.provider_org_id,
        kind=UsageKind.api_call,
        units=units,
    )
    event.created_at = utcnow() - timedelta(days=days_ago)
    session.add(event)


def test_a_buyer_whose_usage_jumps_is_flagged(
    client: TestClient, session: Session, settings: Settings, reviewer: User, listed: Dataset
) -> None:
    jumpy, steady = create_user(session, role=Role.buyer), create_user(session, role=Role.buyer)
    for day in range(2, 15):
        _use(session, jumpy, listed, units=2, days_ago=day)
        _use(session, steady, listed, units=30, days_ago=day)
    _use(session, jumpy, listed, units=200, days_ago=0.1)
    _use(session, steady, listed, units=35, days_ago=0.1)
    session.commit()
    report = client.get("/api/v1/reports/compliance", headers=bearer(reviewer, settings)).json()
    [anomaly] = report["anomalies"]
    assert anomaly["buyer_org_id"] == str(jumpy.organization_id)
    assert anomaly["kind"] == "usage_jump"
    assert "200 units" in anomaly["detail"]
