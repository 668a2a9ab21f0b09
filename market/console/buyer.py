"""The buyer's orders: order a plan with a usage scenario, follow it through its states, pay.

Every action is the service behind the matching API call: ``trade.service.place_order``
(``POST /orders``, validated with the API's ``OrderCreate``), ``trade.settlement.start_checkout``
(``POST /orders/{id}/checkout``) and ``trade.service.cancel_order``. A free plan is active at
once, as through the API; a paid one is paid by card on Stripe's Checkout page (when card
payments are enabled) or by a bank transfer an administrator records.
"""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from sqlmodel import Session

from accounts.models import Role
from billing import service as plans
from ground.dependencies import SessionDep, SettingsDep
from ground.idempotency.route import ConsoleIdempotentRoute, IdempotentWrite
from listings import service as listings
from market.console.forms import FormInvalid, validate_form
from market.console.nav import NavItem
from market.console.session import BuyerUser
from market.console.templating import redirect, render
from trade import service, settlement
from trade.models import Order, OrderStatus
from trade.schemas import OrderCreate
from trade.views import stored_order_read

router = APIRouter(route_class=ConsoleIdempotentRoute)
NAV = (NavItem("buyer.nav.orders", "/console/orders", frozenset({Role.buyer})),)
PAGE_SIZE = 20
# The happy path an order walks, shown as steps; cancelled and refunded are side exits.
STEPS = (
    OrderStatus.pending_review,
    OrderStatus.awaiting_payment,
    OrderStatus.paid,
    OrderStatus.active,
    OrderStatus.expired,
)
CANCELLABLE = frozenset({OrderStatus.pending_review, OrderStatus.awaiting_payment})
# Confirmations shown after a redirect (?done=...); anything else is ignored.
DONE = frozenset(
    {"placed", "activated", "cancelled", "paid", "paid_confirmed", "payment_cancelled"}
)


def _order_url(order_id: uuid.UUID, done: str) -> str:
    return f"/console/orders/{order_id}?done={done}"


def _describe(session: Session, orders: list[Order]) -> list[dict[str, Any]]:
    """Each order as the API returns it, with the dataset's title and the plan's name."""
    rows = []
    for order in orders:
        plan = plans.plan_by_id(session, order.plan_id)
        rows.append(
            {
                "order": stored_order_read(session, order),
                "dataset_title": listings.get_dataset(session, order.dataset_id).title,
                "plan": plan,
                "conditions": order.max_quota is not None or order.max_valid_days is not None,
                "max_quota": order.max_quota,
                "max_valid_days": order.max_valid_days,
            }
        )
    return rows


@router.post("/orders")
def place_order(
    request: Request,
    user: BuyerUser,
    _: IdempotentWrite,
    session: SessionDep,
    dataset_id: Annotated[str, Form(max_length=64)] = "",
    plan_id: Annotated[str, Form(max_length=64)] = "",
    usage_scenario: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Order the chosen plan (``POST /orders``); a free plan is active at once."""
    if not usage_scenario.strip():
        raise FormInvalid(
            "Please describe the usage scenario: no order is placed without one.",
            "请填写数据使用场景：未说明用途的订单不能提交。",
        )
    body = validate_form(
        OrderCreate,
        {"dataset_id": dataset_id, "plan_id": plan_id, "usage_scenario": usage_scenario},
    )
    order, entitlement = service.place_order(session, user.principal, **body.model_dump())
    return redirect(request, _order_url(order.id, "activated" if entitlement else "placed"))


@router.get("/orders")
def orders(
    request: Request,
    user: BuyerUser,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The organization's orders, newest first, each with its state explained."""
    rows, total = service.list_orders(
        session, user.principal, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render(
        request,
        "buyer/orders.html",
        user,
        {
            "rows": _describe(session, rows),
            "total": total,
            "page": page,
            "pages": max(1, math.ceil(total / PAGE_SIZE)),
            "url_for_page": lambda n: f"/console/orders?page={n}",
            "steps": STEPS,
        },
    )


@router.get("/orders/{order_id}")
def order_page(
    request: Request,
    order_id: uuid.UUID,
    user: BuyerUser,
    session: SessionDep,
    settings: SettingsDep,
    done: str = "",
    paid: str = "",
    cancelled: str = "",
) -> Response:
    """One order: where it stands and why, its history, compliance's conditions, and how to
    pay it. Stripe sends the buyer back here (``?paid=1`` or ``?cancelled=1``)."""
    order = service.get_order(session, user.principal, order_id)
    if paid:
        # Stripe's webhook usually arrives before the buyer does; say which case this is.
        done = "paid_confirmed" if order.status is OrderStatus.active else "paid"
    elif cancelled:
        done = "payment_cancelled"
    return render(
        request,
        "buyer/order.html",
        user,
        {
            "row": _describe(session, [order])[0],
            "history": service.order_history(session, user.principal, order.id),
            "steps": STEPS,
            "done": done if done in DONE else "",
            "cancellable": order.status in CANCELLABLE,
            "card_enabled": settings.stripe_enabled,
            "bank_details": settings.bank_transfer_details,
        },
    )


@router.post("/orders/{order_id}/checkout")
def checkout(
    request: Request,
    order_id: uuid.UUID,
    user: BuyerUser,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Pay by card: the Checkout Session of ``POST /orders/{id}/checkout``, then off to Stripe.

    The order becomes paid and active when Stripe's webhook confirms the payment."""
    order, url = settlement.start_checkout(session, user.principal, order_id, settings)
    return redirect(request, url or f"/console/orders/{order.id}")


@router.post("/orders/{order_id}/cancel")
def cancel(request: Request, order_id: uuid.UUID, user: BuyerUser, session: SessionDep) -> Response:
    """Withdraw an order under review or awaiting payment (``POST /orders/{id}/cancel``)."""
    service.cancel_order(session, user.principal, order_id)
    return redirect(request, _order_url(order_id, "cancelled"))
