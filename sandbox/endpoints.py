"""Sandbox routes: privacy profiles, budget grants, DP queries, budgets and the ledger."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from accounts.dependencies import (
    BuyerPrincipal,
    CompliancePrincipal,
    CurrentPrincipal,
    ProviderPrincipal,
    require_roles,
)
from accounts.models import Role
from accounts.principal import Principal
from anonymize import accountant
from ground.dependencies import CheckpointDep, SessionDep, SettingsDep
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from ground.openapi import error_responses
from ground.pagination import Page, PageDep
from sandbox import profiles, service
from sandbox.models import PrivacyLedgerEntry, QueryStatus, SandboxProfile
from sandbox.schemas import (
    BudgetRead,
    GrantCreate,
    LedgerEntryRead,
    ProfileDeclaration,
    ProfileDeclare,
    ProfilePublicRead,
    ProfileRead,
    QueryCreate,
    QueryEstimate,
    QueryRead,
)
from sandbox.views import budget_read, estimate_read, query_read

router = APIRouter(prefix="/sandbox", tags=["sandbox"], route_class=IdempotentRoute)

StaffPrincipal = Annotated[Principal, Depends(require_roles(Role.compliance, Role.admin))]
BudgetReader = Annotated[Principal, Depends(require_roles(Role.buyer, Role.compliance, Role.admin))]


def _profile(profile: SandboxProfile) -> ProfileRead:
    return ProfileRead(
        dataset_id=profile.dataset_id,
        status=profile.status,
        declared=profile.declared,
        approved=profile.approved,
        approved_at=profile.approved_at,
        updated_at=profile.updated_at,
    )


def _public_profile(profile: SandboxProfile) -> ProfilePublicRead:
    approved = profiles.declarations(profile.approved)
    return ProfilePublicRead(
        dataset_id=profile.dataset_id,
        status=profile.status,
        approved=None if approved is None else ProfileDeclaration(**approved),
        approved_at=profile.approved_at,
    )


@router.put("/profiles/{dataset_id}", response_model=ProfileRead)
def declare_profile(
    dataset_id: uuid.UUID,
    body: ProfileDeclare,
    provider: ProviderPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> ProfileRead:
    """Declare the dataset's privacy metadata (privacy unit column, max rows per person, public
    bounds of numeric columns, public GROUP BY domains). The declaration waits for compliance;
    the previously approved profile keeps serving until then."""
    profile = profiles.declare(session, provider, dataset_id, body.model_dump(), settings.data_dir)
    return _profile(profile)


@router.post("/profiles/{dataset_id}/approve", response_model=ProfileRead)
def approve_profile(
    dataset_id: uuid.UUID, reviewer: CompliancePrincipal, session: SessionDep, settings: SettingsDep
) -> ProfileRead:
    """Approve the declared profile: sensitivities of every later query come from it."""
    return _profile(profiles.approve(session, reviewer, dataset_id, settings))


@router.get("/profiles/{dataset_id}", response_model=ProfileRead | ProfilePublicRead)
def get_profile(
    dataset_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> ProfileRead | ProfilePublicRead:
    """The dataset's privacy profile. Buyers (and other providers) see the approved
    declarations only — privacy unit, max rows per person *as declared*, bounds, public
    domains — never what was measured on the data. The dataset's provider and staff also see
    the pending declaration and what approval measured (whether some person exceeds the
    bound, the bounded copy and its size)."""
    profile = profiles.get(session, principal, dataset_id)
    if profiles.sees_measurements(session, principal, dataset_id):
        return _profile(profile)
    return _public_profile(profile)


@router.post("/grants", response_model=BudgetRead, status_code=status.HTTP_201_CREATED)
def create_grant(
    body: GrantCreate,
    staff: StaffPrincipal,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
) -> BudgetRead:
    """Grant (or top up) a buyer organization's privacy budget on a listed dataset.

    Compliance and admins only; paid sandbox plans call the same service function."""
    grant = service.grant_budget(
        session,
        body.buyer_org_id,
        body.dataset_id,
        body.epsilon,
        body.delta,
        settings,
        max_queries=body.max_queries,
        default_query_epsilon=body.default_query_epsilon,
        valid_until=body.valid_until,
        source=str(staff.role),
        note=body.note,
        created_by_id=staff.user_id,
    )
    return budget_read(service.budget_of(session, grant))


@router.post(
    "/queries",
    response_model=QueryRead | QueryEstimate,
    responses={
        202: {"description": "Queued on a worker; poll GET /sandbox/queries/{id}"},
        **error_responses(402, 422, 429),
    },
)
def run_query(
    body: QueryCreate,
    buyer: BuyerPrincipal,
    _: IdempotentWrite,
    session: SessionDep,
    checkpoint: CheckpointDep,
    settings: SettingsDep,
    response: Response,
) -> QueryRead | QueryEstimate:
    """Run an aggregate SQL query over the raw data; only DP-noised numbers come back.

    Write SQL against the table **`dataset`**: one SELECT with WHERE, GROUP BY, ORDER BY,
    LIMIT and the aggregates COUNT(*), COUNT(expr), SUM, AVG, VARIANCE/STDDEV, MEDIAN,
    QUANTILE(expr, q), MIN/MAX (released as the 1st/99th percentiles). The response has the
    noisy rows, per value the mechanism, ε, sensitivity and a 95% interval, and the budget
    left. `dry_run: true` prices the query (ε, δ, price, expected errors) without reading data
    or spending budget. The same query at the same ε returns the stored answer for free.
    Large datasets answer 202 with a queued query to poll. 400: the query is refused before
    any data is read (not allowed, or not type-correct; nothing charged); 402: not enough
    ε/δ; 429: query cap reached; 409: the dataset has no approved privacy profile; 422: the
    query failed after reading data — one fixed answer for every cause (engine error,
    timeout, memory), and its ε is charged."""
    if body.dry_run:
        prepared = service.prepare(
            session, buyer, body.dataset_id, body.sql, body.epsilon, settings
        )
        estimate = service.estimate(session, prepared, settings)
        return estimate_read(estimate)
    item, stored = service.submit(
        session, buyer, body.dataset_id, body.sql, body.epsilon, settings, checkpoint
    )
    if item.status is QueryStatus.queued:
        response.status_code = status.HTTP_202_ACCEPTED
    return query_read(session, item, stored=stored)


@router.get("/queries/{query_id}", response_model=QueryRead)
def get_query(query_id: uuid.UUID, reader: BudgetReader, session: SessionDep) -> QueryRead:
    """One query with its status and, once finished, its noisy result."""
    return query_read(session, service.get_query(session, reader, query_id))


@router.get("/queries", response_model=Page[QueryRead])
def list_queries(
    reader: BudgetReader,
    session: SessionDep,
    page: PageDep,
    dataset_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[QueryRead]:
    """Your organization's queries (all queries for compliance and admins), newest first."""
    rows, total = service.list_queries(
        session, reader, dataset_id=dataset_id, limit=page.limit, offset=page.offset
    )
    items = [query_read(session, q) for q in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/budget", response_model=Page[BudgetRead])
def list_budget(
    reader: BudgetReader,
    session: SessionDep,
    page: PageDep,
    buyer_org_id: Annotated[
        uuid.UUID | None, Query(description="Compliance/admin: one buyer organization")
    ] = None,
) -> Page[BudgetRead]:
    """Privacy budgets: total, spent (sum of the ledger) and left ε/δ and queries per grant.

    *Left* counts only allotments (packs, compliance grants) that queries can still be charged
    to; what expired or ended ones (a revoked pack, an emergency stop) left unspent is reported
    as *lapsed* and cannot be spent. A query is paid whole from one allotment, so
    `epsilon_max_single_query`, the most ε one usable allotment holds, caps the next query's ε;
    `allotments` lists each with its own total, spent, left, validity and `usable`.

    Buyers see their organization's grants; compliance and admins every grant."""
    views, total = service.list_budgets(
        session, reader, buyer_org_id=buyer_org_id, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[budget_read(v) for v in views], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/ledger", response_model=Page[LedgerEntryRead])
def list_ledger(
    reader: BudgetReader,
    session: SessionDep,
    page: PageDep,
    buyer_org_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[LedgerEntryRead]:
    """The append-only privacy ledger (reservations, commits, releases), newest first."""
    rows, total = service.list_ledger(
        session, reader, buyer_org_id=buyer_org_id, limit=page.limit, offset=page.offset
    )
    return Page(items=[_entry(e) for e in rows], total=total, limit=page.limit, offset=page.offset)


def _entry(entry: PrivacyLedgerEntry) -> LedgerEntryRead:
    return LedgerEntryRead(
        id=entry.id,
        grant_id=entry.grant_id,
        query_id=entry.query_id,
        kind=entry.kind,
        epsilon=accountant.epsilon_from_units(entry.epsilon_units),
        delta=accountant.delta_from_units(entry.delta_units),
        created_at=entry.created_at,
    )
