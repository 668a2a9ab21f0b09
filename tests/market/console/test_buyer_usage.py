"""The buyer's usage page: statements per entitlement and charts of calls and ε over time."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from billing import metering
from billing.models import PlanKind, UsageKind
from billing.schemas import UsageDay
from ground.config import Settings
from listings.models import Dataset
from market.console.buyer_usage import epsilon_spent_by_day
from tests.fixtures.client import bearer
from tests.fixtures.console import html as shown
from tests.fixtures.console import pattern, text
from tests.fixtures.factories import (
    activate_plan,
    create_sandbox_buyer,
    create_sandbox_dataset,
    create_user,
)
from tests.market.console.conftest import SignIn, post_form

SVG = "{http://www.w3.org/2000/svg}"


def _charts(page: str) -> list[ET.Element]:
    out = []
    for chunk in page.split('<svg class="chart"')[1:]:
        out.append(ET.fromstring('<svg class="chart"' + chunk.split("</svg>", 1)[0] + "</svg>"))
    return out


def test_the_statement_shows_paid_used_and_left_per_entitlement(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    order, entitlement = activate_plan(session, buyer, listed, provider, calls=10)
    for rows in (3, 4):
        metering.record_usage(
            session,
            buyer_org_id=buyer.organization_id,
            dataset_id=listed.id,
            provider_org_id=provider.organization_id,
            kind=UsageKind.api_call,
            units=1,
            rows=rows,
            entitlement_id=entitlement.id,
        )
    signed_in(buyer)
    page = client.get("/console/usage")
    assert page.status_code == 200
    row = page.text.split(f'href="/console/orders/{order.id}"', 1)[1].split("</tr>", 1)[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    # paid (no payment was recorded by this factory), quota left / total, calls, rows
    assert cells[1] == f"10 / 10 {shown('catalog.unit.calls')}"
    assert cells[2:4] == ["2", "7"]
    [calls_chart] = _charts(page.text)
    title = calls_chart.find(f"{SVG}title")
    assert title is not None
    assert title.text == text("buyer.usage.calls_chart")
    series = [p.get("data-series") for p in calls_chart.iter(f"{SVG}polyline")]
    assert series == [listed.title]
    values = [float(c.get("data-value", 0)) for c in calls_chart.iter(f"{SVG}circle")]
    assert len(values) == 30
    assert values[-1] == 2  # today's two calls


def test_epsilon_spent_is_charted_against_the_budget(
    client: TestClient, session: Session, settings: Settings, signed_in: SignIn
) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings)
    analyst = create_sandbox_buyer(session, settings, dataset, epsilon=3.0)
    signed_in(analyst)
    post_form(client, f"/console/sandbox/{dataset.id}", {"sql": "SELECT COUNT(*) FROM dataset"})
    page = client.get("/console/usage").text
    assert pattern("buyer.usage.budget_line", spent=0.5, total=3, left=2.5).search(page)
    _, budget_chart = _charts(page)
    lines = {p.get("data-series"): p for p in budget_chart.iter(f"{SVG}polyline")}
    assert set(lines) == {text("buyer.usage.epsilon_spent"), text("buyer.usage.epsilon_total")}
    spent = [float(c.get("data-value", 0)) for c in budget_chart.iter(f"{SVG}circle")][:30]
    assert spent[-1] == 0.5
    assert spent[0] == 0


def test_the_period_is_chosen_and_a_bad_one_is_refused(
    client: TestClient, buyer: User, signed_in: SignIn
) -> None:
    signed_in(buyer)
    week = client.get("/console/usage", params={"days": 7}).text
    [chart] = _charts(week)
    assert len(list(chart.iter(f"{SVG}circle"))) == 7
    assert f'<option value="7" selected>{shown("buyer.usage.last_days", days=7)}</option>' in week
    for bad in ("0", "400", "many"):
        response = client.get("/console/usage", params={"days": bad})
        assert response.status_code == 422
        assert "表单内容无效" in response.text


def test_epsilon_spent_by_day_counts_back_from_the_ledger() -> None:
    dataset = uuid.uuid4()
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(4)]
    used = [
        UsageDay(day=days[1], dataset_id=dataset, calls=1, units=1, rows=0, epsilon=0.5),
        UsageDay(day=days[3], dataset_id=dataset, calls=2, units=2, rows=0, epsilon=1.0),
        UsageDay(day=days[3], dataset_id=uuid.uuid4(), calls=1, units=1, rows=0, epsilon=9.0),
    ]
    # 0.25 was spent before the range began.
    assert epsilon_spent_by_day(days, used, dataset, 1.75) == [
        (days[0], 0.25),
        (days[1], 0.75),
        (days[2], 0.75),
        (days[3], 1.75),
    ]


def test_sandbox_queries_count_against_the_sandbox_pack_they_were_bought_with(
    client: TestClient, session: Session, settings: Settings, signed_in: SignIn
) -> None:
    dataset, provider, _ = create_sandbox_dataset(session, settings)
    analyst = create_user(session, role=Role.buyer)
    order, entitlement = activate_plan(
        session, analyst, dataset, provider, kind=PlanKind.sandbox_pack, calls=10, epsilon=2.0
    )
    signed_in(analyst)
    post_form(client, f"/console/sandbox/{dataset.id}", {"sql": "SELECT COUNT(*) FROM dataset"})
    statement = client.get(
        f"/api/v1/entitlements/{entitlement.id}", headers=bearer(analyst, settings)
    ).json()
    assert (statement["calls_used"], statement["epsilon_used"]) == (1, 0.5)
    assert statement["epsilon_left"] == 1.5
    row = client.get("/console/usage").text.split(f'href="/console/orders/{order.id}"', 1)[1]
    assert '<td class="num">0.5 / 1.5</td>' in row.split("</tr>", 1)[0]
