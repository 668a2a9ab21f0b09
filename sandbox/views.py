"""What a reader sees of a sandbox budget and query: the response models the API returns and
the console renders, built from the services' records.

These builders sit below both doors (``sandbox.endpoints`` and ``market.console``) so that the
console shows exactly what the API returns without importing a router module; they only read
through the services. Not a ``service.py``: they decide nothing, they shape what the services
return into the published read models (ε and δ converted from the stored units).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from anonymize import accountant
from sandbox import allotments, service
from sandbox.models import SandboxQuery
from sandbox.schemas import AllotmentRead, BudgetRead, QueryEstimate, QueryRead


def allotment_read(share: allotments.Share) -> AllotmentRead:
    """One top-up of a grant (a sandbox pack or a compliance grant): total, spent, left."""
    a, spent, left = share.allotment, share.spent, share.left
    eps, delta = accountant.epsilon_from_units, accountant.delta_from_units
    return AllotmentRead(
        source=a.source,
        entitlement_id=a.entitlement_id,
        epsilon_total=eps(a.epsilon_units),
        epsilon_spent=eps(spent.epsilon_used),
        epsilon_left=eps(left.epsilon),
        delta_total=delta(a.delta_units),
        delta_spent=delta(spent.delta_used),
        delta_left=delta(left.delta),
        queries_total=a.queries,
        queries_used=spent.queries,
        queries_left=left.queries,
        valid_until=a.valid_until,
        usable=share.usable,
    )


def budget_read(view: service.BudgetView) -> BudgetRead:
    """A buyer's budget on a dataset: totals, spent, left and lapsed, per source too."""
    g, b, left, lapsed = view.grant, view.balance, view.left, view.lapsed
    eps = accountant.epsilon_from_units
    delta = accountant.delta_from_units
    return BudgetRead(
        grant_id=g.id,
        buyer_org_id=g.buyer_org_id,
        dataset_id=g.dataset_id,
        epsilon_total=eps(g.epsilon_total_units),
        epsilon_spent=eps(b.epsilon_used),
        epsilon_left=eps(left.epsilon),
        epsilon_lapsed=eps(lapsed.epsilon),
        epsilon_max_single_query=eps(view.max_single_epsilon),
        delta_total=delta(g.delta_total_units),
        delta_spent=delta(b.delta_used),
        delta_left=delta(left.delta),
        delta_lapsed=delta(lapsed.delta),
        max_queries=g.max_queries,
        queries_used=b.queries,
        queries_left=left.queries,
        queries_lapsed=lapsed.queries,
        default_query_epsilon=eps(g.default_query_epsilon_units),
        valid_until=g.valid_until,
        source=g.source,
        allotments=[allotment_read(s) for s in view.shares],
    )


def estimate_read(estimate: dict[str, Any]) -> QueryEstimate:
    """A dry run's price, with the budget it would be charged to."""
    return QueryEstimate(**{**estimate, "budget": budget_read(estimate["budget"])})


def query_read(session: Session, item: SandboxQuery, *, stored: bool = False) -> QueryRead:
    """A query with its answer and the budget left; a stored answer replayed costs nothing."""
    return QueryRead(
        id=item.id,
        dataset_id=item.dataset_id,
        status=item.status,
        sql=item.sql_text,
        epsilon_spent=0.0 if stored else accountant.epsilon_from_units(item.epsilon_units),
        delta_spent=0.0 if stored else accountant.delta_from_units(item.delta_units),
        stored_answer=stored,
        result=item.result,
        error=item.error,
        budget=budget_read(service.budget_of_query(session, item)),
        created_at=item.created_at,
        finished_at=item.finished_at,
    )
