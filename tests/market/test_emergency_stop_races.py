"""Emergency stops that overlap, run at once: each entitlement is revoked by exactly one.

Compliance may stop a buyer while another reviewer stops a dataset that buyer uses. Real
threads and committed rows on PostgreSQL (SQLite serializes writers): the stops' counts and
audit records must add up to the entitlements there were, with no deadlock.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import col, select

from market.accounts.models import Role
from market.audit.models import AuditRecord
from market.config import Settings
from market.db import unit_of_work
from market.trade import revocation
from market.trade.models import Entitlement, EntitlementStatus
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import (
    activate_plan,
    create_dataset,
    create_org,
    create_user,
    list_dataset,
    principal_of,
)

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
            listed = list_dataset(
                session,
                create_dataset(session, settings, provider=provider),
                provider=provider,
                reviewer=reviewer,
            )
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
