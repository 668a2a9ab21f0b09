"""The compliance pages of standing emergency stops (market/console/compliance_stops.py): the
list, lifting with a reason and the CSRF token, and the standing stops shown on the trade
review pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from listings.models import Dataset
from tests.fixtures.console import html as shown
from tests.fixtures.factories import create_user, principal_of
from tests.fixtures.reads import reloaded
from tests.market.console.conftest import SignIn, post_form
from trade import revocation
from trade.models import EmergencyStop

STOPS = "/console/compliance/emergency-stops"


@pytest.fixture
def stop(session: Session, reviewer: User, buyer: User) -> EmergencyStop:
    return revocation.emergency_stop(
        session,
        principal_of(reviewer),
        buyer_org_id=buyer.organization_id,
        dataset_id=None,
        reason="疑似批量转售",
    )


def _row(html: str, stop: EmergencyStop) -> str:
    row = re.search(rf'<tr data-stop="{stop.id}">.*?</tr>', html, re.S)
    assert row, html
    return row.group(0)


def test_standing_stops_are_listed_with_a_lift_form_carrying_the_csrf_token(
    client: TestClient, stop: EmergencyStop, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    page = client.get(STOPS)
    assert page.status_code == 200
    row = _row(page.text, stop)
    assert "疑似批量转售" in row
    assert shown("compliance.stops.status.active") in row
    assert f'action="{STOPS}/{stop.id}/lift"' in row
    assert 'name="csrf_token"' in row
    assert re.search(r'<textarea id="lift-reason-[^"]+" name="reason" required', row)
    assert shown("compliance.stops.lift_note") in page.text


def test_compliance_lifts_a_stop_with_a_reason(
    client: TestClient,
    session: Session,
    stop: EmergencyStop,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    signed_in(reviewer)
    done = post_form(client, f"{STOPS}/{stop.id}/lift", {"reason": "调查结束，未发现问题"})
    assert done.status_code == 303
    assert reloaded(session, stop).lift_reason == "调查结束，未发现问题"
    page = client.get(done.headers["location"])
    assert shown("compliance.done.lifted") in page.text
    assert "调查结束，未发现问题" in _row(page.text, stop)
    assert "lift-reason-" not in _row(page.text, stop)  # nothing left to lift
    assert f'data-stop="{stop.id}"' not in client.get(STOPS, params={"status": "active"}).text


def test_lifting_without_a_reason_or_twice_is_refused_in_the_readers_language(
    client: TestClient,
    session: Session,
    stop: EmergencyStop,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    signed_in(reviewer)
    blank = post_form(client, f"{STOPS}/{stop.id}/lift", {"reason": "  "})
    assert blank.status_code == 400
    assert "请修改表单" in blank.text
    assert reloaded(session, stop).lifted_at is None
    assert post_form(client, f"{STOPS}/{stop.id}/lift", {"reason": "结束"}).status_code == 303
    client.cookies.set("lang", "en")
    twice = post_form(client, f"{STOPS}/{stop.id}/lift", {"reason": "again"})
    assert twice.status_code == 409
    assert "was lifted on" in twice.text


def test_a_lift_without_the_csrf_token_changes_nothing(
    client: TestClient,
    session: Session,
    stop: EmergencyStop,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    signed_in(reviewer)
    response = client.post(
        f"{STOPS}/{stop.id}/lift", data={"reason": "结束"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert reloaded(session, stop).lifted_at is None


@pytest.mark.parametrize("role", [Role.buyer, Role.provider, Role.admin])
def test_only_compliance_lifts_stops(
    client: TestClient,
    session: Session,
    stop: EmergencyStop,
    signed_in: SignIn,
    role: Role,
) -> None:
    signed_in(create_user(session, role=role))
    response = post_form(client, f"{STOPS}/{stop.id}/lift", {"reason": "结束"})
    assert response.status_code == 403
    assert reloaded(session, stop).lifted_at is None


def test_the_trade_review_pages_show_the_standing_stops(
    client: TestClient,
    session: Session,
    stop: EmergencyStop,
    listed: Dataset,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    signed_in(reviewer)
    queue = client.get("/console/compliance/orders").text
    assert shown("compliance.stops.standing_count", count=1) in queue
    stop_page = client.get("/console/compliance/emergency-stop").text
    assert f'action="{STOPS}/{stop.id}/lift"' in _row(stop_page, stop)
    lifted = client.get(STOPS, params={"status": "lifted"}).text
    assert f'data-stop="{stop.id}"' not in lifted
    assert shown("compliance.stops.empty") in lifted
    bad = client.get(STOPS, params={"status": "gone"})
    assert bad.status_code == 400
