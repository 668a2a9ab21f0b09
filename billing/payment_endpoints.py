"""Payments as they arrive and as operators fix them: Stripe's webhook, and the payments
captured but credited to no order (``billing.anomalies``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from sqlmodel import Session

from accounts.dependencies import AdminPrincipal
from billing import anomalies, payments, stripe_webhooks
from billing.models import AnomalyStatus, PaymentAnomaly
from billing.schemas import (
    AnomalyRefund,
    AnomalyResolution,
    CreditedPayment,
    PaymentAnomalyRead,
    WebhookAck,
)
from ground.dependencies import SessionDep, SettingsDep
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from ground.openapi import error_responses
from ground.pagination import Page, PageDep

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
    event = stripe_webhooks.handle_stripe_webhook(session, payload, stripe_signature, settings)
    if event is None:
        return WebhookAck(received=True, duplicate=True)
    return WebhookAck(received=True, duplicate=False, status=event.status)


def _read(session: Session, anomaly: PaymentAnomaly) -> PaymentAnomalyRead:
    credited = [
        CreditedPayment(method=p.method, external_ref=p.external_ref, amount_minor=p.amount_minor)
        for p in payments.of_order(session, anomaly.order_id)
    ]
    return PaymentAnomalyRead.model_validate(
        {**anomaly.model_dump(), "credited_payments": credited}
    )


@router.get("/billing/payments/anomalies", response_model=Page[PaymentAnomalyRead])
def list_anomalies(
    admin: AdminPrincipal,
    session: SessionDep,
    page: PageDep,
    status: AnomalyStatus | None = None,
) -> Page[PaymentAnomalyRead]:
    """Card payments Stripe captured that no order was credited with, newest first: an order
    paid twice (`double_payment`), paid after it was cancelled or before review
    (`order_not_payable`), paid the wrong amount (`amount_mismatch`), or paid while an
    emergency stop covered the order's buyer or dataset (`emergency_stop`). Filter by `status`
    (`open`, `refunded`, `resolved`)."""
    rows, total = anomalies.list_anomalies(
        session, status=status, limit=page.limit, offset=page.offset
    )
    items = [_read(session, a) for a in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/billing/payments/anomalies/{anomaly_id}/refund",
    response_model=PaymentAnomalyRead,
    responses=error_responses(502),
)
def refund_anomaly(
    anomaly_id: uuid.UUID,
    body: AnomalyRefund,
    admin: AdminPrincipal,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
) -> PaymentAnomalyRead:
    """Give the uncredited payment back in full through Stripe. Idempotent: asking again
    returns the refunded anomaly and refunds nothing more; 409 if it was resolved otherwise."""
    return _read(session, anomalies.refund(session, admin, anomaly_id, body.note, settings))


@router.post("/billing/payments/anomalies/{anomaly_id}/resolve", response_model=PaymentAnomalyRead)
def resolve_anomaly(
    anomaly_id: uuid.UUID, body: AnomalyResolution, admin: AdminPrincipal, session: SessionDep
) -> PaymentAnomalyRead:
    """Close an anomaly settled without a Stripe refund, saying how. Idempotent: resolving it
    again changes nothing; 409 if it was refunded."""
    return _read(session, anomalies.resolve(session, admin, anomaly_id, body.note))
