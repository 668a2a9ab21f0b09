"""The order state machine, in one place.

    pending_review ──approve──> awaiting_payment ──pay──> paid ──activate──> active ──> expired
          │                          │                     │                  │
          └──reject/cancel──> cancelled <──cancel──────────┘ (no)            └──refund──> refunded
                                                           └──refund──> refunded

Every status change goes through ``transition``: it refuses an edge not in ``ALLOWED`` with a
409, and applies the change as one conditional UPDATE (``WHERE status = <from>``), so two
concurrent requests (a webhook and an admin, two webhooks) cannot both move the same order: the
loser sees zero rows updated and gets the same 409. Each change is recorded in
``order_transition`` with who made it and why.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from audit import service as audit
from ground.db import utcnow
from ground.errors import Conflict
from trade.models import Order, OrderStatus, OrderTransition
from trade.repository import TradeRepository

S = OrderStatus
ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.pending_review: frozenset({S.awaiting_payment, S.cancelled}),
    S.awaiting_payment: frozenset({S.paid, S.cancelled}),
    S.paid: frozenset({S.active, S.refunded}),
    S.active: frozenset({S.expired, S.refunded}),
    S.expired: frozenset({S.refunded}),
    S.cancelled: frozenset(),
    S.refunded: frozenset(),
}

_ZH = {
    S.pending_review: "待合规审核",
    S.awaiting_payment: "待支付",
    S.paid: "已支付",
    S.active: "生效中",
    S.expired: "已到期",
    S.cancelled: "已取消",
    S.refunded: "已退款",
}


class IllegalTransition(Conflict):
    """The order is not in a state that allows this (409)."""


def check(order: Order, to: OrderStatus) -> None:
    if to not in ALLOWED[order.status]:
        raise IllegalTransition(
            f"The order is {order.status}; it cannot become {to}.",
            f"订单当前状态为“{_ZH[order.status]}”，不能变为“{_ZH[to]}”。",
        )


def transition(
    session: Session,
    order: Order,
    to: OrderStatus,
    *,
    actor_id: uuid.UUID | None = None,
    reason: str = "",
) -> Order:
    """Move ``order`` to ``to`` if the edge is allowed and nobody moved it meanwhile."""
    check(order, to)
    now = utcnow()
    repo = TradeRepository(session)
    if not repo.move_order(order.id, order.status, to, now):
        current = repo.order_status(order.id)
        raise IllegalTransition(
            f"The order changed meanwhile and is now {current}.",
            f"订单状态已被更新，当前为“{_ZH[current]}”。",
        )
    session.add(
        OrderTransition(
            order_id=order.id,
            from_status=order.status,
            to_status=to,
            actor_id=actor_id,
            reason=reason[:1000],
        )
    )
    audit.record(
        session,
        f"order.{to}",
        actor=None,
        actor_user_id=actor_id,
        dataset_id=order.dataset_id,
        subject_id=order.id,
        details={"from": str(order.status), "to": str(to), "reason": reason},
    )
    order.status = to
    order.updated_at = now
    session.flush()
    return order


def record_creation(session: Session, order: Order, actor_id: uuid.UUID | None) -> None:
    session.add(OrderTransition(order_id=order.id, to_status=order.status, actor_id=actor_id))
    session.flush()
    audit.record(
        session,
        "order.create",
        actor=None,
        actor_user_id=actor_id,
        dataset_id=order.dataset_id,
        subject_id=order.id,
        details={
            "status": str(order.status),
            "plan_id": str(order.plan_id),
            "usage_scenario": order.usage_scenario,
            "price_minor": order.price_minor,
            "currency": order.currency,
        },
    )
