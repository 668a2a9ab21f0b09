"""Emergency stops racing each other and the payments and orders they must stop.

Compliance may stop a buyer while another reviewer stops a dataset that buyer uses: each
entitlement is revoked by exactly one stop. A stop placed while the buyer's payments arrive
and free orders are taken ends with every entitlement revoked or never granted. Real threads
and committed rows on PostgreSQL (SQLite serializes writers), with no deadlock.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, col, select

from accounts.models import Role, User
from audit.models import AuditRecord
from billing import stripe_webhooks
from billing.models import AnomalyKind, PaymentAnomaly
from billing.service import plans_for
from ground.config import Settings
from ground.db import unit_of_work
from listings.models import Dataset
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import (
    activate_plan,
    create_listed_dataset,
    create_org,
    create_plan,
    create_user,
    place_order,
    principal_of,
)
from tests.fixtures.stripe import checkout_completed, sign
from trade import revocation, stops
from trade import service as trade
from trade.models import EmergencyStop, Entitlement, EntitlementStatus, OrderStatus

DATASETS, BUYERS = 3, 3


def test_overlapping_emergency_stops_revoke_each_entitlement_once(
    committed_database: str, settings: Settings
) -> None:
    if not is_postgresql(committed_database):
        pytest.skip("the emergency-stop race needs PostgreSQL (set SLUICE_TEST_DATABASE_URL)")
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
        reviewer = create_user(session, role=Role.compliance)
        buyers = [
            create_user(session, role=Role.buyer, org=create_org(session)) for _ in range(BUYERS)
        ]
        datasets = []
        for _ in range(DATASETS):
            listed = create_listed_dataset(session, settings, provider=provider, reviewer=reviewer)
            for buyer in buyers:
                activate_plan(session, buyer, listed, provider, calls=10)
            datasets.append(listed.id)
        staff = principal_of(reviewer)
        buyer_orgs = [b.organization_id for b in buyers]
    scopes = [(org, None) for org in buyer_orgs] + [(None, ds) for ds in datasets]
    gate = threading.Barrier(len(scopes))

    def stop(scope: tuple[uuid.UUID | None, uuid.UUID | None]) -> tuple[str, int]:
        gate.wait(timeout=60)
        try:
            with unit_of_work() as session:
                stop = revocation.emergency_stop(
                    session, staff, buyer_org_id=scope[0], dataset_id=scope[1], reason="排查异常"
                )
            return "ok", stop.revoked_count
        except Exception as exc:  # a deadlock surfaces as a driver error
            return f"{type(exc).__name__}: {str(exc).splitlines()[0]}", 0

    with ThreadPoolExecutor(max_workers=len(scopes)) as pool:
        outcomes = list(pool.map(stop, scopes))

    assert Counter(status for status, _ in outcomes) == {"ok": len(scopes)}
    assert sum(count for _, count in outcomes) == DATASETS * BUYERS
    with unit_of_work() as session:
        statuses = session.exec(
            select(Entitlement.status).where(col(Entitlement.dataset_id).in_(datasets))
        ).all()
        assert Counter(statuses) == {EntitlementStatus.revoked: DATASETS * BUYERS}
        revoked_in_audit = [
            entitlement_id
            for record in session.exec(
                select(AuditRecord).where(AuditRecord.action == "entitlement.emergency_stop")
            )
            for entitlement_id in record.details["revoked"]
        ]
        assert len(revoked_in_audit) == len(set(revoked_in_audit)) == DATASETS * BUYERS


PAYMENTS, PRICE = 10, 50_00
# Per round, how many orders and payments complete before the stop starts (the rest race it).
HEAD_STARTS = (0, 1, 3)


def _payment_market(
    session: Session, settings: Settings
) -> tuple[User, list[Dataset], list[uuid.UUID], User]:
    """A buyer with orders awaiting payment on three datasets (each with its free plan)."""
    provider = create_user(session, role=Role.provider)
    reviewer = create_user(session, role=Role.compliance)
    buyer = create_user(session, role=Role.buyer)
    datasets = [
        create_listed_dataset(session, settings, provider=provider, reviewer=reviewer)
        for _ in range(3)
    ]
    plans = [create_plan(session, d, provider=provider, price_minor=PRICE) for d in datasets]
    orders = [
        place_order(session, buyer, datasets[n % 3], plans[n % 3]).id for n in range(PAYMENTS)
    ]
    return reviewer, datasets, orders, buyer


def test_a_stop_racing_payments_and_free_orders_leaves_no_access_standing(
    committed_database: str, stripe_settings: Settings
) -> None:
    """A stop on a buyer placed while its card payments arrive and it takes free plans: each
    payment is either credited before the stop (and its entitlement revoked by it) or refused
    and listed for a refund; each free order is either revoked or refused. Nothing deadlocks,
    and no entitlement is left active under the standing stop (the scope lock)."""
    if not is_postgresql(committed_database):
        pytest.skip("the stop-and-payment race needs PostgreSQL (set SLUICE_TEST_DATABASE_URL)")
    for head_start in HEAD_STARTS:
        _race_one_buyer(stripe_settings, head_start)


def _race_one_buyer(settings: Settings, head_start: int) -> None:
    with unit_of_work() as session:
        reviewer, datasets, orders, buyer = _payment_market(session, settings)
        free_plans = [plans_for(session, d.id)[0].id for d in datasets]
    staff, shopper = principal_of(reviewer), principal_of(buyer)
    jobs: list[tuple[str, object]] = [("pay", o) for o in orders]
    jobs += [("free", (d.id, p)) for d, p in zip(datasets, free_plans, strict=True)]
    jobs.append(("stop", None))
    gate = threading.Barrier(len(jobs))
    finished = threading.Semaphore(0)

    def act(session: Session, kind: str, what: object) -> str:
        if kind == "stop":
            revocation.emergency_stop(
                session, staff, buyer_org_id=shopper.org_id, dataset_id=None, reason="竞态测试"
            )
            return "stopped"
        if kind == "free":
            dataset_id, plan_id = what  # type: ignore[misc]
            trade.place_order(
                session, shopper, dataset_id=dataset_id, plan_id=plan_id, usage_scenario="竞态"
            )
            return "free ok"
        payload = checkout_completed(str(what), PRICE, f"pi_{what}")
        event = stripe_webhooks.handle_stripe_webhook(session, payload, sign(payload), settings)
        assert event is not None
        return f"paid {event.status}"

    def run(job: tuple[str, object]) -> str:
        gate.wait(timeout=60)
        if job[0] == "stop":
            for _ in range(head_start):
                assert finished.acquire(timeout=60)
        try:
            with unit_of_work() as session:
                return act(session, *job)
        except stops.EmergencyStopped:
            return f"{job[0]} refused"
        except Exception as exc:  # a deadlock surfaces as a driver error
            return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        finally:
            finished.release()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        outcomes = Counter(pool.map(run, jobs))

    assert set(outcomes) <= {
        "stopped", "free ok", "free refused", "paid processed", "paid ignored"
    }, outcomes  # fmt: skip
    assert outcomes["stopped"] == 1
    assert outcomes["paid processed"] + outcomes["paid ignored"] == PAYMENTS
    # Those done before the stop started were granted (and then revoked by it).
    assert outcomes["paid processed"] + outcomes["free ok"] >= head_start
    with unit_of_work() as session:
        entitlements = session.exec(
            select(Entitlement).where(Entitlement.buyer_org_id == shopper.org_id)
        ).all()
        [stop] = session.exec(
            select(EmergencyStop).where(EmergencyStop.buyer_org_id == shopper.org_id)
        ).all()
        assert {e.status for e in entitlements} <= {EntitlementStatus.revoked}, outcomes
        assert stop.revoked_count == len(entitlements)
        assert len(entitlements) == outcomes["paid processed"] + outcomes["free ok"]
        flagged = session.exec(
            select(PaymentAnomaly.kind).where(PaymentAnomaly.buyer_org_id == shopper.org_id)
        ).all()
        assert flagged == [AnomalyKind.emergency_stop] * outcomes["paid ignored"]
        unpaid = [trade.get_any_order(session, o).status for o in orders]
        assert unpaid.count(OrderStatus.awaiting_payment) == outcomes["paid ignored"]
        refusals = session.exec(
            select(AuditRecord).where(
                AuditRecord.action == stops.REFUSED, AuditRecord.subject_id == stop.id
            )
        ).all()
        assert len(refusals) == outcomes["paid ignored"] + outcomes["free refused"]
