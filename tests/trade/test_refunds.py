"""A refund takes back its share of what was bought: quota (and a sandbox pack's budget) in
proportion to the money returned, rounded so the buyer never keeps more than was paid for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from billing.models import PlanKind
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.client import bearer, pay_by_transfer
from tests.fixtures.factories import (
    create_order,
    create_plan,
    create_sandbox_dataset,
    create_user,
    place_order,
    principal_of,
)
from tests.fixtures.stripe import charge_refunded, checkout_completed, sign
from trade import service as trade
from trade.models import Entitlement, Order

WEBHOOK = "/api/v1/billing/stripe/webhook"


def _order(session: Session, listed: Dataset, provider: User, buyer: User, **plan: object) -> Order:
    order = create_order(session, buyer, listed, provider, **plan)
    session.commit()
    return order


def _refund(client: TestClient, admin: User, settings: Settings, order: Order, amount: int):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/orders/{order.id}/refunds",
        headers=bearer(admin, settings),
        json={"amount_minor": amount, "reason": "partial delivery"},
    )


def _entitlement(session: Session, order: Order) -> Entitlement:
    entitlement = trade.entitlement_of(session, order)
    assert entitlement is not None
    session.refresh(entitlement)
    return entitlement


def test_a_partial_refund_takes_back_the_refunded_share_rounded_against_the_buyer(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    admin: User,
) -> None:
    order = _order(session, listed, provider, buyer, price_minor=123_45, calls=7)
    pay_by_transfer(client, admin, settings, order.id, order.price_minor)
    # 45 of 12,345 back: 7 * 45 / 12,345 = 0.03 units, taken back as a whole unit (kept 6).
    response = _refund(client, admin, settings, order, 45)
    assert response.json()["entitlement"]["quota_total"] == 6
    assert response.json()["entitlement"]["quota_remaining"] == 6
    # Half of the rest: 7 * 6,195 / 12,345 = 3.51 -> 4 taken back in all (kept 3 for 6,150).
    _refund(client, admin, settings, order, 6_150)
    entitlement = _entitlement(session, order)
    assert (entitlement.quota_total, entitlement.quota_remaining) == (3, 3)
    assert entitlement.status == "active"
    statement = client.get(
        f"/api/v1/entitlements/{entitlement.id}", headers=bearer(buyer, settings)
    ).json()
    assert (statement["paid_minor"], statement["quota_remaining"]) == (123_45 - 6_195, 3)


def test_a_refund_never_takes_the_quota_below_zero(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    admin: User,
) -> None:
    order = _order(session, listed, provider, buyer, price_minor=1_000, calls=10)
    pay_by_transfer(client, admin, settings, order.id, order.price_minor)
    me = principal_of(buyer)
    for _ in range(8):
        trade.consume(session, me, listed.id)
    session.commit()
    # Half the money back: 5 units kept, 8 already used, nothing left (not -3).
    _refund(client, admin, settings, order, 500)
    entitlement = _entitlement(session, order)
    assert (entitlement.quota_total, entitlement.quota_remaining) == (5, 0)


def test_a_full_refund_ends_the_entitlement_with_nothing_left(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    admin: User,
) -> None:
    order = _order(session, listed, provider, buyer, price_minor=999, calls=4)
    pay_by_transfer(client, admin, settings, order.id, order.price_minor)
    _refund(client, admin, settings, order, 333)
    rest = client.post(
        f"/api/v1/orders/{order.id}/refunds", headers=bearer(admin, settings), json={"reason": "x"}
    )
    assert rest.json()["status"] == "refunded"
    assert rest.json()["entitlement"]["status"] == "revoked"
    assert (
        rest.json()["entitlement"]["quota_total"],
        rest.json()["entitlement"]["quota_remaining"],
    ) == (0, 0)


def test_a_subscription_keeps_the_reduced_quota_every_month(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    admin: User,
) -> None:
    order = _order(
        session,
        listed,
        provider,
        buyer,
        kind=PlanKind.subscription,
        price_minor=3_000,
        calls=100,
        term_months=3,
    )
    pay_by_transfer(client, admin, settings, order.id, order.price_minor)
    _refund(client, admin, settings, order, 1_000)
    entitlement = _entitlement(session, order)
    assert entitlement.quota_total == 66  # floor(100 * 2,000 / 3,000)
    assert entitlement.period_ends_at is not None
    trade.expire_and_reset(session, entitlement.period_ends_at + timedelta(minutes=1))
    assert _entitlement(session, order).quota_remaining == 66


def test_a_replayed_or_repeated_stripe_refund_takes_back_once(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    order = _order(session, listed, provider, buyer, price_minor=10_000, calls=20)

    def post(payload: bytes) -> dict:
        signed = {"Stripe-Signature": sign(payload)}
        return client.post(WEBHOOK, content=payload, headers=signed).json()

    post(checkout_completed(str(order.id), 10_000, "pi_partial_quota"))
    refund = charge_refunded("pi_partial_quota", 10_000, 2_500, event_id="evt_quarter")
    assert post(refund)["duplicate"] is False
    assert _entitlement(session, order).quota_remaining == 15
    assert post(refund)["duplicate"] is True  # the same event again
    # Another event reporting the same cumulative amount (Stripe sends one per update).
    post(charge_refunded("pi_partial_quota", 10_000, 2_500))
    entitlement = _entitlement(session, order)
    assert (entitlement.quota_total, entitlement.quota_remaining) == (15, 15)


@pytest.fixture
def sandbox_order(session: Session, settings: Settings) -> tuple[Dataset, User, Order]:
    dataset, provider, _ = create_sandbox_dataset(session, settings)
    buyer = create_user(session, role=Role.buyer)
    plan = create_plan(
        session,
        dataset,
        provider=provider,
        kind=PlanKind.sandbox_pack,
        price_minor=4_000,
        calls=10,
        epsilon=2.0,
        delta=1e-6,
    )
    order = place_order(session, buyer, dataset, plan)
    session.commit()
    return dataset, buyer, order


def _budget(client: TestClient, buyer: User, settings: Settings) -> dict:
    [grant] = client.get("/api/v1/sandbox/budget", headers=bearer(buyer, settings)).json()["items"]
    return grant


def test_a_partial_refund_of_a_sandbox_pack_takes_back_its_share_of_the_budget(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin: User,
    sandbox_order: tuple[Dataset, User, Order],
) -> None:
    dataset, buyer, order = sandbox_order
    pay_by_transfer(client, admin, settings, order.id, order.price_minor)
    spent = client.post(
        "/api/v1/sandbox/queries",
        json={"dataset_id": str(dataset.id), "sql": "SELECT COUNT(*) FROM dataset", "epsilon": 0.5},
        headers=bearer(buyer, settings),
    )
    assert spent.status_code == 200, spent.text
    # A quarter of the money back: a quarter of ε (0.5), δ and queries (3 of 10, rounded up).
    _refund(client, admin, settings, order, 1_000)
    budget = _budget(client, buyer, settings)
    assert budget["epsilon_total"] == pytest.approx(1.5)
    assert budget["epsilon_left"] == pytest.approx(1.0)
    assert budget["max_queries"] == 7
    statement = client.get(
        f"/api/v1/entitlements/{_entitlement(session, order).id}",
        headers=bearer(buyer, settings),
    ).json()
    assert statement["epsilon_total"] == pytest.approx(1.5)
    assert statement["quota_total"] == 7
    # The rest back: everything not spent is withdrawn; the 0.5 spent stays spent.
    client.post(
        f"/api/v1/orders/{order.id}/refunds", headers=bearer(admin, settings), json={"reason": "x"}
    )
    budget = _budget(client, buyer, settings)
    assert budget["epsilon_total"] == pytest.approx(0.5)
    assert budget["epsilon_left"] == pytest.approx(0.0)
    refused = client.post(
        "/api/v1/sandbox/queries",
        json={"dataset_id": str(dataset.id), "sql": "SELECT COUNT(*) FROM dataset", "epsilon": 0.1},
        headers=bearer(buyer, settings),
    )
    assert refused.status_code in (402, 429)


def test_a_fully_refunded_unused_sandbox_pack_leaves_no_budget(
    client: TestClient,
    session: Session,
    settings: Settings,
    admin: User,
    sandbox_order: tuple[Dataset, User, Order],
) -> None:
    _, buyer, order = sandbox_order
    pay_by_transfer(client, admin, settings, order.id, order.price_minor)
    client.post(
        f"/api/v1/orders/{order.id}/refunds", headers=bearer(admin, settings), json={"reason": "x"}
    )
    budget = _budget(client, buyer, settings)
    assert (budget["epsilon_total"], budget["max_queries"]) == (0.0, 0)
