"""The provider's authorization documents: uploaded on the dataset page, checked by content,
downloaded again as the API serves them."""

from __future__ import annotations

import re

import httpx2 as httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import Role, User
from ground.config import Settings
from listings.models import Dataset, DatasetAttachment
from tests.fixtures.client import bearer
from tests.fixtures.console import html as shown
from tests.fixtures.factories import create_dataset, create_user
from tests.market.console.conftest import SignIn, csrf_token

PDF = b"%PDF-1.7\n%authorization letter\n"


def _upload(
    client: TestClient, dataset: Dataset, content: bytes, name: str = "授权书.pdf", **data: str
) -> httpx.Response:
    return client.post(
        f"/console/provider/datasets/{dataset.id}/attachments",
        data=data or {"csrf_token": csrf_token(client)},
        files={"file": (name, content, "application/pdf")},
        follow_redirects=False,
    )


def _attachments(session: Session, dataset: Dataset) -> list[DatasetAttachment]:
    session.expire_all()
    stmt = select(DatasetAttachment).where(DatasetAttachment.dataset_id == dataset.id)
    return list(session.exec(stmt).all())


def test_the_dataset_page_offers_a_labelled_upload_with_its_csrf_field(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    page = client.get(f"/console/provider/datasets/{dataset.id}").text
    form = re.search(r'<form[^>]*action="[^"]*/attachments"[^>]*>.*?</form>', page, re.S)
    assert form
    assert 'enctype="multipart/form-data"' in form.group(0)
    assert 'name="csrf_token"' in form.group(0)
    assert '<label for="attachment-file">' in form.group(0)
    assert 'id="attachment-file" name="file"' in form.group(0)
    assert shown("provider.no_attachments") in page


def test_an_uploaded_document_is_listed_and_downloads_as_the_api_serves_it(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    response = _upload(client, dataset, PDF)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"/console/provider/datasets/{dataset.id}?done=attachment_added"
    [attachment] = _attachments(session, dataset)
    page = client.get(location).text
    assert shown("provider.done.attachment_added") in page
    link = f"/console/provider/datasets/{dataset.id}/attachments/{attachment.id}"
    assert f'<a href="{link}">授权书.pdf</a>' in page
    download = client.get(link)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    api = client.get(
        f"/api/v1/datasets/{dataset.id}/attachments/{attachment.id}",
        headers=bearer(provider, settings),
    )
    assert api.content == download.content


def test_a_file_that_is_not_a_document_is_refused_in_both_languages_and_nothing_is_stored(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    refused = _upload(client, dataset, b"MZ not a pdf", name="letter.pdf")
    assert refused.status_code == 415
    assert "附件必须是 PDF、PNG 或 JPEG 文件" in refused.text
    client.cookies.set("lang", "en")
    english = _upload(client, dataset, b"MZ not a pdf", name="letter.pdf")
    assert "Attachments must be PDF, PNG or JPEG documents." in english.text
    assert _attachments(session, dataset) == []
    folder = settings.data_dir / "datasets" / str(dataset.id) / "attachments"
    assert not folder.exists() or not any(folder.iterdir())


def test_an_upload_without_the_csrf_token_stores_nothing(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    refused = _upload(client, dataset, PDF, title="no token")
    assert refused.status_code == 403
    assert _attachments(session, dataset) == []


def test_another_provider_can_neither_attach_nor_download(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    _upload(client, dataset, PDF)
    [attachment] = _attachments(session, dataset)
    client.cookies.clear()
    signed_in(create_user(session, role=Role.provider))
    link = f"/console/provider/datasets/{dataset.id}/attachments/{attachment.id}"
    assert client.get(link).status_code == 404
    assert _upload(client, dataset, PDF, name="other.pdf").status_code == 404
    assert len(_attachments(session, dataset)) == 1
