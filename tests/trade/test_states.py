"""The order state machine: every edge checked in one place, compliance review for graded data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from accounts.models import Role, User
from billing.models import PlanKind
from ground import events as ground_events
from ground.config import Settings
from ground.events import EventBus
from listings.grading import requires_trade_review
from listings.models import DataGrade, Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    create_order,
    create_plan,
    create_user,
    place_order,
    principal_of,
)
from trade import events, states
from trade import service as trade
from trade.models import Order, OrderStatus, OrderTransition

S = OrderStatus


@pytest.fixture
def graded(session: Session, listed: Dataset) -> None:
    """The dataset as compliance graded it: important data (重要数据)."""
    listed.grade, listed.grade_level = DataGrade.important, None
    session.add(listed)
    session.commit()


@pytest.mark.parametrize(
    ("grade", "reviewed"),
    [
        (None, False),
        (DataGrade.general, False),
        (DataGrade.important, True),
        (DataGrade.core, True),
    ],
)
def test_orders_on_important_or_core_data_need_review(
    grade: DataGrade | None, reviewed: bool
) -> None:
    assert requires_trade_review(Dataset(grade=grade)) is reviewed  # type: ignore[call-arg]


def test_datasets_without_a_grade_are_general(session: Session, listed: Dataset) -> None:
    assert requires_trade_review(listed) is False


@pytest.mark.parametrize("start", list(S))
@pytest.mark.parametrize("to", list(S))
def test_only_the_allowed_edges_pass(start: OrderStatus, to: OrderStatus) -> None:
    order = Order(status=start)  # type: ignore[call-arg]
    if to in states.ALLOWED[start]:
        states.check(order, to)
    else:
        with pytest.raises(states.IllegalTransition) as caught:
            states.check(order, to)
        assert caught.value.status_code == 409
        assert caught.value.detail_zh


def test_a_stale_order_cannot_be_moved_twice(
    session: Session, listed: Dataset, provider: User, buyer: User
) -> None:
    order = create_order(session, buyer, listed, provider)
    stale = Order.model_validate(order.model_dump())
    states.transition(session, order, S.cancelled)
    with pytest.raises(states.IllegalTransition, match="changed meanwhile"):
        states.transition(session, stale, S.paid)
    session.refresh(order)
    assert order.status is S.cancelled


def test_graded_orders_wait_for_compliance_then_payment(
    client: TestClient,
    session: Session,
    settings: Settings,
    graded: None,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    order = create_order(session, buyer, listed, provider)
    reviewer = create_user(session, role=Role.compliance)
    admin = create_user(session, role=Role.admin)
    session.commit()
    assert order.status is S.pending_review
    as_reviewer = bearer(reviewer, settings)
    queue = client.get("/api/v1/reviews/orders", headers=as_reviewer).json()
    assert [o["id"] for o in queue["items"]] == [str(order.id)]
    # No payment before approval.
    early = client.post(
        f"/api/v1/orders/{order.id}/bank-transfers",
        headers=bearer(admin, settings),
        json={"reference": "R1", "amount_minor": order.price_minor, "currency": "CNY"},
    )
    assert early.status_code == 409
    approved = client.post(
        f"/api/v1/reviews/orders/{order.id}/approve", headers=as_reviewer, json={"note": "ok"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "awaiting_payment"
    again = client.post(f"/api/v1/reviews/orders/{order.id}/approve", headers=as_reviewer)
    assert again.status_code == 409
    history = session.exec(
        select(OrderTransition.to_status)
        .where(OrderTransition.order_id == order.id)
        .order_by(col(OrderTransition.created_at))
    ).all()
    assert list(history) == [S.pending_review, S.awaiting_payment]


def test_a_rejected_order_is_cancelled(
    client: TestClient,
    session: Session,
    settings: Settings,
    graded: None,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    order = create_order(session, buyer, listed, provider)
    reviewer = create_user(session, role=Role.compliance)
    session.commit()
    response = client.post(
        f"/api/v1/reviews/orders/{order.id}/reject",
        headers=bearer(reviewer, settings),
        json={"note": "scenario not compatible with the data's grade"},
    )
    assert response.json()["status"] == "cancelled"
    assert response.json()["entitlement"] is None


def test_a_graded_free_order_is_active_once_approved(
    client: TestClient,
    session: Session,
    settings: Settings,
    graded: None,
    listed: Dataset,
    buyer: User,
) -> None:
    free = [p for p in trade.billing.plans_for(session, listed.id) if p.is_free][0]
    order = place_order(session, buyer, listed, free)
    reviewer = create_user(session, role=Role.compliance)
    session.commit()
    response = client.post(
        f"/api/v1/reviews/orders/{order.id}/approve", headers=bearer(reviewer, settings)
    )
    assert response.json()["status"] == "active"
    assert response.json()["entitlement"]["quota_remaining"] == settings.free_plan_calls


def test_a_buyer_cancels_an_unpaid_order_but_not_a_paid_one(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
) -> None:
    unpaid = create_order(session, buyer, listed, provider)
    free = [p for p in trade.billing.plans_for(session, listed.id) if p.is_free][0]
    active = place_order(session, buyer, listed, free)
    session.commit()
    headers = bearer(buyer, settings)
    assert (
        client.post(f"/api/v1/orders/{unpaid.id}/cancel", headers=headers).json()["status"]
        == "cancelled"
    )
    refused = client.post(f"/api/v1/orders/{active.id}/cancel", headers=headers)
    assert refused.status_code == 409
    assert "生效中" in refused.json()["detail_zh"]


def test_activating_a_sandbox_pack_publishes_its_budget(
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received: list[events.SandboxPackActivated] = []
    bus = EventBus()
    bus.subscribe(events.SandboxPackActivated, lambda _session, event: received.append(event))
    monkeypatch.setattr(ground_events, "bus", bus)
    plan = create_plan(
        session,
        listed,
        provider=provider,
        kind=PlanKind.sandbox_pack,
        calls=40,
        epsilon=2.5,
        delta=1e-7,
        valid_days=60,
    )
    order = place_order(session, buyer, listed, plan)
    states.transition(session, order, S.paid)
    entitlement = trade.activate(session, order, actor_id=None)
    [event] = received
    assert (event.epsilon, event.delta, event.queries) == (2.5, 1e-7, 40)
    assert event.buyer_org_id == buyer.organization_id
    assert event.dataset_id == listed.id
    assert event.valid_until == entitlement.valid_until
    assert entitlement.quota_unit == "queries"
    assert entitlement.epsilon_total == 2.5


def test_a_sandbox_pack_does_not_open_the_data_api(
    session: Session, settings: Settings, listed: Dataset, provider: User, buyer: User
) -> None:
    order = create_order(session, buyer, listed, provider, kind=PlanKind.sandbox_pack)
    states.transition(session, order, S.paid)
    trade.activate(session, order, actor_id=None)
    with pytest.raises(trade.Forbidden):
        trade.consume(session, principal_of(buyer), listed.id)
