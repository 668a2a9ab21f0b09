"""In Chromium: a buyer orders a sandbox pack with a usage scenario, pays on (a stand-in for)
Stripe's Checkout page, creates an API key and sees it once, and runs a sandbox query whose
answer shows each value's 95% interval and the budget left."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, Route, expect

from accounts.models import Role
from billing.models import PlanKind
from ground.config import Settings
from ground.db import unit_of_work
from tests.fixtures.console import pattern, text
from tests.fixtures.factories import PASSWORD, create_plan, create_sandbox_dataset, create_user
from tests.fixtures.settings import apply_settings
from tests.fixtures.stripe import StripeStandIn, checkout_completed, sign
from tests.market.console.conftest import screenshot

QUERY = "SELECT 城市, COUNT(*) AS n, AVG(金额) AS mean FROM dataset GROUP BY 城市"


def _stripe_page(route: Route) -> None:
    # Stripe's hosted page cannot be reached from here; the stand-in API hands out URLs on
    # this host, and the browser is shown a page in its place.
    route.fulfill(status=200, content_type="text/html", body="<h1>Stripe Checkout (test)</h1>")


def _pay_on_stripe(server: str, order_id: str, amount: int) -> None:
    """What Stripe does once the card is charged: the signed checkout.session.completed."""
    payload = checkout_completed(order_id, amount, intent=f"pi_journey_{order_id[:8]}")
    response = httpx.post(
        f"{server}/api/v1/billing/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": sign(payload), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


def test_buyer_orders_pays_creates_a_key_and_queries_the_sandbox(
    page: Page,
    live_server: str,
    live_settings: Settings,
    stripe_settings: Settings,
    stripe_api: StripeStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = apply_settings(
        monkeypatch, checkout_success_url=f"{live_server}/console/orders/{{order_id}}?paid=1"
    )
    with unit_of_work() as session:
        dataset, provider, _ = create_sandbox_dataset(session, settings)
        create_plan(
            session,
            dataset,
            provider=provider,
            kind=PlanKind.sandbox_pack,
            name="沙箱分析包",
            price_minor=50_000,
            calls=20,
            epsilon=2.0,
        )
        email = create_user(session, role=Role.buyer).email
        title = dataset.title

    page.goto("/console/login")
    page.get_by_label(text("common.email")).fill(email)
    page.get_by_label(text("common.password")).fill(PASSWORD)
    page.get_by_label(text("common.password")).press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        pattern("common.welcome", in_html=False)
    )

    # Order the sandbox pack from the catalog, declaring the usage scenario.
    page.get_by_role("link", name=text("catalog.nav")).first.click()
    page.get_by_role("link", name=title).first.click()
    page.get_by_label("沙箱分析包").check()
    page.get_by_label(text("buyer.order.scenario")).fill("城市消费水平研究，仅用于统计分析")
    page.get_by_role("button", name=text("buyer.order.submit")).click()
    expect(page).to_have_url(re.compile(r"/console/orders/[0-9a-f-]+\?done=placed$"))
    expect(page.get_by_test_id("status-help")).to_contain_text(
        text("buyer.status_help.awaiting_payment")
    )
    match = re.search(r"/console/orders/([0-9a-f-]+)", page.url)
    assert match
    order_id = match.group(1)

    # Pay by card: off to Stripe's page, Stripe confirms, back to the order.
    page.route("https://checkout.stripe.test/**", _stripe_page)
    page.get_by_role("button", name=text("buyer.pay.card_button", amount="¥500.00")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stripe Checkout (test)")
    [(path, sent)] = stripe_api.requests
    assert (path, sent["client_reference_id"]) == ("/v1/checkout/sessions", order_id)
    _pay_on_stripe(live_server, order_id, 50_000)
    page.goto(f"/console/orders/{order_id}?paid=1")
    expect(page.get_by_role("status").first).to_contain_text(text("buyer.done.paid_confirmed"))
    expect(page.get_by_test_id("status-help")).to_contain_text(text("buyer.status_help.active"))
    expect(page.locator("ol.steps li.current")).to_have_text(text("buyer.status.active"))
    screenshot(page, "buyer-order")

    # An API key, shown once, copied with the button.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("link", name=text("buyer.nav.keys")).first.click()
    page.get_by_label(text("buyer.keys.name")).fill("城市研究脚本")
    page.get_by_role("button", name=text("buyer.keys.create")).click()
    secret_box = page.get_by_label(text("buyer.keys.secret"), exact=True)
    secret = secret_box.input_value()
    assert len(secret) > 20
    page.get_by_role("button", name=text("buyer.keys.copy")).click()
    expect(page.locator("#copy-status")).to_have_text(text("buyer.keys.copied"))
    assert page.evaluate("navigator.clipboard.readText()") == secret
    screenshot(page, "buyer-api-key")
    page.goto("/console/api-keys")
    expect(page.get_by_role("table")).to_contain_text(secret[:12])
    assert secret not in page.content()

    # The sandbox: run the query from the keyboard and read the answer with its intervals.
    page.get_by_role("link", name=text("buyer.nav.sandbox")).click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_test_id("budget-left")).to_contain_text("2 / 2")
    page.get_by_label(text("buyer.sandbox.sql")).fill(QUERY)
    page.get_by_label(text("buyer.sandbox.epsilon")).fill("1")
    page.get_by_role("button", name=text("buyer.sandbox.run")).focus()
    page.keyboard.press("Enter")
    answer = page.get_by_test_id("sandbox-answer")
    expect(answer).to_contain_text(pattern("buyer.sandbox.charged", in_html=False, epsilon=1))
    expect(answer.locator(".dp-ci")).to_have_count(8)
    expect(answer.locator(".dp-interval").first).to_contain_text("95%: [")
    expect(answer.locator("svg g.interval")).to_have_count(8)
    expect(page.get_by_test_id("budget-left")).to_contain_text("1 / 2")  # swapped in by htmx
    expect(page.locator("#sandbox-recent")).to_contain_text("SELECT 城市, COUNT(*)")
    screenshot(page, "buyer-sandbox")
