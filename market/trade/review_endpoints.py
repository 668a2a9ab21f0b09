"""Compliance review of orders on datasets graded "important" or above."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from market.accounts.dependencies import CompliancePrincipal
from market.dependencies import SessionDep
from market.pagination import Page, PageDep
from market.trade import service
from market.trade.endpoints import order_read, stored_order_read
from market.trade.schemas import OrderRead, ReviewDecisionBody

router = APIRouter(tags=["reviews"])


@router.get("/reviews/orders", response_model=Page[OrderRead])
def order_queue(
    reviewer: CompliancePrincipal, session: SessionDep, page: PageDep
) -> Page[OrderRead]:
    """Orders waiting for compliance approval, newest first."""
    rows, total = service.review_queue(session, limit=page.limit, offset=page.offset)
    items = [stored_order_read(session, o) for o in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/reviews/orders/{order_id}/approve", response_model=OrderRead)
def approve_order(
    order_id: uuid.UUID,
    reviewer: CompliancePrincipal,
    session: SessionDep,
    body: ReviewDecisionBody | None = None,
) -> OrderRead:
    """Approve an order under review: it awaits payment (a free one becomes active)."""
    order, entitlement = service.approve_order(
        session, reviewer, order_id, body.note if body else ""
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
