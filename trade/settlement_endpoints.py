"""Money on an order that is not the buyer's own action: bank transfers recorded by an admin,
and refunds. (Stripe's webhook is billing's: ``billing.payment_endpoints``.)"""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from accounts.dependencies import AdminPrincipal
from ground.dependencies import SessionDep, SettingsDep
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from ground.openapi import error_responses
from trade import settlement
from trade.endpoints import stored_order_read
from trade.schemas import BankTransferCreate, OrderRead, RefundCreate

router = APIRouter(tags=["payments"], route_class=IdempotentRoute)


@router.post("/orders/{order_id}/bank-transfers", response_model=OrderRead)
def record_bank_transfer(
    order_id: uuid.UUID,
    body: BankTransferCreate,
    admin: AdminPrincipal,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
) -> OrderRead:
    """Record a bank transfer received for an order awaiting payment: the amount must equal the
    order's price; the order becomes paid and active. A reference is accepted once."""
    order = settlement.record_bank_transfer(
        session, admin, order_id, settings=settings, **body.model_dump()
    )
    return stored_order_read(session, order)


@router.post("/orders/{order_id}/refunds", response_model=OrderRead, responses=error_responses(502))
def refund_order(
    order_id: uuid.UUID,
    body: RefundCreate,
    admin: AdminPrincipal,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
) -> OrderRead:
    """Refund part or all of an order's payments (all when no amount is given).

    Refusing anything larger than what is left to refund. A full refund ends the entitlement."""
    order = settlement.refund_order(
        session, admin, order_id, settings=settings, **body.model_dump()
    )
    return stored_order_read(session, order)
