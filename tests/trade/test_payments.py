"""Paying: Stripe Checkout and its webhooks, bank transfers, refunds, and the ledger they post.

Stripe cannot be reached: the real client talks to a local stand-in, and webhooks are signed
with Stripe's documented scheme (see tests/fixtures/stripe.py).
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import Role, User
from audit.models import AuditRecord
from billing import ledger
from billing.models import LedgerAccount, LedgerEntry, WebhookEvent, WebhookStatus
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    create_order,
    create_user,
)
from tests.fixtures.stripe import (
    WEBHOOK_SECRET,
    StripeStandIn,
    charge_refunded,
    checkout_completed,
    event,
    sign,
)
from trade.models import Order

PRICE = 123_45  # 123.45 CNY
WEBHOOK = "/api/v1/billing/stripe/webhook"


@pytest.fixture
def order(session: Session, listed: Dataset, provider: User, buyer: User) -> Order:
    order = create_order(session, buyer, listed, provider, price_minor=PRICE, calls=7)
    session.commit()
    return order


def _post_event(client: TestClient, payload: bytes, signature: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature or sign(payload)}
    return client.post(WEBHOOK, content=payload, headers=headers)


def _order(client: TestClient, buyer: User, settings: Settings, order: Order) -> dict:
    return client.get(f"/api/v1/orders/{order.id}", headers=bearer(buyer, settings)).json()


def _balances(session: Session) -> dict[tuple[LedgerAccount, uuid.UUID | None], int]:
    return {(a, o): b for a, o, _c, b in ledger.balances(session)}


def test_a_paid_order_awaits_payment_without_an_entitlement(
    client: TestClient, settings: Settings, buyer: User, order: Order
) -> None:
    body = _order(client, buyer, settings, order)
    assert body["status"] == "awaiting_payment"
    assert body["entitlement"] is None
    assert body["price_minor"] == PRICE


def test_stripe_checkout_then_webhook_activates_and_posts_the_ledger(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    stripe_api: StripeStandIn,
    buyer: User,
    provider: User,
    order: Order,
) -> None:
    checkout = client.post(
        f"/api/v1/orders/{order.id}/checkout", headers=bearer(buyer, stripe_settings)
    )
    assert checkout.status_code == 200, checkout.text
    assert checkout.json()["url"].startswith("https://checkout.stripe.test/")
    [(path, sent)] = stripe_api.requests
    assert path == "/v1/checkout/sessions"
    assert sent["client_reference_id"] == str(order.id)
    assert sent["metadata[order_id]"] == str(order.id)
    assert sent["line_items[0][price_data][unit_amount]"] == str(PRICE)
    assert sent["line_items[0][price_data][currency]"] == "cny"

    response = _post_event(client, checkout_completed(str(order.id), PRICE, "pi_paid_1"))
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False, "status": "processed"}
    body = _order(client, buyer, stripe_settings, order)
    assert body["status"] == "active"
    assert body["entitlement"]["quota_remaining"] == 7
    # 10% fee (stripe_settings): 12.35 to the platform (rounded half up), 111.10 to the provider.
    balances = _balances(session)
    assert balances[(LedgerAccount.payments_clearing, buyer.organization_id)] == PRICE
    assert balances[(LedgerAccount.platform_fee_revenue, None)] == -12_35
    assert balances[(LedgerAccount.provider_payable, provider.organization_id)] == -111_10
    assert ledger.unbalanced_transactions(session) == []


def test_a_bad_signature_is_refused_and_changes_nothing(
    client: TestClient, session: Session, stripe_settings: Settings, buyer: User, order: Order
) -> None:
    payload = checkout_completed(str(order.id), PRICE, "pi_forged")
    for signature in (sign(payload, secret="whsec_wrong"), "t=1,v1=deadbeef", ""):
        response = client.post(WEBHOOK, content=payload, headers={"Stripe-Signature": signature})
        assert response.status_code == 400, response.text
        assert response.json()["detail_zh"]
    stale = sign(payload, timestamp=1_000_000_000)  # outside Stripe's 5-minute tolerance
    assert _post_event(client, payload, stale).status_code == 400
    assert _order(client, buyer, stripe_settings, order)["status"] == "awaiting_payment"
    assert session.exec(select(WebhookEvent)).all() == []


def test_a_replayed_webhook_credits_once(
    client: TestClient, session: Session, stripe_settings: Settings, buyer: User, order: Order
) -> None:
    payload = checkout_completed(str(order.id), PRICE, "pi_replay", event_id="evt_replay")
    assert _post_event(client, payload).json()["duplicate"] is False
    again = _post_event(client, payload)
    assert again.status_code == 200
    assert again.json() == {"received": True, "duplicate": True, "status": None}
    assert ledger.paid_net(session, order.id) == PRICE
    assert len(session.exec(select(WebhookEvent)).all()) == 1


def test_a_second_payment_for_a_paid_order_is_not_credited(
    client: TestClient, session: Session, stripe_settings: Settings, buyer: User, order: Order
) -> None:
    _post_event(client, checkout_completed(str(order.id), PRICE, "pi_first"))
    second = _post_event(client, checkout_completed(str(order.id), PRICE, "pi_second"))
    assert second.json()["status"] == "ignored"
    assert ledger.paid_net(session, order.id) == PRICE
    stored = session.exec(select(WebhookEvent).where(WebhookEvent.reference == "pi_second")).one()
    assert "needs a refund" in stored.note
    again = client.post(
        f"/api/v1/orders/{order.id}/checkout", headers=bearer(buyer, stripe_settings)
    )
    assert again.status_code == 409
    assert again.json()["detail_zh"]


def test_a_session_for_the_wrong_amount_is_not_credited(
    client: TestClient, session: Session, stripe_settings: Settings, buyer: User, order: Order
) -> None:
    response = _post_event(client, checkout_completed(str(order.id), PRICE - 1, "pi_short"))
    assert response.json()["status"] == "ignored"
    assert _order(client, buyer, stripe_settings, order)["status"] == "awaiting_payment"


def test_a_failed_payment_leaves_the_order_awaiting_payment(
    client: TestClient, session: Session, stripe_settings: Settings, buyer: User, order: Order
) -> None:
    payload = event(
        "payment_intent.payment_failed",
        {
            "id": "pi_declined",
            "object": "payment_intent",
            "metadata": {"order_id": str(order.id)},
            "last_payment_error": {"message": "Your card was declined."},
        },
    )
    assert _post_event(client, payload).json()["status"] == "processed"
    assert _order(client, buyer, stripe_settings, order)["status"] == "awaiting_payment"
    stored = session.exec(select(WebhookEvent).where(WebhookEvent.reference == "pi_declined")).one()
    assert "declined" in stored.note


def test_a_refund_that_arrives_before_its_payment_is_applied_when_the_payment_does(
    client: TestClient, session: Session, stripe_settings: Settings, buyer: User, order: Order
) -> None:
    refund = _post_event(client, charge_refunded("pi_ooo", PRICE, PRICE))
    assert refund.json()["status"] == WebhookStatus.deferred
    _post_event(client, checkout_completed(str(order.id), PRICE, "pi_ooo"))
    body = _order(client, buyer, stripe_settings, order)
    assert body["status"] == "refunded"
    assert body["entitlement"]["status"] == "revoked"
    assert ledger.paid_net(session, order.id) == 0
    assert ledger.unbalanced_transactions(session) == []


def test_stripe_refund_events_in_any_order_refund_exactly_what_stripe_did(
    client: TestClient, session: Session, stripe_settings: Settings, buyer: User, order: Order
) -> None:
    _post_event(client, checkout_completed(str(order.id), PRICE, "pi_partial"))
    # Stripe reports the cumulative amount refunded; the later event may arrive first.
    _post_event(client, charge_refunded("pi_partial", PRICE, 10_000))
    _post_event(client, charge_refunded("pi_partial", PRICE, 4_000))
    assert ledger.paid_net(session, order.id) == PRICE - 10_000
    assert _order(client, buyer, stripe_settings, order)["status"] == "active"
    _post_event(client, charge_refunded("pi_partial", PRICE, PRICE))
    assert ledger.paid_net(session, order.id) == 0
    assert _order(client, buyer, stripe_settings, order)["status"] == "refunded"
    balances = _balances(session)
    assert set(balances.values()) == {0}


def test_card_payments_are_refused_when_stripe_is_off(
    client: TestClient, settings: Settings, buyer: User, order: Order
) -> None:
    response = client.post(f"/api/v1/orders/{order.id}/checkout", headers=bearer(buyer, settings))
    assert response.status_code == 409
    assert "bank transfer" in response.json()["detail"]


def _transfer(client: TestClient, admin: User, settings: Settings, order: Order, **body: object):  # type: ignore[no-untyped-def]
    payload = {"reference": "BOC-2026-0001", "amount_minor": PRICE, "currency": "CNY"} | body
    return client.post(
        f"/api/v1/orders/{order.id}/bank-transfers", headers=bearer(admin, settings), json=payload
    )


def test_a_bank_transfer_recorded_by_an_admin_activates_the_order(
    client: TestClient, session: Session, settings: Settings, admin: User, buyer: User, order: Order
) -> None:
    response = _transfer(client, admin, settings, order)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"
    assert response.json()["entitlement"]["quota_total"] == 7
    assert ledger.paid_net(session, order.id) == PRICE


def test_paying_twice_is_refused_and_changes_nothing(
    client: TestClient, session: Session, settings: Settings, admin: User, order: Order
) -> None:
    assert _transfer(client, admin, settings, order).status_code == 200
    twice = _transfer(client, admin, settings, order, reference="BOC-2026-0002")
    assert twice.status_code == 409
    assert "active" in twice.json()["detail"]
    assert ledger.paid_net(session, order.id) == PRICE


@pytest.mark.parametrize(
    "body", [{"amount_minor": PRICE - 1}, {"amount_minor": PRICE + 1}, {"currency": "USD"}]
)
def test_a_transfer_that_does_not_match_the_price_is_refused(
    client: TestClient, settings: Settings, admin: User, buyer: User, order: Order, body: dict
) -> None:
    response = _transfer(client, admin, settings, order, **body)
    assert response.status_code == 400
    assert "does not match" in response.json()["detail"]
    assert _order(client, buyer, settings, order)["status"] == "awaiting_payment"


def test_a_refund_larger_than_the_payment_is_refused(
    client: TestClient, session: Session, settings: Settings, admin: User, order: Order
) -> None:
    _transfer(client, admin, settings, order)
    response = client.post(
        f"/api/v1/orders/{order.id}/refunds",
        headers=bearer(admin, settings),
        json={"amount_minor": PRICE + 1, "reason": "goodwill"},
    )
    assert response.status_code == 400
    assert "refundable" in response.json()["detail"]
    assert "可退金额" in response.json()["detail_zh"]
    assert ledger.paid_net(session, order.id) == PRICE


def test_a_full_refund_reverses_the_entitlement_and_the_ledger(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin: User,
    buyer: User,
    order: Order,
) -> None:
    _transfer(client, admin, settings, order)
    headers = bearer(admin, settings)
    partial = client.post(
        f"/api/v1/orders/{order.id}/refunds",
        headers=headers,
        json={"amount_minor": 45, "reason": "short delivery"},
    )
    assert partial.json()["status"] == "active"
    rest = client.post(
        f"/api/v1/orders/{order.id}/refunds", headers=headers, json={"reason": "cancelled"}
    )
    assert rest.status_code == 200, rest.text
    assert rest.json()["status"] == "refunded"
    assert rest.json()["entitlement"]["status"] == "revoked"
    assert set(_balances(session).values()) == {0}
    assert ledger.unbalanced_transactions(session) == []
    again = client.post(
        f"/api/v1/orders/{order.id}/refunds", headers=headers, json={"reason": "again"}
    )
    assert again.status_code == 409


def test_every_money_movement_is_in_the_audit_log(
    client: TestClient, session: Session, settings: Settings, admin: User, order: Order
) -> None:
    _transfer(client, admin, settings, order)
    client.post(
        f"/api/v1/orders/{order.id}/refunds",
        headers=bearer(admin, settings),
        json={"amount_minor": 45, "reason": "short delivery"},
    )
    records = client.get(
        "/api/v1/audit",
        params={"action": "payment", "dataset_id": str(order.dataset_id)},
        headers=bearer(admin, settings),
    ).json()["items"]
    by_action = {r["action"]: r for r in records}
    assert by_action["payment.received"]["details"]["amount_minor"] == order.price_minor
    assert by_action["payment.refunded"]["details"]["amount_minor"] == 45
    assert by_action["payment.refunded"]["actor_user_id"] == str(admin.id)
    assert by_action["payment.refunded"]["subject_id"] == str(order.id)


def test_a_card_refund_goes_through_stripe_and_its_webhook_changes_nothing(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    stripe_api: StripeStandIn,
    admin: User,
    order: Order,
) -> None:
    _post_event(client, checkout_completed(str(order.id), PRICE, "pi_card"))
    response = client.post(
        f"/api/v1/orders/{order.id}/refunds",
        headers=bearer(admin, stripe_settings),
        json={"reason": "buyer asked"},
    )
    assert response.json()["status"] == "refunded"
    path, sent = stripe_api.requests[-1]
    assert (path, sent["payment_intent"], sent["amount"]) == ("/v1/refunds", "pi_card", str(PRICE))
    _post_event(client, charge_refunded("pi_card", PRICE, PRICE))
    assert ledger.paid_net(session, order.id) == 0
    refund_entries = session.exec(
        select(LedgerEntry).where(LedgerEntry.account == LedgerAccount.payments_clearing)
    ).all()
    assert sorted(e.amount_minor for e in refund_entries) == [-PRICE, PRICE]


def test_every_ledger_transaction_sums_to_zero(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin: User,
    listed: Dataset,
    provider: User,
) -> None:
    headers = bearer(admin, settings)
    for i, price in enumerate((1, 3, 99, 10_001, 7_777_777)):
        buyer = create_user(session, role=Role.buyer)
        order = create_order(session, buyer, listed, provider, price_minor=price)
        session.commit()
        _transfer(client, admin, settings, order, reference=f"REF-{i}", amount_minor=price)
        if price > 1:
            client.post(
                f"/api/v1/orders/{order.id}/refunds",
                headers=headers,
                json={"amount_minor": price // 3, "reason": "partial"},
            )
    assert ledger.unbalanced_transactions(session) == []
    entries = session.exec(select(LedgerEntry)).all()
    assert len(entries) == 3 * 9
    assert sum(e.amount_minor for e in entries) == 0


def test_webhooks_are_refused_when_no_secret_is_configured(
    client: TestClient, settings: Settings
) -> None:
    payload = event("checkout.session.completed", {})
    response = client.post(
        WEBHOOK, content=payload, headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
    )
    assert response.status_code == 409


def _stop_buyer(client: TestClient, session: Session, settings: Settings, buyer: User) -> str:
    reviewer = create_user(session, role=Role.compliance)
    session.commit()
    stop = client.post(
        "/api/v1/reviews/emergency-stop",
        headers=bearer(reviewer, settings),
        json={"buyer_org_id": str(buyer.organization_id), "reason": "调查"},
    )
    assert stop.status_code == 200, stop.text
    return str(stop.json()["id"])


def _refusals(session: Session, stop_id: str) -> list[str]:
    session.expire_all()
    return [
        r.details["door"]
        for r in session.exec(
            select(AuditRecord).where(AuditRecord.action == "entitlement.emergency_stop_refused")
        )
        if r.details["stop_id"] == stop_id
    ]


def test_checkout_under_an_emergency_stop_is_refused_before_stripe_is_called(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    stripe_api: StripeStandIn,
    buyer: User,
    order: Order,
) -> None:
    stop_id = _stop_buyer(client, session, stripe_settings, buyer)
    checkout = client.post(
        f"/api/v1/orders/{order.id}/checkout", headers=bearer(buyer, stripe_settings)
    )
    assert checkout.status_code == 403
    assert stop_id in checkout.json()["detail"]
    assert stop_id in checkout.json()["detail_zh"]
    assert stripe_api.requests == []
    assert _refusals(session, stop_id) == ["order.checkout"]


def test_a_card_payment_under_an_emergency_stop_is_not_credited_but_listed_for_a_refund(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    admin: User,
    buyer: User,
    order: Order,
) -> None:
    """A Checkout Session opened before the stop can still complete: Stripe has the money."""
    stop_id = _stop_buyer(client, session, stripe_settings, buyer)
    response = _post_event(client, checkout_completed(str(order.id), PRICE, "pi_stopped"))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    body = _order(client, buyer, stripe_settings, order)
    assert (body["status"], body["entitlement"]) == ("awaiting_payment", None)
    assert ledger.paid_net(session, order.id) == 0
    [anomaly] = client.get(
        "/api/v1/billing/payments/anomalies", headers=bearer(admin, stripe_settings)
    ).json()["items"]
    assert (anomaly["kind"], anomaly["status"], anomaly["amount_minor"]) == (
        "emergency_stop",
        "open",
        PRICE,
    )
    stored = session.exec(select(WebhookEvent).where(WebhookEvent.reference == "pi_stopped")).one()
    assert stop_id in stored.note
    assert "needs a refund" in stored.note
    assert _refusals(session, stop_id) == ["payment.stripe"]
    refunded = client.post(
        f"/api/v1/billing/payments/anomalies/{anomaly['id']}/refund",
        headers=bearer(admin, stripe_settings),
        json={"note": "紧急停止期间的付款，原路退回"},
    )
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["status"] == "refunded"


def test_a_bank_transfer_under_an_emergency_stop_is_refused_and_changes_nothing(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin: User,
    buyer: User,
    order: Order,
) -> None:
    stop_id = _stop_buyer(client, session, settings, buyer)
    response = _transfer(client, admin, settings, order)
    assert response.status_code == 403
    assert stop_id in response.json()["detail"]
    assert _order(client, buyer, settings, order)["status"] == "awaiting_payment"
    assert ledger.paid_net(session, order.id) == 0
    assert _refusals(session, stop_id) == ["payment.bank_transfer"]
