"""The sandbox page: the SQL editor, results with their 95% intervals, the budget, dry runs and
the sandbox's own refusals, through plain forms and htmx."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import Role, User
from ground.config import Settings
from ground.db import utcnow
from listings.models import Dataset
from market.console import charts
from market.console.buyer_sandbox import example_sql
from market.console.csrf import CSRF_COOKIE
from sandbox import service as sandbox
from sandbox.models import PrivacyLedgerEntry, SandboxAllotment, SandboxQuery
from tests.fixtures.console import html as shown
from tests.fixtures.factories import create_sandbox_buyer, create_sandbox_dataset, create_user
from tests.market.console.conftest import SignIn, post_form

GROUPED = "SELECT 城市, COUNT(*) AS n, AVG(金额) AS mean FROM dataset GROUP BY 城市"


@pytest.fixture
def sandbox_dataset(session: Session, settings: Settings) -> Dataset:
    dataset, _, _ = create_sandbox_dataset(session, settings)
    return dataset


@pytest.fixture
def analyst(session: Session, settings: Settings, sandbox_dataset: Dataset) -> User:
    """A buyer whose organization holds ε = 2 and 5 queries on the sandbox dataset."""
    return create_sandbox_buyer(session, settings, sandbox_dataset, epsilon=2.0, max_queries=5)


def _ledger(session: Session) -> list[PrivacyLedgerEntry]:
    session.expire_all()
    return list(session.exec(select(PrivacyLedgerEntry)))


def _url(dataset: Dataset) -> str:
    return f"/console/sandbox/{dataset.id}"


def test_the_editor_shows_a_labelled_sql_box_and_the_budget(
    client: TestClient, sandbox_dataset: Dataset, analyst: User, signed_in: SignIn
) -> None:
    signed_in(analyst)
    page = client.get(_url(sandbox_dataset))
    assert page.status_code == 200
    text = page.text
    assert f'<label for="sql">{shown("buyer.sandbox.sql")}</label>' in text
    # A first query the approved profile answers, grouped by its public domain.
    assert "SELECT 城市, COUNT(*) AS n FROM dataset GROUP BY 城市</textarea>" in text
    budget = text.split('data-testid="budget-left"', 1)[1].split("</dl>", 1)[0]
    assert "2 / 2" in budget  # ε left / total
    assert "5 / 5" in budget  # queries left
    assert shown("buyer.sandbox.domain", values="北京、上海、广州、深圳") in text
    assert text.count('<svg class="chart"') == 1  # the budget over time


def test_a_query_shows_each_value_with_its_interval_the_charge_and_the_budget_left(
    client: TestClient,
    session: Session,
    sandbox_dataset: Dataset,
    analyst: User,
    signed_in: SignIn,
) -> None:
    signed_in(analyst)
    response = post_form(client, _url(sandbox_dataset), {"sql": GROUPED, "epsilon": "1"})
    assert response.status_code == 200, response.text
    text = response.text
    answer = text.split('data-testid="sandbox-answer"', 1)[1]
    for city in ("北京", "上海", "广州", "深圳"):
        assert f'<th scope="row">{city}</th>' in answer
    assert answer.count('<span class="dp-ci"') == 8  # n and mean, in four groups
    assert len(re.findall(r"95%: \[-?[\d,.]+, [\d,.]+\]", answer)) == 8
    assert shown("buyer.sandbox.charged", epsilon=1, delta=0) in answer
    assert shown("buyer.sandbox.left_after", epsilon=1, queries=4) in answer
    # Error bars for both aggregates, one per group, each with its interval in a tooltip.
    assert answer.count('<g class="interval"') == 8
    [query] = session.exec(select(SandboxQuery)).all()
    assert query.status == "succeeded"
    assert {e.kind for e in _ledger(session)} == {"reserve", "commit"}
    budget = text.split('data-testid="budget-left"', 1)[1].split("</dl>", 1)[0]
    assert "1 / 2" in budget
    assert f"?query={query.id}" in text  # listed among the recent queries


def test_htmx_gets_the_result_and_the_budget_out_of_band(
    client: TestClient, sandbox_dataset: Dataset, analyst: User, signed_in: SignIn
) -> None:
    signed_in(analyst)
    response = client.post(
        _url(sandbox_dataset),
        data={"sql": "SELECT COUNT(*) AS n FROM dataset", "epsilon": "0.5"},
        headers={"HX-Request": "true", "X-CSRF-Token": client.cookies[CSRF_COOKIE]},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.startswith('<div id="sandbox-result"')
    assert '<section id="sandbox-budget" aria-labelledby="budget-h" hx-swap-oob="true">' in (
        response.text
    )
    assert "1.5 / 2" in response.text
    recent = '<section id="sandbox-recent" aria-labelledby="recent-h" hx-swap-oob="true">'
    assert recent in response.text
    assert "SELECT COUNT(*) AS n FROM dataset</code>" in response.text


def test_the_same_query_again_is_the_stored_answer_at_no_cost(
    client: TestClient,
    session: Session,
    sandbox_dataset: Dataset,
    analyst: User,
    signed_in: SignIn,
) -> None:
    signed_in(analyst)
    post_form(client, _url(sandbox_dataset), {"sql": GROUPED, "epsilon": "1"})
    again = post_form(client, _url(sandbox_dataset), {"sql": GROUPED, "epsilon": "1"})
    assert shown("buyer.sandbox.stored") in again.text
    assert len(_ledger(session)) == 2


def test_a_dry_run_prices_the_query_and_spends_nothing(
    client: TestClient,
    session: Session,
    sandbox_dataset: Dataset,
    analyst: User,
    signed_in: SignIn,
) -> None:
    signed_in(analyst)
    response = post_form(
        client, _url(sandbox_dataset), {"sql": GROUPED, "epsilon": "0.8", "action": "dry_run"}
    )
    assert response.status_code == 200
    estimate = shown("buyer.sandbox.estimate_line", epsilon=0.8, delta=0, price="¥80.00")
    assert estimate in response.text
    assert shown("buyer.sandbox.grouping.public_domain") in response.text
    # the mechanism, named in the reader's language
    assert shown("buyer.sandbox.mech.geometric") in response.text
    assert 'data-testid="sandbox-answer"' not in response.text
    assert _ledger(session) == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM dataset",
        "SELECT count(*) FROM read_csv_auto('/etc/passwd')",
        "SELECT count(*) FROM dataset; DROP TABLE dataset",
    ],
)
def test_hostile_sql_is_refused_with_the_sandboxs_message_and_costs_nothing(
    client: TestClient,
    session: Session,
    sandbox_dataset: Dataset,
    analyst: User,
    signed_in: SignIn,
    sql: str,
) -> None:
    signed_in(analyst)
    response = post_form(client, _url(sandbox_dataset), {"sql": sql})
    assert response.status_code == 400
    error = response.text.split('data-testid="sandbox-error">', 1)[1].split("</div>", 1)[0]
    assert error.startswith("查询被拒绝")
    assert "<textarea" in response.text  # the editor is still there...
    assert ">" + sql.replace("'", "&#39;") + "</textarea>" in response.text  # ...with the SQL
    assert _ledger(session) == []
    client.cookies.set("lang", "en")
    english = post_form(client, _url(sandbox_dataset), {"sql": sql})
    assert "Query refused" in english.text


def test_a_refusal_over_htmx_comes_back_in_the_result_region(
    client: TestClient, sandbox_dataset: Dataset, analyst: User, signed_in: SignIn
) -> None:
    signed_in(analyst)
    response = client.post(
        _url(sandbox_dataset),
        data={"sql": "SELECT 身份证号 FROM dataset"},
        headers={"HX-Request": "true", "X-CSRF-Token": client.cookies[CSRF_COOKIE]},
    )
    assert response.status_code == 400
    assert response.text.startswith('<div id="sandbox-result"')
    assert 'role="alert"' in response.text
    assert "查询被拒绝" in response.text


def test_not_enough_budget_is_refused_with_the_budget_left(
    client: TestClient,
    session: Session,
    sandbox_dataset: Dataset,
    analyst: User,
    signed_in: SignIn,
) -> None:
    signed_in(analyst)
    post_form(
        client, _url(sandbox_dataset), {"sql": "SELECT COUNT(*) FROM dataset", "epsilon": "2"}
    )
    response = post_form(
        client, _url(sandbox_dataset), {"sql": "SELECT SUM(金额) FROM dataset", "epsilon": "0.5"}
    )
    assert response.status_code == 402
    assert "隐私预算不足" in response.text
    assert len(_ledger(session)) == 2  # only the first query's


@pytest.mark.parametrize(("epsilon", "message"), [("abc", "请修改表单"), ("-1", "请修改表单")])
def test_a_bad_epsilon_is_refused_readably(
    client: TestClient,
    session: Session,
    sandbox_dataset: Dataset,
    analyst: User,
    signed_in: SignIn,
    epsilon: str,
    message: str,
) -> None:
    signed_in(analyst)
    response = post_form(client, _url(sandbox_dataset), {"sql": GROUPED, "epsilon": epsilon})
    assert response.status_code == 400
    assert message in response.text
    assert _ledger(session) == []


def test_the_sandbox_needs_the_csrf_token(
    client: TestClient,
    session: Session,
    sandbox_dataset: Dataset,
    analyst: User,
    signed_in: SignIn,
) -> None:
    signed_in(analyst)
    response = client.post(_url(sandbox_dataset), data={"sql": GROUPED})
    assert response.status_code == 403
    assert _ledger(session) == []


def test_without_a_grant_the_page_says_to_buy_a_sandbox_pack(
    client: TestClient, session: Session, sandbox_dataset: Dataset, signed_in: SignIn
) -> None:
    signed_in(create_user(session, role=Role.buyer))
    page = client.get(_url(sandbox_dataset))
    assert page.status_code == 403
    assert "请先购买沙箱套餐" in page.text
    assert post_form(client, _url(sandbox_dataset), {"sql": GROUPED}).status_code == 403


def test_an_earlier_query_can_be_opened_but_not_another_organizations(
    client: TestClient,
    session: Session,
    settings: Settings,
    sandbox_dataset: Dataset,
    analyst: User,
    signed_in: SignIn,
) -> None:
    signed_in(analyst)
    post_form(client, _url(sandbox_dataset), {"sql": GROUPED, "epsilon": "1"})
    [query] = session.exec(select(SandboxQuery)).all()
    page = client.get(_url(sandbox_dataset), params={"query": str(query.id)}).text
    assert GROUPED + "</textarea>" in page
    assert page.count('<span class="dp-ci"') == 8
    other = create_sandbox_buyer(session, settings, sandbox_dataset)
    session.commit()
    client.cookies.clear()
    signed_in(other)
    response = client.get(_url(sandbox_dataset), params={"query": str(query.id)})
    assert response.status_code == 404


def test_the_budgets_page_lists_each_dataset_with_its_budget(
    client: TestClient, sandbox_dataset: Dataset, analyst: User, signed_in: SignIn
) -> None:
    signed_in(analyst)
    page = client.get("/console/sandbox").text
    assert f'href="/console/sandbox/{sandbox_dataset.id}"' in page
    assert "2 / 2" in page


def test_the_budget_left_counts_only_usable_allotments_and_shows_the_lapsed(
    client: TestClient,
    session: Session,
    settings: Settings,
    sandbox_dataset: Dataset,
    analyst: User,
    signed_in: SignIn,
) -> None:
    sandbox.grant_budget(
        session, analyst.organization_id, sandbox_dataset.id, 1.0, 1e-5, settings, max_queries=3
    )
    # The first grant (ε = 2, 5 queries) has ended: what it left can no longer be spent.
    first = session.exec(select(SandboxAllotment).where(SandboxAllotment.queries == 5)).one()
    first.valid_until = utcnow() - timedelta(minutes=1)
    session.add(first)
    signed_in(analyst)
    text = client.get(_url(sandbox_dataset)).text
    budget = text.split('data-testid="budget-left"', 1)[1].split("</dl>", 1)[0]
    assert "1 / 3" in budget  # ε left (the usable grant only) / total
    assert "3 / 8" in budget  # queries left / cap
    assert 'data-testid="epsilon-max-single">1</dd>' in budget
    assert shown("buyer.sandbox.lapsed_value", epsilon=2, queries=5) in budget
    # The chart's "ε left" line ends at the usable ε, not at total − spent.
    svg = re.search(r'<svg class="chart".*?</svg>', text, re.S)
    assert svg is not None
    points = list(ET.fromstring(svg.group(0)).iter("{http://www.w3.org/2000/svg}circle"))
    # Two lines of one point a day: "ε left", then the total.
    assert float(points[len(points) // 2 - 1].get("data-value", "nan")) == 1.0
    assert float(points[-1].get("data-value", "nan")) == 3.0
    listing = client.get("/console/sandbox").text
    assert "1 / 3" in listing


def test_the_interval_chart_draws_a_bar_from_low_to_high_with_a_tooltip() -> None:
    text = charts.ChartText("n", "n per city", "city", "n")
    svg = charts.interval_chart([("北京", 10.0, 2.5), ("上海", 4.0, 1.0)], text)
    root = ET.fromstring(str(svg))
    ns = {"s": "http://www.w3.org/2000/svg"}
    groups = root.findall("s:g", ns)
    assert [(g.get("data-low"), g.get("data-high")) for g in groups] == [
        ("7.5", "12.5"),
        ("3.0", "5.0"),
    ]
    assert groups[0].find("s:title", ns).text == "北京: 10 [7.5, 12.5]"  # type: ignore[union-attr]
    bar = groups[0].find("s:line", ns)
    assert bar is not None
    assert float(bar.get("y1", 0)) > float(bar.get("y2", 0))  # low is drawn below high


def test_the_example_query_quotes_a_column_name_that_needs_it() -> None:
    assert example_sql({"public_domains": {"城市": ["北京"]}}) == (
        "SELECT 城市, COUNT(*) AS n FROM dataset GROUP BY 城市"
    )
    assert example_sql({"public_domains": {'所在 "城市"': ["北京"]}}) == (
        'SELECT "所在 ""城市""", COUNT(*) AS n FROM dataset GROUP BY "所在 ""城市"""'
    )
    assert example_sql(None) == "SELECT COUNT(*) AS n FROM dataset"
