"""Compliance reads a dataset's sandbox privacy profile and approves it from the console."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import User
from ground.config import Settings
from listings.models import Dataset
from sandbox import profiles
from sandbox.models import ProfileStatus, SandboxProfile
from tests.fixtures.console import html as shown
from tests.fixtures.console import pattern
from tests.fixtures.factories import (
    SANDBOX_PROFILE,
    create_dataset,
    csv_bytes,
    principal_of,
    sandbox_table,
    submit_dataset,
)
from tests.market.console.conftest import SignIn, post_form


@pytest.fixture
def declared(session: Session, settings: Settings, provider: User) -> Dataset:
    """A submitted dataset whose provider declared a profile (3 rows per person, while the
    data has people with more: approval has to write a bounded copy)."""
    dataset = create_dataset(
        session, settings, provider=provider, content=csv_bytes(sandbox_table())
    )
    submit_dataset(session, dataset, provider=provider)
    profiles.declare(
        session, principal_of(provider), dataset.id, dict(SANDBOX_PROFILE), settings.data_dir
    )
    return dataset


def _url(dataset_id: uuid.UUID, action: str = "") -> str:
    return f"/console/compliance/sandbox-profiles/{dataset_id}{action}"


def _profile(session: Session, dataset: Dataset) -> SandboxProfile:
    session.expire_all()
    stmt = select(SandboxProfile).where(SandboxProfile.dataset_id == dataset.id)
    profile = session.exec(stmt).first()
    assert profile is not None
    return profile


def test_the_review_page_links_to_the_declared_profile(
    client: TestClient, reviewer: User, declared: Dataset, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    review = client.get(f"/console/compliance/listings/{declared.id}").text
    assert f'href="{_url(declared.id)}"' in review
    assert shown("provider.sandbox.status.pending") in review
    page = client.get(_url(declared.id)).text
    assert 'data-profile-status="pending"' in page
    assert "身份证号" in page
    assert '<th scope="row">金额</th>' in page
    assert "0.0 – 10000.0" in page
    assert "北京、上海、广州、深圳" in page
    assert shown("compliance.sandbox.none_approved") in page
    assert f'action="{_url(declared.id, "/approve")}"' in page


def test_approving_serves_the_declaration_and_bounds_the_file(
    client: TestClient,
    session: Session,
    settings: Settings,
    reviewer: User,
    declared: Dataset,
    signed_in: SignIn,
) -> None:
    signed_in(reviewer)
    response = post_form(client, _url(declared.id, "/approve"), {})
    assert response.status_code == 303
    assert response.headers["location"] == _url(declared.id) + "?done=approved"
    profile = _profile(session, declared)
    assert profile.status is ProfileStatus.approved
    assert profile.approved_by_id == reviewer.id
    assert profile.approved is not None
    assert profile.approved["max_rows_per_person"] == 3
    assert (settings.data_dir / profile.approved["bounded_file"]).exists()
    page = client.get(response.headers["location"]).text
    assert shown("compliance.done.sandbox_approved") in page
    assert shown("compliance.sandbox.bounded_copy") in page
    assert reviewer.email in page
    assert f'action="{_url(declared.id, "/approve")}"' not in page  # nothing left to approve


def test_approving_needs_the_csrf_token(
    client: TestClient, session: Session, reviewer: User, declared: Dataset, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    refused = client.post(_url(declared.id, "/approve"), follow_redirects=False)
    assert refused.status_code == 403
    profile = _profile(session, declared)
    assert profile.status is ProfileStatus.pending
    assert profile.approved is None


def test_a_dataset_without_a_profile_has_nothing_to_approve_in_either_language(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(reviewer)
    review = client.get(f"/console/compliance/listings/{dataset.id}").text
    assert shown("compliance.sandbox.none") in review
    page = client.get(_url(dataset.id))
    assert page.status_code == 404
    assert "该数据集尚未声明沙箱隐私配置" in page.text
    client.cookies.set("lang", "en")
    refused = post_form(client, _url(dataset.id, "/approve"), {})
    assert refused.status_code == 404
    assert "No sandbox profile was declared for this dataset." in refused.text
    session.expire_all()
    assert session.exec(select(SandboxProfile)).first() is None


def test_the_page_speaks_english_on_request(
    client: TestClient, reviewer: User, declared: Dataset, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    client.cookies.set("lang", "en")
    page = client.get(_url(declared.id)).text
    assert pattern("compliance.sandbox.title", "en", title=declared.title).search(page)
    assert shown("compliance.sandbox.approve_button", "en") in page
    assert shown("provider.sandbox.status.pending", "en") in page
