"""The buyer's sandbox: an SQL editor over a dataset the organization holds a budget on.

Queries go through ``sandbox.service`` exactly as ``POST /sandbox/queries`` does (the same
allow-list, ε reservation, noise and stored answers); a dry run prices a query without reading
data or spending budget. The result table shows every released value with its 95% interval
and mechanism, the ε charged and the budget left; a chart shows the budget over time.

A refused query (hostile SQL, not enough budget, a bad ε) is shown next to the editor with
the sandbox's own message in the reader's language, and the SQL stays in the editor. As in the
API, the unit of work is rolled back, so nothing but what the sandbox itself commits on
purpose (the record of a refusal, the charge of a query that read data) is kept.
"""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from sqlmodel import Session

from accounts.models import Role
from billing.usage import daily_totals, usage_report
from ground.config import Settings
from ground.db import Checkpoint, roll_back_so_far
from ground.dependencies import CheckpointDep, SessionDep, SettingsDep
from ground.errors import NotFound, SluiceError
from ground.idempotency.route import ConsoleIdempotentRoute, IdempotentWrite
from ground.ops.logs import get_logger
from listings import service as listings
from listings.views import public_read
from market.console import charts
from market.console.buyer_usage import budget_chart, last_days
from market.console.forms import validate_form
from market.console.i18n import Lang, error_text, lang_of, translate
from market.console.nav import NavItem
from market.console.session import BuyerUser, ConsoleUser
from market.console.templating import render
from sandbox import profiles
from sandbox import service as sandbox
from sandbox.models import QueryStatus
from sandbox.schemas import QueryCreate, QueryEstimate, QueryRead
from sandbox.views import budget_read, estimate_read, query_read

log = get_logger(__name__)

router = APIRouter(prefix="/sandbox", route_class=ConsoleIdempotentRoute)
NAV = (NavItem("buyer.nav.sandbox", "/console/sandbox", frozenset({Role.buyer})),)
PAGE_SIZE = 20
RECENT = 10
CHART_DAYS = 30
MAX_INTERVAL_CHARTS = 4


@router.get("")
def budgets(
    request: Request,
    user: BuyerUser,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The organization's sandbox budgets, one per dataset, each opening its SQL editor."""
    views, total = sandbox.list_budgets(
        session,
        user.principal,
        buyer_org_id=None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    rows = [budget_read(v) for v in views]
    titles = {r.dataset_id: listings.get_dataset(session, r.dataset_id).title for r in rows}
    return render(
        request,
        "buyer/sandbox_list.html",
        user,
        {
            "budgets": rows,
            "titles": titles,
            "page": page,
            "pages": max(1, math.ceil(total / PAGE_SIZE)),
            "url_for_page": lambda n: f"/console/sandbox?page={n}",
            "number": charts.format_number,
        },
    )


def _number(value: Any) -> str:
    return charts.format_number(value) if isinstance(value, int | float) else str(value)


def result_view(result: dict[str, Any]) -> dict[str, Any]:
    """The released rows as cells: group keys as they are, each aggregate with its 95%
    interval (value ± half-width) or, for quantiles, the bucket width and rank error."""
    columns: list[str] = result["columns"]
    rows = []
    for values, errors in zip(result["rows"], result["errors"], strict=True):
        cells = []
        for column in columns:
            value, error = values.get(column), errors.get(column)
            if error is None:
                cells.append({"key": True, "text": "" if value is None else str(value)})
                continue
            ci = error.get("ci95")
            cell: dict[str, Any] = {
                "key": False,
                "value": value,
                "text": _number(value),
                "mechanism": error.get("mechanism"),
                "epsilon": _number(error.get("epsilon")),
                "ci": None,
            }
            if isinstance(ci, int | float) and isinstance(value, int | float):
                cell.update(ci=ci, ci_text=_number(ci), low=_number(value - ci))
                cell["high"] = _number(value + ci)
            if error.get("bucket_width") is not None:
                cell["bucket_width"] = _number(error["bucket_width"])
                cell["rank_error"] = _number(error.get("rank_error95", 0))
            cells.append(cell)
        rows.append(cells)
    return {
        "columns": columns,
        "rows": rows,
        "grouping": result.get("grouping"),
        "threshold": result.get("threshold"),
    }


def _interval_charts(view: dict[str, Any], lang: Lang) -> list[Any]:
    """One error-bar chart per aggregate column whose values all have an interval."""
    columns, rows = view["columns"], view["rows"]
    if not rows:
        return []
    key_columns = [i for i, cell in enumerate(rows[0]) if cell["key"]]
    out = []
    for j, column in enumerate(columns):
        cells = [row[j] for row in rows]
        if any(c["key"] or c["ci"] is None for c in cells):
            continue
        labels = [
            " · ".join(row[i]["text"] for i in key_columns) or translate("buyer.sandbox.all", lang)
            for row in rows
        ]
        text = charts.ChartText(
            title=translate("buyer.sandbox.interval_chart", lang, column=column),
            description=translate("buyer.sandbox.interval_chart_desc", lang, column=column),
            x_label=translate("buyer.sandbox.axis_group", lang),
            y_label=column,
        )
        points = [
            (label, float(c["value"]), float(c["ci"]))
            for label, c in zip(labels, cells, strict=True)
        ]
        out.append(charts.interval_chart(points, text))
    return out[:MAX_INTERVAL_CHARTS]


def example_sql(approved: dict[str, Any] | None) -> str:
    """A first query that the approved profile answers: counts per public domain if any."""
    domains = (approved or {}).get("public_domains") or {}
    if domains:
        column = next(iter(domains))
        if not column.isidentifier():  # e.g. a space in the name: quote it for DuckDB
            column = '"' + column.replace('"', '""') + '"'
        return f"SELECT {column}, COUNT(*) AS n FROM dataset GROUP BY {column}"
    return "SELECT COUNT(*) AS n FROM dataset"


def _approved(session: Session, user: ConsoleUser, dataset_id: uuid.UUID) -> dict[str, Any] | None:
    try:
        return profiles.declarations(profiles.get(session, user.principal, dataset_id).approved)
    except NotFound:
        log.debug("no sandbox profile declared yet", dataset_id=str(dataset_id))
        return None  # no profile declared yet: the page says queries cannot run


def _context(
    request: Request,
    session: Session,
    user: ConsoleUser,
    dataset_id: uuid.UUID,
    *,
    sql: str | None = None,
    epsilon: str = "",
    query: QueryRead | None = None,
    estimate: QueryEstimate | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    lang = lang_of(request)
    dataset = public_read(session, listings.get_listed(session, dataset_id))  # buyer view
    budget = budget_read(sandbox.buyer_budget(session, user.principal, dataset.id))
    approved = _approved(session, user, dataset.id)
    since, until = last_days(CHART_DAYS)
    report = usage_report(session, user.principal, since=since, until=until, dataset_id=dataset.id)
    days = [d.day for d in daily_totals(report)]
    recent, _ = sandbox.list_queries(
        session, user.principal, dataset_id=dataset.id, limit=RECENT, offset=0
    )
    result = result_view(query.result) if query and query.result else None
    return {
        "dataset": dataset,
        "budget": budget,
        "budget_chart": budget_chart(
            budget, dataset.title, days, report.days, lang, show_left=True
        ),
        "approved": approved,
        "sql": example_sql(approved) if sql is None else sql,
        "epsilon": epsilon,
        "query": query,
        "result": result,
        "interval_charts": _interval_charts(result, lang) if result else [],
        "estimate": estimate,
        "error": error,
        "recent": [query_read(session, q) for q in recent],
        "number": charts.format_number,
    }


def _render(
    request: Request, user: ConsoleUser, context: dict[str, Any], status_code: int = 200
) -> Response:
    """The whole page, or for htmx only the result (and, out of band, the budget)."""
    htmx = request.headers.get("HX-Request") == "true"
    template = "buyer/_sandbox_result.html" if htmx else "buyer/sandbox.html"
    return render(request, template, user, context, status_code=status_code)


@router.get("/{dataset_id}")
def editor(
    request: Request,
    dataset_id: uuid.UUID,
    user: BuyerUser,
    session: SessionDep,
    query: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """The SQL editor, the budget left and its history, and the last queries; ``?query=``
    shows an earlier query's result (or the state of one still running on a worker)."""
    shown = None
    if query is not None:
        item = sandbox.get_query(session, user.principal, query)
        if item.dataset_id != dataset_id:
            raise NotFound("Sandbox query not found.", "沙箱查询不存在。")
        shown = query_read(session, item)
    context = _context(
        request,
        session,
        user,
        dataset_id,
        sql=shown.sql if shown else None,
        query=shown,
    )
    return _render(request, user, context)


def _run(
    session: Session,
    checkpoint: Checkpoint,
    user: ConsoleUser,
    settings: Settings,
    dataset_id: uuid.UUID,
    body: QueryCreate,
) -> tuple[QueryRead | None, QueryEstimate | None]:
    if body.dry_run:
        prepared = sandbox.prepare(
            session, user.principal, dataset_id, body.sql, body.epsilon, settings
        )
        return None, estimate_read(sandbox.estimate(session, prepared, settings))
    item, stored = sandbox.submit(
        session, user.principal, dataset_id, body.sql, body.epsilon, settings, checkpoint
    )
    return query_read(session, item, stored=stored), None


@router.post("/{dataset_id}")
def run(
    request: Request,
    dataset_id: uuid.UUID,
    user: BuyerUser,
    _: IdempotentWrite,
    session: SessionDep,
    checkpoint: CheckpointDep,
    settings: SettingsDep,
    sql: Annotated[str, Form(max_length=40_000)] = "",
    epsilon: Annotated[str, Form(max_length=40)] = "",
    action: Annotated[str, Form(max_length=20)] = "run",
) -> Response:
    """Run the query (``POST /sandbox/queries``) or, with ``action=dry_run``, only price it."""
    query = estimate = None
    error, status = None, 200
    try:
        body = validate_form(
            QueryCreate,
            {
                "dataset_id": dataset_id,
                "sql": sql,
                "epsilon": epsilon.strip() or None,
                "dry_run": action == "dry_run",
            },
        )
        query, estimate = _run(session, checkpoint, user, settings, dataset_id, body)
    except SluiceError as exc:
        # Like the API's unit of work: what the failed call did is undone (its undos run, so a
        # refusal's audit record is still written), and the page goes on in a new one.
        log.info("console sandbox query refused", error=type(exc).__name__)
        roll_back_so_far(session)
        error, status = error_text(exc, lang_of(request)), exc.status_code
    context = _context(
        request,
        session,
        user,
        dataset_id,
        sql=sql,
        epsilon=epsilon,
        query=query,
        estimate=estimate,
        error=error,
    )
    if query is not None and query.status in (QueryStatus.queued, QueryStatus.running):
        status = 202
    return _render(request, user, context, status)
