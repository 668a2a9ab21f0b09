"""The compliance report page: use and budget over time, listings, trades, consumers,
anomalies, as charts with their numbers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role, User
from listings.models import Dataset
from tests.fixtures.console import html as shown
from tests.fixtures.console import pattern
from tests.fixtures.factories import create_user, metered_use
from tests.market.console.conftest import SignIn

REPORT = "/console/compliance/report"


def _chart(page: str, title: str) -> str:
    """The <svg> whose title is ``title``."""
    for svg in re.findall(r"<svg .*?</svg>", page, re.S):
        if f">{title}</title>" in svg:
            return str(svg)
    raise AssertionError(f"no chart titled {title!r}")


@pytest.fixture
def buyers(session: Session, listed: Dataset) -> tuple[User, User]:
    """A sandbox user spending ε every day, and an API user whose use jumps today."""
    analyst, jumpy = create_user(session, role=Role.buyer), create_user(session, role=Role.buyer)
    for day in range(1, 6):
        metered_use(session, analyst, listed, days_ago=day, epsilon=0.25)
        metered_use(session, jumpy, listed, units=2, days_ago=day)
    metered_use(session, jumpy, listed, units=300, days_ago=0.01)
    return analyst, jumpy


def test_the_report_charts_use_and_budget_over_time(
    client: TestClient,
    session: Session,
    buyers: tuple[User, User],
    reviewer: User,
    signed_in: SignIn,
) -> None:
    analyst, jumpy = buyers
    analyst_name = accounts.get_organization(session, analyst.organization_id).name
    signed_in(reviewer)
    page = client.get(REPORT)
    assert page.status_code == 200
    text = page.text

    usage = _chart(text, shown("compliance.report.usage"))
    # five days of both buyers, and the jump today
    assert pattern("compliance.report.usage_desc", total=11).search(usage)
    budget = _chart(text, shown("compliance.report.budget"))
    assert f'data-series="{shown("compliance.report.all_buyers")}"' in budget
    assert f'data-series="{analyst_name}"' in budget  # the heaviest spender has its own line
    assert pattern("compliance.report.budget_desc", total=1.25).search(budget)
    per_buyer = _chart(text, shown("compliance.report.epsilon_per_buyer"))
    assert f"<title>{analyst_name}: 1.25</title>" in per_buyer

    by_status = _chart(text, shown("compliance.report.by_status"))
    assert f"<title>{shown('common.status.listed')}: 1</title>" in by_status
    # The numbers beside the charts: 30 days, one row each.
    assert len(re.findall(r"<tr><th scope=\"row\">\d{4}-\d\d-\d\d</th>", text)) == 30


def test_the_report_names_anomalies_with_a_way_to_act(
    client: TestClient,
    session: Session,
    buyers: tuple[User, User],
    reviewer: User,
    signed_in: SignIn,
) -> None:
    _, jumpy = buyers
    signed_in(reviewer)
    text = client.get(REPORT).text
    row = re.search(r'<tr data-anomaly="usage_jump">.*?</tr>', text, re.S)
    assert row, text
    assert shown("compliance.report.anomaly.usage_jump") in row.group(0)
    assert "近一日用量 300" in row.group(0)
    assert f"/console/compliance/emergency-stop?buyer={jumpy.organization_id}" in row.group(0)


def test_the_window_can_be_chosen_and_is_checked(
    client: TestClient, buyers: tuple[User, User], reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    week = client.get(REPORT, params={"days": 7}).text
    assert len(re.findall(r"<tr><th scope=\"row\">\d{4}-\d\d-\d\d</th>", week)) == 7
    assert '<option value="7" selected>' in week
    refused = client.get(REPORT, params={"days": 0})
    assert refused.status_code == 422
    assert "表单内容无效" in refused.text


def test_the_report_in_english_and_for_admins(
    client: TestClient, session: Session, buyers: tuple[User, User], signed_in: SignIn
) -> None:
    signed_in(create_user(session, role=Role.admin))
    client.cookies.set("lang", "en")
    text = client.get(REPORT).text
    assert _chart(text, shown("compliance.report.budget", "en"))
    assert shown("compliance.report.anomaly.usage_jump", "en") in text
    assert shown("compliance.report.usage", "zh") not in text
