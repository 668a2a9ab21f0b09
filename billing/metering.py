"""Metering: one usage event per data API call or sandbox query, and reports over them.

``record_usage`` is the one entry point: the data API calls it after charging the quota, in the
same transaction, so a call that is rolled back leaves no usage behind and a charged call is
always metered. The sandbox (another domain) calls it with the ε and δ a query spent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from billing.models import UsageEvent, UsageKind
from billing.repository.usage import UsageRepository, as_date


def record_usage(
    session: Session,
    *,
    buyer_org_id: uuid.UUID,
    dataset_id: uuid.UUID,
    provider_org_id: uuid.UUID,
    kind: UsageKind,
    units: int,
    rows: int = 0,
    epsilon: float = 0.0,
    delta: float = 0.0,
    entitlement_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
    overage_units: int = 0,
    overage_minor: int = 0,
    currency: str | None = None,
) -> UsageEvent:
    if min(units, rows, epsilon, delta, overage_units, overage_minor) < 0:
        raise ValueError("usage cannot be negative")
    if overage_units > units or (overage_units > 0) != (currency is not None):
        raise ValueError("overage is a part of the units, in a currency")
    event = UsageEvent(
        buyer_org_id=buyer_org_id,
        dataset_id=dataset_id,
        provider_org_id=provider_org_id,
        kind=kind,
        units=units,
        rows=rows,
        epsilon=epsilon,
        delta=delta,
        entitlement_id=entitlement_id,
        user_id=user_id,
        api_key_id=api_key_id,
        overage_units=overage_units,
        overage_minor=overage_minor,
        currency=currency,
    )
    session.add(event)
    session.flush()
    return event


@dataclass
class UsageSum:
    day: date
    dataset_id: uuid.UUID
    calls: int
    units: int
    rows: int
    epsilon: float
    overage_units: int = 0
    # What the overage units cost, per currency (a dataset may sell plans in several).
    overage_minor: dict[str, int] = field(default_factory=dict)


def usage_by_day(
    session: Session,
    *,
    since: date,
    until: date,
    buyer_org_id: uuid.UUID | None = None,
    provider_org_id: uuid.UUID | None = None,
    dataset_id: uuid.UUID | None = None,
) -> list[UsageSum]:
    """Usage per UTC day and dataset between ``since`` and ``until`` inclusive."""
    start = datetime.combine(since, time.min, tzinfo=UTC)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
    rows = UsageRepository(session).by_day(
        start=start,
        end=end,
        buyer_org_id=buyer_org_id,
        provider_org_id=provider_org_id,
        dataset_id=dataset_id,
    )
    # One row per currency of overage (NULL: calls within the quota), merged per day and dataset.
    sums: dict[tuple[date, uuid.UUID], UsageSum] = {}
    for d, ds, currency, n, u, r, e, ou, om in rows:
        key = (as_date(d), ds)
        total = sums.setdefault(key, UsageSum(key[0], ds, 0, 0, 0, 0.0))
        total.calls += int(n)
        total.units += int(u or 0)
        total.rows += int(r or 0)
        total.epsilon += float(e or 0)
        total.overage_units += int(ou or 0)
        if currency is not None:
            total.overage_minor[currency] = total.overage_minor.get(currency, 0) + int(om or 0)
    return list(sums.values())


@dataclass(frozen=True)
class EntitlementUsage:
    calls: int
    units: int
    rows: int
    epsilon: float
    delta: float


def usage_of_entitlement(session: Session, entitlement_id: uuid.UUID) -> EntitlementUsage:
    return usage_by_entitlement(session, [entitlement_id]).get(
        entitlement_id, EntitlementUsage(0, 0, 0, 0.0, 0.0)
    )


@dataclass(frozen=True)
class ConsumerUsage:
    buyer_org_id: uuid.UUID
    events: int
    units: int
    rows: int
    epsilon: float
    delta: float


def usage_by_buyer(session: Session, *, since: datetime, until: datetime) -> list[ConsumerUsage]:
    """Each buyer's metered use in ``[since, until)``, heaviest first (by quota units)."""
    return [
        ConsumerUsage(org, int(n), int(u), int(r), float(e), float(d))
        for org, n, u, r, e, d in UsageRepository(session).by_buyer(since=since, until=until)
    ]


def usage_by_entitlement(
    session: Session, entitlement_ids: list[uuid.UUID]
) -> dict[uuid.UUID, EntitlementUsage]:
    """What each entitlement used, in one grouped query."""
    if not entitlement_ids:
        return {}
    return {
        ent: EntitlementUsage(int(n), int(u), int(r), float(e), float(d))
        for ent, n, u, r, e, d in UsageRepository(session).by_entitlement(entitlement_ids)
    }
