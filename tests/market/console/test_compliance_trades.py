"""The trade review pages: the order queue, revoking entitlements, the emergency stop."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role, User
from ground.config import Settings
from listings.models import DataGrade, Dataset
from tests.fixtures.console import html as shown
from tests.fixtures.console import pattern
from tests.fixtures.factories import (
    activate_plan,
    create_listed_dataset,
    create_order,
    create_user,
)
from tests.fixtures.reads import reloaded
from tests.market.console.conftest import SignIn, post_form
from trade.models import EntitlementStatus, Order, OrderStatus

QUEUE = "/console/compliance/orders"
ENTITLEMENTS = "/console/compliance/entitlements"
STOP = "/console/compliance/emergency-stop"


@pytest.fixture
def important(session: Session, settings: Settings, provider: User, reviewer: User) -> Dataset:
    """A listed dataset graded important: its orders wait for compliance."""
    return create_listed_dataset(
        session,
        settings,
        provider=provider,
        reviewer=reviewer,
        title="重要交通数据",
        grade=DataGrade.important,
        level=None,
    )


@pytest.fixture
def pending(session: Session, important: Dataset, provider: User, buyer: User) -> Order:
    order = create_order(session, buyer, important, provider, name="季度接口包", calls=500)
    assert order.status is OrderStatus.pending_review
    return order


def test_the_queue_shows_what_the_reviewer_decides_on(
    client: TestClient,
    session: Session,
    pending: Order,
    buyer: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    buyer_name = accounts.get_organization(session, buyer.organization_id).name
    signed_in(reviewer)
    page = client.get(QUEUE)
    assert page.status_code == 200
    card = re.search(rf'<article[^>]*data-order="{pending.id}">.*?</article>', page.text, re.S)
    assert card, page.text
    grade = shown("common.grade.important")
    for expected in (buyer_name, "风控建模", "重要交通数据", grade, "季度接口包", "¥100.00"):
        assert expected in card.group(0), expected
    history = f"{shown('compliance.history.pending_review')}: 1"
    assert history in card.group(0)  # the buyer's history


def test_approving_with_conditions_caps_the_grant(
    client: TestClient, session: Session, pending: Order, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    form = {"max_quota": "50", "max_valid_days": "7", "note": "仅限试点"}
    response = post_form(client, f"{QUEUE}/{pending.id}/approve", form)
    assert response.status_code == 303
    assert response.headers["location"] == f"{QUEUE}?done=approved"
    stored = reloaded(session, pending)
    assert stored.status is OrderStatus.awaiting_payment
    assert (stored.max_quota, stored.max_valid_days) == (50, 7)
    assert shown("compliance.done.order_approved") in client.get(response.headers["location"]).text


@pytest.mark.parametrize("bad", [{"max_quota": "0"}, {"max_valid_days": "十天"}])
def test_a_malformed_condition_is_refused_and_the_order_waits(
    client: TestClient,
    session: Session,
    pending: Order,
    reviewer: User,
    signed_in: SignIn,
    bad: dict[str, str],
) -> None:
    signed_in(reviewer)
    response = post_form(client, f"{QUEUE}/{pending.id}/approve", bad)
    assert response.status_code == 400
    assert "请修改表单" in response.text
    assert reloaded(session, pending).status is OrderStatus.pending_review


def test_rejecting_needs_a_reason_and_cancels_the_order(
    client: TestClient, session: Session, pending: Order, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    blank = post_form(client, f"{QUEUE}/{pending.id}/reject", {"reason": " "})
    assert blank.status_code == 400
    assert "请填写驳回订单的理由" in blank.text
    assert reloaded(session, pending).status is OrderStatus.pending_review

    response = post_form(client, f"{QUEUE}/{pending.id}/reject", {"reason": "场景与数据不符"})
    assert response.status_code == 303
    assert reloaded(session, pending).status is OrderStatus.cancelled
    again = post_form(client, f"{QUEUE}/{pending.id}/approve", {})
    assert again.status_code == 409
    assert "已取消" in again.text


def test_revoking_an_entitlement_from_its_list(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    _, entitlement = activate_plan(session, buyer, listed, provider)
    signed_in(reviewer)
    page = client.get(ENTITLEMENTS, params={"buyer": str(buyer.organization_id)})
    assert page.status_code == 200
    assert f'data-entitlement="{entitlement.id}"' in page.text
    assert "风控建模" in page.text
    url = f"{ENTITLEMENTS}/{entitlement.id}/revoke"

    assert post_form(client, url, {"reason": ""}).status_code == 400
    assert reloaded(session, entitlement).status is EntitlementStatus.active

    response = post_form(client, url, {"reason": "超范围使用"})
    assert response.status_code == 303
    assert shown("compliance.done.revoked") in client.get(response.headers["location"]).text
    assert reloaded(session, entitlement).status is EntitlementStatus.revoked
    again = post_form(client, url, {"reason": "重复"})
    assert again.status_code == 409
    assert "只有有效的授权可以撤销" in again.text


def test_a_malformed_entitlement_filter_is_a_readable_error(
    client: TestClient, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    response = client.get(ENTITLEMENTS, params={"buyer": "not-an-id"})
    assert response.status_code == 400
    assert "不是有效的编号" in response.text


def test_the_emergency_stop_shows_its_effect_and_needs_a_confirmation(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    other_dataset = create_listed_dataset(
        session, settings, provider=provider, reviewer=reviewer, title="另一数据集"
    )
    _, first = activate_plan(session, buyer, listed, provider)
    _, second = activate_plan(session, buyer, other_dataset, provider)
    bystander = create_user(session, role=Role.buyer)
    _, untouched = activate_plan(session, bystander, listed, provider)
    signed_in(reviewer)

    step_one = client.get(STOP)
    assert step_one.status_code == 200
    assert "data-stop-summary" not in step_one.text  # nothing chosen, nothing to confirm
    step_two = client.get(STOP, params={"buyer": str(buyer.organization_id)})
    assert pattern("compliance.stop.summary_buyer", count=2).search(step_two.text), step_two.text

    form = {"buyer": str(buyer.organization_id), "dataset": "", "reason": "数据外泄调查"}
    unconfirmed = post_form(client, STOP, form)
    assert unconfirmed.status_code == 400
    assert "请勾选确认" in unconfirmed.text
    assert reloaded(session, first).status is EntitlementStatus.active

    done = post_form(client, STOP, {**form, "confirm": "1"})
    assert done.status_code == 303
    assert shown("compliance.done.stopped", count=2) in client.get(done.headers["location"]).text
    assert {reloaded(session, e).status for e in (first, second)} == {EntitlementStatus.revoked}
    assert reloaded(session, untouched).status is EntitlementStatus.active


def test_an_emergency_stop_needs_a_buyer_or_a_dataset(
    client: TestClient, session: Session, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    response = post_form(client, STOP, {"reason": "测试", "confirm": "1"})
    assert response.status_code == 400
    assert "请指定买方机构、数据集或两者" in response.text


@pytest.mark.parametrize("role", [Role.buyer, Role.provider, Role.admin])
def test_only_compliance_decides_on_orders(
    client: TestClient,
    session: Session,
    pending: Order,
    signed_in: SignIn,
    role: Role,
) -> None:
    signed_in(create_user(session, role=role))
    response = post_form(client, f"{QUEUE}/{pending.id}/approve", {})
    assert response.status_code == 403
    assert reloaded(session, pending).status is OrderStatus.pending_review


def test_a_revocation_without_the_csrf_token_is_refused(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    _, entitlement = activate_plan(session, buyer, listed, provider)
    signed_in(reviewer)
    response = client.post(
        f"{ENTITLEMENTS}/{entitlement.id}/revoke",
        data={"reason": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert reloaded(session, entitlement).status is EntitlementStatus.active
