"""Subscriptions reset their quota each month through the beat task; expiry ends access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from accounts.models import User
from billing.models import PlanKind
from ground.db import utcnow
from ground.errors import Forbidden, QuotaExhausted
from ground.worker import celery_app
from listings.models import Dataset
from market.shell.worker import BEAT_SCHEDULE
from tests.fixtures.factories import (
    activate_plan,
    principal_of,
)
from trade import service as trade
from trade import tasks
from trade.models import EntitlementStatus, OrderStatus


def test_the_beat_schedule_runs_the_reset_task() -> None:
    assert "trade.reset_quotas" in {e["task"] for e in BEAT_SCHEDULE.values()}


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    start = utcnow().replace(year=2027, month=1, day=31)
    assert trade.add_months(start, 1).day == 28
    assert trade.add_months(start, 12).year == 2028


def test_a_subscription_quota_resets_each_month_until_its_term_ends(
    session: Session, listed: Dataset, provider: User, buyer: User
) -> None:
    order, entitlement = activate_plan(
        session, buyer, listed, provider, kind=PlanKind.subscription, calls=2, term_months=2
    )
    me = principal_of(buyer)
    trade.consume(session, me, listed.id)
    trade.consume(session, me, listed.id)
    with pytest.raises(QuotaExhausted):
        trade.consume(session, me, listed.id)
    assert entitlement.period_ends_at is not None
    # The task body on the test's session; a run before the period ends does nothing.
    assert tasks.reset_quotas() == {"expired": 0, "reset": 0, "invoiced": 0}
    done = trade.expire_and_reset(session, entitlement.period_ends_at + timedelta(minutes=1))
    assert (done.expired, done.reset) == (0, 1)
    session.refresh(entitlement)
    assert entitlement.quota_remaining == 2
    assert entitlement.period_ends_at == entitlement.valid_until
    # A second run in the same period changes nothing.
    again = trade.expire_and_reset(session, entitlement.valid_until - timedelta(minutes=1))
    assert again.reset == 0
    # At the end of the term access ends.
    assert entitlement.valid_until is not None
    ended = trade.expire_and_reset(session, entitlement.valid_until + timedelta(seconds=1))
    assert ended.expired == 1
    session.refresh(entitlement)
    session.refresh(order)
    assert entitlement.status is EntitlementStatus.expired
    assert order.status is OrderStatus.expired
    with pytest.raises(Forbidden):
        trade.consume(session, me, listed.id)


def test_a_pack_past_its_validity_cannot_be_used_even_before_the_task_runs(
    session: Session, listed: Dataset, provider: User, buyer: User
) -> None:
    _order, entitlement = activate_plan(session, buyer, listed, provider, valid_days=1)
    entitlement.valid_until = utcnow() - timedelta(seconds=1)
    session.add(entitlement)
    session.flush()
    with pytest.raises(Forbidden):
        trade.consume(session, principal_of(buyer), listed.id)


def test_the_task_s_old_name_still_runs_the_same_work(session: Session) -> None:
    """A message queued as ``billing.reset_quotas`` before the upgrade runs the quota reset."""
    old_name = celery_app.tasks["billing.reset_quotas"]
    assert old_name.acks_late is True
    assert old_name() == {"expired": 0, "reset": 0, "invoiced": 0}
