"""Queries on payments, payment anomalies and stored webhook events."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, func, select

from billing.models import (
    AnomalyStatus,
    Payment,
    PaymentAnomaly,
    PaymentMethod,
    WebhookEvent,
    WebhookStatus,
)


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- payments ---

    def by_reference(self, method: PaymentMethod, external_ref: str) -> Payment | None:
        stmt = select(Payment).where(Payment.method == method, Payment.external_ref == external_ref)
        return self.session.exec(stmt).first()

    def of_order(self, order_id: uuid.UUID) -> list[Payment]:
        stmt = select(Payment).where(Payment.order_id == order_id).order_by(col(Payment.created_at))
        return list(self.session.exec(stmt).all())

    def lock_of_order(self, order_id: uuid.UUID) -> list[Payment]:
        """The order's payments, oldest first, locked until the unit of work ends (read as
        stored now): what serializes refunds of one order."""
        stmt = (
            select(Payment)
            .where(Payment.order_id == order_id)
            .order_by(col(Payment.created_at), col(Payment.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(self.session.exec(stmt).all())

    # --- anomalies ---

    def anomaly_by_reference(self, external_ref: str) -> PaymentAnomaly | None:
        stmt = select(PaymentAnomaly).where(
            PaymentAnomaly.method == PaymentMethod.stripe,
            PaymentAnomaly.external_ref == external_ref,
        )
        return self.session.exec(stmt).first()

    def anomaly(self, anomaly_id: uuid.UUID, *, for_update: bool = False) -> PaymentAnomaly | None:
        stmt = select(PaymentAnomaly).where(PaymentAnomaly.id == anomaly_id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.exec(stmt).first()

    def anomalies(
        self, *, status: AnomalyStatus | None, limit: int, offset: int
    ) -> tuple[list[PaymentAnomaly], int]:
        """A page of anomalies, newest first, and how many there are in all."""
        where = [] if status is None else [PaymentAnomaly.status == status]
        total = self.session.exec(
            select(func.count()).select_from(PaymentAnomaly).where(*where)
        ).one()
        rows = self.session.exec(
            select(PaymentAnomaly)
            .where(*where)
            .order_by(col(PaymentAnomaly.detected_at).desc(), col(PaymentAnomaly.id))
            .limit(limit)
            .offset(offset)
        ).all()
        return list(rows), total

    # --- webhook events ---

    def deferred_events(self, source: str, reference: str) -> list[WebhookEvent]:
        """Events that arrived before the payment they refer to, oldest first."""
        stmt = (
            select(WebhookEvent)
            .where(
                WebhookEvent.source == source,
                WebhookEvent.reference == reference,
                WebhookEvent.status == WebhookStatus.deferred,
            )
            .order_by(col(WebhookEvent.received_at))
        )
        return list(self.session.exec(stmt).all())
