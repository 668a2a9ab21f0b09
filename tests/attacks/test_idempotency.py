"""Attacks on repeated writes: double clicks, retries, replays and another user's key.

Found by an operator: a double click on "submit order" or "upload" made two orders or two
datasets, and no write took an idempotency key. Here users (accounts from the operator, data of
the attack's own) repeat writes under an ``Idempotency-Key`` and check that the write happened
once and the first answer came back; reuse a key for another request (409, nothing changed);
and use another user's key, which must neither replay that user's answer (a leak) nor block
them. On PostgreSQL, simultaneous requests with one key make exactly one write.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accounts.models import Role
from ground.config import Settings
from ground.db import unit_of_work
from tests.attacks.harness import Account, Outsider, csv_of
from tests.fixtures.client import bearer
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import create_user

PRICE = 66_00
KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def _rows() -> bytes:
    return csv_of([("城市", "金额"), *((("北京", "上海")[i % 2], 100 + i) for i in range(30))])


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


class Market:
    """A listed dataset with a paid plan and its free sample, and two buyers of two orgs."""

    def __init__(self, outsider: Outsider) -> None:
        self.outsider = outsider
        self.provider = outsider.account("provider")
        compliance = outsider.account("compliance")
        self.buyer, self.other = outsider.account("buyer"), outsider.account("buyer")
        self.dataset_id = outsider.uploaded(self.provider, _rows())["id"]
        outsider.list_dataset(self.provider, compliance, self.dataset_id)
        created = outsider.client.post(
            f"/api/v1/datasets/{self.dataset_id}/plans",
            headers=self.provider.headers,
            json={"name": "月包", "kind": "api_quota", "calls": 50, "valid_days": 30,
                  "price_minor": PRICE},
        )  # fmt: skip
        self.plan_id = str(_ok(created, 201)["id"])
        plans = outsider.plans(self.buyer, self.dataset_id)
        self.free_id = next(p["id"] for p in plans if p["kind"] == "free_sample")

    def order(
        self, buyer: Account, key: str | bytes, plan_id: str = "", scenario: str = "风控建模"
    ) -> Any:
        return self.outsider.client.post(
            "/api/v1/orders",
            headers={**buyer.headers, KEY: key},
            json={"dataset_id": self.dataset_id, "plan_id": plan_id or self.plan_id,
                  "usage_scenario": scenario},
        )  # fmt: skip

    def orders(self, buyer: Account) -> list[dict[str, Any]]:
        return list(self.outsider.get(buyer, "/api/v1/orders")["items"])

    def entitlements(self, buyer: Account) -> list[dict[str, Any]]:
        return list(self.outsider.get(buyer, "/api/v1/entitlements")["items"])


@pytest.fixture
def market(outsider: Outsider) -> Market:
    return Market(outsider)


def test_a_double_submitted_order_makes_one_order_and_answers_the_first_response_twice(
    market: Market,
) -> None:
    key = str(uuid.uuid4())
    first = market.order(market.buyer, key)
    second = market.order(market.buyer, key)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers[REPLAYED] == "true"
    assert REPLAYED not in first.headers
    assert [o["id"] for o in market.orders(market.buyer)] == [first.json()["id"]]


def test_a_repeated_free_order_activates_one_entitlement(market: Market) -> None:
    key = str(uuid.uuid4())
    for _ in range(3):
        assert market.order(market.buyer, key, market.free_id).status_code == 201
    assert len(market.entitlements(market.buyer)) == 1


def test_a_repeated_bank_transfer_records_the_money_once(
    market: Market, outsider: Outsider
) -> None:
    order_id = _ok(market.order(market.buyer, str(uuid.uuid4())), 201)["id"]
    key = str(uuid.uuid4())
    transfer = {"reference": f"BT-{order_id}", "amount_minor": PRICE, "currency": "CNY"}
    headers = {**outsider.admin_headers, KEY: key}
    path = f"/api/v1/orders/{order_id}/bank-transfers"
    first = outsider.client.post(path, headers=headers, json=transfer)
    second = outsider.client.post(path, headers=headers, json=transfer)
    assert first.status_code == second.status_code == 200, second.text
    assert second.json() == first.json()
    assert second.headers[REPLAYED] == "true"
    (statement,) = market.entitlements(market.buyer)
    assert statement["paid_minor"] == PRICE


def test_the_same_key_for_another_request_is_refused_and_changes_nothing(
    market: Market, outsider: Outsider
) -> None:
    key = str(uuid.uuid4())
    first = _ok(market.order(market.buyer, key), 201)
    other_body = market.order(market.buyer, key, scenario="另一个场景")
    other_path = outsider.client.post(
        "/api/v1/api-keys", headers={**market.buyer.headers, KEY: key}, json={"name": "k"}
    )
    for refused in (other_body, other_path):
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert body["error"] == "IdempotencyKeyReused"
        assert body["detail"]
        assert body["detail_zh"]
        assert body["detail"] != body["detail_zh"]
        assert first["id"] not in refused.text
    assert [o["id"] for o in market.orders(market.buyer)] == [first["id"]]
    assert outsider.get(market.buyer, "/api/v1/api-keys") == []


def test_another_users_same_key_is_their_own_and_never_replays_the_first_users_answer(
    market: Market,
) -> None:
    key = str(uuid.uuid4())
    mine = _ok(market.order(market.buyer, key), 201)
    theirs = market.order(market.other, key)
    assert theirs.status_code == 201, theirs.text
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine["id"]
    assert mine["id"] not in theirs.text
    assert [o["id"] for o in market.orders(market.other)] == [theirs.json()["id"]]
    assert [o["id"] for o in market.orders(market.buyer)] == [mine["id"]]


def test_a_replayed_api_key_creation_shows_the_same_secret_to_its_creator_only(
    market: Market, outsider: Outsider
) -> None:
    key = str(uuid.uuid4())

    def create(buyer: Account) -> Any:
        return outsider.client.post(
            "/api/v1/api-keys", headers={**buyer.headers, KEY: key}, json={"name": "集成"}
        )

    first, again = create(market.buyer), create(market.buyer)
    assert first.status_code == again.status_code == 201
    assert again.json()["secret"] == first.json()["secret"]
    assert again.headers[REPLAYED] == "true"
    assert len(outsider.get(market.buyer, "/api/v1/api-keys")) == 1
    theirs = create(market.other)
    assert theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert first.json()["secret"] not in theirs.text
    assert first.json()["prefix"] not in theirs.text


def test_a_double_submitted_upload_stores_one_dataset(market: Market, outsider: Outsider) -> None:
    key = str(uuid.uuid4())
    content = csv_of([("城市", "人数"), ("北京", 3), ("上海", 4), ("广州", 5)])

    def upload(data: bytes) -> Any:
        return outsider.client.post(
            "/api/v1/datasets",
            headers={**market.provider.headers, KEY: key},
            files={"file": ("twice.csv", data, "text/csv")},
            data={"title": "双击上传", "domain": "attack"},
        )

    first, second = upload(content), upload(content)
    assert first.status_code == second.status_code == 201, second.text
    assert second.json()["id"] == first.json()["id"]
    other_file = upload(content + "深圳,6\n".encode())
    assert other_file.status_code == 409, other_file.text
    titles = [d["title"] for d in outsider.get(market.provider, "/api/v1/datasets")["items"]]
    assert titles.count("双击上传") == 1


def test_a_refusal_is_answered_again_without_running_the_write(market: Market) -> None:
    key = str(uuid.uuid4())
    unknown = str(uuid.uuid4())
    first = market.order(market.buyer, key, unknown)
    second = market.order(market.buyer, key, unknown)
    assert first.status_code == second.status_code == 404
    assert second.json() == first.json()
    assert second.headers[REPLAYED] == "true"
    assert market.orders(market.buyer) == []


@pytest.mark.parametrize("bad", [b"", b"x" * 256, "clé".encode(), b"tab\there"])
def test_a_malformed_key_is_refused_and_nothing_is_written(market: Market, bad: bytes) -> None:
    response = market.order(market.buyer, bad)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "InvalidIdempotencyKey"
    assert market.orders(market.buyer) == []


def test_simultaneous_requests_with_one_key_make_exactly_one_order(
    app: FastAPI, committed_database: str, settings: Settings
) -> None:
    """Real threads, each request on its own connection, committing (PostgreSQL only: SQLite
    serializes writers, so the race cannot happen there)."""
    if not is_postgresql(committed_database):
        pytest.skip("the concurrency race needs PostgreSQL (set SLUICE_TEST_DATABASE_URL)")
    with unit_of_work() as session:
        admin = create_user(session, role=Role.admin)
    with TestClient(app) as client:
        market = Market(Outsider(client, bearer(admin, settings)))
        key, gate = str(uuid.uuid4()), threading.Barrier(8)

        def order(_: int) -> Any:
            gate.wait()
            return market.order(market.buyer, key)

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(order, range(8)))
        orders = market.orders(market.buyer)
    assert len(orders) == 1
    written = [r for r in responses if r.status_code == 201 and REPLAYED not in r.headers]
    assert len(written) == 1  # one request wrote; the others waited (409) or were replayed
    for response in responses:
        assert response.status_code in (201, 409), response.text
        if response.status_code == 201:
            assert response.json()["id"] == orders[0]["id"]
        else:
            assert response.json()["error"] == "IdempotencyKeyInFlight"
            assert response.headers["Retry-After"] == "1"
