"""Orders and quota: no trade without a scenario, no rows without an entitlement."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from billing.models import Plan, PlanKind
from billing.service import plans_for
from ground.config import Settings
from listings.models import Dataset, DeliveryMode
from tests.fixtures.client import api_key_over_http, bearer
from tests.fixtures.factories import (
    create_dataset,
    create_listed_dataset,
    create_user,
)


@pytest.fixture
def listed(session: Session, settings: Settings) -> Dataset:
    listed = create_listed_dataset(session, settings)
    session.commit()
    return listed


@pytest.fixture
def free_plan_id(session: Session, listed: Dataset) -> str:
    return str(plans_for(session, listed.id)[0].id)


def _order(
    client: TestClient,
    buyer: User,
    settings: Settings,
    dataset: Dataset,
    plan_id: str,
    **overrides: object,
) -> tuple[int, dict[str, object]]:
    body: dict[str, object] = {
        "dataset_id": str(dataset.id),
        "plan_id": plan_id,
        "usage_scenario": "授信审批中的身份核验",
    }
    body.update(overrides)
    response = client.post("/api/v1/orders", headers=bearer(buyer, settings), json=body)
    return response.status_code, response.json()


@pytest.mark.parametrize("scenario", [None, "", "   "])
def test_an_order_without_a_usage_scenario_is_refused(
    client: TestClient,
    settings: Settings,
    buyer: User,
    listed: Dataset,
    free_plan_id: str,
    scenario: str | None,
) -> None:
    status, body = _order(client, buyer, settings, listed, free_plan_id, usage_scenario=scenario)
    assert status == 422
    assert "usage_scenario" in str(body["detail"])


def test_the_free_plan_can_be_taken_once(
    client: TestClient, settings: Settings, buyer: User, listed: Dataset, free_plan_id: str
) -> None:
    assert _order(client, buyer, settings, listed, free_plan_id)[0] == 201
    status, body = _order(client, buyer, settings, listed, free_plan_id)
    assert status == 409
    assert "already" in str(body["detail"])


def test_a_plan_of_another_dataset_is_not_found(
    client: TestClient, session: Session, settings: Settings, buyer: User, listed: Dataset
) -> None:
    status, _ = _order(client, buyer, settings, listed, str(uuid.uuid4()))
    assert status == 404


def test_an_unlisted_dataset_cannot_be_ordered(
    client: TestClient,
    session: Session,
    settings: Settings,
    buyer: User,
    listed: Dataset,
    free_plan_id: str,
) -> None:
    draft = create_dataset(session, settings, provider=create_user(session, role=Role.provider))
    session.commit()
    status, _ = _order(client, buyer, settings, listed, free_plan_id, dataset_id=str(draft.id))
    assert status == 404


def test_rows_without_an_entitlement_are_403(
    client: TestClient, settings: Settings, buyer: User, listed: Dataset
) -> None:
    key = api_key_over_http(client, buyer, settings)
    response = client.get(f"/api/v1/data/{listed.id}/rows", headers={"X-API-Key": key})
    assert response.status_code == 403
    assert "entitlement" in response.json()["detail"]


def test_another_organizations_order_is_not_found(
    client: TestClient,
    session: Session,
    settings: Settings,
    buyer: User,
    listed: Dataset,
    free_plan_id: str,
) -> None:
    _, order = _order(client, buyer, settings, listed, free_plan_id)
    stranger = create_user(session, role=Role.buyer)
    session.commit()
    response = client.get(f"/api/v1/orders/{order['id']}", headers=bearer(stranger, settings))
    assert response.status_code == 404
    mine = client.get("/api/v1/orders", headers=bearer(buyer, settings)).json()
    assert [o["id"] for o in mine["items"]] == [order["id"]]


def test_paging_past_the_end_returns_no_rows_but_costs_a_call(
    client: TestClient, settings: Settings, buyer: User, listed: Dataset, free_plan_id: str
) -> None:
    _order(client, buyer, settings, listed, free_plan_id)
    key = api_key_over_http(client, buyer, settings)
    response = client.get(
        f"/api/v1/data/{listed.id}/rows", params={"offset": 10_000}, headers={"X-API-Key": key}
    )
    assert response.status_code == 200
    assert response.json()["rows"] == []
    assert response.json()["quota_remaining"] == settings.free_plan_calls - 1


def test_a_plan_the_delivery_mode_does_not_allow_cannot_be_ordered(
    client: TestClient, session: Session, settings: Settings, buyer: User
) -> None:
    """Plans are checked when created and a listed dataset's mode cannot change, so such a
    plan only exists in old or hand-edited data: ordering it is refused all the same."""
    sandbox_only = create_listed_dataset(session, settings, delivery_mode=DeliveryMode.sandbox)
    rows_plan = Plan(
        dataset_id=sandbox_only.id, name="rows", kind=PlanKind.api_quota, calls=10, price_minor=1
    )
    session.add(rows_plan)
    session.commit()
    status, body = _order(client, buyer, settings, sandbox_only, str(rows_plan.id))
    assert status == 409
    assert "sandbox only" in str(body["detail"])
