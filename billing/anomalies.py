"""Payment anomalies: money Stripe captured that no order was credited with.

A buyer can pay an order twice (two Checkout Sessions completed), pay after the order was
cancelled, pay an amount that is not the order's price, or pay while an emergency stop covers
the order's buyer or dataset (``trade.stops``). None of these is credited (the
order and the ledger are untouched); each is registered here when its webhook arrives, for an
admin to act on:

- ``refund``: give the money back through the real Stripe client. The idempotency key is the
  anomaly's id, so a retry (after a timeout, or after our transaction failed once Stripe had
  refunded) gets Stripe's first refund back instead of a second one.
- ``resolve``: settled otherwise (refunded outside Stripe, or the buyer agreed to something
  else), with a note.

Both lock the anomaly's row, are idempotent (repeating the action that closed it returns it
unchanged and records nothing), refuse the other action on a closed anomaly (409), and write
an audit record in the same transaction. A refund made from Stripe's dashboard closes the
anomaly too, when its ``charge.refunded`` webhook arrives.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from accounts.principal import Principal
from billing import gateway, payments
from billing.models import AnomalyKind, AnomalyStatus, PaymentAnomaly, PaymentMethod
from billing.repository import PaymentRepository
from ground.config import Settings
from ground.db import utcnow
from ground.errors import Conflict, NotFound
from ground.ops.logs import get_logger

log = get_logger(__name__)


def register(
    session: Session,
    *,
    kind: AnomalyKind,
    order_id: uuid.UUID,
    buyer_org_id: uuid.UUID,
    dataset_id: uuid.UUID,
    external_ref: str,
    checkout_session_id: str | None,
    amount_minor: int,
    currency: str,
    order_status: str,
    webhook_event_id: uuid.UUID | None,
) -> PaymentAnomaly | None:
    """Register an uncredited payment; ``None`` if that payment was registered before."""
    anomaly = PaymentAnomaly(
        kind=kind,
        order_id=order_id,
        buyer_org_id=buyer_org_id,
        dataset_id=dataset_id,
        method=PaymentMethod.stripe,
        external_ref=external_ref,
        checkout_session_id=checkout_session_id,
        amount_minor=amount_minor,
        currency=currency.upper(),
        order_status=order_status,
        webhook_event_id=webhook_event_id,
    )
    try:
        with session.begin_nested():
            session.add(anomaly)
    except IntegrityError:
        # Registered before (a replayed webhook): the first registration stands.
        log.info("payment anomaly already registered", kind=str(kind), order_id=str(order_id))
        return None
    _audit(session, "payment.anomaly_detected", anomaly, None, {"kind": str(kind)})
    return anomaly


def by_reference(session: Session, external_ref: str) -> PaymentAnomaly | None:
    return PaymentRepository(session).anomaly_by_reference(external_ref)


def get(session: Session, anomaly_id: uuid.UUID, *, for_update: bool = False) -> PaymentAnomaly:
    anomaly = PaymentRepository(session).anomaly(anomaly_id, for_update=for_update)
    if anomaly is None:
        raise NotFound("Payment anomaly not found.", "支付异常记录不存在。")
    return anomaly


def list_anomalies(
    session: Session, *, status: AnomalyStatus | None, limit: int, offset: int
) -> tuple[list[PaymentAnomaly], int]:
    return PaymentRepository(session).anomalies(status=status, limit=limit, offset=offset)


def _closed(anomaly: PaymentAnomaly, wanted: AnomalyStatus) -> bool:
    """True if already closed by the same action (repeat: nothing to do); 409 if by another."""
    if anomaly.status is AnomalyStatus.open:
        return False
    if anomaly.status is wanted:
        return True
    raise Conflict(
        f"This payment anomaly is already {anomaly.status}.",
        "该支付异常已处理（"
        + ("已退款" if anomaly.status is AnomalyStatus.refunded else "已标记解决")
        + "）。",
    )


def refund(
    session: Session, admin: Principal, anomaly_id: uuid.UUID, note: str, settings: Settings
) -> PaymentAnomaly:
    """Refund the uncredited payment in full through Stripe (once, whatever the retries)."""
    anomaly = get(session, anomaly_id, for_update=True)
    if _closed(anomaly, AnomalyStatus.refunded):
        return anomaly
    anomaly.refund_ref = gateway.refund(
        settings,
        payment_intent=anomaly.external_ref,
        amount_minor=anomaly.amount_minor,
        order_id=str(anomaly.order_id),
        idempotency_key=f"anomaly-refund-{anomaly.id}",
        metadata={"payment_anomaly_id": str(anomaly.id)},
    )
    _close(session, anomaly, AnomalyStatus.refunded, admin.user_id, note)
    _audit(
        session,
        "payment.anomaly_refunded",
        anomaly,
        admin.user_id,
        {"refund_ref": anomaly.refund_ref, "note": note},
    )
    return anomaly


def resolve(session: Session, admin: Principal, anomaly_id: uuid.UUID, note: str) -> PaymentAnomaly:
    """Close an anomaly settled some other way; the note says how."""
    anomaly = get(session, anomaly_id, for_update=True)
    if _closed(anomaly, AnomalyStatus.resolved):
        return anomaly
    _close(session, anomaly, AnomalyStatus.resolved, admin.user_id, note)
    _audit(session, "payment.anomaly_resolved", anomaly, admin.user_id, {"note": note})
    return anomaly


def refunded_on_stripe(
    session: Session, anomaly: PaymentAnomaly, amount_refunded: int, charge_id: str | None
) -> bool:
    """Stripe reports the payment refunded (our own refund, or one made on its dashboard);
    closes the anomaly if the whole amount went back. Whether it changed anything."""
    anomaly = get(session, anomaly.id, for_update=True)
    if anomaly.status is not AnomalyStatus.open or amount_refunded < anomaly.amount_minor:
        return False
    anomaly.refund_ref = charge_id
    _close(session, anomaly, AnomalyStatus.refunded, None, "refunded on Stripe")
    _audit(
        session,
        "payment.anomaly_refunded",
        anomaly,
        None,
        {"refund_ref": charge_id, "note": "refunded on Stripe"},
    )
    return True


def _close(
    session: Session,
    anomaly: PaymentAnomaly,
    status: AnomalyStatus,
    actor_id: uuid.UUID | None,
    note: str,
) -> None:
    anomaly.status = status
    anomaly.resolution_note = note[:1000]
    anomaly.resolved_by_id = actor_id
    anomaly.resolved_at = utcnow()
    session.add(anomaly)
    session.flush()


def _audit(
    session: Session,
    action: str,
    anomaly: PaymentAnomaly,
    actor_id: uuid.UUID | None,
    extra: dict[str, object],
) -> None:
    details = {
        "anomaly_id": str(anomaly.id),
        "external_ref": anomaly.external_ref,
        "amount_minor": anomaly.amount_minor,
        "currency": anomaly.currency,
    }
    payments.audit_money(
        session,
        action,
        dataset_id=anomaly.dataset_id,
        order_id=anomaly.order_id,
        actor_id=actor_id,
        details=details | extra,
    )
