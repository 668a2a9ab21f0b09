"""What every money movement on an order does besides moving: name the provider it is owed
to, and leave an audit record in the transaction that books it."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from billing import payments
from listings import service as listings
from trade.models import Order


def provider_of(session: Session, order: Order) -> uuid.UUID:
    return listings.get_dataset(session, order.dataset_id).provider_org_id


def audit_money(
    session: Session,
    action: str,
    order: Order,
    actor_id: uuid.UUID | None,
    details: dict[str, object],
) -> None:
    payments.audit_money(
        session,
        action,
        dataset_id=order.dataset_id,
        order_id=order.id,
        actor_id=actor_id,
        details=details,
    )
