"""Webhook events, stored by (source, external_id) before anything acts on them.

The unique constraint is the idempotency guarantee: a replayed event fails to insert (inside a
savepoint, so the request's transaction survives) and is answered without acting again, even
when two deliveries of the same event race each other.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from billing.models import WebhookEvent, WebhookStatus
from billing.repository import PaymentRepository
from ground.db import utcnow
from ground.ops.logs import get_logger

log = get_logger(__name__)


def store(
    session: Session,
    *,
    source: str,
    external_id: str,
    type_: str,
    reference: str | None,
    payload: str,
) -> WebhookEvent | None:
    """The stored event, or ``None`` if this (source, id) was stored before (a replay)."""
    event = WebhookEvent(
        source=source, external_id=external_id, type=type_, reference=reference, payload=payload
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        log.info("webhook replay ignored", source=source, external_id=external_id, type=type_)
        return None
    return event


def finish(session: Session, event: WebhookEvent, status: WebhookStatus, note: str = "") -> None:
    event.status = status
    event.note = note[:500]
    event.processed_at = utcnow()
    session.add(event)
    session.flush()


def deferred_for(session: Session, source: str, reference: str) -> list[WebhookEvent]:
    """Events that arrived before the payment they refer to, oldest first."""
    return PaymentRepository(session).deferred_events(source, reference)
