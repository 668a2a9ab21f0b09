"""The buyer's orders through the forms a browser posts: ordering with a usage scenario, the
orders list and page, checkout, bank transfer instructions and cancelling."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import Role, User
from billing.models import Plan
from billing.service import plans_for
from ground.config import Settings
from listings.models import DataGrade, Dataset
from market.console import buyer as buyer_pages
from tests.fixtures.console import html as shown
from tests.fixtures.console import text
from tests.fixtures.factories import (
    activate_plan,
    create_listed_dataset,
    create_order,
    create_plan,
    create_user,
    place_order,
    principal_of,
)
from tests.fixtures.reads import orders_of
from tests.fixtures.settings import apply_settings
from tests.fixtures.stripe import StripeStandIn
from tests.market.console.conftest import SignIn, csrf_token, post_form
from trade import revocation
from trade import service as trade
from trade.models import Order, OrderStatus

SCENARIO = "信贷风控模型训练，仅限本机构风控部门使用"


def _order_form(dataset: Dataset, plan: Plan, scenario: str = SCENARIO) -> dict[str, str]:
    return {"dataset_id": str(dataset.id), "plan_id": str(plan.id), "usage_scenario": scenario}


def test_the_dataset_page_offers_buyers_an_order_form(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    plan = create_plan(session, listed, provider=provider, name="季度包")
    signed_in(buyer)
    page = client.get(f"/console/datasets/{listed.id}").text
    assert 'action="/console/orders"' in page
    assert f'<input type="radio" id="plan-{plan.id}" name="plan_id" value="{plan.id}"' in page
    assert f'<label for="plan-{plan.id}">季度包' in page
    assert f'<label for="usage_scenario">{shown("buyer.order.scenario")}</label>' in page


def test_providers_see_no_order_form(
    client: TestClient, listed: Dataset, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    assert 'action="/console/orders"' not in client.get(f"/console/datasets/{listed.id}").text


def test_ordering_a_paid_plan_awaits_payment_and_explains_how_to_pay(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    plan = create_plan(session, listed, provider=provider, price_minor=12_345)
    signed_in(buyer)
    response = post_form(client, "/console/orders", _order_form(listed, plan))
    assert response.status_code == 303, response.text
    [order] = orders_of(session, buyer)
    assert response.headers["location"] == f"/console/orders/{order.id}?done=placed"
    assert order.status is OrderStatus.awaiting_payment
    assert order.usage_scenario == SCENARIO
    page = client.get(response.headers["location"]).text
    assert shown("buyer.done.placed") in page
    assert shown("buyer.status_help.awaiting_payment") in page  # the state, explained
    assert 'aria-current="step"' in page
    bank = page.split('data-testid="bank-transfer"', 1)[1].split("</dl>", 1)[0]
    assert "¥123.45" in bank
    assert str(order.id) in bank  # the reference to quote
    assert shown("buyer.pay.account_ask") in bank
    assert shown("buyer.pay.card_off") in page  # no card button while Stripe is off
    assert "/checkout" not in page


def test_the_bank_account_is_shown_when_configured(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order = create_order(session, buyer, listed, provider)
    apply_settings(monkeypatch, bank_transfer_details="中国银行北京分行 · 账号 1234 5678 9012")
    signed_in(buyer)
    assert (
        "中国银行北京分行 · 账号 1234 5678 9012" in client.get(f"/console/orders/{order.id}").text
    )


def test_a_free_plan_is_active_at_once(
    client: TestClient, session: Session, listed: Dataset, buyer: User, signed_in: SignIn
) -> None:
    [free] = plans_for(session, listed.id)
    signed_in(buyer)
    response = post_form(client, "/console/orders", _order_form(listed, free))
    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=activated")
    [order] = orders_of(session, buyer)
    assert order.status is OrderStatus.active
    page = client.get(response.headers["location"]).text
    assert shown("buyer.done.activated") in page
    assert shown("buyer.order.quota") in page
    assert shown("buyer.pay.heading", amount="¥") not in page  # no payment heading, any price


def test_an_order_without_a_scenario_is_refused_and_nothing_is_ordered(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    plan = create_plan(session, listed, provider=provider)
    signed_in(buyer)
    response = post_form(client, "/console/orders", _order_form(listed, plan, "   "))
    assert response.status_code == 400
    assert "请填写数据使用场景" in response.text
    client.cookies.set("lang", "en")
    response = post_form(client, "/console/orders", _order_form(listed, plan, ""))
    assert "Please describe the usage scenario" in response.text
    assert orders_of(session, buyer) == []


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"plan_id": "not-a-plan"}, 400, "请修改表单"),
        ({"plan_id": str(uuid.uuid4())}, 404, "该数据集没有提供此套餐"),
        ({"dataset_id": str(uuid.uuid4())}, 404, "数据集不存在"),
    ],
)
def test_a_bad_plan_or_dataset_is_refused_readably(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
    change: dict[str, str],
    status: int,
    message: str,
) -> None:
    plan = create_plan(session, listed, provider=provider)
    signed_in(buyer)
    response = post_form(client, "/console/orders", {**_order_form(listed, plan), **change})
    assert response.status_code == status
    assert message in response.text
    assert 'role="alert"' in response.text
    assert orders_of(session, buyer) == []


def test_an_order_without_the_csrf_token_is_refused(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    plan = create_plan(session, listed, provider=provider)
    signed_in(buyer)
    response = client.post("/console/orders", data=_order_form(listed, plan))
    assert response.status_code == 403
    assert "表单已过期" in response.text
    assert orders_of(session, buyer) == []


def test_other_roles_cannot_order(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    signed_in: SignIn,
) -> None:
    plan = create_plan(session, listed, provider=provider)
    signed_in(provider)
    response = post_form(client, "/console/orders", _order_form(listed, plan))
    assert response.status_code == 403
    assert session.exec(select(Order)).first() is None


def test_the_list_explains_states_shows_conditions_and_pages(
    client: TestClient,
    session: Session,
    settings: Settings,
    reviewer: User,
    buyer: User,
    signed_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seller = create_user(session, role=Role.provider)
    important = create_listed_dataset(
        session,
        settings,
        provider=seller,
        title="重要数据集",
        reviewer=reviewer,
        grade=DataGrade.important,
        level=None,
    )
    plan = create_plan(session, important, provider=seller)
    reviewed = place_order(session, buyer, important, plan)
    trade.approve_order(session, principal_of(reviewer), reviewed.id, "限量", max_quota=7)
    waiting = place_order(session, buyer, important, plan)
    place_order(session, buyer, important, plan)
    monkeypatch.setattr(buyer_pages, "PAGE_SIZE", 2)
    signed_in(buyer)
    first = client.get("/console/orders").text
    second = client.get("/console/orders", params={"page": 2}).text
    assert shown("buyer.orders.list", total=3) in first
    assert shown("common.page_of", page=1, pages=2) in first
    assert first.count("/console/orders/") + second.count("/console/orders/") == 3
    assert shown("buyer.status_help.pending_review") in first + second
    assert shown("buyer.condition.quota", quota=7) in first + second
    assert str(waiting.id) in first + second
    assert '<th scope="col">' in first


def test_the_order_page_shows_compliance_conditions_and_the_review_note(
    client: TestClient,
    session: Session,
    settings: Settings,
    reviewer: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    seller = create_user(session, role=Role.provider)
    important = create_listed_dataset(
        session, settings, provider=seller, reviewer=reviewer, grade=DataGrade.important, level=None
    )
    order = create_order(session, buyer, important, seller)
    trade.approve_order(
        session, principal_of(reviewer), order.id, "仅限风控用途", max_quota=50, max_valid_days=30
    )
    rejected = create_order(session, buyer, important, seller, name="另一")
    trade.reject_order(session, principal_of(reviewer), rejected.id, "场景描述不清")
    signed_in(buyer)
    page = client.get(f"/console/orders/{order.id}").text
    assert shown("buyer.condition.quota_long", quota=50) in page
    assert shown("buyer.condition.days_long", days=30) in page
    assert "仅限风控用途" in page  # the reviewer's note, in the history
    moved = (text("buyer.status.pending_review"), text("buyer.status.awaiting_payment"))
    assert " → ".join(moved) in page
    other = client.get(f"/console/orders/{rejected.id}").text
    assert "rejected: 场景描述不清" in other
    assert shown("buyer.status_help.cancelled") in other


def test_another_organizations_order_is_not_found(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    order = create_order(session, buyer, listed, provider)
    stranger = create_user(session, role=Role.buyer)
    signed_in(stranger)
    response = client.get(f"/console/orders/{order.id}")
    assert response.status_code == 404
    assert "订单不存在" in response.text
    assert post_form(client, f"/console/orders/{order.id}/cancel", {}).status_code == 404
    session.refresh(order)
    assert order.status is OrderStatus.awaiting_payment


def test_paying_by_card_creates_the_checkout_session_and_goes_to_stripe(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    stripe_api: StripeStandIn,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    order = create_order(session, buyer, listed, provider, price_minor=9_900)
    signed_in(buyer)
    button = shown("buyer.pay.card_button", amount="¥99.00")
    assert button in client.get(f"/console/orders/{order.id}").text
    response = post_form(client, f"/console/orders/{order.id}/checkout", {})
    assert response.status_code == 303
    assert re.fullmatch(
        r"https://checkout\.stripe\.test/pay/cs_test_\d+", response.headers["location"]
    )
    [(path, sent)] = stripe_api.requests
    assert path == "/v1/checkout/sessions"
    assert sent["client_reference_id"] == str(order.id)
    assert sent["success_url"].endswith(f"/console/orders/{order.id}?paid=1")
    session.refresh(order)
    assert order.checkout_session_id is not None
    assert order.status is OrderStatus.awaiting_payment  # paid only when the webhook says so
    htmx = client.post(
        f"/console/orders/{order.id}/checkout",
        headers={"HX-Request": "true", "X-CSRF-Token": client.cookies["sluice_csrf"]},
    )
    assert htmx.status_code == 204
    assert htmx.headers["HX-Redirect"].startswith("https://checkout.stripe.test/")


def test_returning_from_stripe_says_what_happens_next(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    order = create_order(session, buyer, listed, provider)
    signed_in(buyer)
    assert shown("buyer.done.paid") in client.get(f"/console/orders/{order.id}?paid=1").text
    cancelled = client.get(f"/console/orders/{order.id}?cancelled=1").text
    assert shown("buyer.done.payment_cancelled") in cancelled


def test_card_payment_while_disabled_is_refused_in_both_languages(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    order = create_order(session, buyer, listed, provider)
    signed_in(buyer)
    response = post_form(client, f"/console/orders/{order.id}/checkout", {})
    assert response.status_code == 409
    assert "本平台未开通银行卡支付，请使用银行转账" in response.text
    client.cookies.set("lang", "en")
    response = post_form(client, f"/console/orders/{order.id}/checkout", {})
    assert "Card payments are not enabled" in response.text
    session.refresh(order)
    assert order.checkout_session_id is None


def test_an_active_order_cannot_be_paid_or_cancelled(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    stripe_api: StripeStandIn,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    order, _ = activate_plan(session, buyer, listed, provider)
    signed_in(buyer)
    page = client.get(f"/console/orders/{order.id}").text
    assert "/checkout" not in page
    assert "/cancel" not in page
    paying = post_form(client, f"/console/orders/{order.id}/checkout", {})
    assert paying.status_code == 409
    assert "订单当前状态为“生效中”" in paying.text
    assert stripe_api.requests == []
    cancelling = post_form(client, f"/console/orders/{order.id}/cancel", {})
    assert cancelling.status_code == 409
    session.refresh(order)
    assert order.status is OrderStatus.active


def test_an_unpaid_order_can_be_cancelled(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    order = create_order(session, buyer, listed, provider)
    signed_in(buyer)
    assert shown("buyer.cancel.button") in client.get(f"/console/orders/{order.id}").text
    response = post_form(client, f"/console/orders/{order.id}/cancel", {})
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/orders/{order.id}?done=cancelled"
    session.refresh(order)
    assert order.status is OrderStatus.cancelled
    assert shown("buyer.done.cancelled") in client.get(response.headers["location"]).text


def test_cancelling_or_paying_without_the_csrf_token_changes_nothing(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    stripe_api: StripeStandIn,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    order = create_order(session, buyer, listed, provider)
    signed_in(buyer)
    for action in ("cancel", "checkout"):
        response = client.post(f"/console/orders/{order.id}/{action}")
        assert response.status_code == 403
        assert "表单已过期" in response.text
    session.refresh(order)
    assert order.status is OrderStatus.awaiting_payment
    assert order.checkout_session_id is None
    assert stripe_api.requests == []


def test_a_stopped_buyer_is_told_why_in_their_language_and_nothing_is_ordered(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    plan = create_plan(session, listed, provider=provider, name="季度包")
    stop = revocation.emergency_stop(
        session,
        principal_of(reviewer),
        buyer_org_id=buyer.organization_id,
        dataset_id=None,
        reason="内部调查",
    )
    signed_in(buyer)
    chinese = post_form(client, "/console/orders", _order_form(listed, plan))
    assert chinese.status_code == 403
    assert f"紧急停止（编号 {stop.id}）" in chinese.text
    assert "内部调查" not in chinese.text
    client.cookies.set("lang", "en")
    english = client.post(
        "/console/orders",
        data=_order_form(listed, plan),
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token(client)},
    )
    assert english.status_code == 403
    assert f"emergency stop {stop.id}" in english.text
    assert english.headers["HX-Retarget"] == "#flash"
    assert orders_of(session, buyer) == []
