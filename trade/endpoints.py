"""Orders: a buyer orders a plan with a declared usage scenario, then pays for it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from accounts.dependencies import BuyerPrincipal
from ground.dependencies import SessionDep, SettingsDep
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from ground.openapi import error_responses
from ground.pagination import Page, PageDep
from trade import entitlement_statements, quota_overage, service, settlement
from trade.schemas import (
    CheckoutRead,
    EntitlementStatement,
    OrderCreate,
    OrderRead,
)
from trade.views import order_read, stored_order_read

router = APIRouter(tags=["orders"], route_class=IdempotentRoute)


@router.post("/orders", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def place_order(
    body: OrderCreate, buyer: BuyerPrincipal, _: IdempotentWrite, session: SessionDep
) -> OrderRead:
    """Order a plan. The usage scenario is required.

    The order starts in `pending_review` on datasets graded "important" or above (compliance
    approves it), otherwise in `awaiting_payment`; a free plan is active at once."""
    order, entitlement = service.place_order(session, buyer, **body.model_dump())
    return order_read(order, entitlement)


@router.get("/orders", response_model=Page[OrderRead])
def list_orders(buyer: BuyerPrincipal, session: SessionDep, page: PageDep) -> Page[OrderRead]:
    """Your organization's orders, newest first, each with its entitlement."""
    rows, total = service.list_orders(session, buyer, limit=page.limit, offset=page.offset)
    items = [stored_order_read(session, o) for o in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/orders/{order_id}", response_model=OrderRead)
def get_order(order_id: uuid.UUID, buyer: BuyerPrincipal, session: SessionDep) -> OrderRead:
    """One of your organization's orders, with the quota it has left."""
    return stored_order_read(session, service.get_order(session, buyer, order_id))


@router.post("/orders/{order_id}/cancel", response_model=OrderRead)
def cancel_order(order_id: uuid.UUID, buyer: BuyerPrincipal, session: SessionDep) -> OrderRead:
    """Withdraw an order that is under review or awaiting payment (409 once paid)."""
    return stored_order_read(session, service.cancel_order(session, buyer, order_id))


@router.post(
    "/orders/{order_id}/checkout", response_model=CheckoutRead, responses=error_responses(502)
)
def checkout(
    order_id: uuid.UUID,
    buyer: BuyerPrincipal,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
) -> CheckoutRead:
    """Pay an order awaiting payment by card: a Stripe Checkout Session to redirect to.

    The order becomes paid and active when Stripe's `checkout.session.completed` webhook
    arrives; 409 if the order is not awaiting payment (e.g. already paid)."""
    order, url = settlement.start_checkout(session, buyer, order_id, settings)
    assert order.checkout_session_id is not None
    return CheckoutRead(order_id=order.id, checkout_session_id=order.checkout_session_id, url=url)


@router.get("/entitlements", response_model=Page[EntitlementStatement])
def list_entitlements(
    buyer: BuyerPrincipal, session: SessionDep, page: PageDep
) -> Page[EntitlementStatement]:
    """Your statement per entitlement: what was paid, what was used (calls, rows, ε), what is
    left. Newest first."""
    items, total = entitlement_statements.entitlement_statements(
        session, buyer, limit=page.limit, offset=page.offset
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/entitlements/{entitlement_id}", response_model=EntitlementStatement)
def get_entitlement(
    entitlement_id: uuid.UUID, buyer: BuyerPrincipal, session: SessionDep
) -> EntitlementStatement:
    """Paid, used and left on one of your entitlements."""
    return entitlement_statements.entitlement_statement(session, buyer, entitlement_id)


@router.post(
    "/entitlements/{entitlement_id}/overage-invoice",
    response_model=OrderRead,
    status_code=status.HTTP_201_CREATED,
)
def invoice_overage(
    entitlement_id: uuid.UUID, buyer: BuyerPrincipal, _: IdempotentWrite, session: SessionDep
) -> OrderRead:
    """Be billed now for the overage not billed yet on one of your entitlements: an order of
    kind `overage` awaiting payment, paid like any order (`POST /orders/{id}/checkout` or a
    bank transfer). Paying it makes room under the overage limit again. Overage is also billed
    without asking when a subscription's month or an entitlement ends. 409 when there is
    nothing to bill."""
    return stored_order_read(session, quota_overage.request_invoice(session, buyer, entitlement_id))
