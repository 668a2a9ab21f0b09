"""The sandbox through its API: profiles, grants, queries, stored answers, budgets, ledger."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from ground.config import Settings
from listings.models import Dataset
from sandbox import engine, service
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    SANDBOX_PROFILE,
    create_listed_dataset,
    create_org,
    create_sandbox_buyer,
    create_sandbox_dataset,
    create_user,
    csv_bytes,
    sandbox_table,
)
from tests.fixtures.settings import apply_settings

QUERIES = "/api/v1/sandbox/queries"
GROUPED = (
    "SELECT 城市, COUNT(*) AS n, SUM(金额) AS total, AVG(金额) AS mean FROM dataset GROUP BY 城市"
)


def _setup(
    session: Session, settings: Settings, **grant: float
) -> tuple[Dataset, User, dict[str, str]]:
    dataset, _, reviewer = create_sandbox_dataset(session, settings)
    buyer = create_sandbox_buyer(session, settings, dataset, **grant)  # type: ignore[arg-type]
    session.commit()
    return dataset, reviewer, bearer(buyer, settings)


def _post(client: TestClient, headers: dict[str, str], dataset: Dataset, sql: str, **extra: object):
    return client.post(
        QUERIES, json={"dataset_id": str(dataset.id), "sql": sql, **extra}, headers=headers
    )


def test_grouped_query_releases_the_public_domain_with_errors_and_charges_epsilon(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _, headers = _setup(session, settings)
    response = _post(client, headers, dataset, GROUPED, epsilon=1.0)
    assert response.status_code == 200, response.text
    body = response.json()
    result = body["result"]
    assert result["grouping"] == "public_domain"
    # Every declared city, including 深圳 that has no rows: keys never come from the data.
    assert [row["城市"] for row in result["rows"]] == ["北京", "上海", "广州", "深圳"]
    for errors in result["errors"]:
        assert errors["n"]["mechanism"] == "geometric"
        assert errors["n"]["sensitivity"] == SANDBOX_PROFILE["max_rows_per_person"]
        assert errors["total"]["sensitivity"] == 3 * 10_000
        assert errors["n"]["ci95"] > 0
        assert errors["mean"]["epsilon"] == pytest.approx(0.5)
    assert body["epsilon_spent"] == 1.0
    assert body["delta_spent"] == 0.0
    assert body["budget"]["epsilon_left"] == pytest.approx(4.0)


def test_the_same_query_returns_the_stored_answer_at_no_cost(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _, headers = _setup(session, settings)
    first = _post(client, headers, dataset, GROUPED, epsilon=1.0).json()
    again = _post(client, headers, dataset, GROUPED + "  ", epsilon=1.0).json()
    assert again["id"] == first["id"]
    assert again["result"] == first["result"]
    assert again["stored_answer"] is True
    assert again["epsilon_spent"] == 0.0
    assert again["budget"]["epsilon_spent"] == 1.0


def test_dry_run_prices_without_touching_budget(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _, headers = _setup(session, settings)
    response = _post(client, headers, dataset, GROUPED, epsilon=0.8, dry_run=True)
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True
    assert body["epsilon"] == 0.8
    assert body["price_minor"] == 8000
    assert {o["output"] for o in body["outputs"]} == {"城市", "n", "total", "mean"}
    assert body["budget"]["epsilon_spent"] == 0
    assert client.get("/api/v1/sandbox/ledger", headers=headers).json()["total"] == 0


def test_data_chosen_group_keys_need_the_threshold_and_spend_delta(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _, headers = _setup(session, settings)
    body = _post(
        client, headers, dataset, "SELECT 身份证号, count(*) FROM dataset GROUP BY 身份证号"
    ).json()
    # A person has at most 3 rows: no group comes near the threshold, so no ID is released.
    assert body["result"]["grouping"] == "threshold"
    assert body["result"]["threshold"] > 3
    assert body["result"]["rows"] == []
    assert body["delta_spent"] == settings.sandbox_query_delta


def test_budget_exhaustion_is_402_with_the_budget_left(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _, headers = _setup(session, settings, epsilon=1.0)
    assert _post(client, headers, dataset, "SELECT count(*) FROM dataset", epsilon=0.7).is_success
    response = _post(client, headers, dataset, "SELECT sum(金额) FROM dataset", epsilon=0.5)
    assert response.status_code == 402
    body = response.json()
    assert body["error"] == "BudgetExhausted"
    assert "ε=0.3" in body["detail"]
    assert "ε=0.3" in body["detail_zh"]
    budget = client.get("/api/v1/sandbox/budget", headers=headers).json()["items"][0]
    assert budget["epsilon_spent"] == pytest.approx(0.7)
    assert budget["queries_used"] == 1


def test_query_cap_is_429_with_the_budget_left(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _, headers = _setup(session, settings, max_queries=1)
    assert _post(client, headers, dataset, "SELECT count(*) FROM dataset").is_success
    response = _post(client, headers, dataset, "SELECT sum(金额) FROM dataset")
    assert response.status_code == 429
    assert "ε=4.5" in response.json()["detail"]


def test_epsilon_above_the_per_query_cap_is_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _, headers = _setup(session, settings)
    response = _post(client, headers, dataset, "SELECT count(*) FROM dataset", epsilon=2.5)
    assert response.status_code == 400
    assert response.json()["detail_zh"]


def test_a_dataset_without_an_approved_profile_is_409(
    client: TestClient, session: Session, settings: Settings
) -> None:
    provider = create_user(session, role=Role.provider)
    reviewer = create_user(session, role=Role.compliance)
    dataset = create_listed_dataset(
        session, settings, provider=provider, reviewer=reviewer, content=csv_bytes(sandbox_table())
    )
    buyer = create_sandbox_buyer(session, settings, dataset)
    session.commit()
    headers = bearer(buyer, settings)
    put = client.put(
        f"/api/v1/sandbox/profiles/{dataset.id}",
        json=SANDBOX_PROFILE,
        headers=bearer(provider, settings),
    )
    assert put.status_code == 200, put.text
    assert put.json()["status"] == "pending"
    response = _post(client, headers, dataset, "SELECT count(*) FROM dataset")
    assert response.status_code == 409
    assert response.json()["detail_zh"]
    approve = client.post(
        f"/api/v1/sandbox/profiles/{dataset.id}/approve", headers=bearer(reviewer, settings)
    )
    assert approve.json()["status"] == "approved"
    assert _post(client, headers, dataset, "SELECT count(*) FROM dataset").status_code == 200


def test_invalid_profile_declarations_are_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, provider, _ = create_sandbox_dataset(session, settings)
    session.commit()
    headers = bearer(provider, settings)
    url = f"/api/v1/sandbox/profiles/{dataset.id}"
    bad = [
        {**SANDBOX_PROFILE, "privacy_unit": "nope"},
        {**SANDBOX_PROFILE, "bounds": {"城市": [0, 1]}},
        {**SANDBOX_PROFILE, "bounds": {"金额": [5, 1]}},
        {**SANDBOX_PROFILE, "public_domains": {"城市": []}},
    ]
    for declared in bad:
        response = client.put(url, json=declared, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["detail_zh"]
    # The approved profile is unchanged.
    profile = client.get(url, headers=headers).json()
    assert profile["approved"]["privacy_unit"] == "身份证号"


def test_buyers_see_only_the_approved_declarations(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """The approved profile also stores what approval measured on the file (whether some
    person exceeds the bound, the bounded copy, its size): a buyer sees the declarations only;
    compliance (and the provider) see the measurements too."""
    dataset, reviewer, headers = _setup(session, settings)
    url = f"/api/v1/sandbox/profiles/{dataset.id}"
    profile = client.get(url, headers=headers).json()
    assert set(profile) == {"dataset_id", "status", "approved", "approved_at"}
    assert set(profile["approved"]) == {
        "privacy_unit",
        "max_rows_per_person",
        "bounds",
        "public_domains",
    }
    assert profile["approved"]["bounds"]["金额"] == [0.0, 10000.0]
    staff = client.get(url, headers=bearer(reviewer, settings)).json()
    assert staff["declared"]["privacy_unit"] == "身份证号"
    assert {"file_within_bound", "bounded_file", "checked_size_bytes"} <= set(staff["approved"])


def test_no_grant_is_403(client: TestClient, session: Session, settings: Settings) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings)
    stranger = create_user(session, role=Role.buyer)
    session.commit()
    response = _post(client, bearer(stranger, settings), dataset, "SELECT count(*) FROM dataset")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "error",
    [
        engine.ExecutionTimedOut("time limit"),
        engine.ExecutionFailed("engine error"),
        MemoryError(),
        ZeroDivisionError(),
    ],
    ids=["timeout", "engine", "memory", "bug"],
)
def test_every_failure_after_reading_data_is_one_charged_answer(
    client: TestClient,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    """A timeout used to answer 408 and an engine error 422: the cause can depend on the data,
    so every failure after reading now answers the same 422 with the same text, charged."""
    dataset, _, headers = _setup(session, settings)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(engine, "stream", fail)
    response = _post(client, headers, dataset, "SELECT count(*) FROM dataset", epsilon=0.4)
    assert response.status_code == 422
    body = response.json()
    assert (body["error"], body["detail"]) == ("QueryFailed", service.FAILED_DETAIL)
    assert body["detail_zh"] == service.FAILED_DETAIL_ZH
    ledger = client.get("/api/v1/sandbox/ledger", headers=headers).json()["items"]
    assert sorted(e["kind"] for e in ledger) == ["commit", "reserve"]
    budget = client.get("/api/v1/sandbox/budget", headers=headers).json()["items"][0]
    assert budget["epsilon_spent"] == pytest.approx(0.4)
    listed = client.get(QUERIES, headers=headers).json()["items"]
    assert (listed[0]["status"], listed[0]["error"]) == ("failed", "failed")


def test_large_datasets_run_as_a_task_and_are_polled(
    client: TestClient, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = apply_settings(monkeypatch, sandbox_async_min_rows="1")
    dataset, _, headers = _setup(session, settings)
    response = _post(client, headers, dataset, "SELECT count(*) AS n FROM dataset")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    # Tasks run in-process after the commit here; a real worker does the same from Redis.
    polled = client.get(f"{QUERIES}/{response.json()['id']}", headers=headers).json()
    assert polled["status"] == "succeeded"
    assert set(polled["result"]["rows"][0]) == {"n"}


def test_ledger_and_budget_are_readable_by_compliance_and_private_to_other_buyers(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, reviewer, headers = _setup(session, settings)
    query_id = _post(client, headers, dataset, "SELECT count(*) FROM dataset").json()["id"]
    other = create_user(session, role=Role.buyer, org=create_org(session))
    session.commit()
    staff = bearer(reviewer, settings)
    assert client.get("/api/v1/sandbox/ledger", headers=staff).json()["total"] >= 2
    assert client.get("/api/v1/sandbox/budget", headers=staff).json()["total"] >= 1
    assert client.get(f"{QUERIES}/{query_id}", headers=staff).status_code == 200
    outsider = bearer(other, settings)
    assert client.get(f"{QUERIES}/{query_id}", headers=outsider).status_code == 404
    assert client.get("/api/v1/sandbox/ledger", headers=outsider).json()["total"] == 0


def test_compliance_grants_and_tops_up_a_budget(
    client: TestClient, session: Session, settings: Settings
) -> None:
    dataset, _, reviewer = create_sandbox_dataset(session, settings)
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    body = {"buyer_org_id": str(buyer.organization_id), "dataset_id": str(dataset.id)}
    staff = bearer(reviewer, settings)
    first = client.post("/api/v1/sandbox/grants", json={**body, "epsilon": 1.5}, headers=staff)
    assert first.status_code == 201, first.text
    second = client.post("/api/v1/sandbox/grants", json={**body, "epsilon": 1.0}, headers=staff)
    assert second.json()["epsilon_total"] == 2.5
    assert second.json()["grant_id"] == first.json()["grant_id"]
    too_much = client.post("/api/v1/sandbox/grants", json={**body, "epsilon": 50}, headers=staff)
    assert too_much.status_code == 400
    assert too_much.json()["detail_zh"]
    missing = {**body, "dataset_id": str(uuid.uuid4()), "epsilon": 1.0}
    assert client.post("/api/v1/sandbox/grants", json=missing, headers=staff).status_code == 404
    nobody = {**body, "buyer_org_id": str(uuid.uuid4()), "epsilon": 1.0}
    assert client.post("/api/v1/sandbox/grants", json=nobody, headers=staff).status_code == 404
