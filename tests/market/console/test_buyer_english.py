"""Every buyer page reads in English when the reader chose English."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role
from billing.models import PlanKind
from ground.config import Settings
from tests.fixtures.console import html as shown
from tests.fixtures.console import pattern
from tests.fixtures.factories import (
    activate_plan,
    create_sandbox_dataset,
    create_user,
    principal_of,
)
from tests.market.console.conftest import SignIn, post_form

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_buyer_pages_in_english(
    client: TestClient, session: Session, settings: Settings, signed_in: SignIn
) -> None:
    dataset, provider, _ = create_sandbox_dataset(session, settings)
    analyst = create_user(session, role=Role.buyer)
    order, _ = activate_plan(
        session, analyst, dataset, provider, kind=PlanKind.sandbox_pack, calls=10, epsilon=2.0
    )
    key, _ = accounts.create_api_key(session, principal_of(analyst), "script")
    signed_in(analyst)
    client.cookies.set("lang", "en")
    sandbox = f"/console/sandbox/{dataset.id}"
    ran = post_form(client, sandbox, {"sql": "SELECT COUNT(*) AS n FROM dataset"})
    assert pattern("buyer.sandbox.charged", "en", epsilon=0.5).search(ran.text)
    pages = {
        "/console/orders": shown("buyer.orders.title", "en"),
        f"/console/orders/{order.id}": shown("buyer.col.conditions", "en"),
        "/console/api-keys": shown("buyer.keys.create", "en"),
        f"/console/api-keys/{key.id}/revoke": shown(
            "buyer.keys.revoke_confirm", "en", name="script", prefix=key.prefix
        ),
        "/console/usage": shown("buyer.usage.statement", "en"),
        "/console/sandbox": shown("buyer.sandbox.title", "en"),
        sandbox: shown("buyer.sandbox.budget", "en"),
    }
    for url, heading in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert heading in response.text, url
        # Only the data (the synthetic register's values, the scenario) may be in Chinese.
        main = response.text.split('<main id="main"', 1)[1].split("</main>", 1)[0]
        main = main.replace(order.usage_scenario, "")
        for value in ("北京", "上海", "广州", "深圳", "身份证号", "城市", "金额"):
            main = main.replace(value, "")
        assert not HAN.search(main), (url, HAN.findall(main)[:10])
