"""The sandbox under the exchange's rules: a paid sandbox pack grants the budget, every query is
audited with its usage scenario and metered with its ε, and suspension, emergency stops and
allow-list probing are visible to compliance."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from billing.models import PlanKind
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    create_plan,
    create_sandbox_buyer,
    create_sandbox_dataset,
    create_user,
    place_order,
)

COUNT = "SELECT COUNT(*) AS n FROM dataset"


def _query(client: TestClient, buyer: User, settings: Settings, dataset: Dataset, sql: str) -> dict:
    response = client.post(
        "/api/v1/sandbox/queries",
        json={"dataset_id": str(dataset.id), "sql": sql, "epsilon": 0.5},
        headers=bearer(buyer, settings),
    )
    return {**response.json(), "http_status": response.status_code}


def test_a_paid_sandbox_pack_grants_its_budget_and_queries_are_audited_and_metered(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, provider, reviewer = create_sandbox_dataset(session, settings)
    plan = create_plan(
        session, dataset, provider=provider, kind=PlanKind.sandbox_pack, calls=20, epsilon=3.0
    )
    buyer, admin = create_user(session, role=Role.buyer), create_user(session, role=Role.admin)
    order = place_order(session, buyer, dataset, plan)
    session.commit()
    paid = client.post(
        f"/api/v1/orders/{order.id}/bank-transfers",
        headers=bearer(admin, settings),
        json={"reference": "BOC-2026-0001", "amount_minor": plan.price_minor, "currency": "CNY"},
    )
    assert paid.json()["status"] == "active", paid.text
    budget = client.get("/api/v1/sandbox/budget", headers=bearer(buyer, settings)).json()
    assert budget["items"][0]["epsilon_total"] == 3.0

    result = _query(client, buyer, settings, dataset, COUNT)
    assert result["http_status"] == 200, result
    records = client.get(
        "/api/v1/audit", params={"action": "sandbox.query"}, headers=bearer(reviewer, settings)
    ).json()["items"]
    [record] = [r for r in records if r["action"] == "sandbox.query"]
    assert record["details"]["epsilon"] == 0.5
    assert record["details"]["usage_scenario"] == "风控建模"
    assert record["actor_org_id"] == str(buyer.organization_id)
    report = client.get("/api/v1/reports/compliance", headers=bearer(reviewer, settings)).json()
    [spent] = report["budget_spent"]
    assert (spent["buyer_org_id"], spent["epsilon"]) == (str(buyer.organization_id), 0.5)


def test_suspension_and_emergency_stop_end_sandbox_access(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _provider, reviewer = create_sandbox_dataset(session, settings)
    buyer = create_sandbox_buyer(session, settings, dataset)
    session.commit()
    assert _query(client, buyer, settings, dataset, COUNT)["http_status"] == 200
    as_reviewer = bearer(reviewer, settings)
    client.post(
        f"/api/v1/reviews/listings/{dataset.id}/suspend",
        headers=as_reviewer,
        json={"reason": "核查"},
    )
    suspended = _query(client, buyer, settings, dataset, COUNT + " WHERE age > 30")
    assert suspended["http_status"] == 403
    assert "suspended" in suspended["detail"]
    client.post(
        f"/api/v1/reviews/listings/{dataset.id}/reinstate",
        headers=as_reviewer,
        json={"reason": "ok"},
    )
    stop = client.post(
        "/api/v1/reviews/emergency-stop",
        headers=as_reviewer,
        json={"buyer_org_id": str(buyer.organization_id), "reason": "异常访问"},
    )
    assert stop.status_code == 200
    stopped = _query(client, buyer, settings, dataset, COUNT + " WHERE age > 40")
    assert stopped["http_status"] == 403
    # The standing stop answers first (it used to be the ended budget's "expired").
    assert f"emergency stop {stop.json()['id']}" in stopped["detail"]


def test_a_buyer_probing_the_allow_list_is_flagged(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _provider, reviewer = create_sandbox_dataset(session, settings)
    buyer = create_sandbox_buyer(session, settings, dataset)
    session.commit()
    for n in range(10):
        refused = _query(
            client, buyer, settings, dataset, f"SELECT * FROM read_csv('/etc/passwd{n}')"
        )
        assert refused["http_status"] in (400, 422), refused
    report = client.get("/api/v1/reports/compliance", headers=bearer(reviewer, settings)).json()
    [anomaly] = [a for a in report["anomalies"] if a["kind"] == "refused_sandbox_queries"]
    assert anomaly["buyer_org_id"] == str(buyer.organization_id)
    assert "10 sandbox queries" in anomaly["detail"]


def test_no_budget_is_granted_or_topped_up_under_an_emergency_stop(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _provider, reviewer = create_sandbox_dataset(session, settings)
    buyer = create_sandbox_buyer(session, settings, dataset, epsilon=1.0)
    session.commit()
    as_reviewer = bearer(reviewer, settings)
    stop = client.post(
        "/api/v1/reviews/emergency-stop",
        headers=as_reviewer,
        json={"dataset_id": str(dataset.id), "reason": "核查"},
    )
    assert stop.status_code == 200, stop.text
    top_up = client.post(
        "/api/v1/sandbox/grants",
        headers=as_reviewer,
        json={"buyer_org_id": str(buyer.organization_id), "dataset_id": str(dataset.id),
              "epsilon": 2.0, "delta": 1e-5},
    )  # fmt: skip
    assert top_up.status_code == 403
    assert stop.json()["id"] in top_up.json()["detail"]
    budget = client.get("/api/v1/sandbox/budget", headers=bearer(buyer, settings)).json()
    assert budget["items"][0]["epsilon_total"] == 1.0
    refusals = client.get(
        "/api/v1/audit",
        params={"action": "entitlement.emergency_stop_refused"},
        headers=as_reviewer,
    ).json()["items"]
    assert [(r["subject_id"], r["details"]["door"]) for r in refusals] == [
        (stop.json()["id"], "sandbox.grant")
    ]
