"""The compliance report as charts: use and privacy budget over time, listings by grade and
status, trades by status, ε spent per buyer, the top consumers and the anomalies.

The figures are ``market.reports.service.compliance_report`` (what ``GET
/reports/compliance`` returns) plus the daily series of ``billing.usage`` (what ``GET
/usage`` returns to staff: every buyer's use), drawn by ``console.charts``; each chart has
its numbers in a table beside it. Compliance staff and admins may open it, as in the API.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from accounts.models import Role
from billing import metering
from billing.usage import DayTotal, daily_totals, usage_report
from ground.dependencies import SessionDep, UnitOfWorkRoute
from market.console import charts
from market.console.i18n import Lang, lang_of, translate
from market.console.nav import NavItem
from market.console.session import StaffUser
from market.console.templating import render
from market.reports.schemas import ComplianceReport, Consumer
from market.reports.service import compliance_report

router = APIRouter(prefix="/compliance", route_class=UnitOfWorkRoute)
NAV = (
    NavItem(
        "compliance.nav.report",
        "/console/compliance/report",
        frozenset({Role.compliance, Role.admin}),
    ),
)
WINDOWS = (7, 30, 90, 365)
BUDGET_SERIES = 3  # the heaviest ε spenders drawn as their own lines


def _text(lang: Lang, key: str, x: str, y: str, **values: object) -> charts.ChartText:
    return charts.ChartText(
        title=translate(f"compliance.report.{key}", lang),
        description=translate(f"compliance.report.{key}_desc", lang, **values),
        x_label=translate(f"compliance.report.axis_{x}", lang),
        y_label=translate(f"compliance.report.axis_{y}", lang),
    )


def _epsilon(value: float) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _budget_lines(
    session: Session, days: list[DayTotal], spenders: list[Consumer], lang: Lang
) -> list[charts.Series]:
    """ε per day for every buyer together, and for each of the heaviest spenders."""
    labels = [d.day.strftime("%m-%d") for d in days]
    lines = [
        charts.Series(
            translate("compliance.report.all_buyers", lang),
            [(label, d.epsilon) for label, d in zip(labels, days, strict=True)],
        )
    ]
    for buyer in spenders[:BUDGET_SERIES]:
        spent: dict[date, float] = {}
        for row in metering.usage_by_day(
            session, since=days[0].day, until=days[-1].day, buyer_org_id=buyer.buyer_org_id
        ):
            spent[row.day] = spent.get(row.day, 0.0) + row.epsilon
        lines.append(
            charts.Series(
                buyer.buyer_name,
                [(label, spent.get(d.day, 0.0)) for label, d in zip(labels, days, strict=True)],
            )
        )
    return lines


def _charts(
    session: Session, report: ComplianceReport, days: list[DayTotal], lang: Lang
) -> dict[str, Any]:
    span = {"since": days[0].day.isoformat(), "until": days[-1].day.isoformat()}
    calls = [(d.day.strftime("%m-%d"), float(d.calls)) for d in days]
    by_grade: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    for row in report.listings:
        by_grade[translate(f"common.grade.{row.grade}", lang) if row.grade else "—"] += row.count
        by_status[translate(f"common.status.{row.status}", lang)] += row.count
    trades = {translate(f"compliance.history.{s}", lang): n for s, n in report.trades.items()}
    epsilon_total = sum(d.epsilon for d in days)
    return {
        "usage": charts.line_chart(
            [charts.Series(translate("compliance.report.calls", lang), calls)],
            _text(lang, "usage", "day", "calls", total=f"{sum(d.calls for d in days):,}", **span),
        ),
        "budget": charts.line_chart(
            _budget_lines(session, days, report.budget_spent, lang),
            _text(lang, "budget", "day", "epsilon", total=_epsilon(epsilon_total), **span),
            value_format=_epsilon,
        ),
        "by_grade": charts.bar_chart(
            sorted(by_grade.items()),
            _text(lang, "by_grade", "grade", "datasets", total=sum(by_grade.values())),
            width=420,
        ),
        "by_status": charts.bar_chart(
            sorted(by_status.items()),
            _text(lang, "by_status", "status", "datasets", total=sum(by_status.values())),
            width=420,
        ),
        "trades": charts.bar_chart(
            sorted(trades.items()),
            _text(lang, "trades", "status", "orders", total=sum(trades.values())),
            width=420,
        ),
        "epsilon_per_buyer": charts.bar_chart(
            [(c.buyer_name, c.epsilon) for c in report.budget_spent],
            _text(lang, "epsilon_per_buyer", "buyer", "epsilon", **span),
            _epsilon,
            width=420,
        ),
        "consumers": charts.bar_chart(
            [(c.buyer_name, float(c.units)) for c in report.top_consumers],
            _text(lang, "consumers", "buyer", "units", **span),
            width=420,
        ),
    }


@router.get("/report")
def report_page(
    request: Request,
    user: StaffUser,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Response:
    """The exchange at a glance for the last ``days`` days, charts and tables."""
    report = compliance_report(session, days=days)
    until = datetime.now(UTC).date()
    daily = daily_totals(
        usage_report(session, user.principal, since=until - timedelta(days=days - 1), until=until)
    )
    lang = lang_of(request)
    grades = sorted({row.grade or "" for row in report.listings})
    statuses = sorted({row.status for row in report.listings})
    cells = {(row.grade or "", row.status): row.count for row in report.listings}
    return render(
        request,
        "compliance/report.html",
        user,
        {
            "report": report,
            "days": days,
            "windows": sorted({*WINDOWS, days}),
            "daily": daily,
            "charts": _charts(session, report, daily, lang),
            "grid": {"grades": grades, "statuses": statuses, "cells": cells},
            "epsilon": _epsilon,
        },
    )
