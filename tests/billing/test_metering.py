"""Metering: every data API call is a usage event; buyers and providers see usage per day and
dataset; a buyer's statement shows paid, used and left per entitlement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from billing import metering
from billing.models import PlanKind, QuotaUnit, UsageKind
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    activate_plan,
    create_api_key,
    create_order,
    create_user,
)


def test_each_call_is_metered_and_shown_per_day_and_dataset(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    activate_plan(session, buyer, listed, provider, calls=10)
    key = create_api_key(session, buyer)
    other_buyer = create_user(session, role=Role.buyer)
    session.commit()
    for limit in (3, 4):
        response = client.get(
            f"/api/v1/data/{listed.id}/rows", params={"limit": limit}, headers={"X-API-Key": key}
        )
        assert response.status_code == 200, response.text
    today = datetime.now(UTC).date().isoformat()
    expected = {
        "day": today,
        "dataset_id": str(listed.id),
        "calls": 2,
        "units": 2,
        "rows": 7,
        "epsilon": 0.0,
        "overage_units": 0,
        "overage_minor": {},
    }
    for user in (buyer, provider):
        report = client.get("/api/v1/usage", headers=bearer(user, settings)).json()
        assert report["days"] == [expected]
        assert report["totals_by_dataset"][0]["rows"] == 7
    nothing = client.get("/api/v1/usage", headers=bearer(other_buyer, settings)).json()
    assert nothing["days"] == []


def test_a_row_quota_is_charged_per_row_served(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    activate_plan(session, buyer, listed, provider, calls=25, quota_unit=QuotaUnit.rows)
    key = create_api_key(session, buyer)
    session.commit()
    url = f"/api/v1/data/{listed.id}/rows"
    first = client.get(url, params={"limit": 20}, headers={"X-API-Key": key})
    assert first.json()["quota_remaining"] == 5
    too_many = client.get(url, params={"limit": 6}, headers={"X-API-Key": key})
    assert too_many.status_code == 429
    last = client.get(url, params={"limit": 5, "offset": 20}, headers={"X-API-Key": key})
    assert last.json()["quota_remaining"] == 0


def test_the_entitlement_statement_shows_paid_used_and_left(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    admin = create_user(session, role=Role.admin)
    order = create_order(session, buyer, listed, provider, price_minor=500, calls=4)
    sandbox_order, sandbox = activate_plan(
        session,
        buyer,
        listed,
        provider,
        kind=PlanKind.sandbox_pack,
        calls=10,
        epsilon=2.0,
        price_minor=900,
    )
    key = create_api_key(session, buyer)
    session.commit()
    client.post(
        f"/api/v1/orders/{order.id}/bank-transfers",
        headers=bearer(admin, settings),
        json={"reference": "T-1", "amount_minor": 500, "currency": "CNY"},
    )
    client.get(f"/api/v1/data/{listed.id}/rows", params={"limit": 2}, headers={"X-API-Key": key})
    # What the sandbox will report for each query it answers.
    metering.record_usage(
        session,
        buyer_org_id=buyer.organization_id,
        dataset_id=listed.id,
        provider_org_id=provider.organization_id,
        kind=UsageKind.sandbox_query,
        units=1,
        epsilon=0.5,
        delta=1e-7,
        entitlement_id=sandbox.id,
    )
    session.commit()
    statements = client.get("/api/v1/entitlements", headers=bearer(buyer, settings)).json()
    by_order = {s["order_id"]: s for s in statements["items"]}
    api = by_order[str(order.id)]
    assert (api["paid_minor"], api["calls_used"], api["rows_used"]) == (500, 1, 2)
    assert (api["quota_total"], api["quota_remaining"]) == (4, 3)
    box = by_order[str(sandbox_order.id)]
    assert (box["epsilon_total"], box["epsilon_used"], box["epsilon_left"]) == (2.0, 0.5, 1.5)
    assert box["quota_unit"] == "queries"
    one = client.get(
        f"/api/v1/entitlements/{api['entitlement_id']}", headers=bearer(buyer, settings)
    )
    assert one.json() == api
    stranger = create_user(session, role=Role.buyer)
    session.commit()
    hidden = client.get(
        f"/api/v1/entitlements/{api['entitlement_id']}", headers=bearer(stranger, settings)
    )
    assert hidden.status_code == 404


def test_a_usage_range_is_validated(
    client: TestClient, session: Session, settings: Settings, buyer: User
) -> None:
    session.commit()
    today = datetime.now(UTC).date()
    response = client.get(
        "/api/v1/usage",
        params={"since": today.isoformat(), "until": (today - timedelta(days=1)).isoformat()},
        headers=bearer(buyer, settings),
    )
    assert response.status_code == 400
    assert response.json()["detail_zh"]
