"""Attacks on an emergency stop: a stopped buyer tries every way back in, through HTTP.

Found by an operator: a stop revoked the buyer's entitlements, then the buyer re-ordered, paid,
and its old API key read rows again. Here the buyer (with accounts from the operator, data of
the attack's own, and Stripe's stand-in) re-orders, pays an order placed before the stop
(checkout, and a Checkout Session opened before the stop that completes after it), creates a
key, uses its old key, queries the sandbox and dry-runs it, and compliance tops up its budget:
every one is refused with a 403 naming the stop, audited, leaking no value of the data and
changing nothing, for stops on the buyer, on the dataset and on the buyer on the dataset. After
compliance lifts the stop nothing revoked comes back, and a new order works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from anonymize import synthetic
from ground.config import Settings
from tests.attacks.harness import Account, Outsider, assert_absent, csv_of
from tests.fixtures.stripe import StripeStandIn, checkout_completed, sign

PRICE = 88_00
PROFILE = {
    "privacy_unit": "身份证号",
    "max_rows_per_person": 3,
    "bounds": {"金额": [0, 10_000]},
    "public_domains": {"城市": ["北京", "上海"]},
}
COUNT = "SELECT COUNT(*) AS n FROM dataset"


@dataclass
class Stage:
    provider: Account
    compliance: Account
    buyer: Account
    dataset_id: str
    plan_id: str
    pack_id: str
    old_key: str
    pending_order: str
    secrets: list[str]


def _secret_rows() -> tuple[bytes, list[str]]:
    rng = np.random.default_rng(20261203)
    ids = synthetic.resident_ids(rng, 40)
    names = synthetic.chinese_names(rng, 40)
    rows = [("身份证号", "姓名", "城市", "金额")]
    people = enumerate(zip(ids, names, strict=True))
    rows += [(i, n, ("北京", "上海")[k % 2], 100 + k * 37) for k, (i, n) in people]
    return csv_of(rows), [*ids, *(n for n in names if len(n) > 2)]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def stage(outsider: Outsider, stripe_settings: Settings) -> Stage:
    """A listed dataset with a paid plan and a sandbox pack, and a buyer who got in before the
    stop: an active free sample, a key that reads rows, a sandbox budget, and an order still
    awaiting payment."""
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    content, secrets = _secret_rows()
    dataset_id = outsider.uploaded(provider, content)["id"]
    outsider.list_dataset(provider, compliance, dataset_id)

    def plan(**body: Any) -> str:
        created = outsider.client.post(
            f"/api/v1/datasets/{dataset_id}/plans", headers=provider.headers, json=body
        )
        return str(_ok(created, 201)["id"])

    plan_id = plan(name="季度包", kind="api_quota", calls=100, valid_days=90, price_minor=PRICE)
    pack_id = plan(name="沙箱包", kind="sandbox_pack", calls=10, epsilon=1.0, delta=1e-6,
                   price_minor=PRICE)  # fmt: skip
    _ok(outsider.order_free_sample(buyer, dataset_id), 201)
    old_key = outsider.api_key(buyer)
    _ok(outsider.rows(buyer, dataset_id, limit=5))
    outsider.sandbox_ready(provider, compliance, buyer, dataset_id, PROFILE, epsilon=2.0)
    _ok(outsider.query(buyer, dataset_id, COUNT))
    pending = _ok(outsider.order(buyer, dataset_id, plan_id), 201)
    assert pending["status"] == "awaiting_payment"
    return Stage(provider, compliance, buyer, dataset_id, plan_id, pack_id, old_key,
                 pending["id"], secrets)  # fmt: skip


def _stop(outsider: Outsider, stage: Stage, scope: str) -> str:
    body: dict[str, str] = {"reason": "内部调查：疑似批量转售"}
    if scope in ("buyer", "both"):
        body["buyer_org_id"] = stage.buyer.org_id
    if scope in ("dataset", "both"):
        body["dataset_id"] = stage.dataset_id
    stop = _ok(
        outsider.client.post(
            "/api/v1/reviews/emergency-stop", headers=stage.compliance.headers, json=body
        )
    )
    assert stop["status"] == "active"
    assert stop["revoked"] == 1  # the free sample (the sandbox grant is ended, not counted)
    return str(stop["id"])


def _refused(response: Any, stop_id: str, secrets: list[str], where: str) -> None:
    assert response.status_code == 403, f"{where}: {response.status_code} {response.text}"
    body = response.json()
    assert body["error"] == "EmergencyStopped", where
    assert stop_id in body["detail"], where
    assert stop_id in body["detail_zh"], where
    assert "转售" not in response.text, where  # compliance's internal reason stays internal
    assert_absent(response.text, secrets, where=where)


def _pay(outsider: Outsider, order_id: str, intent: str) -> dict[str, Any]:
    payload = checkout_completed(order_id, PRICE, intent)
    return dict(
        _ok(
            outsider.client.post(
                "/api/v1/billing/stripe/webhook",
                content=payload,
                headers={"Stripe-Signature": sign(payload)},
            )
        )
    )


def _order_status(outsider: Outsider, stage: Stage, order_id: str) -> str:
    return str(outsider.get(stage.buyer, f"/api/v1/orders/{order_id}")["status"])


@pytest.mark.parametrize("scope", ["buyer", "dataset", "both"])
def test_a_stopped_buyer_finds_every_way_back_in_closed_until_the_stop_is_lifted(
    outsider: Outsider, stage: Stage, stripe_api: StripeStandIn, scope: str
) -> None:
    client, buyer, secrets = outsider.client, stage.buyer, stage.secrets
    # A Checkout Session opened before the stop: Stripe may complete it afterwards.
    opened = _ok(
        client.post(f"/api/v1/orders/{stage.pending_order}/checkout", headers=buyer.headers)
    )
    assert opened["url"]
    stripe_calls = len(stripe_api.requests)
    keys_before = outsider.get(buyer, "/api/v1/api-keys")
    stop_id = _stop(outsider, stage, scope)

    # The old key, whatever it asks for.
    for params in ({}, {"limit": 1000}, {"offset": 3, "limit": 2}):
        rows = client.get(
            f"/api/v1/data/{stage.dataset_id}/rows",
            headers={"X-API-Key": stage.old_key},
            params=params,
        )
        _refused(rows, stop_id, secrets, f"old key {params}")
    # Re-ordering: the paid plan, the sandbox pack, the free sample again.
    for plan_id in (stage.plan_id, stage.pack_id):
        _refused(outsider.order(buyer, stage.dataset_id, plan_id), stop_id, secrets, "re-order")
    _refused(outsider.order_free_sample(buyer, stage.dataset_id), stop_id, secrets, "free")
    # Paying the order placed before the stop: a new checkout, and the session opened before.
    checkout = client.post(f"/api/v1/orders/{stage.pending_order}/checkout", headers=buyer.headers)
    _refused(checkout, stop_id, secrets, "checkout")
    assert len(stripe_api.requests) == stripe_calls  # Stripe was not even asked
    paid = _pay(outsider, stage.pending_order, "pi_after_stop")
    assert paid["status"] == "ignored"
    assert _order_status(outsider, stage, stage.pending_order) == "awaiting_payment"
    # The sandbox: a query, a dry run, and compliance topping the budget up.
    _refused(outsider.query(buyer, stage.dataset_id, COUNT + " WHERE 金额 > 500"), stop_id,
             secrets, "sandbox")  # fmt: skip
    _refused(outsider.query(buyer, stage.dataset_id, COUNT, dry_run=True), stop_id, secrets,
             "dry run")  # fmt: skip
    top_up = client.post(
        "/api/v1/sandbox/grants",
        headers=stage.compliance.headers,
        json={"buyer_org_id": buyer.org_id, "dataset_id": stage.dataset_id, "epsilon": 1.0,
              "delta": 1e-5},
    )  # fmt: skip
    _refused(top_up, stop_id, secrets, "grant")
    # A new key: refused for a stop on the buyer; a stop on one dataset leaves keys useful.
    new_key = client.post("/api/v1/api-keys", headers=buyer.headers, json={"name": "again"})
    if scope == "buyer":
        _refused(new_key, stop_id, secrets, "new key")
        assert outsider.get(buyer, "/api/v1/api-keys") == keys_before
    else:
        assert new_key.status_code == 201, new_key.text
        _refused(
            client.get(
                f"/api/v1/data/{stage.dataset_id}/rows",
                headers={"X-API-Key": new_key.json()["secret"]},
            ),
            stop_id,
            secrets,
            "fresh key",
        )

    # Nothing changed: no entitlement is active, the payment is listed for a refund, and
    # every refusal is on record with the stop's id.
    statements = outsider.get(buyer, "/api/v1/entitlements")["items"]
    assert {s["status"] for s in statements} == {"revoked"}
    admin = Account("operator", "admin", "", outsider.admin_headers)
    [anomaly] = outsider.get(admin, "/api/v1/billing/payments/anomalies")["items"]
    assert (anomaly["kind"], anomaly["order_id"]) == ("emergency_stop", stage.pending_order)
    refusals = outsider.get(
        stage.compliance, "/api/v1/audit", action="entitlement.emergency_stop_refused", limit=100
    )["items"]
    doors = sorted(r["details"]["door"] for r in refusals if r["subject_id"] == stop_id)
    expected = ["data.rows"] * 3 + ["order.place"] * 3 + ["order.checkout", "payment.stripe"]
    expected += ["sandbox.query"] * 2 + ["sandbox.grant"]
    expected += ["api_key.create"] if scope == "buyer" else ["data.rows"]
    assert doors == sorted(expected)

    # Lifted: nothing revoked comes back; a new order (paid by card) opens the door again.
    lifted = _ok(
        client.post(
            f"/api/v1/reviews/emergency-stops/{stop_id}/lift",
            headers=stage.compliance.headers,
            json={"reason": "调查结束"},
        )
    )
    assert lifted["status"] == "lifted"
    still = client.get(
        f"/api/v1/data/{stage.dataset_id}/rows", headers={"X-API-Key": stage.old_key}
    )
    assert still.status_code == 403
    assert still.json()["error"] == "Forbidden"  # no entitlement any more, not the stop
    budget = outsider.query(buyer, stage.dataset_id, COUNT + " WHERE 金额 > 900")
    assert budget.status_code == 403, budget.text  # the ended sandbox budget stays ended
    order = _ok(outsider.order(buyer, stage.dataset_id, stage.plan_id), 201)
    _ok(client.post(f"/api/v1/orders/{order['id']}/checkout", headers=buyer.headers))
    assert _pay(outsider, order["id"], "pi_after_lift")["status"] == "processed"
    assert _order_status(outsider, stage, order["id"]) == "active"
    served = _ok(
        client.get(
            f"/api/v1/data/{stage.dataset_id}/rows",
            headers={"X-API-Key": stage.old_key},
            params={"limit": 40},
        )
    )
    assert len(served["rows"]) == 40
    assert_absent(served, stage.secrets, where="masked rows after the lift")
