"""Orders: a buyer orders a plan with a declared usage scenario."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status
from sqlmodel import Session

from market.accounts.dependencies import BuyerPrincipal
from market.dependencies import SessionDep
from market.pagination import Page, PageDep
from market.trade import service
from market.trade.models import Entitlement, Order
from market.trade.schemas import EntitlementRead, OrderCreate, OrderRead

router = APIRouter(tags=["orders"])


def _read(order: Order, entitlement: Entitlement | None) -> OrderRead:
    return OrderRead.model_validate(
        {
            **order.model_dump(),
            "entitlement": None
            if entitlement is None
            else EntitlementRead.model_validate(entitlement.model_dump()),
        }
    )


def _read_stored(session: Session, order: Order) -> OrderRead:
    return _read(order, service.entitlement_of(session, order))


@router.post("/orders", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def place_order(body: OrderCreate, buyer: BuyerPrincipal, session: SessionDep) -> OrderRead:
    """Order a plan. The usage scenario is required; a free plan is active at once."""
    order, entitlement = service.place_order(session, buyer, **body.model_dump())
    return _read(order, entitlement)


@router.get("/orders", response_model=Page[OrderRead])
def list_orders(buyer: BuyerPrincipal, session: SessionDep, page: PageDep) -> Page[OrderRead]:
    """Your organization's orders, newest first, each with its entitlement."""
    rows, total = service.list_orders(session, buyer, limit=page.limit, offset=page.offset)
    items = [_read_stored(session, o) for o in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/orders/{order_id}", response_model=OrderRead)
def get_order(order_id: uuid.UUID, buyer: BuyerPrincipal, session: SessionDep) -> OrderRead:
    """One of your organization's orders, with the quota it has left."""
    return _read_stored(session, service.get_order(session, buyer, order_id))
