"""Payments Stripe captured but no order was credited with: listed for admins, refunded through
the real Stripe client (pointed at the local stand-in) or resolved, idempotently and audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import User
from billing import ledger
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    create_order,
)
from tests.fixtures.stripe import (
    DECLINED_INTENT,
    StripeStandIn,
    charge_refunded,
    checkout_completed,
    sign,
)
from trade.models import Order

PRICE = 50_00
WEBHOOK = "/api/v1/billing/stripe/webhook"
ANOMALIES = "/api/v1/billing/payments/anomalies"


@pytest.fixture
def order(session: Session, listed: Dataset, provider: User, buyer: User) -> Order:
    order = create_order(session, buyer, listed, provider, price_minor=PRICE)
    session.commit()
    return order


def _post(client: TestClient, payload: bytes) -> dict:
    response = client.post(WEBHOOK, content=payload, headers={"Stripe-Signature": sign(payload)})
    assert response.status_code == 200, response.text
    return response.json()


def _paid_twice(
    client: TestClient, order: Order, second: str = "pi_second", first: str = "pi_first"
) -> None:
    _post(client, checkout_completed(str(order.id), PRICE, first))
    _post(client, checkout_completed(str(order.id), PRICE, second))


def _list(client: TestClient, admin: User, settings: Settings, **params: object) -> dict:
    response = client.get(ANOMALIES, params=params, headers=bearer(admin, settings))
    assert response.status_code == 200, response.text
    return response.json()


def _audit(client: TestClient, admin: User, settings: Settings, order: Order) -> list[str]:
    records = client.get(
        "/api/v1/audit",
        params={"action": "payment", "dataset_id": str(order.dataset_id)},
        headers=bearer(admin, settings),
    ).json()["items"]
    return sorted(r["action"] for r in records if r["action"].startswith("payment.anomaly"))


def test_a_double_payment_is_listed_with_its_order_buyer_amounts_and_refs(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    admin: User,
    buyer: User,
    order: Order,
) -> None:
    _paid_twice(client, order)
    page = _list(client, admin, stripe_settings)
    assert (page["total"], page["limit"], page["offset"]) == (1, 20, 0)
    [item] = page["items"]
    assert (item["kind"], item["status"]) == ("double_payment", "open")
    assert (item["order_id"], item["buyer_org_id"]) == (str(order.id), str(buyer.organization_id))
    assert (item["external_ref"], item["amount_minor"], item["currency"]) == (
        "pi_second",
        PRICE,
        "CNY",
    )
    assert item["order_status"] == "active"
    assert item["checkout_session_id"].startswith("cs_test_")
    assert item["credited_payments"] == [
        {"method": "stripe", "external_ref": "pi_first", "amount_minor": PRICE}
    ]
    assert item["detected_at"]
    # Not credited: the ledger holds the first payment only.
    assert ledger.paid_net(session, order.id) == PRICE
    assert _audit(client, admin, stripe_settings, order) == ["payment.anomaly_detected"]


def test_the_list_is_paginated_and_filtered_by_status(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    admin: User,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    for i in range(3):
        order = create_order(session, buyer, listed, provider, price_minor=PRICE)
        session.commit()
        _paid_twice(client, order, second=f"pi_dup_{i}", first=f"pi_paid_{i}")
        # A replayed event registers nothing more.
        _post(client, checkout_completed(str(order.id), PRICE, f"pi_dup_{i}"))
    first = _list(client, admin, stripe_settings, limit=2, offset=0)
    second = _list(client, admin, stripe_settings, limit=2, offset=2)
    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    refs = {i["external_ref"] for i in first["items"] + second["items"]}
    assert refs == {"pi_dup_0", "pi_dup_1", "pi_dup_2"}
    assert _list(client, admin, stripe_settings, status="refunded")["total"] == 0
    assert _list(client, admin, stripe_settings, status="open")["total"] == 3
    bad = client.get(ANOMALIES, params={"status": "maybe"}, headers=bearer(admin, stripe_settings))
    assert bad.status_code == 422


def test_an_admin_refunds_the_duplicate_through_stripe_once(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    stripe_api: StripeStandIn,
    admin: User,
    order: Order,
) -> None:
    _paid_twice(client, order)
    [item] = _list(client, admin, stripe_settings)["items"]
    url = f"{ANOMALIES}/{item['id']}/refund"
    headers = bearer(admin, stripe_settings)
    refunded = client.post(url, headers=headers, json={"note": "paid twice by mistake"})
    assert refunded.status_code == 200, refunded.text
    body = refunded.json()
    assert (body["status"], body["resolution_note"]) == ("refunded", "paid twice by mistake")
    assert body["refund_ref"].startswith("re_test_")
    assert body["resolved_by_id"] == str(admin.id)
    path, sent = stripe_api.requests[-1]
    assert (path, sent["payment_intent"], sent["amount"]) == ("/v1/refunds", "pi_second", "5000")
    assert sent["metadata[payment_anomaly_id]"] == item["id"]
    assert stripe_api.idempotency_keys[-1] == f"anomaly-refund-{item['id']}"
    # Again: the same answer, no second refund at Stripe, no second audit record.
    calls = len(stripe_api.requests)
    again = client.post(url, headers=headers, json={})
    assert again.json() == body
    assert len(stripe_api.requests) == calls
    # Stripe's webhook for that refund finds it done and changes nothing; the ledger never
    # saw the duplicate.
    assert _post(client, charge_refunded("pi_second", PRICE, PRICE))["status"] == "processed"
    assert ledger.paid_net(session, order.id) == PRICE
    assert _audit(client, admin, stripe_settings, order) == [
        "payment.anomaly_detected",
        "payment.anomaly_refunded",
    ]
    resolve = client.post(
        f"{ANOMALIES}/{item['id']}/resolve", headers=headers, json={"note": "changed my mind"}
    )
    assert resolve.status_code == 409
    assert resolve.json()["detail_zh"]


def test_an_admin_resolves_an_anomaly_with_a_note(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    stripe_api: StripeStandIn,
    admin: User,
    order: Order,
) -> None:
    _paid_twice(client, order)
    [item] = _list(client, admin, stripe_settings)["items"]
    headers = bearer(admin, stripe_settings)
    url = f"{ANOMALIES}/{item['id']}/resolve"
    assert client.post(url, headers=headers, json={"note": "  "}).status_code == 422
    assert _list(client, admin, stripe_settings)["items"][0]["status"] == "open"
    note = "buyer asked to keep it as credit for the next order"
    resolved = client.post(url, headers=headers, json={"note": note})
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["resolution_note"]) == ("resolved", note)
    again = client.post(url, headers=headers, json={"note": "again"})
    assert again.json()["resolution_note"] == note
    refund = client.post(f"{ANOMALIES}/{item['id']}/refund", headers=headers, json={})
    assert refund.status_code == 409
    assert not [p for p, _ in stripe_api.requests if p == "/v1/refunds"]
    assert _audit(client, admin, stripe_settings, order) == [
        "payment.anomaly_detected",
        "payment.anomaly_resolved",
    ]


def test_a_refund_stripe_refuses_leaves_the_anomaly_open(
    client: TestClient, session: Session, stripe_settings: Settings, admin: User, order: Order
) -> None:
    _paid_twice(client, order, second=DECLINED_INTENT)
    [item] = _list(client, admin, stripe_settings)["items"]
    response = client.post(
        f"{ANOMALIES}/{item['id']}/refund", headers=bearer(admin, stripe_settings), json={}
    )
    assert response.status_code == 502
    assert response.json()["detail_zh"]
    assert _list(client, admin, stripe_settings)["items"][0]["status"] == "open"


def test_a_refund_made_on_stripe_closes_the_anomaly_in_any_order(
    client: TestClient, session: Session, stripe_settings: Settings, admin: User, order: Order
) -> None:
    _post(client, checkout_completed(str(order.id), PRICE, "pi_first"))
    # Refunded from Stripe's dashboard; the refund event overtakes the payment it refunds.
    assert _post(client, charge_refunded("pi_late", PRICE, PRICE))["status"] == "deferred"
    _post(client, checkout_completed(str(order.id), PRICE, "pi_late"))
    [item] = _list(client, admin, stripe_settings)["items"]
    assert (item["status"], item["resolution_note"]) == ("refunded", "refunded on Stripe")
    assert item["refund_ref"].startswith("ch_test_")


def test_a_partial_stripe_refund_of_a_duplicate_leaves_it_open(
    client: TestClient, session: Session, stripe_settings: Settings, admin: User, order: Order
) -> None:
    _paid_twice(client, order)
    _post(client, charge_refunded("pi_second", PRICE, PRICE // 2))
    assert _list(client, admin, stripe_settings)["items"][0]["status"] == "open"


def test_payments_after_a_cancellation_or_of_the_wrong_amount_are_listed(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    admin: User,
    buyer: User,
    listed: Dataset,
    provider: User,
    order: Order,
) -> None:
    _post(client, checkout_completed(str(order.id), PRICE - 1, "pi_short"))
    other = create_order(session, buyer, listed, provider, price_minor=PRICE)
    session.commit()
    client.post(f"/api/v1/orders/{other.id}/cancel", headers=bearer(buyer, stripe_settings))
    _post(client, checkout_completed(str(other.id), PRICE, "pi_after_cancel"))
    kinds = {i["external_ref"]: i["kind"] for i in _list(client, admin, stripe_settings)["items"]}
    assert kinds == {"pi_short": "amount_mismatch", "pi_after_cancel": "order_not_payable"}
    assert ledger.paid_net(session, order.id) == 0
    assert ledger.paid_net(session, other.id) == 0


def test_an_unknown_anomaly_is_404(
    client: TestClient, session: Session, stripe_settings: Settings, admin: User
) -> None:
    session.commit()
    missing = "00000000-0000-0000-0000-000000000000"
    response = client.post(
        f"{ANOMALIES}/{missing}/resolve", headers=bearer(admin, stripe_settings), json={"note": "x"}
    )
    assert response.status_code == 404
    assert response.json()["detail_zh"]
