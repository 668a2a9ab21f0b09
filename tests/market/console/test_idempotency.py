"""Double submits in the console: every form that writes carries the idempotency key it was
rendered with, so sending it twice (a double click, a resend after a reload) writes once; a
new rendering of the form is a new key, so a deliberate second order still works."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import ApiKey, User
from ground.config import Settings
from ground.idempotency.route import FORM_FIELD
from listings.models import Dataset
from market.console.templating import TEMPLATES_DIR
from sandbox.models import PrivacyLedgerEntry
from tests.fixtures.factories import create_plan, create_sandbox_buyer, create_sandbox_dataset
from tests.fixtures.reads import orders_of
from tests.market.console.conftest import SignIn

SCENARIO = "城市交通研究，仅限课题组内部使用"


def _form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action``, as the browser would send them."""
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_every_form_that_posts_sends_a_key_made_when_it_is_rendered() -> None:
    for template in Path(TEMPLATES_DIR).rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", text, flags=re.S):
            assert '{% include "_csrf.html" %}' in form, template.name
    hidden = (Path(TEMPLATES_DIR) / "_csrf.html").read_text(encoding="utf-8")
    assert "{{ idempotency_field }}" in hidden
    assert "new_idempotency_key()" in hidden


def test_a_double_submitted_order_form_places_one_order(
    client: TestClient, session: Session, listed: Dataset, provider: User, buyer: User,
    signed_in: SignIn,
) -> None:  # fmt: skip
    plan = create_plan(session, listed, provider=provider, price_minor=9_900)
    signed_in(buyer)
    page = client.get(f"/console/datasets/{listed.id}").text
    fields = _form_fields(page, "/console/orders")
    assert FORM_FIELD in fields
    form = {**fields, "dataset_id": str(listed.id), "plan_id": str(plan.id),
            "usage_scenario": SCENARIO}  # fmt: skip
    first = client.post("/console/orders", data=form, follow_redirects=False)
    second = client.post("/console/orders", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["idempotent-replayed"] == "true"
    assert len(orders_of(session, buyer)) == 1
    # The form rendered again carries a new key: ordering again on purpose is a new order.
    again = _form_fields(client.get(f"/console/datasets/{listed.id}").text, "/console/orders")
    assert again[FORM_FIELD] != fields[FORM_FIELD]
    placed = client.post("/console/orders", data={**form, **again}, follow_redirects=False)
    assert placed.status_code == 303
    assert "idempotent-replayed" not in placed.headers
    assert len(orders_of(session, buyer)) == 2


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_key(
    client: TestClient, session: Session, listed: Dataset, provider: User, buyer: User,
    signed_in: SignIn,
) -> None:  # fmt: skip
    plan = create_plan(session, listed, provider=provider, price_minor=9_900)
    signed_in(buyer)
    fields = _form_fields(client.get(f"/console/datasets/{listed.id}").text, "/console/orders")
    form = {**fields, "dataset_id": str(listed.id), "plan_id": str(plan.id)}
    refused = client.post("/console/orders", data={**form, "usage_scenario": " "})
    assert refused.status_code == 400
    assert orders_of(session, buyer) == []
    corrected = client.post(
        "/console/orders", data={**form, "usage_scenario": SCENARIO}, follow_redirects=False
    )
    assert corrected.status_code == 303, corrected.text
    assert len(orders_of(session, buyer)) == 1


def test_a_double_submitted_api_key_form_mints_one_key_shown_once(
    client: TestClient, session: Session, buyer: User, signed_in: SignIn
) -> None:
    signed_in(buyer)
    fields = _form_fields(client.get("/console/api-keys").text, "/console/api-keys")
    form = {**fields, "name": "双击"}
    first = client.post("/console/api-keys", data=form, follow_redirects=False)
    second = client.post("/console/api-keys", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    session.expire_all()
    keys = session.exec(select(ApiKey).where(ApiKey.organization_id == buyer.organization_id))
    assert len(list(keys)) == 1
    shown = client.get(first.headers["location"])
    assert 'id="secret"' in shown.text
    assert 'id="secret"' not in client.get(first.headers["location"]).text  # reload: gone


def test_a_sandbox_query_sent_twice_spends_its_budget_once_and_a_refusal_keeps_no_key(
    client: TestClient, session: Session, settings: Settings, signed_in: SignIn
) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings)
    analyst = create_sandbox_buyer(session, settings, dataset, epsilon=2.0, max_queries=5)
    signed_in(analyst)
    url = f"/console/sandbox/{dataset.id}"
    fields = _form_fields(client.get(url).text, url)
    refused = client.post(url, data={**fields, "sql": "SELECT 身份证号 FROM dataset"})
    assert refused.status_code == 400  # the page rolled the claim back with the refusal
    query = {**fields, "sql": "SELECT COUNT(*) AS n FROM dataset", "epsilon": "1"}
    first, again = client.post(url, data=query), client.post(url, data=query)
    assert first.status_code == again.status_code == 200, first.text
    assert again.headers["idempotent-replayed"] == "true"
    session.expire_all()
    assert len({e.query_id for e in session.exec(select(PrivacyLedgerEntry))}) == 1


def test_the_console_script_guards_forms_in_flight(client: TestClient) -> None:
    script = client.get("/console/static/console.js").text
    assert "data-in-flight" in script
    assert "data-idempotency-key" in script
