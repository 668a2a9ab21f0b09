"""Overage: calls past the included quota are served, metered at the plan's overage price up to
a limit, billed as an order and settled by paying it, with exact amounts everywhere."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import User
from audit.models import AuditRecord
from billing import ledger, payments
from billing.models import (
    LedgerTransaction,
    OverageAccount,
    PlanKind,
    QuotaUnit,
    SaleCategory,
    UsageEvent,
)
from ground.config import Settings
from ground.errors import QuotaExhausted
from listings.models import Dataset
from tests.fixtures.client import bearer, pay_by_transfer
from tests.fixtures.factories import (
    activate_plan,
    create_api_key,
    create_order,
    create_plan,
    place_order,
    principal_of,
)
from tests.fixtures.settings import apply_settings
from tests.fixtures.stripe import checkout_completed, sign
from trade import service as trade
from trade import states
from trade.models import Entitlement, Order, OrderKind, OrderStatus

PRICE, QUOTA, OVERAGE, LIMIT = 1_000, 3, 7, 2


def _call(client: TestClient, dataset: Dataset, key: str, limit: int = 1):  # type: ignore[no-untyped-def]
    return client.get(
        f"/api/v1/data/{dataset.id}/rows", params={"limit": limit}, headers={"X-API-Key": key}
    )


@pytest.fixture
def metered(
    session: Session, listed: Dataset, provider: User, buyer: User
) -> tuple[Order, Entitlement, str]:
    """An active pack of 3 calls with overage at 7 fen a call, at most 2 owed at once."""
    order, entitlement = activate_plan(
        session,
        buyer,
        listed,
        provider,
        price_minor=PRICE,
        calls=QUOTA,
        overage_price_minor=OVERAGE,
        overage_limit_units=LIMIT,
    )
    key = create_api_key(session, buyer)
    session.commit()
    return order, entitlement, key


def _statement(client: TestClient, buyer: User, settings: Settings, entitlement_id: object):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/entitlements/{entitlement_id}", headers=bearer(buyer, settings))
    assert response.status_code == 200, response.text
    return response.json()


def test_calls_past_the_quota_are_overage_up_to_the_limit_then_429(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    buyer: User,
    metered: tuple[Order, Entitlement, str],
) -> None:
    _, entitlement, key = metered
    included = [_call(client, listed, key).json() for _ in range(QUOTA)]
    assert [(c["quota_remaining"], c["overage_units"]) for c in included] == [
        (2, 0),
        (1, 0),
        (0, 0),
    ]
    for _ in range(LIMIT):
        over = _call(client, listed, key)
        assert over.status_code == 200, over.text
        assert (over.json()["quota_remaining"], over.json()["overage_units"]) == (0, 1)
        assert over.json()["overage_minor"] == OVERAGE
    refused = _call(client, listed, key)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "OverageLimitReached"
    assert "0.14 CNY" in body["detail"]
    assert "overage-invoice" in body["detail"]
    assert "上限" in body["detail_zh"]
    # The refused call changed nothing: no usage, no extra overage.
    events = session.exec(
        select(UsageEvent).where(UsageEvent.entitlement_id == entitlement.id)
    ).all()
    assert len(events) == QUOTA + LIMIT
    assert sum(e.overage_minor for e in events) == LIMIT * OVERAGE
    assert {e.currency for e in events if e.overage_units} == {"CNY"}
    statement = _statement(client, buyer, settings, entitlement.id)
    assert statement["quota_remaining"] == 0
    assert (statement["overage_units"], statement["overage_owed_minor"]) == (2, 14)
    assert (statement["overage_unbilled_units"], statement["overage_unpaid_units"]) == (2, 0)
    assert statement["overage_limit_units"] == LIMIT


def test_a_plan_without_an_overage_price_still_answers_429(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    _, entitlement = activate_plan(session, buyer, listed, provider, calls=1)
    key = create_api_key(session, buyer)
    session.commit()
    assert _call(client, listed, key).status_code == 200
    refused = _call(client, listed, key)
    assert refused.status_code == 429
    assert refused.json()["error"] == "QuotaExhausted"
    statement = _statement(client, buyer, settings, entitlement.id)
    assert statement["overage_price_minor"] is None
    assert statement["overage_owed_minor"] == 0


def test_a_row_quota_uses_what_is_left_then_charges_rows_as_overage(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    activate_plan(
        session,
        buyer,
        listed,
        provider,
        calls=25,
        quota_unit=QuotaUnit.rows,
        overage_price_minor=3,
        overage_limit_units=10,
    )
    key = create_api_key(session, buyer)
    session.commit()
    assert _call(client, listed, key, limit=20).json()["quota_remaining"] == 5
    split = _call(client, listed, key, limit=8).json()
    assert (split["quota_remaining"], split["overage_units"], split["overage_minor"]) == (0, 3, 9)
    # 8 more rows would owe 11 > 10: refused whole, nothing charged.
    assert _call(client, listed, key, limit=8).status_code == 429
    assert _call(client, listed, key, limit=7).json()["overage_units"] == 7


def test_compliance_quota_conditions_leave_no_room_for_overage(
    session: Session, listed: Dataset, provider: User, buyer: User
) -> None:
    order = create_order(session, buyer, listed, provider, calls=5, overage_price_minor=OVERAGE)
    order.max_quota = 1
    states.transition(session, order, OrderStatus.paid)
    trade.activate(session, order, actor_id=None)
    trade.consume(session, principal_of(buyer), listed.id)
    with pytest.raises(QuotaExhausted) as refused:
        trade.consume(session, principal_of(buyer), listed.id)
    assert type(refused.value) is QuotaExhausted


def test_the_default_overage_limit_comes_from_settings_and_is_copied_at_purchase(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply_settings(monkeypatch, overage_default_limit_percent="50")
    plan = create_plan(session, listed, provider=provider, calls=9, overage_price_minor=4)
    assert plan.overage_limit_units == 4  # 50% of 9, rounded down
    _, entitlement = activate_plan(session, buyer, listed, provider, calls=9, overage_price_minor=4)
    session.commit()
    headers = bearer(provider, settings)
    url = f"/api/v1/datasets/{listed.id}/plans/{plan.id}"
    patched = client.patch(url, headers=headers, json={"overage_limit_units": 100})
    assert patched.json()["overage_limit_units"] == 100
    cleared = client.patch(url, headers=headers, json={"overage_price_minor": None})
    assert (cleared.json()["overage_price_minor"], cleared.json()["overage_limit_units"]) == (
        None,
        None,
    )
    # The entitlement keeps the terms it was sold with.
    account = session.exec(
        select(OverageAccount).where(OverageAccount.entitlement_id == entitlement.id)
    ).one()
    assert (account.unit_price_minor, account.limit_units) == (4, 4)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"overage_limit_units": 5}, "needs an overage price"),
        ({"overage_price_minor": 5, "overage_limit_units": 0}, "at least one"),
        ({"overage_price_minor": 10**9, "overage_limit_units": 10**5}, "too large"),
    ],
)
def test_bad_overage_limits_are_refused_and_nothing_is_added(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    extra: dict[str, int],
    fragment: str,
) -> None:
    session.commit()
    headers = bearer(provider, settings)
    url = f"/api/v1/datasets/{listed.id}/plans"
    before = client.get(url, headers=headers).json()
    body = {"name": "P", "kind": "api_quota", "calls": 10, "valid_days": 30, "price_minor": 100}
    response = client.post(url, headers=headers, json=body | extra)
    assert response.status_code == 400
    assert fragment in response.json()["detail"]
    assert response.json()["detail_zh"] != response.json()["detail"]
    assert client.get(url, headers=headers).json() == before


def _use_overage(client: TestClient, listed: Dataset, key: str) -> None:
    for _ in range(QUOTA + LIMIT):
        assert _call(client, listed, key).status_code == 200


def test_the_buyer_is_invoiced_pays_by_transfer_and_gets_room_again(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    buyer: User,
    admin: User,
    metered: tuple[Order, Entitlement, str],
) -> None:
    _, entitlement, key = metered
    _use_overage(client, listed, key)
    headers = bearer(buyer, settings)
    url = f"/api/v1/entitlements/{entitlement.id}/overage-invoice"
    created = client.post(url, headers=headers)
    assert created.status_code == 201, created.text
    invoice = created.json()
    assert (invoice["kind"], invoice["status"]) == ("overage", "awaiting_payment")
    assert invoice["price_minor"] == LIMIT * OVERAGE
    assert invoice["overage"] == {
        "entitlement_id": str(entitlement.id),
        "units": LIMIT,
        "unit_price_minor": OVERAGE,
        "settled": False,
    }
    nothing = client.post(url, headers=headers)
    assert nothing.status_code == 409
    assert nothing.json()["detail_zh"]
    # Billed but unpaid still counts against the limit.
    assert _call(client, listed, key).status_code == 429
    cancel = client.post(f"/api/v1/orders/{invoice['id']}/cancel", headers=headers)
    assert cancel.status_code == 409
    paid = pay_by_transfer(client, admin, settings, invoice["id"], LIMIT * OVERAGE, "OVG-1")
    assert paid["status"] == "paid"  # settled: nothing to activate
    assert paid["overage"]["settled"] is True
    statement = _statement(client, buyer, settings, entitlement.id)
    assert (statement["overage_owed_minor"], statement["overage_paid_minor"]) == (0, 14)
    # The plan's own line is apart (the fixture activated it without a payment).
    assert statement["paid_minor"] == 0
    # 14 fen at the default 5%: a fee of 0.7 fen rounds half up to 1, 13 to the provider.
    [txn] = session.exec(
        select(LedgerTransaction).where(LedgerTransaction.order_id == uuid.UUID(invoice["id"]))
    ).all()
    assert txn.category is SaleCategory.overage
    assert ledger.fee_taken(session, payments.of_order(session, txn.order_id)[0]) == 1
    assert ledger.unbalanced_transactions(session) == []
    assert _call(client, listed, key).json()["overage_units"] == 1
    records = client.get(
        "/api/v1/audit", params={"dataset_id": str(listed.id)}, headers=bearer(admin, settings)
    ).json()["items"]
    money = {r["action"]: r["details"] for r in records if r["subject_id"] == invoice["id"]}
    assert money["overage.invoiced"]["amount_minor"] == 14
    assert money["payment.received"]["external_ref"] == "OVG-1"
    assert money["overage.settled"]["units"] == LIMIT
    calls = [r["details"] for r in records if r["action"] == "data.rows"]
    assert sum(c["overage_minor"] for c in calls) == (LIMIT + 1) * OVERAGE


def test_an_overage_invoice_is_paid_through_stripe_checkout(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    listed: Dataset,
    buyer: User,
    metered: tuple[Order, Entitlement, str],
) -> None:
    _, entitlement, key = metered
    _use_overage(client, listed, key)
    headers = bearer(buyer, stripe_settings)
    invoice = client.post(
        f"/api/v1/entitlements/{entitlement.id}/overage-invoice", headers=headers
    ).json()
    checkout = client.post(f"/api/v1/orders/{invoice['id']}/checkout", headers=headers)
    assert checkout.status_code == 200, checkout.text
    payload = checkout_completed(invoice["id"], LIMIT * OVERAGE, "pi_overage_1")
    webhook = client.post(
        "/api/v1/billing/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": sign(payload)},
    )
    assert webhook.json()["status"] == "processed"
    order = client.get(f"/api/v1/orders/{invoice['id']}", headers=headers).json()
    assert order["status"] == "paid"
    assert _statement(client, buyer, stripe_settings, entitlement.id)["overage_owed_minor"] == 0


def test_usage_and_statements_show_overage_accrued_billed_and_paid(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    admin: User,
) -> None:
    plan = create_plan(
        session,
        listed,
        provider=provider,
        price_minor=PRICE,
        calls=QUOTA,
        overage_price_minor=OVERAGE,
        overage_limit_units=LIMIT,
    )
    order = place_order(session, buyer, listed, plan)
    key = create_api_key(session, buyer)
    session.commit()
    paid = pay_by_transfer(client, admin, settings, order.id, PRICE)
    entitlement_id = paid["entitlement"]["id"]
    _use_overage(client, listed, key)
    for user in (buyer, provider):
        report = client.get("/api/v1/usage", headers=bearer(user, settings)).json()
        [day] = report["days"]
        assert (day["units"], day["overage_units"], day["overage_minor"]) == (5, 2, {"CNY": 14})
        [owed] = report["overage_owed"]
        assert (owed["entitlement_id"], owed["owed_minor"]) == (entitlement_id, 14)
        assert (owed["unbilled_units"], owed["unpaid_units"]) == (2, 0)
    invoice = client.post(
        f"/api/v1/entitlements/{entitlement_id}/overage-invoice", headers=bearer(buyer, settings)
    ).json()
    pay_by_transfer(client, admin, settings, invoice["id"], 14)
    report = client.get("/api/v1/usage", headers=bearer(buyer, settings)).json()
    assert report["overage_owed"] == []
    month = datetime.now(UTC).strftime("%Y-%m")
    statement = client.get(
        "/api/v1/billing/statements", params={"month": month}, headers=bearer(provider, settings)
    ).json()
    [line] = statement["lines"]
    # The plan (1,000: fee 50) and the overage invoice (14: fee 1) in gross and revenue.
    assert (line["gross_minor"], line["platform_fee_minor"]) == (1_014, 51)
    assert line["provider_revenue_minor"] == 963
    assert (line["overage_units"], line["overage_accrued_minor"]) == (2, 14)
    assert (line["overage_gross_minor"], line["overage_revenue_minor"]) == (14, 13)
    assert line["orders_paid"] == 2
    as_csv = client.get(
        "/api/v1/billing/statements",
        params={"month": month, "format": "csv"},
        headers=bearer(provider, settings),
    )
    [row] = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert (row["overage_accrued_minor"], row["overage_revenue_minor"]) == ("14", "13")


def test_the_beat_bills_a_subscription_month_before_refilling_it(
    session: Session, listed: Dataset, provider: User, buyer: User
) -> None:
    _, entitlement = activate_plan(
        session,
        buyer,
        listed,
        provider,
        kind=PlanKind.subscription,
        calls=1,
        term_months=3,
        overage_price_minor=OVERAGE,
        overage_limit_units=5,
    )
    me = principal_of(buyer)
    for _ in range(4):
        trade.consume(session, me, listed.id)
    assert entitlement.period_ends_at is not None
    done = trade.expire_and_reset(session, entitlement.period_ends_at + timedelta(minutes=1))
    assert (done.reset, done.invoiced) == (1, 1)
    [bill] = _bills(session, buyer)
    assert (bill.status, bill.price_minor) == (OrderStatus.awaiting_payment, 3 * OVERAGE)
    session.refresh(entitlement)
    assert entitlement.quota_remaining == 1
    again = trade.expire_and_reset(session, entitlement.period_ends_at - timedelta(minutes=1))
    assert again.invoiced == 0
    # Three units are still owed (billed, unpaid): two more fit under the limit of five.
    trade.consume(session, me, listed.id)
    assert trade.consume(session, me, listed.id).overage_units == 1
    assert trade.consume(session, me, listed.id).overage_units == 1
    with pytest.raises(QuotaExhausted):
        trade.consume(session, me, listed.id)


def _bills(session: Session, buyer: User) -> list[Order]:
    stmt = select(Order).where(
        Order.buyer_org_id == buyer.organization_id, Order.kind == OrderKind.overage
    )
    return list(session.exec(stmt).all())


def test_the_beat_bills_what_an_ended_entitlement_still_owes(
    session: Session, listed: Dataset, provider: User, buyer: User
) -> None:
    _, entitlement = activate_plan(
        session, buyer, listed, provider, calls=1, overage_price_minor=OVERAGE
    )
    me = principal_of(buyer)
    trade.consume(session, me, listed.id)
    trade.consume(session, me, listed.id)
    assert entitlement.valid_until is not None
    done = trade.expire_and_reset(session, entitlement.valid_until + timedelta(seconds=1))
    assert (done.expired, done.invoiced) == (1, 1)
    bills = _bills(session, buyer)
    assert [b.price_minor for b in bills] == [OVERAGE]
    session.commit()  # audit records are chained at commit
    actions = session.exec(
        select(AuditRecord.action).where(AuditRecord.subject_id == bills[0].id)
    ).all()
    assert "overage.invoiced" in actions
    assert (
        trade.expire_and_reset(session, entitlement.valid_until + timedelta(days=1)).invoiced == 0
    )


def test_refunding_a_paid_overage_invoice_credits_the_buyer_and_leaves_the_plan_alone(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    admin: User,
    metered: tuple[Order, Entitlement, str],
) -> None:
    _, entitlement, key = metered
    _use_overage(client, listed, key)
    invoice = client.post(
        f"/api/v1/entitlements/{entitlement.id}/overage-invoice", headers=bearer(buyer, settings)
    ).json()
    pay_by_transfer(client, admin, settings, invoice["id"], LIMIT * OVERAGE)
    refunded = client.post(
        f"/api/v1/orders/{invoice['id']}/refunds",
        headers=bearer(admin, settings),
        json={"reason": "goodwill"},
    )
    assert refunded.status_code == 200, refunded.text
    assert (refunded.json()["status"], refunded.json()["entitlement"]) == ("refunded", None)
    statement = _statement(client, buyer, settings, entitlement.id)
    # The debt is not reopened; the plan's entitlement keeps its quota and status.
    assert (statement["overage_owed_minor"], statement["overage_paid_minor"]) == (0, 0)
    assert (statement["status"], statement["quota_total"]) == ("active", QUOTA)
    refunds = session.exec(
        select(LedgerTransaction).where(
            LedgerTransaction.order_id == uuid.UUID(invoice["id"]),
            LedgerTransaction.kind == "refund",
        )
    ).all()
    assert [t.category for t in refunds] == [SaleCategory.overage]
    assert ledger.unbalanced_transactions(session) == []
    month = datetime.now(UTC).strftime("%Y-%m")
    [line] = client.get(
        "/api/v1/billing/statements", params={"month": month}, headers=bearer(provider, settings)
    ).json()["lines"]
    assert (line["overage_gross_minor"], line["overage_revenue_minor"]) == (0, 0)
