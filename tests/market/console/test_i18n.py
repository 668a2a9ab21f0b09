"""Chinese by default, English on request, on every page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from accounts.models import User
from market.console.i18n import translate
from market.console.messages import MESSAGES
from tests.fixtures.console import html as shown
from tests.market.console.conftest import SignIn


def test_pages_are_chinese_by_default(client: TestClient) -> None:
    page = client.get("/console/login")
    assert '<html lang="zh-CN">' in page.text
    assert shown("common.login_title", "zh") in page.text


def test_the_switch_remembers_english_and_returns_to_the_same_page(client: TestClient) -> None:
    response = client.get("/console/lang/en?next=/console/login", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
    assert client.cookies["lang"] == "en"
    page = client.get("/console/login")
    assert '<html lang="en">' in page.text
    assert shown("common.login_title", "en") in page.text
    # The switch back to Chinese is offered on the English page.
    assert 'href="/console/lang/zh?next=/console/login"' in page.text


def test_an_unknown_language_is_not_accepted(client: TestClient) -> None:
    assert client.get("/console/lang/fr").status_code == 422


def test_every_page_offers_the_switch_with_its_own_address(
    client: TestClient, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    page = client.get("/console?x=1")
    assert 'href="/console/lang/en?next=/console%3Fx%3D1"' in page.text


def test_errors_of_unknown_pages_are_in_the_readers_language(client: TestClient) -> None:
    assert "资源不存在" in client.get("/console/no-such-page").text
    client.cookies.set("lang", "en")
    assert "Not Found" in client.get("/console/no-such-page").text


def test_the_api_still_answers_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response.json()["detail_zh"] == "资源不存在"


def test_every_message_has_both_languages_and_the_same_placeholders() -> None:
    for key, (zh, en) in MESSAGES.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_translate_fills_placeholders() -> None:
    assert translate("common.page_of", "en", page=2, pages=5) == "Page 2 of 5"
    assert translate("common.page_of", "zh", page=2, pages=5) == "第 2 / 5 页"
