"""Refunds: money back to the buyer, and the share of what it bought taken back.

An admin refunds part or all of an order (card payments through Stripe first); Stripe's
``charge.refunded`` webhook books refunds made on its side (``trade.payments``). Both
meet in ``apply_refund``: the ledger reverses the refunded part, the entitlement loses the
refunded share of its quota (``take_back_share``) and a sandbox pack its share of the budget;
a full refund ends the order and the entitlement.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from accounts.principal import Principal
from anonymize import accountant
from audit import service as audit
from billing import gateway, ledger, money, payments
from billing import service as billing
from billing.models import Payment, PaymentMethod, PlanKind
from ground.config import Settings
from ground.errors import BadRequest
from ground.events import publish
from trade import bookkeeping, events, service, states
from trade.models import EntitlementStatus, Order, OrderKind, OrderStatus
from trade.repository import TradeRepository

S = OrderStatus


def apply_refund(
    session: Session,
    order: Order,
    payment: Payment,
    amount_minor: int,
    *,
    actor_id: uuid.UUID | None,
    reason: str,
) -> None:
    """Post the refund and take back its share of the quota (and of a sandbox pack's budget);
    once everything paid is refunded, the order is ``refunded`` and its entitlement revoked
    (access ends with the money)."""
    refunded_before = ledger.refunded_of_order(session, order.id)
    bookkeeping.audit_money(
        session,
        "payment.refunded",
        order,
        actor_id,
        {
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
        dataset_id=order.dataset_id,
        buyer_org_id=order.buyer_org_id,
        provider_org_id=bookkeeping.provider_of(session, order),
        memo=reason,
    )
    take_back_share(
        session,
        order,
        refunded_before=refunded_before,
        refunded_after=refunded_before + amount_minor,
    )
    if ledger.paid_net(session, order.id) == 0 and order.status is not S.refunded:
        states.transition(session, order, S.refunded, actor_id=actor_id, reason=reason)
        service.end_entitlement(session, order, EntitlementStatus.revoked)


def refund_order(
    session: Session,
    admin: Principal,
    order_id: uuid.UUID,
    *,
    amount_minor: int | None,
    reason: str,
    settings: Settings,
) -> Order:
    """Refund part or all of what was paid for an order (all of it by default).

    A refund larger than what is left to refund is refused (400) and nothing changes. Card
    payments are refunded through Stripe first; the ``charge.refunded`` webhook that follows
    finds the refund already booked and changes nothing.
    """
    order = service.get_any_order(session, order_id, for_update=True)
    states.check(order, S.refunded)
    paid = [p for p in payments.of_order(session, order.id) if payments.refundable(session, p) > 0]
    left = sum(payments.refundable(session, p) for p in paid)
    amount = left if amount_minor is None else amount_minor
    if amount <= 0:
        raise BadRequest("A refund must be more than 0.", "退款金额必须大于 0。")
    if amount > left:
        raise BadRequest(
            f"Cannot refund {amount}: only {left} {order.currency} of this order is refundable.",
            f"无法退款 {amount}：该订单可退金额仅为 {left} {order.currency}。",
        )
    for payment in paid:
        if amount == 0:
            break
        part = min(amount, payments.refundable(session, payment))
        if payment.method is PaymentMethod.stripe:
            gateway.refund(
                settings,
                payment_intent=payment.external_ref,
                amount_minor=part,
                order_id=str(order.id),
            )
        apply_refund(session, order, payment, part, actor_id=admin.user_id, reason=reason)
        amount -= part
    return order


def take_back_share(
    session: Session, order: Order, *, refunded_before: int, refunded_after: int
) -> None:
    """A refund takes back its share of what the order granted, in one atomic UPDATE.

    The share is of the quota *granted* (not of what is left): after refunds totalling R of a
    price P, the buyer keeps ``floor(granted * (P - R) / P)`` units per period, less what was
    already used, never below zero (``money.refunded_share`` rounds what is taken back up, so
    the buyer never keeps more than was paid for). Cumulative amounts make the result of
    several partial refunds equal to that of one refund of their sum, and a replayed refund
    (same cumulative amount) takes nothing more. Units already used are not clawed back. A
    sandbox pack gives back its share of ε, δ and queries the same way (the sandbox keeps
    what was already spent).
    """
    entitlement = service.entitlement_of(session, order)
    if entitlement is None or order.kind is not OrderKind.purchase or order.price_minor == 0:
        return
    plan = billing.plan_by_id(session, order.plan_id)

    def taken(total: int) -> int:
        after = money.refunded_share(total, refunded_after, order.price_minor)
        return after - money.refunded_share(total, refunded_before, order.price_minor)

    repo = TradeRepository(session)
    units = taken(service.granted_quota(plan, order))
    quota_total, quota_remaining = repo.reduce_quota(entitlement.id, units)
    details: dict[str, object] = {
        "order_id": str(order.id),
        "refunded_minor": refunded_after,
        "price_minor": order.price_minor,
        "units_taken_back": units,
        "quota_total": quota_total,
        "quota_remaining": quota_remaining,
    }
    if plan.kind is PlanKind.sandbox_pack:
        eps_units = accountant.epsilon_to_units(plan.epsilon or 0.0)
        delta_units = accountant.delta_to_units(plan.delta or 0.0)
        kept_eps = eps_units - money.refunded_share(eps_units, refunded_after, order.price_minor)
        kept_delta = delta_units - money.refunded_share(
            delta_units, refunded_after, order.price_minor
        )
        repo.set_budget(
            entitlement.id,
            accountant.epsilon_from_units(kept_eps),
            accountant.delta_from_units(kept_delta),
        )
        event = events.SandboxPackRefunded(
            order_id=order.id,
            entitlement_id=entitlement.id,
            buyer_org_id=order.buyer_org_id,
            dataset_id=order.dataset_id,
            epsilon_units=taken(eps_units),
            delta_units=taken(delta_units),
            queries=units,
        )
        publish(session, event)
        details |= {"epsilon_units_taken_back": event.epsilon_units, "queries_taken_back": units}
    session.refresh(entitlement)
    audit.record(
        session,
        "entitlement.reduced",
        actor=None,
        dataset_id=entitlement.dataset_id,
        subject_id=entitlement.id,
        details=details,
    )
