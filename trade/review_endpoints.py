"""Compliance review of orders on datasets graded "important" or above, revocations, and
emergency stops (placed, listed, lifted)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from accounts.dependencies import CompliancePrincipal
from ground.dependencies import SessionDep
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from ground.pagination import Page, PageDep
from trade import revocation, service, stops
from trade.models import EmergencyStop as StopRecord
from trade.models import StopStatus
from trade.schemas import (
    EmergencyStop,
    EmergencyStopLift,
    EmergencyStopRead,
    EntitlementRead,
    OrderApproval,
    OrderRead,
    OrderReviewRead,
    ReviewDecisionBody,
    RevocationBody,
)
from trade.views import order_read, order_review_queue, stored_order_read

router = APIRouter(tags=["reviews"], route_class=IdempotentRoute)


@router.get("/reviews/orders", response_model=Page[OrderReviewRead])
def order_queue(
    reviewer: CompliancePrincipal, session: SessionDep, page: PageDep
) -> Page[OrderReviewRead]:
    """Orders on graded data waiting for compliance: buyer, declared usage scenario, dataset
    grade, plan and duration, and the buyer's history."""
    items, total = order_review_queue(session, limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/reviews/orders/{order_id}/approve", response_model=OrderRead)
def approve_order(
    order_id: uuid.UUID,
    reviewer: CompliancePrincipal,
    session: SessionDep,
    body: OrderApproval | None = None,
) -> OrderRead:
    """Approve an order under review, optionally with conditions (a lower quota, a shorter
    duration): it awaits payment (a free one becomes active)."""
    body = body or OrderApproval()
    order, entitlement = service.approve_order(
        session,
        reviewer,
        order_id,
        body.note,
        max_quota=body.max_quota,
        max_valid_days=body.max_valid_days,
    )
    return order_read(order, entitlement)


@router.post("/reviews/orders/{order_id}/reject", response_model=OrderRead)
def reject_order(
    order_id: uuid.UUID,
    reviewer: CompliancePrincipal,
    session: SessionDep,
    body: ReviewDecisionBody | None = None,
) -> OrderRead:
    """Reject an order under review: it is cancelled, with the note recorded."""
    order = service.reject_order(session, reviewer, order_id, body.note if body else "")
    return stored_order_read(session, order)


@router.post("/reviews/entitlements/{entitlement_id}/revoke", response_model=EntitlementRead)
def revoke_entitlement(
    entitlement_id: uuid.UUID,
    body: RevocationBody,
    reviewer: CompliancePrincipal,
    session: SessionDep,
) -> EntitlementRead:
    """Revoke one entitlement at once; the buyer's next call is refused."""
    entitlement = revocation.revoke(session, reviewer, entitlement_id, body.reason.strip())
    return EntitlementRead.model_validate(entitlement.model_dump())


def stop_read(stop: StopRecord) -> EmergencyStopRead:
    return EmergencyStopRead.model_validate(
        {**stop.model_dump(), "status": stop.status, "revoked": stop.revoked_count}
    )


@router.post("/reviews/emergency-stop", response_model=EmergencyStopRead)
def emergency_stop(
    body: EmergencyStop, reviewer: CompliancePrincipal, _: IdempotentWrite, session: SessionDep
) -> EmergencyStopRead:
    """Stop a buyer organization, a dataset, or a buyer on a dataset at once: every active
    entitlement in the scope is revoked (API quotas and sandbox budgets alike, `revoked` says
    how many), and the stop **stands until compliance lifts it**. Meanwhile new orders,
    checkout and payment, API keys (for a stopped buyer), data API calls with any key, sandbox
    queries and budget grants in the scope get a 403 naming the stop, each refusal audited.
    404 for an unknown buyer or dataset; 409 if a stop on exactly this scope already stands."""
    stop = revocation.emergency_stop(
        session,
        reviewer,
        buyer_org_id=body.buyer_org_id,
        dataset_id=body.dataset_id,
        reason=body.reason.strip(),
    )
    return stop_read(stop)


@router.get("/reviews/emergency-stops", response_model=Page[EmergencyStopRead])
def list_emergency_stops(
    reviewer: CompliancePrincipal,
    session: SessionDep,
    page: PageDep,
    status: Annotated[
        StopStatus | None, Query(description="active (standing) or lifted; both if omitted")
    ] = None,
    buyer_org_id: Annotated[uuid.UUID | None, Query()] = None,
    dataset_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[EmergencyStopRead]:
    """Emergency stops, newest first: standing ones and those lifted, with who placed and
    lifted them and why."""
    rows, total = stops.list_stops(
        session,
        status=status,
        buyer_org_id=buyer_org_id,
        dataset_id=dataset_id,
        limit=page.limit,
        offset=page.offset,
    )
    items = [stop_read(s) for s in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/reviews/emergency-stops/{stop_id}", response_model=EmergencyStopRead)
def get_emergency_stop(
    stop_id: uuid.UUID, reviewer: CompliancePrincipal, session: SessionDep
) -> EmergencyStopRead:
    """One emergency stop."""
    return stop_read(stops.get_stop(session, stop_id))


@router.post("/reviews/emergency-stops/{stop_id}/lift", response_model=EmergencyStopRead)
def lift_emergency_stop(
    stop_id: uuid.UUID,
    body: EmergencyStopLift,
    reviewer: CompliancePrincipal,
    session: SessionDep,
) -> EmergencyStopRead:
    """Lift a standing stop (the reason is required and audited): orders, keys, calls and
    queries in its scope are accepted again. Lifting **does not restore** what the stop
    revoked: revoked entitlements and ended sandbox budgets stay ended, and the buyer places
    a new order to get access back. 409 if the stop was already lifted."""
    return stop_read(stops.lift(session, reviewer, stop_id, body.reason))
