"""Payments that are not the buyer's own action: Stripe's webhook, bank transfers recorded by
an admin, and refunds."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from accounts.dependencies import AdminPrincipal
from ground.dependencies import SessionDep, SettingsDep
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from ground.openapi import error_responses
from trade import payments, refunds
from trade.endpoints import stored_order_read
from trade.schemas import BankTransferCreate, OrderRead, RefundCreate, WebhookAck

router = APIRouter(tags=["payments"], route_class=IdempotentRoute)


async def raw_body(request: Request) -> bytes:
    # The signature covers the exact bytes Stripe sent, so the body must not be re-serialized.
    return await request.body()


@router.post("/billing/stripe/webhook", response_model=WebhookAck)
def stripe_webhook(
    payload: Annotated[bytes, Depends(raw_body)],
    session: SessionDep,
    settings: SettingsDep,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> WebhookAck:
    """Stripe's events, verified by signature (400 if it does not verify).

    Handles `checkout.session.completed`, `payment_intent.payment_failed` and
    `charge.refunded`. Each event id is stored once: a replay is acknowledged with
    `duplicate: true` and changes nothing."""
    event = payments.handle_stripe_webhook(session, payload, stripe_signature, settings)
    if event is None:
        return WebhookAck(received=True, duplicate=True)
    return WebhookAck(received=True, duplicate=False, status=event.status)


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
    order = payments.record_bank_transfer(
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
    order = refunds.refund_order(session, admin, order_id, settings=settings, **body.model_dump())
    return stored_order_read(session, order)
