"""Exceptions the code catches and handles are logged with their context, not swallowed: a
forged or replayed Stripe webhook, a checkout naming no order, a refused console sign-in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.factories import (
    create_order,
)
from tests.fixtures.logs import LogOutput
from tests.fixtures.stripe import WEBHOOK_SECRET, checkout_completed, sign
from tests.market.console.conftest import post_form

WEBHOOK = "/api/v1/billing/stripe/webhook"
REQUEST_ID = "0b5e000000000001"


def test_a_forged_webhook_signature_is_logged_as_a_warning(
    client: TestClient, stripe_settings: Settings, log_output: LogOutput
) -> None:
    payload = checkout_completed("00000000-0000-0000-0000-000000000000", 100, "pi_forged")
    response = client.post(
        WEBHOOK,
        content=payload,
        headers={
            "Stripe-Signature": sign(payload, secret="whsec_wrong"),
            "X-Request-ID": REQUEST_ID,
        },
    )
    assert response.status_code == 400
    [line] = log_output.events("stripe webhook signature does not verify")
    assert (line["level"], line["request_id"]) == ("warning", REQUEST_ID)
    assert WEBHOOK_SECRET not in log_output.text


def test_a_replayed_webhook_is_logged_and_ignored(
    client: TestClient,
    session: Session,
    stripe_settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    log_output: LogOutput,
) -> None:
    order = create_order(session, buyer, listed, provider, price_minor=500, calls=3)
    session.commit()
    payload = checkout_completed(str(order.id), 500, "pi_twice", event_id="evt_twice")
    for _ in range(2):
        response = client.post(
            WEBHOOK, content=payload, headers={"Stripe-Signature": sign(payload)}
        )
        assert response.status_code == 200
    [line] = log_output.events("webhook replay ignored")
    assert (line["source"], line["external_id"]) == ("stripe", "evt_twice")


def test_a_checkout_for_an_unknown_order_is_logged(
    client: TestClient, stripe_settings: Settings, log_output: LogOutput
) -> None:
    payload = checkout_completed("not-an-order", 100, "pi_lost", event_id="evt_lost")
    response = client.post(WEBHOOK, content=payload, headers={"Stripe-Signature": sign(payload)})
    assert response.json()["status"] == "ignored"
    [line] = log_output.events("stripe checkout names no order of ours; ignored")
    assert (line["webhook_event_id"], line["error_class"]) == ("evt_lost", "ValueError")


def test_a_refused_console_sign_in_is_logged_without_who_or_what(
    client: TestClient, session: Session, settings: Settings, buyer: User, log_output: LogOutput
) -> None:
    session.commit()
    response = post_form(
        client, "/console/login", {"email": buyer.email, "password": "not-the-password-9"}
    )
    assert response.status_code == 401
    [line] = log_output.events("console sign-in refused")
    assert line["error"] == "NotAuthenticated"
    assert buyer.email not in log_output.text
    assert "not-the-password-9" not in log_output.text
