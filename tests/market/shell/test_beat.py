"""The embedded mode runs the beat schedule in-process: entitlements expire without a broker."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from accounts.models import User
from billing.models import PlanKind
from ground.config import Settings
from ground.db import utcnow
from listings.models import Dataset
from market.shell.beat import EmbeddedBeat
from market.shell.worker import BEAT_SCHEDULE
from tests.fixtures.factories import activate_plan
from trade.models import EntitlementStatus


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_each_entry_runs_at_start_then_once_per_interval(settings: Settings) -> None:
    clock = _Clock()
    beat = EmbeddedBeat({"reset": {"task": "trade.reset_quotas", "schedule": 300.0}}, clock=clock)
    assert beat.tick() == ["trade.reset_quotas"]
    clock.now += 299
    assert beat.tick() == []
    clock.now += 1
    assert beat.tick() == ["trade.reset_quotas"]


def test_the_embedded_beat_expires_an_entitlement_past_its_validity(
    session: Session, settings: Settings, listed: Dataset, provider: User, buyer: User
) -> None:
    _order, entitlement = activate_plan(
        session, buyer, listed, provider, kind=PlanKind.api_quota, calls=5
    )
    entitlement.valid_until = utcnow() - timedelta(minutes=1)
    session.add(entitlement)
    session.commit()
    assert "trade.reset_quotas" in EmbeddedBeat(BEAT_SCHEDULE).tick()
    session.refresh(entitlement)
    assert entitlement.status is EntitlementStatus.expired


def test_a_failing_task_is_logged_and_the_beat_goes_on(settings: Settings, caplog: object) -> None:
    beat = EmbeddedBeat({"broken": {"task": "no.such.task", "schedule": 60.0}})
    assert beat.tick() == ["no.such.task"]
