"""Payment records: money received for an order, unique per (method, external reference)."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from audit import service as audit
from billing import ledger
from billing.models import Payment, PaymentMethod
from ground.errors import Conflict


def record(
    session: Session,
    *,
    order_id: uuid.UUID,
    method: PaymentMethod,
    external_ref: str,
    amount_minor: int,
    currency: str,
    recorded_by_id: uuid.UUID | None = None,
) -> Payment:
    """A new payment; 409 if that reference was already recorded (a bank reference is unique)."""
    payment = Payment(
        order_id=order_id,
        method=method,
        external_ref=external_ref,
        amount_minor=amount_minor,
        currency=currency,
        recorded_by_id=recorded_by_id,
    )
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError as exc:
        raise Conflict(
            f"A {method} payment with reference {external_ref!r} is already recorded.",
            f"参考号为 {external_ref!r} 的付款已登记过。",
        ) from exc
    return payment


def by_reference(session: Session, method: PaymentMethod, external_ref: str) -> Payment | None:
    stmt = select(Payment).where(Payment.method == method, Payment.external_ref == external_ref)
    return session.exec(stmt).first()


def of_order(session: Session, order_id: uuid.UUID) -> list[Payment]:
    stmt = select(Payment).where(Payment.order_id == order_id).order_by(col(Payment.created_at))
    return list(session.exec(stmt).all())


def refundable(session: Session, payment: Payment) -> int:
    return payment.amount_minor - ledger.refunded_total(session, payment.id)


def audit_money(
    session: Session,
    action: str,
    *,
    dataset_id: uuid.UUID,
    order_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    details: dict[str, object],
) -> None:
    """Every money movement lands in the audit log, in the transaction that books it, with the
    order it concerns as its subject."""
    audit.record(
        session,
        action,
        actor=None,
        actor_user_id=actor_id,
        dataset_id=dataset_id,
        subject_id=order_id,
        details=details,
    )
