"""Usage reports as people see them: per UTC day and dataset, scoped by who is asking.

A buyer sees its own organization's use, a provider the use of its datasets, an admin
everything. The API's ``GET /usage`` and the console's charts both call ``usage_report``, so
the two can never disagree about whose usage a person may see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from accounts.models import Role
from accounts.principal import Principal
from billing import metering, overage
from billing.schemas import UsageDay, UsageReport
from ground.errors import BadRequest

DEFAULT_DAYS = 30
MAX_DAYS = 366


def usage_report(
    session: Session,
    principal: Principal,
    *,
    since: date | None = None,
    until: date | None = None,
    dataset_id: uuid.UUID | None = None,
) -> UsageReport:
    """Usage between ``since`` and ``until`` inclusive (default: the last 30 days)."""
    until = until or datetime.now(UTC).date()
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until or (until - since).days >= MAX_DAYS:
        raise BadRequest(
            "since must not be after until, and the range is at most 366 days.",
            "since 不能晚于 until，且时间范围最多 366 天。",
        )
    scope: dict[str, uuid.UUID] = {}
    if principal.role is Role.buyer:
        scope["buyer_org_id"] = principal.org_id
    elif principal.role is Role.provider:
        scope["provider_org_id"] = principal.org_id
    rows = metering.usage_by_day(session, since=since, until=until, dataset_id=dataset_id, **scope)
    days = [UsageDay(**vars(r)) for r in rows]
    totals: dict[uuid.UUID, UsageDay] = {}
    for r in rows:
        t = totals.setdefault(
            r.dataset_id,
            UsageDay(day=since, dataset_id=r.dataset_id, calls=0, units=0, rows=0, epsilon=0),
        )
        t.calls += r.calls
        t.units += r.units
        t.rows += r.rows
        t.epsilon += r.epsilon
        t.overage_units += r.overage_units
        for currency, amount in r.overage_minor.items():
            t.overage_minor[currency] = t.overage_minor.get(currency, 0) + amount
    owed = overage.owed(session, dataset_id=dataset_id, **scope)
    return UsageReport(
        since=since,
        until=until,
        days=days,
        totals_by_dataset=list(totals.values()),
        overage_owed=owed,
    )


@dataclass
class DayTotal:
    day: date
    calls: int = 0
    units: int = 0
    rows: int = 0
    epsilon: float = 0.0


def daily_totals(report: UsageReport) -> list[DayTotal]:
    """One entry per day of the report's range, all datasets summed and days without use at
    zero: the series a chart of use over time plots."""
    span = (report.until - report.since).days + 1
    totals = {
        report.since + timedelta(days=n): DayTotal(report.since + timedelta(days=n))
        for n in range(span)
    }
    for used in report.days:
        total = totals[used.day]
        total.calls += used.calls
        total.units += used.units
        total.rows += used.rows
        total.epsilon += used.epsilon
    return list(totals.values())
