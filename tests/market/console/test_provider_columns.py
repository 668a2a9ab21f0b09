"""Renaming columns from the provider's dataset page: the same service and refusals as
``PUT /datasets/{id}/columns``, and a header-less upload chosen from the upload form."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from listings.models import Dataset, DatasetStatus
from tests.fixtures.console import html as shown
from tests.fixtures.factories import create_dataset
from tests.fixtures.reads import reloaded
from tests.market.console.conftest import SignIn, csrf_token, post_form

HEADER_LESS = "张伟,13812345678,北京\n李娜,13912345678,上海\n王芳,13712345678,北京\n".encode()


def _draft(session: Session, settings: Settings, provider: User) -> Dataset:
    return create_dataset(session, settings, provider=provider, content=HEADER_LESS)


def _names(session: Session, dataset: Dataset) -> list[str]:
    return [c["name"] for c in reloaded(session, dataset).columns]


def test_the_page_offers_a_labelled_rename_form_for_drafts(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = _draft(session, settings, provider)
    signed_in(provider)
    page = client.get(f"/console/provider/datasets/{dataset.id}").text
    form = re.search(r'<form[^>]*action="[^"]*/columns"[^>]*>.*?</form>', page, re.S)
    assert form
    assert 'name="csrf_token"' in form.group(0)
    for index in (1, 2, 3):
        assert f'<label class="visually-hidden" for="new-{index}">' in form.group(0)
        assert f'name="old-{index}" value="column_{index}"' in form.group(0)


def test_a_rename_is_saved_and_confirmed(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = _draft(session, settings, provider)
    signed_in(provider)
    url = f"/console/provider/datasets/{dataset.id}/columns"
    form = {"old-1": "column_1", "new-1": "姓名", "old-2": "column_2", "new-2": "column_2"}
    response = post_form(client, url, {**form, "old-3": "column_3", "new-3": " 城市 "})
    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=columns_renamed")
    assert _names(session, dataset) == ["姓名", "column_2", "城市"]
    assert shown("provider.done.columns_renamed") in client.get(response.headers["location"]).text


def test_a_personal_data_name_is_refused_in_both_languages_and_nothing_changes(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = _draft(session, settings, provider)
    signed_in(provider)
    url = f"/console/provider/datasets/{dataset.id}/columns"
    refused = post_form(client, url, {"old-3": "column_3", "new-3": "13612345678"})
    assert refused.status_code == 400
    assert "本身就是个人信息" in refused.text
    client.cookies.set("lang", "en")
    english = post_form(client, url, {"old-3": "column_3", "new-3": "13612345678"})
    assert "is itself personal data" in english.text
    assert _names(session, dataset) == ["column_1", "column_2", "column_3"]


def test_the_form_is_gone_and_renames_refused_once_submitted(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = _draft(session, settings, provider)
    dataset.status = DatasetStatus.in_review
    session.add(dataset)
    signed_in(provider)
    page = client.get(f"/console/provider/datasets/{dataset.id}").text
    assert "/columns" not in page
    url = f"/console/provider/datasets/{dataset.id}/columns"
    assert post_form(client, url, {"old-1": "column_1", "new-1": "x"}).status_code == 409


def test_the_upload_form_lets_the_provider_say_there_is_no_header(
    client: TestClient, session: Session, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    page = client.get("/console/provider/upload").text
    assert '<select id="header" name="header"' in page
    response = client.post(
        "/console/provider/upload",
        data={
            "title": "No header",
            "domain": "test",
            "header": "absent",
            "csrf_token": csrf_token(client),
        },
        files={"file": ("cities.csv", "城市\n北京\n".encode(), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    dataset_id = uuid.UUID(response.headers["location"].split("/")[-1].split("?")[0])
    session.expire_all()
    stored = session.get(Dataset, dataset_id)
    assert stored is not None
    assert stored.row_count == 2
