"""Ending access at once: one entitlement, or every entitlement of a buyer or on a dataset.

Revocation is a status change the data API checks on every call (the quota decrement requires
an active entitlement), so it takes effect on the next request. An emergency stop also leaves
a standing record (``stops``) that refuses every way back into its scope until compliance
lifts it. Subscribers (the sandbox) end what they granted in the same transaction:
``events.EntitlementsRevoked`` for emergency stops, ``events.EntitlementRevoked`` for one
entitlement (the budget its sandbox pack brought).
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from accounts.principal import Principal
from audit import service as audit
from ground.errors import Conflict, NotFound
from ground.events import publish
from trade import events, stops
from trade.models import EmergencyStop, Entitlement, EntitlementStatus
from trade.repository import TradeRepository


def revoke(
    session: Session, reviewer: Principal, entitlement_id: uuid.UUID, reason: str
) -> Entitlement:
    entitlement = TradeRepository(session).lock(entitlement_id)
    if entitlement is None:
        raise NotFound("Entitlement not found.", "授权不存在。")
    if entitlement.status is not EntitlementStatus.active:
        raise Conflict(
            f"Only an active entitlement can be revoked; this one is {entitlement.status}.",
            f"只有有效的授权可以撤销，当前状态为 {entitlement.status}。",
        )
    entitlement.status = EntitlementStatus.revoked
    session.add(entitlement)
    session.flush()
    publish(session, events.EntitlementRevoked(entitlement))
    audit.record(
        session,
        "entitlement.revoke",
        actor=reviewer,
        dataset_id=entitlement.dataset_id,
        subject_id=entitlement.id,
        details={"buyer_org_id": str(entitlement.buyer_org_id), "reason": reason},
    )
    return entitlement


def emergency_stop(
    session: Session,
    reviewer: Principal,
    *,
    buyer_org_id: uuid.UUID | None,
    dataset_id: uuid.UUID | None,
    reason: str,
) -> EmergencyStop:
    """Place a standing emergency stop on a buyer, a dataset, or a buyer on a dataset, and
    revoke every active entitlement in its scope in one statement; the stop (with how many it
    revoked). It stands until compliance lifts it (``stops.lift``): meanwhile every way back
    into the scope is refused (``stops.enforce``)."""
    stop = stops.place(
        session, reviewer, buyer_org_id=buyer_org_id, dataset_id=dataset_id, reason=reason
    )
    ids = TradeRepository(session).revoke_active(buyer_org_id=buyer_org_id, dataset_id=dataset_id)
    publish(session, events.EntitlementsRevoked(buyer_org_id, dataset_id))
    stop.revoked_count = len(ids)
    session.add(stop)
    session.flush()
    audit.record(
        session,
        "entitlement.emergency_stop",
        actor=reviewer,
        dataset_id=dataset_id,
        subject_id=stop.id,
        details={
            "stop_id": str(stop.id),
            "buyer_org_id": str(buyer_org_id) if buyer_org_id else None,
            "revoked": [str(i) for i in ids],
            "reason": reason,
        },
    )
    return stop
