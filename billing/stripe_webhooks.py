"""Stripe's webhooks: verified, stored, then acted on once.

Events are stored before they act (``billing.webhooks``): a replay changes nothing, a refund
that arrives before its payment waits (``deferred``) and is applied when the payment is
recorded, and refund amounts are taken from Stripe's cumulative ``amount_refunded``, so refund
events in any order credit exactly what Stripe refunded.

The orders paid for belong to ``trade``: a paid Checkout Session is published as
``billing.events.CardPaymentCaptured``, whose handler (subscribed by the shell) credits the
order or refuses. Money captured but not credited (a second payment for a paid order, a
payment after a cancellation, a wrong amount, a payment under an emergency stop) is registered
in ``billing.anomalies`` for an operator to refund or resolve. Refunds made on Stripe are
booked by ``billing.refunds``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from billing import anomalies, gateway, payments, refunds, webhooks
from billing.events import CardPaymentCaptured, PaymentNotCredited
from billing.models import PaymentMethod, WebhookEvent, WebhookStatus
from ground import events
from ground.config import Settings
from ground.ops.logs import get_logger

log = get_logger(__name__)

STRIPE = "stripe"


def handle_stripe_webhook(
    session: Session, payload: bytes, signature: str | None, settings: Settings
) -> WebhookEvent | None:
    """Verify, store, then act once. ``None`` for a replay (already stored, nothing done)."""
    gateway.verify_event(settings, payload, signature)
    body: dict[str, Any] = json.loads(payload)
    obj: dict[str, Any] = body.get("data", {}).get("object", {})
    # The PaymentIntent the event is about: a field of sessions and charges, the object itself
    # for payment_intent.* events.
    is_intent = str(body.get("type", "")).startswith("payment_intent.")
    reference = obj.get("id") if is_intent else obj.get("payment_intent")
    event = webhooks.store(
        session,
        source=STRIPE,
        external_id=str(body["id"]),
        type_=str(body.get("type", "")),
        reference=str(reference) if reference else None,
        payload=payload.decode(),
    )
    if event is None:
        return None
    _dispatch(session, event, obj, settings)
    return event


def _dispatch(
    session: Session, event: WebhookEvent, obj: dict[str, Any], settings: Settings
) -> None:
    handler = {
        "checkout.session.completed": _checkout_completed,
        "payment_intent.payment_failed": _payment_failed,
        "charge.refunded": _charge_refunded,
    }.get(event.type)
    if handler is None:
        webhooks.finish(session, event, WebhookStatus.ignored, "event type not handled")
        return
    handler(session, event, obj, settings)


# --- checkout.session.completed --------------------------------------------------------------


@dataclass(frozen=True)
class _PaidSession:
    """What a paid Checkout Session says: the order it names and the money captured."""

    raw_order_id: str
    payment_intent: str
    checkout_session_id: str | None
    amount_minor: int
    currency: str


def _paid_session(obj: dict[str, Any]) -> _PaidSession | None:
    """The session's payment, or ``None`` unless it is paid and names an order."""
    raw_id = (obj.get("metadata") or {}).get("order_id") or obj.get("client_reference_id")
    intent = obj.get("payment_intent")
    if obj.get("payment_status") != "paid" or not raw_id or not intent:
        return None
    return _PaidSession(
        raw_order_id=str(raw_id),
        payment_intent=str(intent),
        checkout_session_id=obj.get("id"),
        amount_minor=int(obj.get("amount_total") or 0),
        currency=str(obj.get("currency") or ""),
    )


def _checkout_completed(
    session: Session, event: WebhookEvent, obj: dict[str, Any], settings: Settings
) -> None:
    paid = _paid_session(obj)
    if paid is None:
        webhooks.finish(session, event, WebhookStatus.ignored, "not a paid session for an order")
        return
    try:
        order_id = uuid.UUID(paid.raw_order_id)
    except ValueError:
        _ignore_unknown_order(session, event, paid, "ValueError")
        return
    captured = CardPaymentCaptured(
        webhook_event_id=event.id,
        order_id=order_id,
        payment_intent=paid.payment_intent,
        checkout_session_id=paid.checkout_session_id,
        amount_minor=paid.amount_minor,
        currency=paid.currency,
        fee_bps=settings.platform_fee_bps,
    )
    if not events.bus.handlers(CardPaymentCaptured):
        raise AssertionError("nobody credits card payments: market.shell.wiring.wire() not run")
    try:
        events.publish(session, captured)
    except PaymentNotCredited as refused:
        _not_credited(session, event, paid, refused, settings)
        return
    webhooks.finish(session, event, WebhookStatus.processed, f"order {order_id} paid")
    _replay_deferred(session, paid.payment_intent, settings)


def _ignore_unknown_order(
    session: Session, event: WebhookEvent, paid: _PaidSession, error_class: str
) -> None:
    log.warning(
        "stripe checkout names no order of ours; ignored",
        webhook_event_id=event.external_id,
        error_class=error_class,
    )
    webhooks.finish(session, event, WebhookStatus.ignored, f"unknown order {paid.raw_order_id}")


def _not_credited(
    session: Session,
    event: WebhookEvent,
    paid: _PaidSession,
    refused: PaymentNotCredited,
    settings: Settings,
) -> None:
    """The order's domain refused the payment: nothing to do, or money to give back."""
    if refused.error_class is not None:
        _ignore_unknown_order(session, event, paid, refused.error_class)
        return
    if refused.kind is None or refused.payee is None:
        webhooks.finish(session, event, WebhookStatus.ignored, refused.note)
        return
    payee = refused.payee
    # Captured money nobody was credited with: listed for an operator to refund.
    anomaly = anomalies.register(
        session,
        kind=refused.kind,
        order_id=payee.order_id,
        buyer_org_id=payee.buyer_org_id,
        dataset_id=payee.dataset_id,
        external_ref=paid.payment_intent,
        checkout_session_id=paid.checkout_session_id,
        amount_minor=paid.amount_minor,
        currency=paid.currency or payee.currency,
        order_status=payee.order_status,
        webhook_event_id=event.id,
    )
    where = f" (payment anomaly {anomaly.id})" if anomaly is not None else ""
    note = f"{refused.note}; needs a refund{where}"[:500]
    webhooks.finish(session, event, WebhookStatus.ignored, note)
    _replay_deferred(session, paid.payment_intent, settings)


def _replay_deferred(session: Session, intent: str, settings: Settings) -> None:
    """Events about this PaymentIntent that came before it was known (a refund first)."""
    for waiting in webhooks.deferred_for(session, STRIPE, intent):
        _dispatch(session, waiting, json.loads(waiting.payload)["data"]["object"], settings)


# --- payment_intent.payment_failed, charge.refunded ------------------------------------------


def _payment_failed(
    session: Session, event: WebhookEvent, obj: dict[str, Any], settings: Settings
) -> None:
    # The order stays awaiting payment (the buyer may try again); we keep the reason.
    error = (obj.get("last_payment_error") or {}).get("message") or "payment failed"
    webhooks.finish(session, event, WebhookStatus.processed, f"payment failed: {error}")


def _charge_refunded(
    session: Session, event: WebhookEvent, obj: dict[str, Any], settings: Settings
) -> None:
    intent = obj.get("payment_intent")
    payment = payments.by_reference(session, PaymentMethod.stripe, str(intent)) if intent else None
    anomaly = anomalies.by_reference(session, str(intent)) if intent and not payment else None
    if anomaly is not None:
        # The refund of a payment that was never credited: nothing to reverse in the ledger.
        closed = anomalies.refunded_on_stripe(
            session, anomaly, int(obj.get("amount_refunded") or 0), obj.get("id")
        )
        note = f"payment anomaly {anomaly.id} " + ("refunded" if closed else "unchanged")
        webhooks.finish(session, event, WebhookStatus.processed, note)
        return
    if payment is None:
        webhooks.finish(session, event, WebhookStatus.deferred, "payment not recorded yet")
        return
    booked = refunds.book_reported(session, payment, int(obj.get("amount_refunded") or 0))
    note = f"refunded {booked}" if booked else "refund already recorded"
    webhooks.finish(session, event, WebhookStatus.processed, note)
