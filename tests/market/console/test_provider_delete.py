"""Deleting a dataset from the console: a button on deletable datasets only, a confirmation
page, then POST-redirect-GET; a listed dataset says why it has no button, and refuses the POST
with nothing changed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from listings.models import Dataset, DatasetStatus
from tests.fixtures.console import html as shown
from tests.fixtures.factories import create_dataset
from tests.market.console.conftest import SignIn, post_form


def test_a_draft_is_deleted_after_a_confirmation_and_the_dashboard_says_so(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider, title="Short-lived")
    dataset_id = dataset.id
    signed_in(provider)
    page = client.get(f"/console/provider/datasets/{dataset_id}").text
    confirm_url = f"/console/provider/datasets/{dataset_id}/delete"
    assert f'href="{confirm_url}"' in page
    confirmation = client.get(confirm_url)
    assert confirmation.status_code == 200
    assert "Short-lived" in confirmation.text
    assert f'action="{confirm_url}"' in confirmation.text
    assert session.get(Dataset, dataset_id) is not None  # asking deletes nothing

    response = post_form(client, confirm_url, {})
    assert response.status_code == 303
    assert response.headers["location"] == "/console/provider?done=deleted"
    dashboard = client.get(response.headers["location"]).text
    assert shown("provider.done.deleted") in dashboard
    assert "Short-lived" not in dashboard
    session.expunge_all()
    assert session.get(Dataset, dataset_id) is None
    assert not (settings.data_dir / "datasets" / str(dataset_id)).exists()
    assert client.get(f"/console/provider/datasets/{dataset_id}").status_code == 404


def test_a_listed_dataset_has_no_button_and_refuses_the_post_unchanged(
    client: TestClient, listed: Dataset, provider: User, signed_in: SignIn, session: Session
) -> None:
    signed_in(provider)
    client.cookies.set("lang", "en")
    page = client.get(f"/console/provider/datasets/{listed.id}").text
    assert f"/datasets/{listed.id}/delete" not in page
    assert "ask compliance to suspend it" in page
    refused = post_form(client, f"/console/provider/datasets/{listed.id}/delete", {})
    assert refused.status_code == 409
    assert "cannot be deleted" in refused.text
    session.refresh(listed)
    assert listed.status is DatasetStatus.listed
