"""In Chromium: sign in from the keyboard, switch to English and back."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from accounts.models import Role
from ground.db import unit_of_work
from tests.fixtures.console import pattern, text
from tests.fixtures.factories import PASSWORD, create_user
from tests.market.console.conftest import screenshot


def test_sign_in_and_switch_language(page: Page) -> None:
    with unit_of_work() as session:
        user = create_user(session, role=Role.provider)
        email = user.email

    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/console/login\?next=/console$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    # The first Tab lands on the skip link (keyboard users can jump past the header).
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()

    page.get_by_label(text("common.email")).fill(email)
    page.get_by_label(text("common.password")).fill(PASSWORD)
    page.get_by_label(text("common.password")).press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        pattern("common.welcome", in_html=False)
    )
    expect(page.get_by_role("banner")).to_contain_text(email)

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    screenshot(page, "login-language")

    page.get_by_role("button", name=text("common.logout", "en")).click()
    expect(page).to_have_url(re.compile(r"/console/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("common.login_title", "en"))
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
