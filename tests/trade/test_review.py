"""Trade review and revocation: conditions, scenario validity, revoking one entitlement or every
entitlement of a buyer or on a dataset at once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from billing.service import plans_for
from ground.config import Settings
from ground.db import utcnow
from listings.models import DataGrade, Dataset
from tests.fixtures.client import api_key_over_http, bearer, order_over_http
from tests.fixtures.factories import create_listed_dataset, create_user, principal_of
from trade import revocation
from trade import service as trade
from trade.models import Entitlement, EntitlementStatus, OrderStatus


def _order_free(
    client: TestClient, session: Session, buyer: User, settings: Settings, dataset: Dataset
) -> dict:
    plan = plans_for(session, dataset.id)[0]
    return order_over_http(client, buyer, settings, dataset.id, plan.id, scenario="反欺诈核验")


def _assert_about(stamp: str | None, expected: datetime) -> None:
    assert stamp is not None
    assert abs(datetime.fromisoformat(stamp) - expected) < timedelta(minutes=5)


def _rows(client: TestClient, key: str, dataset: Dataset) -> int:
    return client.get(f"/api/v1/data/{dataset.id}/rows", headers={"X-API-Key": key}).status_code


def test_the_queue_shows_what_the_reviewer_needs_and_conditions_bind_the_entitlement(
    client: TestClient, session: Session, settings: Settings, reviewer: User, buyer: User
) -> None:
    dataset = create_listed_dataset(
        session, settings, reviewer=reviewer, grade=DataGrade.important, level=None
    )
    session.commit()
    order = _order_free(client, session, buyer, settings, dataset)
    assert order["status"] == "pending_review"
    queue = client.get("/api/v1/reviews/orders", headers=bearer(reviewer, settings)).json()
    [entry] = queue["items"]
    assert entry["usage_scenario"] == "反欺诈核验"
    assert entry["dataset_grade"] == "important"
    assert entry["buyer_name"]
    assert entry["plan_quota"] == settings.free_plan_calls
    assert entry["buyer_history"]["pending_review"] == 1

    approved = client.post(
        f"/api/v1/reviews/orders/{order['id']}/approve",
        headers=bearer(reviewer, settings),
        json={"note": "限期三十天", "max_quota": 2, "max_valid_days": 30},
    )
    assert approved.status_code == 200, approved.text
    entitlement = approved.json()["entitlement"]
    assert entitlement["quota_total"] == 2
    _assert_about(entitlement["valid_until"], utcnow() + timedelta(days=30))


def test_every_scenario_has_a_validity_and_access_ends_when_it_expires(
    client: TestClient, session: Session, settings: Settings, reviewer: User, buyer: User
) -> None:
    dataset = create_listed_dataset(session, settings, reviewer=reviewer)
    session.commit()
    order = _order_free(client, session, buyer, settings, dataset)
    expected = utcnow() + timedelta(days=settings.scenario_valid_days)
    _assert_about(order["entitlement"]["valid_until"], expected)
    key = api_key_over_http(client, buyer, settings)
    assert _rows(client, key, dataset) == 200
    entitlement = session.get(Entitlement, uuid.UUID(order["entitlement"]["id"]))
    assert entitlement is not None
    entitlement.valid_until = utcnow() - timedelta(seconds=1)
    session.add(entitlement)
    session.commit()
    assert _rows(client, key, dataset) == 403


def test_a_revoked_entitlement_stops_the_next_call(
    client: TestClient, session: Session, settings: Settings, reviewer: User, buyer: User
) -> None:
    dataset = create_listed_dataset(session, settings, reviewer=reviewer)
    session.commit()
    order = _order_free(client, session, buyer, settings, dataset)
    key = api_key_over_http(client, buyer, settings)
    url = f"/api/v1/reviews/entitlements/{order['entitlement']['id']}/revoke"
    revoked = client.post(url, headers=bearer(reviewer, settings), json={"reason": "超范围使用"})
    assert revoked.json()["status"] == "revoked"
    assert _rows(client, key, dataset) == 403
    again = client.post(url, headers=bearer(reviewer, settings), json={"reason": "again"})
    assert again.status_code == 409


def test_emergency_stop_revokes_every_entitlement_of_a_buyer(
    client: TestClient, session: Session, settings: Settings, reviewer: User, buyer: User
) -> None:
    first = create_listed_dataset(session, settings, reviewer=reviewer)
    second = create_listed_dataset(session, settings, reviewer=reviewer)
    other_buyer = create_user(session, role=Role.buyer)
    session.commit()
    for dataset in (first, second):
        _order_free(client, session, buyer, settings, dataset)
    _order_free(client, session, other_buyer, settings, first)
    key = api_key_over_http(client, buyer, settings)
    stop = client.post(
        "/api/v1/reviews/emergency-stop",
        headers=bearer(reviewer, settings),
        json={"buyer_org_id": str(buyer.organization_id), "reason": "数据泄露调查"},
    )
    assert (stop.json()["revoked"], stop.json()["status"]) == (2, "active")
    assert _rows(client, key, first) == 403
    assert _rows(client, key, second) == 403
    assert _rows(client, api_key_over_http(client, other_buyer, settings), first) == 200


def test_emergency_stop_on_a_dataset_revokes_every_buyer(
    client: TestClient, session: Session, settings: Settings, reviewer: User, buyer: User
) -> None:
    dataset = create_listed_dataset(session, settings, reviewer=reviewer)
    other_buyer = create_user(session, role=Role.buyer)
    session.commit()
    _order_free(client, session, buyer, settings, dataset)
    _order_free(client, session, other_buyer, settings, dataset)
    stop = client.post(
        "/api/v1/reviews/emergency-stop",
        headers=bearer(reviewer, settings),
        json={"dataset_id": str(dataset.id), "reason": "提供方撤回授权"},
    )
    assert stop.json()["revoked"] == 2
    audit = client.get(
        "/api/v1/audit",
        params={"action": "entitlement.emergency_stop"},
        headers=bearer(reviewer, settings),
    ).json()["items"]
    assert len(audit[0]["details"]["revoked"]) == 2


def test_emergency_stop_needs_a_target(
    client: TestClient, session: Session, settings: Settings, reviewer: User
) -> None:
    session.commit()
    response = client.post(
        "/api/v1/reviews/emergency-stop", headers=bearer(reviewer, settings), json={"reason": "x"}
    )
    assert response.status_code == 400
    assert "买方机构" in response.json()["detail_zh"]


def test_staff_list_entitlements_by_buyer_dataset_and_status(
    session: Session, settings: Settings, reviewer: User
) -> None:
    dataset = create_listed_dataset(session, settings, reviewer=reviewer)
    other = create_listed_dataset(session, settings, reviewer=reviewer)
    first, second = create_user(session, role=Role.buyer), create_user(session, role=Role.buyer)
    for buyer, target in ((first, dataset), (first, other), (second, dataset)):
        order, _ = trade.place_order(
            session,
            principal_of(buyer),
            dataset_id=target.id,
            plan_id=plans_for(session, target.id)[0].id,
            usage_scenario="对账",
        )
        assert order.status is OrderStatus.active

    def found(**filters: Any) -> set[tuple[uuid.UUID, uuid.UUID]]:
        rows, total = trade.entitlements(session, limit=10, offset=0, **filters)
        assert total == len(rows)
        return {(e.buyer_org_id, e.dataset_id) for e in rows}

    a, b = first.organization_id, second.organization_id
    assert found() == {(a, dataset.id), (a, other.id), (b, dataset.id)}
    assert found(buyer_org_id=a) == {(a, dataset.id), (a, other.id)}
    assert found(dataset_id=dataset.id) == {(a, dataset.id), (b, dataset.id)}
    revocation.emergency_stop(
        session, principal_of(reviewer), buyer_org_id=a, dataset_id=None, reason="调查"
    )
    assert found(status=EntitlementStatus.active) == {(b, dataset.id)}
    assert found(buyer_org_id=a, status=EntitlementStatus.revoked) == {
        (a, dataset.id),
        (a, other.id),
    }
