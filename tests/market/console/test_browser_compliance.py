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
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("欢迎")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="上架审核").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("上架审核队列")
    page.get_by_role("link", name="社保参保登记").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审核：社保参保登记")
    expect(page.get_by_role("table", name=re.compile("逐列检测结果"))).to_contain_text(
        "valid resident ID numbers"
    )
    expect(page.get_by_role("table", name=re.compile("脱敏样例|前 \\d+ 行"))).to_be_visible()

    checklist = [zh for _, zh in review.CHECKLIST.values()]
    # One item short: the service refuses, the page says why, and nothing is approved.
    for text in checklist[:-1]:
        page.get_by_label(text).check()
    approve = page.get_by_role("button", name="批准上架")
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
    expect(page.get_by_role("status").first).to_contain_text("已批准")
    expect(page.get_by_text("已上架", exact=True).first).to_be_visible()

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审计日志")
    expect(page.get_by_role("table", name=re.compile("审计记录"))).to_contain_text(
        "listing.approve"
    )
    page.get_by_role("button", name="校验哈希链").click()
    expect(page.locator("[data-chain=intact]")).to_contain_text("哈希链完整")
    screenshot(page, "compliance-audit")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="合规报告").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("合规报告")
    budget = page.get_by_role("img", name="每日消耗的隐私预算 ε")
    expect(budget).to_be_visible()
    expect(budget.locator("polyline.series")).to_have_count(2)  # all buyers, and the analyst
    expect(page.get_by_role("table", name="各分级、各状态的数据集数量")).to_contain_text("2")
    screenshot(page, "compliance-report")
