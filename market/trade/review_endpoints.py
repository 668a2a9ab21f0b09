"""Compliance review of orders on datasets graded "important" or above."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from market.accounts.dependencies import CompliancePrincipal
from market.dependencies import SessionDep
from market.pagination import Page, PageDep
from market.trade import review_view, revocation, service
from market.trade.endpoints import order_read, stored_order_read
from market.trade.schemas import (
    EmergencyStop,
    EmergencyStopResult,
    EntitlementRead,
    OrderApproval,
    OrderRead,
    OrderReviewRead,
    ReviewDecisionBody,
    RevocationBody,
)

router = APIRouter(tags=["reviews"])


@router.get("/reviews/orders", response_model=Page[OrderReviewRead])
def order_queue(
    reviewer: CompliancePrincipal, session: SessionDep, page: PageDep
) -> Page[OrderReviewRead]:
    """Orders on graded data waiting for compliance: buyer, declared usage scenario, dataset
    grade, plan and duration, and the buyer's history."""
    rows, total = service.review_queue(session, limit=page.limit, offset=page.offset)
    items = [
        OrderReviewRead.model_validate({**stored_order_read(session, o).model_dump(), **extra})
        for o, extra in zip(rows, review_view.review_entries(session, rows), strict=True)
    ]
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


@router.post("/reviews/emergency-stop", response_model=EmergencyStopResult)
def emergency_stop(
    body: EmergencyStop, reviewer: CompliancePrincipal, session: SessionDep
) -> EmergencyStopResult:
    """Revoke every entitlement of a buyer organization, on a dataset, or both at once, API
    quotas and sandbox budgets alike."""
    revoked = revocation.emergency_stop(
        session,
        reviewer,
        buyer_org_id=body.buyer_org_id,
        dataset_id=body.dataset_id,
        reason=body.reason.strip(),
    )
    return EmergencyStopResult(revoked=revoked)
