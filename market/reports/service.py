"""Reports: who bought what for which scenario and how much they used; the exchange's state
for compliance, with anomalies worth a look.

The anomaly rule is deliberately simple and explained in its message: a buyer whose daily use
in the last day exceeds ``JUMP_FACTOR`` times its daily average over the previous
``BASELINE_DAYS`` (and at least ``JUMP_MIN_UNITS``), or whose use appears from nothing; and a
buyer with ``REFUSED_QUERIES_ALERT`` or more sandbox queries refused in the last day (probing
the allow-list).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session

from accounts import service as accounts
from accounts.principal import Principal
from audit import service as audit
from billing import metering
from ground.db import utcnow
from listings import service as listings
from market.reports.schemas import (
    Anomaly,
    BuyerUse,
    ComplianceReport,
    Consumer,
    DatasetUse,
    GradeStatusCount,
    ProviderReport,
)
from trade import service as trade

BASELINE_DAYS = 14
JUMP_FACTOR = 5
JUMP_MIN_UNITS = 20
TOP = 10
REFUSED_QUERIES_ALERT = 10


def provider_report(session: Session, provider: Principal) -> ProviderReport:
    datasets, _ = listings.list_datasets(session, provider, status=None, limit=10_000, offset=0)
    entitlements = trade.entitlements_on(session, [d.id for d in datasets])
    usage = metering.usage_by_entitlement(session, [e.id for e in entitlements])
    names = accounts.organization_names(session, {e.buyer_org_id for e in entitlements})
    by_dataset: dict[uuid.UUID, list[BuyerUse]] = {d.id: [] for d in datasets}
    for ent in entitlements:
        used = usage.get(ent.id, metering.EntitlementUsage(0, 0, 0, 0.0, 0.0))
        by_dataset[ent.dataset_id].append(
            BuyerUse(
                entitlement_id=ent.id,
                buyer_org_id=ent.buyer_org_id,
                buyer_name=names.get(ent.buyer_org_id, ""),
                usage_scenario=ent.usage_scenario,
                status=str(ent.status),
                granted_at=ent.created_at,
                valid_until=ent.valid_until,
                quota_total=ent.quota_total,
                quota_remaining=trade.quota_left(ent, used.units),
                calls=used.calls,
                rows=used.rows,
                epsilon=used.epsilon,
            )
        )
    return ProviderReport(
        provider_org_id=provider.org_id,
        datasets=[
            DatasetUse(
                dataset_id=d.id, title=d.title, status=str(d.status), buyers=by_dataset[d.id]
            )
            for d in datasets
        ],
    )


def _consumers(session: Session, rows: list[metering.ConsumerUsage]) -> list[Consumer]:
    names = accounts.organization_names(session, {r.buyer_org_id for r in rows})
    return [
        Consumer(
            buyer_org_id=r.buyer_org_id,
            buyer_name=names.get(r.buyer_org_id, ""),
            events=r.events,
            units=r.units,
            rows=r.rows,
            epsilon=r.epsilon,
            delta=r.delta,
        )
        for r in rows
    ]


def usage_jumps(session: Session, now: datetime) -> list[Anomaly]:
    day_ago = now - timedelta(days=1)
    recent = {
        r.buyer_org_id: r.units for r in metering.usage_by_buyer(session, since=day_ago, until=now)
    }
    baseline = {
        r.buyer_org_id: r.units / BASELINE_DAYS
        for r in metering.usage_by_buyer(
            session, since=day_ago - timedelta(days=BASELINE_DAYS), until=day_ago
        )
    }
    names = accounts.organization_names(session, set(recent))
    found = []
    for org, units in recent.items():
        usual = baseline.get(org, 0.0)
        if units >= JUMP_MIN_UNITS and units > JUMP_FACTOR * usual:
            found.append(
                Anomaly(
                    buyer_org_id=org,
                    buyer_name=names.get(org, ""),
                    kind="usage_jump",
                    detail=f"{units} units in the last day against a daily average of "
                    f"{usual:.1f} over the previous {BASELINE_DAYS} days.",
                    detail_zh=f"近一日用量 {units}，此前 {BASELINE_DAYS} 天日均 {usual:.1f}。",
                )
            )
    return found


def refused_queries(session: Session, now: datetime) -> list[Anomaly]:
    counts = audit.counts_by_actor_org(session, "sandbox.query_refused", now - timedelta(days=1))
    names = accounts.organization_names(session, set(counts))
    return [
        Anomaly(
            buyer_org_id=org,
            buyer_name=names.get(org, ""),
            kind="refused_sandbox_queries",
            detail=f"{n} sandbox queries refused by the allow-list in the last day.",
            detail_zh=f"近一日有 {n} 次沙箱查询被白名单拒绝。",
        )
        for org, n in sorted(counts.items(), key=lambda item: -item[1])
        if n >= REFUSED_QUERIES_ALERT
    ]


def compliance_report(session: Session, *, days: int = 30) -> ComplianceReport:
    now = utcnow()
    since = now - timedelta(days=days)
    consumers = _consumers(session, metering.usage_by_buyer(session, since=since, until=now))
    return ComplianceReport(
        since=since,
        until=now,
        listings=[
            GradeStatusCount(grade=g, status=s, count=n)
            for g, s, n in listings.counts_by_grade_and_status(session)
        ],
        trades=trade.order_counts_by_status(session),
        top_consumers=consumers[:TOP],
        budget_spent=sorted(
            (c for c in consumers if c.epsilon > 0), key=lambda c: c.epsilon, reverse=True
        ),
        anomalies=usage_jumps(session, now) + refused_queries(session, now),
    )
