"""Providers price their datasets; bad prices and currencies are refused and change nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from ground.config import Settings
from listings.models import Dataset, DeliveryMode
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_dataset, create_listed_dataset, create_user


@pytest.fixture
def listed(session: Session, settings: Settings, provider: User) -> Dataset:
    dataset = create_listed_dataset(session, settings, provider=provider)
    session.commit()
    return dataset


def _plans(client: TestClient, dataset: Dataset, user: User, settings: Settings) -> list[dict]:
    response = client.get(f"/api/v1/datasets/{dataset.id}/plans", headers=bearer(user, settings))
    assert response.status_code == 200
    return response.json()


PACK = {"name": "10k calls", "kind": "api_quota", "calls": 10_000, "valid_days": 90}


@pytest.mark.parametrize(
    "body",
    [
        PACK | {"price_minor": 199_900},
        PACK | {"price_minor": 5_000, "quota_unit": "rows", "currency": "usd"},
        {
            "name": "Monthly",
            "kind": "subscription",
            "calls": 1000,
            "price_minor": 99_00,
            "term_months": 12,
            "overage_price_minor": 5,
        },
        {
            "name": "Sandbox",
            "kind": "sandbox_pack",
            "calls": 50,
            "epsilon": 3.0,
            "delta": 1e-6,
            "price_minor": 300_00,
            "valid_days": 180,
        },
        {
            "name": "Taster",
            "kind": "free_sample",
            "calls": 20,
            "quota_unit": "rows",
            "price_minor": 0,
        },
    ],
)
def test_a_provider_offers_each_kind_of_plan(
    client: TestClient, settings: Settings, provider: User, listed: Dataset, body: dict
) -> None:
    response = client.post(
        f"/api/v1/datasets/{listed.id}/plans", headers=bearer(provider, settings), json=body
    )
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["price_minor"] == body["price_minor"]
    assert plan["currency"] == body.get("currency", "CNY").upper()
    assert plan["id"] in {p["id"] for p in _plans(client, listed, provider, settings)}
    if body["kind"] == "sandbox_pack":
        assert plan["quota_unit"] == "queries"
        assert plan["epsilon"] == 3.0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (PACK | {"price_minor": -1}, "negative"),
        (PACK | {"price_minor": 0}, "more than 0"),
        (PACK | {"price_minor": 100, "currency": "XYZ"}, "Unsupported currency"),
        (PACK | {"price_minor": 100, "overage_price_minor": 0}, "overage"),
        ({"name": "Free?", "kind": "free_sample", "calls": 5, "price_minor": 100}, "free sample"),
        ({"name": "S", "kind": "sandbox_pack", "calls": 5, "price_minor": 100}, "epsilon"),
        (PACK | {"price_minor": 100, "calls": 0}, "at least one"),
        ({"name": "P", "kind": "api_quota", "calls": 5, "price_minor": 100}, "valid_days"),
    ],
)
def test_bad_plans_are_refused_in_both_languages_and_nothing_is_added(
    client: TestClient,
    settings: Settings,
    provider: User,
    listed: Dataset,
    body: dict,
    fragment: str,
) -> None:
    before = _plans(client, listed, provider, settings)
    response = client.post(
        f"/api/v1/datasets/{listed.id}/plans", headers=bearer(provider, settings), json=body
    )
    assert response.status_code == 400, response.text
    assert fragment in response.json()["detail"]
    assert response.json()["detail_zh"] != response.json()["detail"]
    assert _plans(client, listed, provider, settings) == before


def test_only_the_owner_prices_a_dataset(
    client: TestClient, session: Session, settings: Settings, listed: Dataset
) -> None:
    other = create_user(session, role=Role.provider)
    session.commit()
    response = client.post(
        f"/api/v1/datasets/{listed.id}/plans",
        headers=bearer(other, settings),
        json=PACK | {"price_minor": 100},
    )
    assert response.status_code == 403


def test_repricing_and_withdrawing_a_plan(
    client: TestClient, session: Session, settings: Settings, provider: User, listed: Dataset
) -> None:
    headers = bearer(provider, settings)
    plan = client.post(
        f"/api/v1/datasets/{listed.id}/plans", headers=headers, json=PACK | {"price_minor": 100}
    ).json()
    url = f"/api/v1/datasets/{listed.id}/plans/{plan['id']}"
    refused = client.patch(url, headers=headers, json={"price_minor": 0})
    assert refused.status_code == 400
    repriced = client.patch(url, headers=headers, json={"price_minor": 250, "currency": "hkd"})
    assert repriced.status_code == 200, repriced.text
    assert (repriced.json()["price_minor"], repriced.json()["currency"]) == (250, "HKD")
    assert client.delete(url, headers=headers).json()["is_active"] is False
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    assert plan["id"] not in {p["id"] for p in _plans(client, listed, buyer, settings)}
    assert plan["id"] in {p["id"] for p in _plans(client, listed, provider, settings)}


def test_a_listed_dataset_offers_a_free_sample(
    client: TestClient, settings: Settings, provider: User, listed: Dataset
) -> None:
    [free] = _plans(client, listed, provider, settings)
    assert free["kind"] == "free_sample"
    assert free["price_minor"] == 0
    assert free["calls"] == settings.free_plan_calls


def _listed_as(session: Session, settings: Settings, provider: User, mode: DeliveryMode) -> Dataset:
    dataset = create_listed_dataset(session, settings, provider=provider, delivery_mode=mode)
    session.commit()
    return dataset


SUBSCRIPTION = {"name": "Monthly", "kind": "subscription", "calls": 10, "price_minor": 900}
SANDBOX_PACK = {
    "name": "ε pack",
    "kind": "sandbox_pack",
    "calls": 10,
    "epsilon": 1.0,
    "delta": 1e-6,
    "price_minor": 900,
}


@pytest.mark.parametrize(
    ("mode", "body", "fragment"),
    [
        (DeliveryMode.sandbox, PACK | {"price_minor": 100}, "sandbox only"),
        (DeliveryMode.sandbox, SUBSCRIPTION, "sandbox only"),
        (DeliveryMode.rows, SANDBOX_PACK, "no sandbox"),
    ],
)
def test_plans_follow_the_delivery_mode(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    mode: DeliveryMode,
    body: dict,
    fragment: str,
) -> None:
    dataset = _listed_as(session, settings, provider, mode)
    before = _plans(client, dataset, provider, settings)
    response = client.post(
        f"/api/v1/datasets/{dataset.id}/plans", headers=bearer(provider, settings), json=body
    )
    assert response.status_code == 400, response.text
    assert fragment in response.json()["detail"]
    assert response.json()["detail_zh"] != response.json()["detail"]
    assert _plans(client, dataset, provider, settings) == before


@pytest.mark.parametrize(
    ("mode", "body"),
    [
        (DeliveryMode.sandbox, SANDBOX_PACK),
        (
            DeliveryMode.sandbox,
            {"name": "Taste", "kind": "free_sample", "calls": 5, "price_minor": 0},
        ),
        (DeliveryMode.rows, SUBSCRIPTION),
        (DeliveryMode.both, SANDBOX_PACK),
        (DeliveryMode.both, SUBSCRIPTION),
    ],
)
def test_plans_the_mode_allows_are_offered(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    mode: DeliveryMode,
    body: dict,
) -> None:
    dataset = _listed_as(session, settings, provider, mode)
    response = client.post(
        f"/api/v1/datasets/{dataset.id}/plans", headers=bearer(provider, settings), json=body
    )
    assert response.status_code == 201, response.text


def test_a_withdrawn_plan_the_mode_no_longer_allows_cannot_be_offered_again(
    client: TestClient, session: Session, settings: Settings, provider: User
) -> None:
    draft = create_dataset(session, settings, provider=provider)
    session.commit()
    headers = bearer(provider, settings)
    plan = client.post(
        f"/api/v1/datasets/{draft.id}/plans", headers=headers, json=PACK | {"price_minor": 100}
    ).json()
    url = f"/api/v1/datasets/{draft.id}/plans/{plan['id']}"
    client.delete(url, headers=headers)
    moved = client.put(
        f"/api/v1/datasets/{draft.id}/delivery-mode",
        headers=headers,
        json={"delivery_mode": "sandbox"},
    )
    assert moved.status_code == 200, moved.text
    refused = client.patch(url, headers=headers, json={"is_active": True})
    assert refused.status_code == 400
    assert (
        client.get(f"/api/v1/datasets/{draft.id}/plans", headers=headers).json()[0]["is_active"]
        is False
    )


def test_the_free_plan_of_a_sandbox_only_dataset_says_it_is_synthetic(
    client: TestClient, session: Session, settings: Settings, provider: User
) -> None:
    dataset = _listed_as(session, settings, provider, DeliveryMode.sandbox)
    [free] = _plans(client, dataset, provider, settings)
    assert free["kind"] == "free_sample"
    assert "synthetic" in free["name"]
    assert "合成" in free["name"]
    assert "no stored value" in free["description"]
