"""What a reader sees of an order: the response models the API returns and the console
renders, built from the services' records.

These builders sit below both doors (``trade.*_endpoints`` and ``market.console``) so that the
console shows exactly what the API returns without importing a router module; they only read
through the services. Not a ``service.py``: they decide nothing, they shape what the services
return into the published read models.
"""

from __future__ import annotations

from sqlmodel import Session

from billing import overage as overage_accounts
from trade import review_view, service
from trade.models import Entitlement, Order
from trade.schemas import EntitlementRead, OrderRead, OrderReviewRead, OverageLine


def order_read(
    order: Order, entitlement: Entitlement | None, line: overage_accounts.InvoiceLine | None = None
) -> OrderRead:
    """An order with its entitlement and, once billed, its overage line."""
    return OrderRead.model_validate(
        {
            **order.model_dump(),
            "entitlement": None
            if entitlement is None
            else EntitlementRead.model_validate(entitlement.model_dump()),
            "overage": None if line is None else OverageLine(**vars(line)),
        }
    )


def stored_order_read(session: Session, order: Order) -> OrderRead:
    """``order_read`` for an order already stored: its entitlement and overage line read."""
    line = overage_accounts.invoice_line(session, order.id)
    return order_read(order, service.entitlement_of(session, order), line)


def order_review_queue(
    session: Session, *, limit: int, offset: int
) -> tuple[list[OrderReviewRead], int]:
    """One page of orders waiting for compliance (``GET /reviews/orders``): each order with
    its buyer, declared scenario, dataset grade, plan and the buyer's history; and the total."""
    rows, total = service.review_queue(session, limit=limit, offset=offset)
    items = [
        OrderReviewRead.model_validate({**stored_order_read(session, o).model_dump(), **extra})
        for o, extra in zip(rows, review_view.review_entries(session, rows), strict=True)
    ]
    return items, total
