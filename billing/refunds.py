"""Refunds: money back to the buyer, booked in the ledger, then announced.

An admin refunds part or all of an order (``trade.settlement.refund_order`` checks the order,
then calls ``refund_order_payments``; card payments are refunded through Stripe first);
Stripe's ``charge.refunded`` webhook books refunds made on its side
(``billing.stripe_webhooks``). Both meet in ``book``: an audit record, the ledger reversing
the refunded part, then a ``PaymentRefunded`` event on which ``trade`` takes back the refunded
share of what the order granted and ends the order once nothing paid is left.

Serialization: both paths lock the order's payment rows before reading what is left to refund
(``PaymentRepository.lock_of_order``), so concurrent refunds of one order (two admins, an admin
and Stripe) book one after the other and never refund more than was paid. The order and its
entitlement are locked after them, by the event's handler (payments, then order, then
entitlement: the same order on every refund path).
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from billing import events as billing_events
from billing import gateway, ledger, payments
from billing.models import Payment, PaymentMethod
from billing.repository import PaymentRepository
from ground import events
from ground.config import Settings
from ground.errors import BadRequest


def refundable(session: Session, payment: Payment) -> int:
    """What is left to refund of a payment (read now, under the caller's lock)."""
    return payment.amount_minor - ledger.refunded_total(session, payment.id)


def refund_order_payments(
    session: Session,
    *,
    order_id: uuid.UUID,
    currency: str,
    amount_minor: int | None,
    actor_id: uuid.UUID | None,
    reason: str,
    settings: Settings,
) -> None:
    """Refund ``amount_minor`` (all that is left by default) of an order's payments, oldest
    payment first.

    A refund larger than what is left to refund is refused (400) and nothing changes. Card
    payments are refunded through Stripe first; the ``charge.refunded`` webhook that follows
    finds the refund already booked and changes nothing.
    """
    locked = PaymentRepository(session).lock_of_order(order_id)
    paid = [p for p in locked if refundable(session, p) > 0]
    left = sum(refundable(session, p) for p in paid)
    amount = left if amount_minor is None else amount_minor
    if amount <= 0:
        raise BadRequest("A refund must be more than 0.", "退款金额必须大于 0。")
    if amount > left:
        raise BadRequest(
            f"Cannot refund {amount}: only {left} {currency} of this order is refundable.",
            f"无法退款 {amount}：该订单可退金额仅为 {left} {currency}。",
        )
    for payment in paid:
        if amount == 0:
            break
        part = min(amount, refundable(session, payment))
        if payment.method is PaymentMethod.stripe:
            gateway.refund(
                settings,
                payment_intent=payment.external_ref,
                amount_minor=part,
                order_id=str(order_id),
            )
        book(session, payment, part, actor_id=actor_id, reason=reason)
        amount -= part


def book_reported(session: Session, payment: Payment, amount_refunded: int) -> int:
    """Stripe reports ``amount_refunded`` of the payment refunded so far (cumulative): book
    what is not booked yet; how much that is (0 for a replay, or a refund booked already)."""
    PaymentRepository(session).lock_of_order(payment.order_id)
    already = ledger.refunded_total(session, payment.id)
    target = min(amount_refunded, payment.amount_minor)
    if target <= already:
        return 0
    book(session, payment, target - already, actor_id=None, reason="stripe refund")
    return target - already


def book(
    session: Session,
    payment: Payment,
    amount_minor: int,
    *,
    actor_id: uuid.UUID | None,
    reason: str,
) -> None:
    """Book a refund of ``amount_minor`` of ``payment`` (checked by the caller against what is
    left, under the payments' lock) and announce it to the order's domain."""
    sale = ledger.payment_transaction(session, payment)
    refunded_before = ledger.refunded_of_order(session, payment.order_id)
    payments.audit_money(
        session,
        "payment.refunded",
        dataset_id=sale.dataset_id,
        order_id=payment.order_id,
        actor_id=actor_id,
        details={
            "payment_id": str(payment.id),
            "amount_minor": amount_minor,
            "currency": payment.currency,
            "reason": reason,
        },
    )
    ledger.post_refund(
        session,
        payment,
        amount_minor,
        dataset_id=sale.dataset_id,
        buyer_org_id=sale.buyer_org_id,
        provider_org_id=sale.provider_org_id,
        memo=reason,
    )
    event = billing_events.PaymentRefunded(
        order_id=payment.order_id,
        payment_id=payment.id,
        amount_minor=amount_minor,
        refunded_before=refunded_before,
        refunded_after=refunded_before + amount_minor,
        paid_net=ledger.paid_net(session, payment.order_id),
        actor_id=actor_id,
        reason=reason,
    )
    events.publish(session, event)
