"""Queries on plans."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from billing.models import Plan


class PlanRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_dataset(self, dataset_id: uuid.UUID, *, include_inactive: bool = False) -> list[Plan]:
        """A dataset's plans, cheapest first (then oldest)."""
        stmt = select(Plan).where(Plan.dataset_id == dataset_id)
        if not include_inactive:
            stmt = stmt.where(col(Plan.is_active))
        stmt = stmt.order_by(col(Plan.price_minor), col(Plan.created_at))
        return list(self.session.exec(stmt).all())

    def get(self, plan_id: uuid.UUID) -> Plan | None:
        return self.session.get(Plan, plan_id)

    def delete(self, plan: Plan) -> None:
        self.session.delete(plan)
