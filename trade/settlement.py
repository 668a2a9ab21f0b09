"""The order side of paying and refunding: which order money may be credited to, and what the
order does when it is (or when it goes back).

Billing owns the money (payments, the ledger, Stripe, anomalies, refunds); this module owns
the order's part of it and reacts to billing's events (subscribed in ``market.shell.wiring``):

- Paying: the buyer starts a Stripe Checkout (``start_checkout``); Stripe's paid session
  reaches billing's webhook, which publishes ``CardPaymentCaptured``: ``credit_card_payment``
  locks the order, checks it can take the money (or refuses, and billing lists the money for a
  refund), records the payment and confirms the order. An admin records a bank transfer
  (``record_bank_transfer``) through the same ``confirm_payment``: ``awaiting_payment -> paid ->
  active``, or an overage invoice settled.
- Refunding: an admin's refund (``refund_order``) is booked by ``billing.refunds``, as is a
  refund made on Stripe; each booked refund publishes ``PaymentRefunded``, on which
  ``take_back_refund`` takes back the refunded share of the quota (and of a sandbox pack's
  budget) and, once nothing paid is left, ends the order and revokes its entitlement.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from accounts.principal import Principal
from anonymize import accountant
from audit import service as audit
from billing import gateway, money, payments, refunds
from billing import overage as overage_accounts
from billing import service as billing
from billing.events import CardPaymentCaptured, Payee, PaymentNotCredited, PaymentRefunded
from billing.models import AnomalyKind, Payment, PaymentMethod, PlanKind, SaleCategory
from ground.config import Settings
from ground.errors import BadRequest, Conflict, NotFound
from ground.events import publish
from ground.ops.logs import get_logger
from listings import service as listings
from trade import events, quota_overage, service, states, stops
from trade.models import EntitlementStatus, Order, OrderKind, OrderStatus
from trade.repository import TradeRepository

log = get_logger(__name__)

S = OrderStatus


def confirm_payment(
    session: Session,
    order: Order,
    payment: Payment,
    *,
    fee_bps: int,
    actor_id: uuid.UUID | None,
) -> None:
    """``awaiting_payment -> paid -> active`` with the payment posted to the ledger; an
    overage invoice stays ``paid`` and settles its overage instead."""
    states.transition(session, order, S.paid, actor_id=actor_id, reason=payment.external_ref)
    is_overage = order.kind is OrderKind.overage
    payments.credit(
        session,
        payment,
        dataset_id=order.dataset_id,
        buyer_org_id=order.buyer_org_id,
        fee_bps=fee_bps,
        category=SaleCategory.overage if is_overage else SaleCategory.plan,
        actor_id=actor_id,
    )
    if is_overage:
        quota_overage.settle(session, order, actor_id=actor_id)
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


def credit_card_payment(session: Session, captured: CardPaymentCaptured) -> None:
    """Handler of ``CardPaymentCaptured``: credit the order, or refuse (``PaymentNotCredited``).

    The order's row is locked first, so of two payments for one order (two Checkout Sessions)
    exactly one is credited and the other is refused as a double payment."""
    try:
        order = service.get_any_order(session, captured.order_id, for_update=True)
    except NotFound as exc:
        raise PaymentNotCredited(
            f"unknown order {captured.order_id}", error_class=type(exc).__name__
        ) from exc
    intent = captured.payment_intent
    if payments.by_reference(session, PaymentMethod.stripe, intent) is not None:
        raise PaymentNotCredited("payment already recorded")
    _refuse_unless_payable(session, order, captured)
    payment = payments.record(
        session,
        order_id=order.id,
        method=PaymentMethod.stripe,
        external_ref=intent,
        amount_minor=captured.amount_minor,
        currency=order.currency,
    )
    confirm_payment(session, order, payment, fee_bps=captured.fee_bps, actor_id=None)


def _refuse_unless_payable(session: Session, order: Order, captured: CardPaymentCaptured) -> None:
    """Captured money the order cannot take: paid already or cancelled, a wrong amount, or an
    emergency stop on its buyer or dataset. Never credited a second time."""
    intent = captured.payment_intent
    if order.status is not S.awaiting_payment:
        # Paid twice (two sessions) or paid after cancelling: never credit it a second time.
        kind = AnomalyKind.order_not_payable
        if order.status in (S.paid, S.active, S.expired, S.refunded):
            kind = AnomalyKind.double_payment
        _refuse(order, kind, f"order is {order.status}; payment {intent} not credited")
    try:
        _check_amount(order, captured.amount_minor, captured.currency)
        # Under the stop's scope lock until commit: a stop placed meanwhile waits for this
        # payment, then revokes what it activated.
        stops.enforce_for_order(session, order, door=stops.Door.card_payment, lock=True)
    except BadRequest as exc:
        log.warning("stripe payment does not match its order", order_id=str(order.id))
        _refuse(order, AnomalyKind.amount_mismatch, exc.detail, cause=exc)
    except stops.EmergencyStopped as stopped:
        # The money was captured: kept out of the ledger and listed for a refund; the order
        # stays unpaid and grants nothing.
        why = f"emergency stop {stopped.stop_id} covers the order; payment {intent} not credited"
        _refuse(order, AnomalyKind.emergency_stop, why, cause=stopped)


def _refuse(order: Order, kind: AnomalyKind, why: str, *, cause: Exception | None = None) -> None:
    payee = Payee(
        order_id=order.id,
        buyer_org_id=order.buyer_org_id,
        dataset_id=order.dataset_id,
        currency=order.currency,
        order_status=str(order.status),
    )
    raise PaymentNotCredited(why, kind=kind, payee=payee) from cause


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
    confirm_payment(
        session, order, payment, fee_bps=settings.platform_fee_bps, actor_id=admin.user_id
    )
    return order


# --- Refunds ---------------------------------------------------------------------------------


def refund_order(
    session: Session,
    admin: Principal,
    order_id: uuid.UUID,
    *,
    amount_minor: int | None,
    reason: str,
    settings: Settings,
) -> Order:
    """Refund part or all of what was paid for an order (all of it by default): 409 unless
    the order may be refunded; the money side (what is left, Stripe, the ledger) is
    ``billing.refunds``, which locks the order's payments and then, through
    ``PaymentRefunded``, this order (``take_back_refund``)."""
    order = service.get_any_order(session, order_id)
    states.check(order, S.refunded)
    refunds.refund_order_payments(
        session,
        order_id=order.id,
        currency=order.currency,
        amount_minor=amount_minor,
        actor_id=admin.user_id,
        reason=reason,
        settings=settings,
    )
    return order


def take_back_refund(session: Session, refunded: PaymentRefunded) -> None:
    """Handler of ``PaymentRefunded``: take back the refunded share of what the order granted
    (and of a sandbox pack's budget); once everything paid is refunded, the order is
    ``refunded`` and its entitlement revoked (access ends with the money)."""
    order = service.get_any_order(session, refunded.order_id, for_update=True)
    take_back_share(
        session,
        order,
        refunded_before=refunded.refunded_before,
        refunded_after=refunded.refunded_after,
    )
    if refunded.paid_net == 0 and order.status is not S.refunded:
        reason = refunded.reason
        states.transition(session, order, S.refunded, actor_id=refunded.actor_id, reason=reason)
        service.end_entitlement(session, order, EntitlementStatus.revoked)


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
