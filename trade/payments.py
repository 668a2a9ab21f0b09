"""Paying for orders: Stripe Checkout and its webhooks, bank transfers recorded by an admin.

All paths meet in ``confirm_payment`` and ``refunds.apply_refund``, which move the order through the
state machine and post the ledger in the same transaction. Stripe webhooks are stored before
they act (``billing.webhooks``): a replay changes nothing, a refund that arrives before its
payment waits (``deferred``) and is applied when the payment is recorded, and refund amounts
are taken from Stripe's cumulative ``amount_refunded``, so refund events in any order credit
exactly what Stripe refunded.

Money captured but not credited (a second payment for a paid order, a payment after a
cancellation, a wrong amount, a payment under an emergency stop) is registered in
``billing.anomalies`` for an operator to refund or resolve. Refunds (an admin's, or Stripe's)
are booked by ``trade.refunds``. An overage invoice (``OrderKind.overage``) is paid
through the same paths; its payment settles the overage instead of granting an entitlement.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import Session

from accounts.principal import Principal
from billing import anomalies, gateway, ledger, payments, webhooks
from billing import overage as overage_accounts
from billing import service as billing
from billing.models import (
    AnomalyKind,
    Payment,
    PaymentMethod,
    SaleCategory,
    WebhookEvent,
    WebhookStatus,
)
from ground.config import Settings
from ground.errors import BadRequest, Conflict, NotFound
from ground.ops.logs import get_logger
from listings import service as listings
from trade import bookkeeping, overage, refunds, service, states, stops
from trade.models import Order, OrderKind, OrderStatus

log = get_logger(__name__)

S = OrderStatus
STRIPE = "stripe"


def confirm_payment(
    session: Session, order: Order, payment: Payment, settings: Settings, actor_id: uuid.UUID | None
) -> None:
    """``awaiting_payment -> paid -> active`` with the payment posted to the ledger; an
    overage invoice stays ``paid`` and settles its overage instead."""
    states.transition(session, order, S.paid, actor_id=actor_id, reason=payment.external_ref)
    bookkeeping.audit_money(
        session,
        "payment.received",
        order,
        actor_id,
        {
            "payment_id": str(payment.id),
            "method": str(payment.method),
            "external_ref": payment.external_ref,
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
        },
    )
    is_overage = order.kind is OrderKind.overage
    ledger.post_payment(
        session,
        payment,
        dataset_id=order.dataset_id,
        buyer_org_id=order.buyer_org_id,
        provider_org_id=bookkeeping.provider_of(session, order),
        fee_bps=settings.platform_fee_bps,
        category=SaleCategory.overage if is_overage else SaleCategory.plan,
    )
    if is_overage:
        overage.settle(session, order, actor_id=actor_id)
    else:
        service.activate(session, order, actor_id=actor_id)


def _check_amount(order: Order, amount_minor: int, currency: str) -> None:
    if currency.upper() != order.currency or amount_minor != order.price_minor:
        raise BadRequest(
            f"The payment ({amount_minor} {currency.upper()}) does not match the order's price "
            f"({order.price_minor} {order.currency}).",
            f"付款金额（{amount_minor} {currency.upper()}）与订单金额"
            f"（{order.price_minor} {order.currency}）不一致。",
        )


# --- Stripe ---------------------------------------------------------------------------------


def start_checkout(
    session: Session, buyer: Principal, order_id: uuid.UUID, settings: Settings
) -> tuple[Order, str | None]:
    """A Stripe Checkout Session for an order awaiting payment; its URL for the buyer."""
    order = service.get_order(session, buyer, order_id)
    states.check(order, S.paid)  # 409 unless the order is awaiting payment: no paying twice
    if order.price_minor == 0:
        raise Conflict("A free order needs no payment.", "免费订单无需付款。")
    stops.enforce_for_order(session, order, door=stops.Door.checkout, actor=buyer)
    plan = billing.plan_by_id(session, order.plan_id)
    dataset = listings.get_dataset(session, order.dataset_id)
    product = plan.name
    line = overage_accounts.invoice_of_order(session, order.id)
    if line is not None:
        product = f"{plan.name} — overage / 超额 {line.units} {plan.quota_unit}"
    checkout = gateway.create_checkout_session(
        settings,
        order_id=order.id,
        buyer_org_id=order.buyer_org_id,
        product_name=f"{dataset.title} — {product}",
        amount_minor=order.price_minor,
        currency=order.currency,
    )
    order.checkout_session_id = checkout.id
    session.add(order)
    session.flush()
    return order, checkout.url


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


def _checkout_completed(
    session: Session, event: WebhookEvent, obj: dict[str, Any], settings: Settings
) -> None:
    raw_id = (obj.get("metadata") or {}).get("order_id") or obj.get("client_reference_id")
    intent = obj.get("payment_intent")
    if obj.get("payment_status") != "paid" or not raw_id or not intent:
        webhooks.finish(session, event, WebhookStatus.ignored, "not a paid session for an order")
        return
    try:
        order = service.get_any_order(session, uuid.UUID(str(raw_id)), for_update=True)
    except (ValueError, NotFound) as exc:
        log.warning(
            "stripe checkout names no order of ours; ignored",
            webhook_event_id=event.external_id,
            error_class=type(exc).__name__,
        )
        webhooks.finish(session, event, WebhookStatus.ignored, f"unknown order {raw_id}")
        return
    amount, currency = int(obj.get("amount_total") or 0), str(obj.get("currency") or "")
    if payments.by_reference(session, PaymentMethod.stripe, str(intent)) is not None:
        webhooks.finish(session, event, WebhookStatus.ignored, "payment already recorded")
        return
    problem: tuple[AnomalyKind, str] | None = None
    if order.status is not S.awaiting_payment:
        # Paid twice (two sessions) or paid after cancelling: never credit it a second time.
        kind = AnomalyKind.order_not_payable
        if order.status in (S.paid, S.active, S.expired, S.refunded):
            kind = AnomalyKind.double_payment
        problem = kind, f"order is {order.status}; payment {intent} not credited"
    else:
        try:
            _check_amount(order, amount, currency)
            # Under the stop's scope lock until commit: a stop placed meanwhile waits for this
            # payment, then revokes what it activated.
            stops.enforce_for_order(session, order, door=stops.Door.card_payment, lock=True)
        except BadRequest as exc:
            log.warning("stripe payment does not match its order", order_id=str(order.id))
            problem = AnomalyKind.amount_mismatch, exc.detail
        except stops.EmergencyStopped as stopped:
            # The money was captured: kept out of the ledger and listed for a refund; the
            # order stays unpaid and grants nothing.
            problem = (
                AnomalyKind.emergency_stop,
                f"emergency stop {stopped.stop_id} covers the order; payment {intent} not credited",
            )
    if problem is not None:
        kind, why = problem
        # Captured money nobody was credited with: listed for an operator to refund.
        anomaly = anomalies.register(
            session,
            kind=kind,
            order_id=order.id,
            buyer_org_id=order.buyer_org_id,
            dataset_id=order.dataset_id,
            external_ref=str(intent),
            checkout_session_id=obj.get("id"),
            amount_minor=amount,
            currency=currency or order.currency,
            order_status=str(order.status),
            webhook_event_id=event.id,
        )
        where = f" (payment anomaly {anomaly.id})" if anomaly is not None else ""
        webhooks.finish(
            session, event, WebhookStatus.ignored, f"{why}; needs a refund{where}"[:500]
        )
        _replay_deferred(session, str(intent), settings)
        return
    payment = payments.record(
        session,
        order_id=order.id,
        method=PaymentMethod.stripe,
        external_ref=str(intent),
        amount_minor=amount,
        currency=order.currency,
    )
    confirm_payment(session, order, payment, settings, actor_id=None)
    webhooks.finish(session, event, WebhookStatus.processed, f"order {order.id} paid")
    _replay_deferred(session, str(intent), settings)


def _replay_deferred(session: Session, intent: str, settings: Settings) -> None:
    """Events about this PaymentIntent that came before it was known (a refund first)."""
    for waiting in webhooks.deferred_for(session, STRIPE, intent):
        _dispatch(session, waiting, json.loads(waiting.payload)["data"]["object"], settings)


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
    order = service.get_any_order(session, payment.order_id, for_update=True)
    already = ledger.refunded_total(session, payment.id)
    target = min(int(obj.get("amount_refunded") or 0), payment.amount_minor)
    if target <= already:
        webhooks.finish(session, event, WebhookStatus.processed, "refund already recorded")
        return
    refunds.apply_refund(
        session, order, payment, target - already, actor_id=None, reason="stripe refund"
    )
    webhooks.finish(session, event, WebhookStatus.processed, f"refunded {target - already}")


# --- Bank transfer ---------------------------------------------------------------------------


def record_bank_transfer(
    session: Session,
    admin: Principal,
    order_id: uuid.UUID,
    *,
    reference: str,
    amount_minor: int,
    currency: str,
    settings: Settings,
) -> Order:
    """An admin records a bank transfer that reached the platform's account."""
    order = service.get_any_order(session, order_id, for_update=True)
    states.check(order, S.paid)
    if order.price_minor == 0:
        raise Conflict("A free order needs no payment.", "免费订单无需付款。")
    _check_amount(order, amount_minor, currency)
    # Refused under an emergency stop: the admin sends the transfer back instead.
    stops.enforce_for_order(session, order, door=stops.Door.bank_transfer, actor=admin, lock=True)
    payment = payments.record(
        session,
        order_id=order.id,
        method=PaymentMethod.bank_transfer,
        external_ref=reference.strip(),
        amount_minor=amount_minor,
        currency=order.currency,
        recorded_by_id=admin.user_id,
    )
    confirm_payment(session, order, payment, settings, actor_id=admin.user_id)
    return order
