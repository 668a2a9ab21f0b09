"""What a compliance reviewer sees for each order waiting in the trade review queue."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from accounts import service as accounts
from billing import service as billing
from listings import service as listings
from trade.models import Order
from trade.repository import TradeRepository


def buyer_history(session: Session, buyer_org_id: uuid.UUID) -> dict[str, int]:
    """The buyer's orders by status and how often its access was revoked."""
    repo = TradeRepository(session)
    history = repo.order_counts_by_status(buyer_org_id)
    history["revoked_entitlements"] = repo.revoked_count(buyer_org_id)
    return history


def review_entries(session: Session, orders: list[Order]) -> list[dict[str, Any]]:
    """One entry per order: buyer, declared scenario, dataset grade, plan and duration, and the
    buyer's history, read in a bounded number of queries per page."""
    names = accounts.organization_names(session, {o.buyer_org_id for o in orders})
    histories = {org: buyer_history(session, org) for org in {o.buyer_org_id for o in orders}}
    entries = []
    for order in orders:
        dataset = listings.get_dataset(session, order.dataset_id)
        plan = billing.plan_by_id(session, order.plan_id)
        entries.append(
            {
                "buyer_name": names.get(order.buyer_org_id, ""),
                "dataset_title": dataset.title,
                "dataset_grade": dataset.grade,
                "dataset_grade_level": dataset.grade_level,
                "plan_name": plan.name,
                "plan_kind": str(plan.kind),
                "plan_quota": plan.calls,
                "plan_valid_days": plan.valid_days,
                "plan_term_months": plan.term_months,
                "buyer_history": histories[order.buyer_org_id],
            }
        )
    return entries
