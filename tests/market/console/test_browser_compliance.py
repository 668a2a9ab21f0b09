"""In Chromium: compliance reviews a submitted dataset, approves it with the checklist, then
verifies the audit chain and opens the report."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session

from accounts.models import Role, User
from billing.service import plans_for
from ground.config import Settings
from ground.db import unit_of_work
from listings import review
from tests.fixtures.console import pattern, text
from tests.fixtures.factories import (
    PASSWORD,
    create_dataset,
    create_listed_dataset,
    create_user,
    metered_use,
    place_order,
    submit_dataset,
)
from tests.market.console.conftest import screenshot

NAV = text("common.main_nav")


def _trade_history(session: Session, settings: Settings, provider: User) -> None:
    """Two weeks of trading on another dataset, so the report has something to show: an API
    user, and a sandbox analyst spending privacy budget."""
    traffic = create_listed_dataset(session, settings, provider=provider, title="交通出行统计")
    api_user, analyst = create_user(session, role=Role.buyer), create_user(session, role=Role.buyer)
    place_order(session, api_user, traffic, plans_for(session, traffic.id)[0])
    for day in range(14):
        for _ in range(3 + day % 5):
            metered_use(session, api_user, traffic, days_ago=day + 0.05)
        for _ in range(1 + day % 3):
            metered_use(session, analyst, traffic, days_ago=day + 0.05, epsilon=0.2)


def test_compliance_approves_a_submission_and_verifies_the_chain(
    page: Page, live_settings: Settings
) -> None:
    with unit_of_work() as session:
        provider = create_user(session, role=Role.provider)
        reviewer = create_user(session, role=Role.compliance)
        _trade_history(session, live_settings, provider)
        dataset = create_dataset(session, live_settings, provider=provider, title="社保参保登记")
        submit_dataset(session, dataset, provider=provider)
        email = reviewer.email

    page.goto("/console")
    page.get_by_label(text("common.email")).fill(email)
    page.get_by_label(text("common.password")).fill(PASSWORD)
    page.get_by_label(text("common.password")).press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        pattern("common.welcome", in_html=False)
    )

    page.get_by_role("navigation", name=NAV).get_by_role(
        "link", name=text("compliance.nav.listings")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("compliance.listings.title"))
    page.get_by_role("link", name="社保参保登记").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        text("compliance.review.title", title="社保参保登记")
    )
    expect(
        page.get_by_role("table", name=text("compliance.review.columns_caption"))
    ).to_contain_text("valid resident ID numbers")
    expect(
        page.get_by_role("table", name=pattern("compliance.review.preview_caption", in_html=False))
    ).to_be_visible()

    checklist = [zh for _, zh in review.CHECKLIST.values()]
    # One item short: the service refuses, the page says why, and nothing is approved.
    for item in checklist[:-1]:
        page.get_by_label(item).check()
    approve = page.get_by_role("button", name=text("compliance.review.approve_button"))
    approve.click()
    alert = page.locator("#flash [role=alert]")
    expect(alert).to_contain_text("请先完成审核清单：重识别风险可接受")
    expect(alert).to_be_focused()  # keyboard and screen-reader users land on the message

    # The last item from the keyboard: focus it and press Space.
    page.get_by_label(checklist[-1]).focus()
    page.keyboard.press("Space")
    expect(page.get_by_label(checklist[-1])).to_be_checked()
    screenshot(page, "compliance-review")
    approve.click()
    expect(page).to_have_url(re.compile(r"/console/compliance/listings/[0-9a-f-]+\?done=approved$"))
    expect(page.get_by_role("status").first).to_contain_text(text("compliance.done.approved"))
    expect(page.get_by_text(text("common.status.listed"), exact=True).first).to_be_visible()

    page.get_by_role("navigation", name=NAV).get_by_role(
        "link", name=text("compliance.nav.audit")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("compliance.audit.title"))
    expect(page.get_by_role("table", name=text("compliance.audit.caption"))).to_contain_text(
        "listing.approve"
    )
    page.get_by_role("button", name=text("compliance.audit.verify_button")).click()
    expect(page.locator("[data-chain=intact]")).to_contain_text(text("compliance.audit.intact"))
    screenshot(page, "compliance-audit")

    page.get_by_role("navigation", name=NAV).get_by_role(
        "link", name=text("compliance.nav.report")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("compliance.report.title"))
    budget = page.get_by_role("img", name=text("compliance.report.budget"))
    expect(budget).to_be_visible()
    expect(budget.locator("polyline.series")).to_have_count(2)  # all buyers, and the analyst
    expect(
        page.get_by_role("table", name=text("compliance.report.listings_caption"))
    ).to_contain_text("2")
    screenshot(page, "compliance-report")
