"""Accessibility basics checked on the rendered pages: labels, landmarks, table headers."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import User
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.factories import create_dataset
from tests.market.console.conftest import SignIn


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []
        self.unlabelled: list[str] = []
        self.labels: set[str] = set()
        self.landmarks: set[str] = set()
        self.header_cells_without_scope = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            if a.get("id"):
                self.fields.append(a["id"] or "")
            else:
                self.unlabelled.append(str(a.get("name")))
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")
        if tag in ("header", "nav", "main", "footer"):
            self.landmarks.add(tag)
        if tag == "th" and not a.get("scope"):
            self.header_cells_without_scope += 1


def _audit(html: str) -> _Audit:
    audit = _Audit()
    audit.feed(html)
    return audit


@pytest.fixture
def draft(session: Session, settings: Settings, provider: User) -> Dataset:
    return create_dataset(session, settings, provider=provider)


def test_the_sign_in_page(client: TestClient) -> None:
    audit = _audit(client.get("/console/login").text)
    assert set(audit.fields) <= audit.labels
    assert {"header", "main", "footer"} <= audit.landmarks
    assert 'class="skip-link" href="#main"' in client.get("/console/login").text


@pytest.mark.parametrize(
    "path",
    [
        "/console",
        "/console/catalog",
        "/console/provider",
        "/console/provider/upload",
        "/console/provider/datasets/{draft}",
        "/console/datasets/{listed}",
    ],
)
def test_every_field_has_a_label_and_every_header_cell_a_scope(
    client: TestClient,
    provider: User,
    draft: Dataset,
    listed: Dataset,
    signed_in: SignIn,
    path: str,
) -> None:
    signed_in(provider)
    page = client.get(path.format(draft=draft.id, listed=listed.id))
    assert page.status_code == 200
    audit = _audit(page.text)
    assert audit.unlabelled == []
    assert set(audit.fields) <= audit.labels, set(audit.fields) - audit.labels
    assert audit.header_cells_without_scope == 0
    assert {"header", "nav", "main", "footer"} <= audit.landmarks
