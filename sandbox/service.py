"""Sandbox queries end to end: check, price, reserve ε, run, release noisy answers, settle.

Budget protocol (the ledger is the record, see ``sandbox.models``):

1. ``reserve``: lock the grant row, sum its ledger per allotment, charge the query to the
   oldest usable allotment (a sandbox pack or a compliance grant) that covers it whole
   (``sandbox.allotments``), append a ``reserve`` entry of the query's (ε, δ) naming that
   allotment, and have it **committed** before any data is read, so concurrent queries (other
   requests, other workers) see the reservation and a crash while the query runs leaves it
   charged: the budget can never be overspent. A query run inline commits at the
   ``Checkpoint`` its caller's unit of work hands ``submit`` (the service never commits); a
   queued one is committed with the request, and the task runs it in a unit of work of its own.
2. Run in the locked-down DuckDB and release through DP mechanisms (no lock is held meanwhile:
   the commit ended the grant's row lock).
3. ``commit`` entry (0, the reservation is final) on success *and* on a failure after data was
   read (its outcome may depend on the data); ``release`` entry (−ε, −δ, and the query back)
   only when the query failed before touching data. A charged query is metered on the
   entitlement of the pack it was charged to. A failed inline query's charge is committed at
   the checkpoint again before its error reaches the client (the error rolls back the rest).

The same canonical query at the same ε on the same grant returns the stored noisy answer at no
cost, so repeating a query to average the noise away gains nothing.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role
from accounts.principal import Principal
from anonymize import accountant, dp
from audit import service as audit
from billing import metering
from billing.models import UsageKind
from ground.config import Settings
from ground.db import Checkpoint, utcnow
from ground.errors import BadRequest, Conflict, Forbidden, NotFound, SluiceError
from ground.ops import metrics
from ground.ops.logs import get_logger
from ground.worker import enqueue
from listings import offers
from listings import service as listings
from sandbox import allotments, engine, profiles, query, release, rewrite, selection
from sandbox.errors import BudgetExpired, QueryFailed
from sandbox.models import (
    LedgerKind,
    PrivacyLedgerEntry,
    QueryStatus,
    SandboxAllotment,
    SandboxGrant,
    SandboxQuery,
)
from sandbox.repository import Balance, SandboxRepository
from trade import service as trade
from trade import stops

log = get_logger(__name__)

_STAFF = (Role.compliance, Role.admin)

#: The stored error code of every query that failed after it may have read data, whatever the
#: cause (engine error, timeout, memory limit, …): the cause could depend on the data.
FAILED = "failed"
#: The stored error code of a queued query that could not start (nothing was read; released).
NOT_RUNNABLE = "not_runnable"
FAILED_DETAIL = (
    "The query could not be answered; its ε was charged. Queries that fail after reading data "
    "all get this same answer, whatever the cause."
)
FAILED_DETAIL_ZH = "查询未能得到结果，其 ε 已扣除。读取数据后失败的查询无论原因如何都得到同一答复。"


# ----- grants ------------------------------------------------------------------------------


def grant_budget(
    session: Session,
    buyer_org_id: uuid.UUID,
    dataset_id: uuid.UUID,
    epsilon: float,
    delta: float,
    settings: Settings,
    *,
    max_queries: int | None = None,
    default_query_epsilon: float | None = None,
    valid_until: datetime | None = None,
    source: str = "compliance",
    note: str = "",
    created_by_id: uuid.UUID | None = None,
    entitlement_id: uuid.UUID | None = None,
) -> SandboxGrant:
    """Give (or top up) a buyer organization's privacy budget on a listed dataset.

    Called by billing when a sandbox plan is paid (with the pack's ``entitlement_id``) and by
    the compliance endpoint. A second grant on the same (organization, dataset) adds to the
    totals; the caps in settings bound the total ε and δ any grant may reach. Each call adds
    one allotment, valid until ``valid_until``: queries are charged to allotments, so a pack's
    use is metered on its entitlement (``sandbox.allotments``).

    Refused (``EmergencyStopped``, 403, audited) while an emergency stop covers the buyer on
    the dataset, under the stop's scope lock, so no budget is granted or topped up in its
    scope.
    """
    offers.require_sandbox(listings.get_listed(session, dataset_id))
    accounts.get_organization(session, buyer_org_id)
    stops.enforce(
        session,
        buyer_org_id=buyer_org_id,
        dataset_id=dataset_id,
        door=stops.Door.sandbox_grant,
        actor_user_id=created_by_id,
        lock=True,
        details={
            "source": source,
            "entitlement_id": str(entitlement_id) if entitlement_id else None,
        },
    )
    if not (math.isfinite(epsilon) and epsilon > 0) or not (0 <= delta < 1):
        raise BadRequest(
            "ε must be positive and δ in [0, 1).", "ε 必须为正数，δ 必须在 [0, 1) 内。"
        )
    repo = SandboxRepository(session)
    grant = repo.grant_of(buyer_org_id, dataset_id, for_update=True)
    eps_units = accountant.epsilon_to_units(epsilon)
    delta_units = accountant.delta_to_units(delta)
    default_units = accountant.epsilon_to_units(
        default_query_epsilon or settings.sandbox_default_query_epsilon
    )
    is_new = grant is None
    if grant is None:
        grant = SandboxGrant(
            buyer_org_id=buyer_org_id,
            dataset_id=dataset_id,
            epsilon_total_units=0,
            delta_total_units=0,
            max_queries=0,
            default_query_epsilon_units=default_units,
            source=source,
            created_by_id=created_by_id,
        )
    grant.epsilon_total_units += eps_units
    grant.delta_total_units += delta_units
    queries = max_queries or settings.sandbox_default_query_cap
    grant.max_queries += queries
    if default_query_epsilon is not None:
        grant.default_query_epsilon_units = default_units
    grant.valid_until = _grant_validity(grant, valid_until, is_new=is_new)
    grant.note = note or grant.note
    grant.updated_at = utcnow()
    if (
        accountant.epsilon_from_units(grant.epsilon_total_units)
        > settings.sandbox_max_grant_epsilon
    ):
        raise BadRequest(
            f"A grant may hold at most ε={settings.sandbox_max_grant_epsilon} in total.",
            f"单个授权的 ε 总额不得超过 {settings.sandbox_max_grant_epsilon}。",
        )
    if accountant.delta_from_units(grant.delta_total_units) > settings.sandbox_max_grant_delta:
        raise BadRequest(
            f"A grant may hold at most δ={settings.sandbox_max_grant_delta} in total.",
            f"单个授权的 δ 总额不得超过 {settings.sandbox_max_grant_delta}。",
        )
    repo.add(grant)
    repo.add(
        SandboxAllotment(
            grant_id=grant.id,
            entitlement_id=entitlement_id,
            epsilon_units=eps_units,
            delta_units=delta_units,
            queries=queries,
            valid_until=valid_until,
            source=source,
            note=note,
            created_by_id=created_by_id,
        )
    )
    return grant


def _grant_validity(
    grant: SandboxGrant, added_until: datetime | None, *, is_new: bool
) -> datetime | None:
    """The grant's validity after adding an allotment valid until ``added_until``.

    The grant lasts as long as its longest-lived allotment that has not ended: a later pack
    with a shorter validity must not end an older, longer one. A grant ended earlier (its
    validity in the past, e.g. by an emergency stop) starts over from the new allotment; the
    stopped allotments stay ended on their own.
    """
    current = grant.valid_until
    if is_new or added_until is None:
        return added_until
    if current is None:
        return None
    if current <= utcnow():
        return added_until
    return max(current, added_until)


def withdraw_budget(
    session: Session,
    buyer_org_id: uuid.UUID,
    dataset_id: uuid.UUID,
    *,
    entitlement_id: uuid.UUID,
    epsilon_units: int,
    delta_units: int,
    queries: int,
    note: str,
) -> SandboxGrant | None:
    """Take back part of a sandbox pack's budget (it was refunded), never below what it spent.

    Spent budget cannot be returned: privacy loss already happened. So the pack's allotment
    (and the grant's totals) go down by the amounts given but not below what queries charged
    to that pack spent, under the same row lock as a reservation, so a concurrent query either
    fits in what is kept or is refused. Other packs and grants are untouched. ``None`` when the
    pack brought no allotment of its own (a grant made before allotments existed).
    """
    if min(epsilon_units, delta_units, queries) < 0:
        raise ValueError("a withdrawal cannot be negative")
    repo = SandboxRepository(session)
    grant = repo.grant_of(buyer_org_id, dataset_id, for_update=True)
    allotment = repo.allotment_of(entitlement_id)
    if grant is None or allotment is None or allotment.grant_id != grant.id:
        return None
    before = (grant.epsilon_total_units, grant.delta_total_units, grant.max_queries)
    grant.updated_at = utcnow()
    allotments.withdraw(
        repo,
        grant,
        allotment,
        epsilon_units=epsilon_units,
        delta_units=delta_units,
        queries=queries,
    )
    audit.record(
        session,
        "sandbox.budget_withdrawn",
        actor=None,
        dataset_id=dataset_id,
        subject_id=grant.id,
        details={
            "buyer_org_id": str(buyer_org_id),
            "entitlement_id": str(entitlement_id),
            "allotment_id": str(allotment.id),
            "epsilon_units": [before[0], grant.epsilon_total_units],
            "delta_units": [before[1], grant.delta_total_units],
            "max_queries": [before[2], grant.max_queries],
            "note": note,
        },
    )
    return grant


@dataclass(frozen=True)
class BudgetView:
    """A grant, what its ledger spent, and per allotment what is left and whether it can still
    be spent. ``left`` counts only usable allotments (what queries can still be charged to);
    ``lapsed`` is what expired or ended allotments (a revoked pack, an emergency stop) left
    unspent and no query can spend; ``max_single_epsilon`` the most ε one usable allotment with
    a query left holds, the largest ε the next query can be charged, as a query is paid whole
    from one allotment."""

    grant: SandboxGrant
    balance: Balance
    shares: list[allotments.Share]

    @property
    def left(self) -> allotments.Left:
        return allotments.sum_left(s.left for s in self.shares if s.usable)

    @property
    def lapsed(self) -> allotments.Left:
        return allotments.sum_left(s.left for s in self.shares if not s.usable)

    @property
    def max_single_epsilon(self) -> int:
        return allotments.largest_epsilon(s.left for s in self.shares if s.usable)


def budget_of(session: Session, grant: SandboxGrant) -> BudgetView:
    repo = SandboxRepository(session)
    return BudgetView(grant, repo.balance(grant.id), allotments.shares(repo, grant, utcnow()))


def budget_of_query(session: Session, item: SandboxQuery) -> BudgetView:
    grant = SandboxRepository(session).grant(item.grant_id)
    if grant is None:
        raise NotFound("Sandbox grant not found.", "沙箱授权不存在。")
    return budget_of(session, grant)


def buyer_budget(session: Session, buyer: Principal, dataset_id: uuid.UUID) -> BudgetView:
    """The buyer organization's usable budget on a dataset; 403 (bilingual) without a grant or
    once it has expired, exactly as a query would be refused."""
    return budget_of(session, _active_grant(session, buyer, dataset_id))


def list_budgets(
    session: Session,
    principal: Principal,
    *,
    buyer_org_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[BudgetView], int]:
    """Buyers see their organization's grants; compliance and admins every grant."""
    org = buyer_org_id if principal.role in _STAFF else principal.org_id
    grants, total = SandboxRepository(session).grants(org_id=org, limit=limit, offset=offset)
    return [budget_of(session, g) for g in grants], total


def list_ledger(
    session: Session,
    principal: Principal,
    *,
    buyer_org_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[PrivacyLedgerEntry], int]:
    org = buyer_org_id if principal.role in _STAFF else principal.org_id
    return SandboxRepository(session).ledger(org_id=org, limit=limit, offset=offset)


# ----- queries -----------------------------------------------------------------------------


@dataclass
class Prepared:
    grant: SandboxGrant
    plan: query.QueryPlan
    privacy: release.Privacy
    cost: release.Cost
    path: Path
    epsilon_units: int
    delta_units: int
    row_count: int


def _active_grant(session: Session, buyer: Principal, dataset_id: uuid.UUID) -> SandboxGrant:
    grant = SandboxRepository(session).grant_of(buyer.org_id, dataset_id)
    if grant is None:
        raise Forbidden(
            "Your organization has no sandbox budget on this dataset; buy a sandbox plan first.",
            "贵机构在该数据集上没有沙箱隐私预算，请先购买沙箱套餐。",
        )
    if grant.valid_until is not None and grant.valid_until <= utcnow():
        raise BudgetExpired()
    return grant


def prepare(
    session: Session,
    buyer: Principal,
    dataset_id: uuid.UUID,
    sql: str,
    epsilon: float | None,
    settings: Settings,
) -> Prepared:
    """Everything that needs no data: emergency stops, entitlement, profile, allow-list, cost."""
    if buyer.role is not Role.buyer:
        raise Forbidden("Only buyers can run sandbox queries.", "只有买方可以执行沙箱查询。")
    dataset = listings.get_listed(session, dataset_id)
    stops.enforce(
        session,
        buyer_org_id=buyer.org_id,
        dataset_id=dataset.id,
        door=stops.Door.sandbox_query,
        actor=buyer,
    )
    grant = _active_grant(session, buyer, dataset.id)
    approved = profiles.approved_profile(session, dataset.id)
    path = profiles.query_path(dataset, approved, settings.data_dir)
    if not path.exists():
        raise Conflict(
            "The dataset's data file is not available; try again later.",
            "数据集的数据文件暂不可用，请稍后再试。",
        )
    types = engine.column_types(path)
    bounds = {c: query.Bounds(lo, hi) for c, (lo, hi) in approved["bounds"].items()}
    try:
        plan = query.parse(sql, query.Schema(types, bounds), max_limit=settings.sandbox_max_limit)
    except SluiceError as refusal:
        # Refusals are kept (written even though the 4xx rolls the request back) so compliance
        # can see a buyer probing the allow-list; the SQL is the buyer's own text, never data.
        audit.record_refusal(
            session,
            "sandbox.query_refused",
            actor=buyer,
            dataset_id=dataset.id,
            details={"reason": refusal.detail, "sql": sql[:2000]},
        )
        raise
    eps = (
        accountant.epsilon_from_units(grant.default_query_epsilon_units)
        if epsilon is None
        else epsilon
    )
    if not (math.isfinite(eps) and 0 < eps <= settings.sandbox_max_query_epsilon):
        raise BadRequest(
            f"ε per query must be above 0 and at most {settings.sandbox_max_query_epsilon}.",
            f"单次查询的 ε 必须大于 0 且不超过 {settings.sandbox_max_query_epsilon}。",
        )
    privacy = release.Privacy(
        approved["privacy_unit"],
        approved["max_rows_per_person"],
        approved["public_domains"],
        file_within_bound=bool(approved.get("file_within_bound"))
        and path.stat().st_size == approved.get("checked_size_bytes"),
    )
    cost = release.cost(
        plan, privacy, eps, settings.sandbox_query_delta, settings.sandbox_max_groups
    )
    return Prepared(
        grant=grant,
        plan=plan,
        privacy=privacy,
        cost=cost,
        path=path,
        epsilon_units=accountant.epsilon_to_units(eps),
        delta_units=accountant.delta_to_units(cost.delta),
        row_count=dataset.row_count,
    )


def estimate(session: Session, prepared: Prepared, settings: Settings) -> dict[str, Any]:
    """The dry run: cost, price and expected errors; reads no data and spends nothing."""
    c = prepared.cost
    return {
        "dataset_id": prepared.grant.dataset_id,
        "epsilon": c.epsilon,
        "delta": c.delta,
        "price_minor": math.ceil(c.epsilon * settings.sandbox_price_per_epsilon_minor),
        "currency": settings.sandbox_currency,
        "grouping": c.grouping,
        "threshold": c.threshold,
        "runs_async": prepared.row_count >= settings.sandbox_async_min_rows,
        "outputs": release.expected_errors(prepared.plan, prepared.privacy, c),
        "budget": budget_of(session, prepared.grant),
    }


def submit(
    session: Session,
    buyer: Principal,
    dataset_id: uuid.UUID,
    sql: str,
    epsilon: float | None,
    settings: Settings,
    checkpoint: Checkpoint,
) -> tuple[SandboxQuery, bool]:
    """Run (or queue) a query; returns it and whether it is a stored answer (no charge).

    Large datasets (``row_count >= SLUICE_SANDBOX_ASYNC_MIN_ROWS``) run as a Celery task: the
    query comes back ``queued`` and is polled with ``GET /sandbox/queries/{id}``.

    ``checkpoint`` commits the caller's unit of work so far (``ground.dependencies.
    CheckpointDep`` in a request): called once the reservation is made, before any data is
    read, and once a failed query is settled, before its error is raised.
    """
    prepared = prepare(session, buyer, dataset_id, sql, epsilon, settings)
    repo = SandboxRepository(session)
    fingerprint = prepared.plan.fingerprint(prepared.epsilon_units)
    stored = repo.stored_answer(prepared.grant.id, fingerprint)
    if stored is not None:
        return stored, True
    run_async = prepared.row_count >= settings.sandbox_async_min_rows
    item = _reserve(session, buyer, prepared, sql, fingerprint, queued=run_async)
    if run_async:
        item.task_id = enqueue(session, "sandbox.run_query", query_id=str(item.id))
        repo.add(item)
        return item, False
    # The reservation must be durable before data is read, so other requests see it and a
    # crash during the run leaves it charged: the caller's unit of work commits it here.
    checkpoint()
    execute(session, item.id, settings, prepared=prepared, item=item)
    if item.status is QueryStatus.failed:
        # The charge is committed before the error reaches the client (and rolls back the rest).
        checkpoint()
        raise _failure(item)
    return item, False


def _reserve(
    session: Session,
    buyer: Principal,
    prepared: Prepared,
    sql: str,
    fingerprint: str,
    *,
    queued: bool,
) -> SandboxQuery:
    repo = SandboxRepository(session)
    # The grant's row lock serializes every reservation, top-up and withdrawal on it: the
    # allotment chosen and the spent sums it was chosen on hold until this unit of work commits.
    grant = repo.grant_of(buyer.org_id, prepared.grant.dataset_id, for_update=True)
    assert grant is not None
    allotment = allotments.choose(
        repo, grant, prepared.epsilon_units, prepared.delta_units, utcnow()
    )
    item = SandboxQuery(
        grant_id=grant.id,
        buyer_org_id=buyer.org_id,
        user_id=buyer.user_id,
        dataset_id=grant.dataset_id,
        sql_text=sql,
        fingerprint=fingerprint,
        status=QueryStatus.queued if queued else QueryStatus.running,
        epsilon_units=prepared.epsilon_units,
        delta_units=prepared.delta_units,
    )
    repo.add(item)
    repo.add(
        PrivacyLedgerEntry(
            grant_id=grant.id,
            allotment_id=allotment.id,
            query_id=item.id,
            kind=LedgerKind.reserve,
            epsilon_units=prepared.epsilon_units,
            delta_units=prepared.delta_units,
        )
    )
    return item


def execute(
    session: Session,
    query_id: uuid.UUID,
    settings: Settings,
    *,
    prepared: Prepared | None = None,
    item: SandboxQuery | None = None,
) -> SandboxQuery:
    """Run a reserved query and settle its reservation (used inline and by the Celery task).

    Inline, the caller passes the reserved ``item`` and its ``prepared`` plan and the engine
    runs before this session touches the database again (no lock is held while DuckDB works);
    the task loads and locks the query row first, so a redelivered task cannot run it twice.
    """
    if item is None or prepared is None:
        item = SandboxRepository(session).query(query_id, for_update=True)
        if item is None:
            raise NotFound("Sandbox query not found.", "沙箱查询不存在。")
        if item.status in (QueryStatus.succeeded, QueryStatus.failed):
            return item  # a redelivered task: already settled
        try:
            buyer = Principal(user_id=item.user_id, org_id=item.buyer_org_id, role=Role.buyer)
            prepared = prepare(
                session,
                buyer,
                item.dataset_id,
                item.sql_text,
                accountant.epsilon_from_units(item.epsilon_units),
                settings,
            )
        except Exception as exc:
            # Nothing was read: the grant, profile or listing changed since the reservation.
            _log_failure("sandbox query not runnable; reservation released", item, exc)
            return _settle(session, item, LedgerKind.release, error=NOT_RUNNABLE)
    plan = prepared.plan
    source = rewrite.bounded_rows(
        plan,
        prepared.privacy.privacy_unit,
        prepared.privacy.max_rows,
        already_bounded=prepared.privacy.file_within_bound,
    )
    statements = [rewrite.aggregate_sql(plan, source, rows=engine.file_rows(prepared.path))]
    quantiles = [j for j, a in enumerate(plan.aggregates) if a.kind == "quantile"]
    statements += [rewrite.histogram_sql(plan, source, j, dp.QUANTILE_BUCKETS) for j in quantiles]
    selected = selection.Selection(
        plan, prepared.privacy, prepared.cost, settings.sandbox_max_groups, quantiles=quantiles
    )
    try:
        engine.stream(prepared.path, statements, engine.limits_from(settings), selected)
        item.result = release.release(plan, prepared.privacy, prepared.cost, selected)
    except Exception as exc:
        # Failure-oblivious: once data may have been read, every failure (engine error,
        # timeout, memory limit, a bug in the release) is charged and stored as the one code
        # "failed", so the buyer sees the same response whatever happened; the class is logged.
        _log_failure("sandbox query failed after reading data; charged", item, exc)
        cause = "timeout" if isinstance(exc, engine.ExecutionTimedOut) else FAILED
        return _settle(session, item, LedgerKind.commit, error=FAILED, outcome=cause)
    return _settle(session, item, LedgerKind.commit, error=None)


def _log_failure(event: str, item: SandboxQuery, exc: Exception) -> None:
    """The query id and the exception's class and frames, never its message: the engine's
    and the release's messages can quote data values (``ground.ops.logs`` renders no
    exception message anyway; naming only the class here says so where it matters)."""
    log.warning(
        event,
        query_id=str(item.id),
        dataset_id=str(item.dataset_id),
        error_class=type(exc).__name__,
        exc_info=exc,
    )


def _settle(
    session: Session,
    item: SandboxQuery,
    kind: LedgerKind,
    *,
    error: str | None,
    outcome: str | None = None,
) -> SandboxQuery:
    """Append the settling ledger entry, store the outcome, audit and meter. ``outcome`` is
    the operator's metric label (it may name the cause; the buyer sees ``error`` only)."""
    sign = -1 if kind is LedgerKind.release else 0
    repo = SandboxRepository(session)
    allotment_id = repo.reserved_allotment(item.id)
    repo.add(
        PrivacyLedgerEntry(
            grant_id=item.grant_id,
            allotment_id=allotment_id,
            query_id=item.id,
            kind=kind,
            epsilon_units=sign * item.epsilon_units,
            delta_units=sign * item.delta_units,
        )
    )
    item.status = QueryStatus.failed if error else QueryStatus.succeeded
    item.error = error
    if error:
        item.result = None
    item.finished_at = utcnow()
    repo.add(item)
    entitlement_id = allotments.entitlement_of(repo, allotment_id)
    _account(session, item, charged=kind is LedgerKind.commit, entitlement_id=entitlement_id)
    metrics.sandbox_query_settled(
        outcome or error or "succeeded",
        accountant.epsilon_from_units(item.epsilon_units) if kind is LedgerKind.commit else 0.0,
    )
    return item


def _account(
    session: Session, item: SandboxQuery, *, charged: bool, entitlement_id: uuid.UUID | None
) -> None:
    """Every settled query lands in the audit log (with the usage scenario it ran under: its
    pack's, or the buyer's current one for a compliance grant); a charged one is also metered
    on the entitlement of the pack it was charged to, so ε spent shows in the buyer's usage and
    in that entitlement's statement."""
    epsilon = accountant.epsilon_from_units(item.epsilon_units) if charged else 0.0
    delta = accountant.delta_from_units(item.delta_units) if charged else 0.0
    buyer = Principal(user_id=item.user_id, org_id=item.buyer_org_id, role=Role.buyer)
    audit.record(
        session,
        "sandbox.query",
        actor=buyer,
        dataset_id=item.dataset_id,
        subject_id=item.id,
        details={
            "status": str(item.status),
            "error": item.error,
            "epsilon": epsilon,
            "delta": delta,
            "fingerprint": item.fingerprint,
            "entitlement_id": None if entitlement_id is None else str(entitlement_id),
            "usage_scenario": trade.scenario_of(session, entitlement_id)
            if entitlement_id is not None
            else trade.current_scenario(session, item.buyer_org_id, item.dataset_id),
        },
    )
    if charged:
        dataset = listings.get_dataset(session, item.dataset_id)
        metering.record_usage(
            session,
            buyer_org_id=item.buyer_org_id,
            dataset_id=item.dataset_id,
            provider_org_id=dataset.provider_org_id,
            kind=UsageKind.sandbox_query,
            units=1,
            epsilon=epsilon,
            delta=delta,
            entitlement_id=entitlement_id,
            user_id=item.user_id,
        )


def _failure(item: SandboxQuery) -> Exception:
    """The error a failed query answers with: one per cause that needs no data (a query
    that could not start), and one fixed response for every failure after reading."""
    if item.error == NOT_RUNNABLE:
        return QueryFailed(
            "The query could not start; no budget was charged.", "查询无法开始，未扣除预算。"
        )
    return QueryFailed(FAILED_DETAIL, FAILED_DETAIL_ZH)


def get_query(session: Session, principal: Principal, query_id: uuid.UUID) -> SandboxQuery:
    """Buyers read their organization's queries; compliance and admins any."""
    item = SandboxRepository(session).query(query_id)
    if item is None or (principal.role not in _STAFF and item.buyer_org_id != principal.org_id):
        raise NotFound("Sandbox query not found.", "沙箱查询不存在。")
    return item


def list_queries(
    session: Session,
    principal: Principal,
    *,
    dataset_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[SandboxQuery], int]:
    org = None if principal.role in _STAFF else principal.org_id
    return SandboxRepository(session).queries(
        org_id=org, dataset_id=dataset_id, limit=limit, offset=offset
    )
