"""Orders and quota: no trade without a usage scenario, no call beyond the quota paid for."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from billing import service as billing
from listings import service as listings
from market.accounts.principal import Principal
from market.audit import service as audit
from market.db import utcnow
from market.errors import Conflict, Forbidden, NotFound, QuotaExhausted
from market.trade.models import Entitlement, Order, OrderStatus
from market.trade.repository import TradeRepository


def place_order(
    session: Session,
    buyer: Principal,
    *,
    dataset_id: uuid.UUID,
    plan_id: uuid.UUID,
    usage_scenario: str,
) -> tuple[Order, Entitlement | None]:
    """Order a plan on a listed dataset.

    Free plans are active at once with their entitlement; priced plans (a later issue) wait
    for review and payment, so none exist to order yet.
    """
    dataset = listings.get_listed(session, dataset_id)
    plan = billing.get_plan(session, dataset.id, plan_id)
    repo = TradeRepository(session)
    if plan.is_free and repo.has_order_for_plan(buyer.org_id, plan.id):
        raise Conflict(
            "Your organization has already taken this free plan.",
            "贵机构已领取过该免费套餐。",
        )
    if not plan.is_free:
        raise Conflict(
            "Priced plans cannot be ordered yet; only the free plan is available.",
            "暂不支持购买付费套餐，目前只能领取免费套餐。",
        )
    order = Order(
        buyer_org_id=buyer.org_id,
        buyer_user_id=buyer.user_id,
        dataset_id=dataset.id,
        plan_id=plan.id,
        usage_scenario=usage_scenario.strip(),
        status=OrderStatus.active,
        price_minor=plan.price_minor,
        currency=plan.currency,
    )
    repo.add(order)
    entitlement = Entitlement(
        order_id=order.id,
        buyer_org_id=buyer.org_id,
        dataset_id=dataset.id,
        usage_scenario=order.usage_scenario,
        quota_total=plan.calls,
        quota_remaining=plan.calls,
    )
    repo.add(entitlement)
    audit.record(
        session,
        "order.create",
        actor=buyer,
        dataset_id=dataset.id,
        subject_id=order.id,
        details={
            "plan_id": str(plan.id),
            "usage_scenario": order.usage_scenario,
            "price_minor": order.price_minor,
            "currency": order.currency,
            "quota": entitlement.quota_total,
        },
    )
    return order, entitlement


def get_order(session: Session, buyer: Principal, order_id: uuid.UUID) -> Order:
    order = TradeRepository(session).order(order_id)
    if order is None or order.buyer_org_id != buyer.org_id:
        raise NotFound("Order not found.", "订单不存在。")
    return order


def list_orders(
    session: Session, buyer: Principal, *, limit: int, offset: int
) -> tuple[list[Order], int]:
    return TradeRepository(session).orders_of(buyer.org_id, limit=limit, offset=offset)


def entitlement_of(session: Session, order: Order) -> Entitlement | None:
    return TradeRepository(session).entitlement_of_order(order.id)


def consume_calls(session: Session, buyer: Principal, dataset_id: uuid.UUID, units: int = 1) -> int:
    """Take ``units`` calls from the buyer's active entitlements on a dataset, oldest first.

    Returns the quota left on the entitlement charged. Raises ``Forbidden`` without an active
    entitlement and ``QuotaExhausted`` (429) when none has enough left. Each attempt is one
    conditional UPDATE, so the decrement is atomic on SQLite and PostgreSQL alike.
    """
    repo = TradeRepository(session)
    candidates = repo.active_entitlement_ids(buyer.org_id, dataset_id, utcnow())
    if not candidates:
        raise Forbidden(
            "Your organization has no active entitlement on this dataset; order a plan first.",
            "贵机构对该数据集没有有效授权，请先订购套餐。",
        )
    for entitlement_id in candidates:
        remaining = repo.take_quota(entitlement_id, units)
        if remaining is not None:
            return remaining
    raise QuotaExhausted(
        "Your API quota on this dataset is used up; order more to continue.",
        "该数据集的调用额度已用完，请续购后继续使用。",
    )
