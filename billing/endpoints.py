"""Plans on datasets, usage reports, provider statements and ledger balances."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from accounts.dependencies import (
    AdminPrincipal,
    CurrentPrincipal,
    ProviderPrincipal,
    require_roles,
)
from accounts.models import Role
from accounts.principal import Principal
from billing import ledger, service, statements
from billing.models import Plan
from billing.schemas import (
    Balance,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    Statement,
    UsageReport,
)
from billing.usage import usage_report
from ground.dependencies import SessionDep
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from listings import service as listings

router = APIRouter(tags=["billing"], route_class=IdempotentRoute)

UsagePrincipal = Annotated[Principal, Depends(require_roles(Role.buyer, Role.provider, Role.admin))]


def _read(plan: Plan) -> PlanRead:
    return PlanRead.model_validate(plan.model_dump())


@router.get("/datasets/{dataset_id}/plans", response_model=list[PlanRead])
def list_plans(
    dataset_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[PlanRead]:
    """The plans a buyer can order on a dataset, cheapest first. The dataset's provider also
    sees plans it has withdrawn."""
    dataset = listings.get_visible(session, principal, dataset_id)
    owner = principal.role is Role.provider and dataset.provider_org_id == principal.org_id
    return [_read(p) for p in service.plans_for(session, dataset.id, include_inactive=owner)]


@router.post(
    "/datasets/{dataset_id}/plans", response_model=PlanRead, status_code=status.HTTP_201_CREATED
)
def create_plan(
    dataset_id: uuid.UUID,
    body: PlanCreate,
    provider: ProviderPrincipal,
    _: IdempotentWrite,
    session: SessionDep,
) -> PlanRead:
    """Offer a plan on one of your datasets. Prices are integer minor units (fen for CNY) in a
    supported ISO 4217 currency; paid plans must cost more than 0."""
    return _read(service.create_plan(session, provider, dataset_id, body.model_dump()))


@router.patch("/datasets/{dataset_id}/plans/{plan_id}", response_model=PlanRead)
def update_plan(
    dataset_id: uuid.UUID,
    plan_id: uuid.UUID,
    body: PlanUpdate,
    provider: ProviderPrincipal,
    session: SessionDep,
) -> PlanRead:
    """Rename, reprice or (re)activate a plan; orders already placed keep their price."""
    changes = body.model_dump(exclude_unset=True)
    return _read(service.update_plan(session, provider, dataset_id, plan_id, changes))


@router.delete("/datasets/{dataset_id}/plans/{plan_id}", response_model=PlanRead)
def withdraw_plan(
    dataset_id: uuid.UUID, plan_id: uuid.UUID, provider: ProviderPrincipal, session: SessionDep
) -> PlanRead:
    """Stop offering a plan. It stays on record for the orders placed on it."""
    return _read(service.withdraw_plan(session, provider, dataset_id, plan_id))


@router.get("/usage", response_model=UsageReport)
def usage(
    principal: UsagePrincipal,
    session: SessionDep,
    since: Annotated[date | None, Query(description="First UTC day (default: 30 days ago)")] = None,
    until: Annotated[date | None, Query(description="Last UTC day (default: today)")] = None,
    dataset_id: uuid.UUID | None = None,
) -> UsageReport:
    """Metered usage per UTC day and dataset: a buyer sees its own organization's use, a
    provider the use of its datasets, an admin everything. At most 366 days per request.

    `overage_units` / `overage_minor` are the units used past included quotas and their price,
    per currency; `overage_owed` is what each entitlement in scope owes for overage now
    (billed or not, until paid), whatever the date range."""
    return usage_report(session, principal, since=since, until=until, dataset_id=dataset_id)


@router.get(
    "/billing/statements",
    response_model=Statement,
    responses={200: {"content": {"text/csv": {}}}},
)
def statement(
    provider: ProviderPrincipal,
    session: SessionDep,
    month: Annotated[str, Query(description="YYYY-MM (UTC)", examples=["2026-11"])],
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Statement | Response:
    """Your monthly statement per dataset: orders paid, refunds, gross, platform fee, your
    revenue (from the ledger) and usage. `format=csv` returns the same lines as CSV."""
    result = statements.provider_statement(session, provider.org_id, month)
    if format == "csv":
        return Response(
            statements.statement_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="statement-{month}.csv"'},
        )
    return result


@router.get("/billing/balances", response_model=list[Balance])
def balances(admin: AdminPrincipal, session: SessionDep) -> list[Balance]:
    """Ledger account balances, derived by summing the journal (debits positive)."""
    return [
        Balance(account=a, org_id=o, currency=c, balance_minor=b)
        for a, o, c, b in ledger.balances(session)
    ]
