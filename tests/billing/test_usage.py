"""Usage reports scoped by role, the daily series charts plot, and the months of revenue."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlmodel import Session

from accounts.models import Role, User
from billing import metering
from billing.models import UsageKind
from billing.schemas import UsageDay, UsageReport
from billing.statements import recent_months, revenue_by_month
from billing.usage import daily_totals, usage_report
from ground.errors import BadRequest
from listings.models import Dataset
from tests.fixtures.factories import create_user, principal_of


def test_recent_months_cross_the_year_oldest_first() -> None:
    assert recent_months(date(2026, 1, 15), 3) == ["2025-11", "2025-12", "2026-01"]


def test_daily_totals_fill_every_day_and_sum_datasets() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    report = UsageReport(
        since=date(2026, 11, 1),
        until=date(2026, 11, 3),
        days=[
            UsageDay(day=date(2026, 11, 1), dataset_id=a, calls=2, units=2, rows=20, epsilon=0),
            UsageDay(day=date(2026, 11, 1), dataset_id=b, calls=1, units=1, rows=5, epsilon=0.5),
            UsageDay(day=date(2026, 11, 3), dataset_id=a, calls=4, units=4, rows=8, epsilon=0),
        ],
        totals_by_dataset=[],
    )
    totals = daily_totals(report)
    assert [(t.day.day, t.calls, t.rows) for t in totals] == [(1, 3, 25), (2, 0, 0), (3, 4, 8)]
    assert totals[0].epsilon == 0.5


def test_each_role_sees_its_own_usage_only(
    session: Session, listed: Dataset, provider: User, buyer: User
) -> None:
    other_buyer = create_user(session, role=Role.buyer)
    for who in (buyer, buyer, other_buyer):
        metering.record_usage(
            session,
            buyer_org_id=who.organization_id,
            dataset_id=listed.id,
            provider_org_id=provider.organization_id,
            kind=UsageKind.api_call,
            units=1,
        )

    def calls(user: User) -> int:
        return sum(d.calls for d in usage_report(session, principal_of(user)).days)

    assert calls(buyer) == 2
    assert calls(provider) == 3
    assert calls(create_user(session, role=Role.provider)) == 0


def test_a_range_over_a_year_is_refused(session: Session, buyer: User) -> None:
    with pytest.raises(BadRequest):
        usage_report(session, principal_of(buyer), since=date(2025, 1, 1), until=date(2026, 1, 2))


def test_no_sales_means_no_revenue_series(session: Session, provider: User) -> None:
    assert revenue_by_month(session, provider.organization_id, ["2026-10", "2026-11"]) == {}
