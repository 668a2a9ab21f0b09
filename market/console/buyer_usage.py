"""The buyer's usage: a statement per entitlement, and charts of use and privacy budget.

The statement is ``GET /entitlements`` (``trade.entitlement_statements``): paid, used (calls,
rows, ε) and left per entitlement. The charts come from the usage report behind ``GET /usage``
(``billing.usage``, scoped to the buyer's organization) and the sandbox budgets behind
``GET /sandbox/budget``: calls per day per dataset, and ε spent over time against each
budget's total. Tables next to the charts give the exact numbers.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from markupsafe import Markup
from sqlmodel import Session

from accounts.models import Role
from billing.schemas import UsageDay
from billing.usage import daily_totals, usage_report
from ground.dependencies import SessionDep, UnitOfWorkRoute
from listings import service as listings
from market.console import charts
from market.console.i18n import Lang, lang_of, translate
from market.console.nav import NavItem
from market.console.session import BuyerUser
from market.console.templating import render
from sandbox import service as sandbox
from sandbox.schemas import BudgetRead
from sandbox.views import budget_read
from trade import entitlement_statements

router = APIRouter(route_class=UnitOfWorkRoute)
NAV = (NavItem("buyer.nav.usage", "/console/usage", frozenset({Role.buyer})),)
PAGE_SIZE = 20
RANGES = (7, 30, 90, 365)
MAX_SERIES = 5  # datasets drawn as their own line; the rest are summed into "others"
MAX_BUDGET_CHARTS = 10


def dataset_titles(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {i: listings.get_dataset(session, i).title for i in set(ids)}


def epsilon_spent_by_day(
    days: Sequence[date], used: Sequence[UsageDay], dataset_id: uuid.UUID, spent_now: float
) -> list[tuple[date, float]]:
    """ε spent on a dataset by the end of each day, counted back from what the ledger says is
    spent now: the days after ``d`` spent the rest. Exact for a range that ends today."""
    per_day: dict[date, float] = defaultdict(float)
    for u in used:
        if u.dataset_id == dataset_id:
            per_day[u.day] += u.epsilon
    spent, later = [], 0.0
    for day in reversed(days):
        spent.append((day, round(max(spent_now - later, 0.0), 6)))
        later += per_day[day]
    return spent[::-1]


def epsilon_lapsed_by_day(budget: BudgetRead, days: Sequence[date]) -> list[float]:
    """ε that could no longer be spent by the end of each day: what each ended allotment (an
    expired or revoked pack, a stopped grant) had left, from the day it ended. "Left" on a day
    is the total minus spent minus this, so the line ends at the budget's usable ε."""
    lapses = [
        (allotment.valid_until or budget.valid_until, allotment.epsilon_left)
        for allotment in budget.allotments
        if not allotment.usable
    ]
    return [
        sum(left for ended, left in lapses if ended is None or ended.date() <= day) for day in days
    ]


def day_label(day: date) -> str:
    return day.strftime("%m-%d")


def _calls_chart(
    days: Sequence[date], used: Sequence[UsageDay], titles: dict[uuid.UUID, str], lang: Lang
) -> Markup:
    per_dataset: dict[uuid.UUID, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for u in used:
        per_dataset[u.dataset_id][u.day] += u.calls
    ranked = sorted(per_dataset, key=lambda i: (-sum(per_dataset[i].values()), titles[i]))
    series = [
        charts.Series(titles[i], [(day_label(d), per_dataset[i][d]) for d in days])
        for i in ranked[:MAX_SERIES]
    ]
    if len(ranked) > MAX_SERIES:
        others = [(day_label(d), sum(per_dataset[i][d] for i in ranked[MAX_SERIES:])) for d in days]
        series.append(charts.Series(translate("buyer.usage.others", lang), others))
    if not series:
        series = [
            charts.Series(translate("buyer.usage.calls", lang), [(day_label(d), 0.0) for d in days])
        ]
    total = sum(u.calls for u in used)
    text = charts.ChartText(
        title=translate("buyer.usage.calls_chart", lang),
        description=translate(
            "buyer.usage.calls_chart_desc",
            lang,
            since=days[0].isoformat(),
            until=days[-1].isoformat(),
            total=f"{total:,}",
        ),
        x_label=translate("buyer.usage.axis_day", lang),
        y_label=translate("buyer.usage.axis_calls", lang),
    )
    return charts.line_chart(series, text)


def budget_chart(
    budget: BudgetRead,
    title: str,
    days: Sequence[date],
    used: Sequence[UsageDay],
    lang: Lang,
    *,
    show_left: bool = False,
) -> Markup:
    """ε spent (or left) by the end of each day against the budget's total."""
    spent = epsilon_spent_by_day(days, used, budget.dataset_id, budget.epsilon_spent)
    if show_left:
        lapsed = epsilon_lapsed_by_day(budget, days)
        points = [
            (day_label(d), round(max(budget.epsilon_total - s - gone, 0.0), 6))
            for (d, s), gone in zip(spent, lapsed, strict=True)
        ]
        name = translate("buyer.usage.epsilon_left", lang)
    else:
        points = [(day_label(d), s) for d, s in spent]
        name = translate("buyer.usage.epsilon_spent", lang)
    total = [(day_label(d), budget.epsilon_total) for d in days]
    text = charts.ChartText(
        title=translate("buyer.usage.budget_chart", lang, dataset=title),
        description=translate(
            "buyer.usage.budget_chart_desc",
            lang,
            dataset=title,
            spent=charts.format_number(budget.epsilon_spent),
            total=charts.format_number(budget.epsilon_total),
            left=charts.format_number(budget.epsilon_left),
            since=days[0].isoformat(),
            until=days[-1].isoformat(),
        ),
        x_label=translate("buyer.usage.axis_day", lang),
        y_label="ε",
    )
    series = [
        charts.Series(name, points),
        charts.Series(translate("buyer.usage.epsilon_total", lang), total),
    ]
    return charts.line_chart(series, text)


def last_days(count: int) -> tuple[date, date]:
    until = datetime.now(UTC).date()
    return until - timedelta(days=count - 1), until


@router.get("/usage")
def usage(
    request: Request,
    user: BuyerUser,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Statements per entitlement, calls per day per dataset, ε spent against each budget."""
    lang = lang_of(request)
    items, total = entitlement_statements.entitlement_statements(
        session, user.principal, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    since, until = last_days(days)
    report = usage_report(session, user.principal, since=since, until=until)
    day_list = [d.day for d in daily_totals(report)]
    views, _ = sandbox.list_budgets(
        session, user.principal, buyer_org_id=None, limit=MAX_BUDGET_CHARTS, offset=0
    )
    budgets = [budget_read(v) for v in views]
    titles = dataset_titles(
        session,
        [s.dataset_id for s in items]
        + [u.dataset_id for u in report.days]
        + [b.dataset_id for b in budgets],
    )
    budget_views: list[dict[str, Any]] = [
        {
            "budget": b,
            "title": titles[b.dataset_id],
            "svg": budget_chart(b, titles[b.dataset_id], day_list, report.days, lang),
        }
        for b in budgets
    ]
    return render(
        request,
        "buyer/usage.html",
        user,
        {
            "statements": items,
            "titles": titles,
            "total": total,
            "page": page,
            "pages": max(1, math.ceil(total / PAGE_SIZE)),
            "url_for_page": lambda n: f"/console/usage?days={days}&page={n}",
            "days": days,
            "ranges": sorted({*RANGES, days}),
            "calls_chart": _calls_chart(day_list, report.days, titles, lang),
            "totals": [(titles[t.dataset_id], t) for t in report.totals_by_dataset],
            "budgets": budget_views,
            "number": charts.format_number,
        },
    )
