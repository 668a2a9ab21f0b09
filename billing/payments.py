"""Payment records: money received for an order, unique per (method, external reference), and
crediting one (its audit record and its ledger transaction).

The order a payment is for belongs to ``trade``: it records and credits the payment once it
has checked and locked the order (``trade.settlement``), and moves the order on.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from audit import service as audit
from billing import ledger
from billing.models import Payment, PaymentMethod, SaleCategory
from billing.repository import PaymentRepository
from ground.errors import Conflict
from listings import service as listings


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


def credit(
    session: Session,
    payment: Payment,
    *,
    dataset_id: uuid.UUID,
    buyer_org_id: uuid.UUID,
    fee_bps: int,
    category: SaleCategory,
    actor_id: uuid.UUID | None,
) -> None:
    """The payment is received: audited, then posted to the ledger with the platform's fee
    and the dataset's provider's share."""
    audit_money(
        session,
        "payment.received",
        dataset_id=dataset_id,
        order_id=payment.order_id,
        actor_id=actor_id,
        details={
            "payment_id": str(payment.id),
            "method": str(payment.method),
            "external_ref": payment.external_ref,
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
        },
    )
    ledger.post_payment(
        session,
        payment,
        dataset_id=dataset_id,
        buyer_org_id=buyer_org_id,
        provider_org_id=listings.get_dataset(session, dataset_id).provider_org_id,
        fee_bps=fee_bps,
        category=category,
    )


def by_reference(session: Session, method: PaymentMethod, external_ref: str) -> Payment | None:
    return PaymentRepository(session).by_reference(method, external_ref)


def of_order(session: Session, order_id: uuid.UUID) -> list[Payment]:
    return PaymentRepository(session).of_order(order_id)


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
