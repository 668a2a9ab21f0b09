"""Queries on metered usage events: sums per day, buyer, entitlement, and a provider's month."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, cast, func, literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from billing.models import UsageEvent


class UsageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _day_column(self) -> Any:  # a SQL expression of either dialect
        # Days are UTC days on both backends: PostgreSQL converts the timestamptz explicitly,
        # SQLite stores the UTC text the UTCDateTime type wrote.
        if self.session.get_bind().dialect.name == "postgresql":
            return cast(func.timezone(literal_column("'UTC'"), UsageEvent.created_at), Date)
        return func.date(UsageEvent.created_at)

    def by_day(
        self,
        *,
        start: datetime,
        end: datetime,
        buyer_org_id: uuid.UUID | None = None,
        provider_org_id: uuid.UUID | None = None,
        dataset_id: uuid.UUID | None = None,
    ) -> Sequence[Any]:
        """``(day, dataset, currency, calls, units, rows, ε, overage units, overage minor)``
        per UTC day, dataset and overage currency (NULL: calls within the quota)."""
        day = self._day_column().label("day")
        stmt = sa_select(
            day,
            col(UsageEvent.dataset_id),
            col(UsageEvent.currency),
            func.count(),
            func.sum(UsageEvent.units),
            func.sum(UsageEvent.rows),
            func.sum(UsageEvent.epsilon),
            func.sum(UsageEvent.overage_units),
            func.sum(UsageEvent.overage_minor),
        ).where(col(UsageEvent.created_at) >= start, col(UsageEvent.created_at) < end)
        if buyer_org_id is not None:
            stmt = stmt.where(col(UsageEvent.buyer_org_id) == buyer_org_id)
        if provider_org_id is not None:
            stmt = stmt.where(col(UsageEvent.provider_org_id) == provider_org_id)
        if dataset_id is not None:
            stmt = stmt.where(col(UsageEvent.dataset_id) == dataset_id)
        stmt = stmt.group_by(day, col(UsageEvent.dataset_id), col(UsageEvent.currency)).order_by(
            day, col(UsageEvent.dataset_id)
        )
        return self.session.execute(stmt).all()

    def by_buyer(self, *, since: datetime, until: datetime) -> Sequence[Any]:
        """``(buyer org, events, units, rows, ε, δ)`` in ``[since, until)``, heaviest first."""
        units = func.coalesce(func.sum(UsageEvent.units), 0)
        stmt = (
            sa_select(
                col(UsageEvent.buyer_org_id),
                func.count(),
                units,
                func.coalesce(func.sum(UsageEvent.rows), 0),
                func.coalesce(func.sum(UsageEvent.epsilon), 0.0),
                func.coalesce(func.sum(UsageEvent.delta), 0.0),
            )
            .where(col(UsageEvent.created_at) >= since, col(UsageEvent.created_at) < until)
            .group_by(col(UsageEvent.buyer_org_id))
            .order_by(units.desc())
        )
        return self.session.execute(stmt).all()

    def by_entitlement(self, entitlement_ids: list[uuid.UUID]) -> Sequence[Any]:
        """``(entitlement, events, units, rows, ε, δ)`` of each entitlement, in one query."""
        stmt = (
            sa_select(
                col(UsageEvent.entitlement_id),
                func.count(),
                func.coalesce(func.sum(UsageEvent.units), 0),
                func.coalesce(func.sum(UsageEvent.rows), 0),
                func.coalesce(func.sum(UsageEvent.epsilon), 0.0),
                func.coalesce(func.sum(UsageEvent.delta), 0.0),
            )
            .where(col(UsageEvent.entitlement_id).in_(entitlement_ids))
            .group_by(col(UsageEvent.entitlement_id))
        )
        return self.session.execute(stmt).all()

    @staticmethod
    def _of_provider(provider_org_id: uuid.UUID, start: datetime, end: datetime) -> tuple[Any, ...]:
        return (
            col(UsageEvent.provider_org_id) == provider_org_id,
            col(UsageEvent.created_at) >= start,
            col(UsageEvent.created_at) < end,
        )

    def provider_calls(
        self, provider_org_id: uuid.UUID, start: datetime, end: datetime
    ) -> dict[uuid.UUID, tuple[int, int]]:
        """``{dataset: (calls, rows)}`` on the provider's datasets in ``[start, end)``."""
        rows = self.session.exec(
            select(UsageEvent.dataset_id, func.count(), func.sum(UsageEvent.rows))
            .where(*self._of_provider(provider_org_id, start, end))
            .group_by(col(UsageEvent.dataset_id))
        ).all()
        return {ds: (int(n), int(r or 0)) for ds, n, r in rows}

    def provider_overage(
        self, provider_org_id: uuid.UUID, start: datetime, end: datetime
    ) -> Sequence[Any]:
        """``(dataset, currency, overage units, overage minor)`` accrued in ``[start, end)``."""
        return self.session.exec(
            select(
                UsageEvent.dataset_id,
                UsageEvent.currency,
                func.sum(UsageEvent.overage_units),
                func.sum(UsageEvent.overage_minor),
            )
            .where(
                *self._of_provider(provider_org_id, start, end),
                col(UsageEvent.currency).is_not(None),
            )
            .group_by(col(UsageEvent.dataset_id), col(UsageEvent.currency))
        ).all()


def as_date(value: object) -> date:
    """A day column's value as a date (SQLite returns text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
