"""The console's sandbox page keeps a refused query in the audit log too.

The page answers a refusal with the form to correct, so it rolls the failed part of the
request back itself (``ground.db.roll_back_so_far``): the refusal's audit record is written
all the same, as through the API (``tests/sandbox/test_refusals.py``).
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from ground.config import Settings
from tests.fixtures.factories import create_sandbox_buyer, create_sandbox_dataset
from tests.market.console.conftest import SignIn
from tests.sandbox.test_refusals import PROBE, refusals


def test_a_query_refused_on_the_page_is_audited(
    client: TestClient, session: Session, settings: Settings, signed_in: SignIn
) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings)
    analyst = create_sandbox_buyer(session, settings, dataset)
    signed_in(analyst)
    url = f"/console/sandbox/{dataset.id}"
    form = client.get(url).text.split(f'action="{url}"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    refused = client.post(url, data={**fields, "sql": PROBE})
    assert refused.status_code == 400
    [record] = refusals(session)
    assert record.dataset_id == dataset.id
    assert record.actor_user_id == analyst.id
