"""The provider's sandbox privacy profile page: declare through the labelled form, see the
status, and a refused declaration changes nothing."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import Role, User
from ground.config import Settings
from sandbox import profiles
from sandbox.models import ProfileStatus, SandboxProfile
from tests.fixtures.client import bearer
from tests.fixtures.console import html as shown
from tests.fixtures.factories import (
    SANDBOX_PROFILE,
    create_dataset,
    create_user,
    csv_bytes,
    principal_of,
    sandbox_table,
)
from tests.market.console.conftest import SignIn, post_form

# sandbox_table's columns in file order: 身份证号, 城市 (text), 金额, age (numbers).
FORM = {
    "privacy_unit": "身份证号",
    "max_rows_per_person": "3",
    "col-0": "身份证号",
    "col-1": "城市",
    "domain-1": "北京\n上海\n广州\n深圳\n",
    "col-2": "金额",
    "lower-2": "0",
    "upper-2": "10000",
    "col-3": "age",
    "lower-3": "0",
    "upper-3": "120",
    "domain-3": "",
}


@pytest.fixture
def dataset_id(session: Session, settings: Settings, provider: User) -> uuid.UUID:
    content = csv_bytes(sandbox_table())
    return create_dataset(session, settings, provider=provider, content=content).id


def _url(dataset_id: uuid.UUID) -> str:
    return f"/console/provider/datasets/{dataset_id}/sandbox"


def _profile(session: Session, dataset_id: uuid.UUID) -> SandboxProfile | None:
    session.expire_all()
    stmt = select(SandboxProfile).where(SandboxProfile.dataset_id == dataset_id)
    return session.exec(stmt).first()


def test_the_form_labels_an_input_for_each_column_by_its_type(
    client: TestClient, provider: User, dataset_id: uuid.UUID, signed_in: SignIn
) -> None:
    signed_in(provider)
    dataset_page = client.get(f"/console/provider/datasets/{dataset_id}").text
    assert f'href="{_url(dataset_id)}"' in dataset_page
    page = client.get(_url(dataset_id)).text
    assert 'data-profile-status="none"' in page
    assert f'<label for="privacy_unit">{shown("provider.sandbox.privacy_unit")}</label>' in page
    assert f'<label for="max_rows_per_person">{shown("provider.sandbox.max_rows")}</label>' in page
    # Bounds only for the numeric columns; public values for every column.
    lower = shown("provider.sandbox.lower_for", column="金额")
    assert f'<label for="lower-2">{lower}</label>' in page
    upper = shown("provider.sandbox.upper_for", column="age")
    assert f'<label for="upper-3">{upper}</label>' in page
    assert 'id="lower-1"' not in page
    domain = shown("provider.sandbox.domain_for", column="城市")
    assert f'<label for="domain-1">{domain}</label>' in page
    assert '<th scope="row">城市' in page


def test_declaring_stores_the_profile_pending_as_the_api_reads_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    dataset_id: uuid.UUID,
    signed_in: SignIn,
) -> None:
    signed_in(provider)
    response = post_form(client, _url(dataset_id), FORM)
    assert response.status_code == 303
    assert response.headers["location"] == f"{_url(dataset_id)}?done=declared"
    profile = _profile(session, dataset_id)
    assert profile is not None
    assert profile.status is ProfileStatus.pending
    assert profile.declared == {
        "privacy_unit": "身份证号",
        "max_rows_per_person": 3,
        "bounds": {"金额": [0.0, 10_000.0], "age": [0.0, 120.0]},
        "public_domains": {"城市": ["北京", "上海", "广州", "深圳"]},
    }
    api = client.get(f"/api/v1/sandbox/profiles/{dataset_id}", headers=bearer(provider, settings))
    assert api.json()["declared"] == profile.declared
    page = client.get(response.headers["location"]).text
    assert shown("provider.done.sandbox_declared") in page
    assert 'data-profile-status="pending"' in page
    assert 'value="10000.0"' in page  # the form is filled with the declaration
    assert "北京、上海、广州、深圳" in page


def test_numeric_public_values_are_stored_as_numbers(
    client: TestClient, session: Session, provider: User, dataset_id: uuid.UUID, signed_in: SignIn
) -> None:
    signed_in(provider)
    response = post_form(client, _url(dataset_id), {**FORM, "domain-3": "18\n65.5"})
    assert response.status_code == 303
    profile = _profile(session, dataset_id)
    assert profile is not None
    assert profile.declared["public_domains"]["age"] == [18, 65.5]


@pytest.mark.parametrize(
    ("change", "chinese", "english"),
    [
        (
            {"lower-2": "500", "upper-2": "100"},
            "取值范围需满足有限且下界小于上界",
            "need finite lower",
        ),
        ({"max_rows_per_person": "abc"}, "请修改表单", "Please correct the form"),
        ({"upper-2": ""}, "请修改表单：bounds.金额.1", "bounds.金额.1"),
        ({"domain-3": "eighteen"}, "“age”的公开取值", "Public values of age"),
        (
            {"privacy_unit": "电话"},
            "沙箱隐私配置无效：隐私单元列",
            "Invalid sandbox profile: privacy unit column",
        ),
    ],
)
def test_a_refused_declaration_is_explained_in_both_languages_and_changes_nothing(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    dataset_id: uuid.UUID,
    signed_in: SignIn,
    change: dict[str, str],
    chinese: str,
    english: str,
) -> None:
    profiles.declare(
        session, principal_of(provider), dataset_id, dict(SANDBOX_PROFILE), settings.data_dir
    )
    before = _profile(session, dataset_id)
    assert before is not None
    declared_before = dict(before.declared)
    signed_in(provider)
    refused = post_form(client, _url(dataset_id), {**FORM, "max_rows_per_person": "7", **change})
    assert refused.status_code == 400
    assert chinese in refused.text
    client.cookies.set("lang", "en")
    again = post_form(client, _url(dataset_id), {**FORM, "max_rows_per_person": "7", **change})
    assert english in again.text
    after = _profile(session, dataset_id)
    assert after is not None
    assert after.declared == declared_before


def test_declaring_needs_the_csrf_token(
    client: TestClient, session: Session, provider: User, dataset_id: uuid.UUID, signed_in: SignIn
) -> None:
    signed_in(provider)
    refused = client.post(_url(dataset_id), data=FORM, follow_redirects=False)
    assert refused.status_code == 403
    assert _profile(session, dataset_id) is None


def test_a_revision_waits_while_the_approved_profile_keeps_serving(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    dataset_id: uuid.UUID,
    signed_in: SignIn,
) -> None:
    profiles.declare(
        session, principal_of(provider), dataset_id, dict(SANDBOX_PROFILE), settings.data_dir
    )
    profiles.approve(session, principal_of(reviewer), dataset_id, settings)
    signed_in(provider)
    assert 'data-profile-status="approved"' in client.get(_url(dataset_id)).text
    assert post_form(client, _url(dataset_id), {**FORM, "max_rows_per_person": "5"}).is_redirect
    profile = _profile(session, dataset_id)
    assert profile is not None
    assert profile.status is ProfileStatus.pending
    assert profile.declared["max_rows_per_person"] == 5
    assert profile.approved is not None
    assert profile.approved["max_rows_per_person"] == 3
    page = client.get(_url(dataset_id)).text
    assert shown("provider.sandbox.old_serves") in page


def test_another_providers_dataset_is_not_found(
    client: TestClient, session: Session, dataset_id: uuid.UUID, signed_in: SignIn
) -> None:
    signed_in(create_user(session, role=Role.provider))
    assert client.get(_url(dataset_id)).status_code == 404
    assert post_form(client, _url(dataset_id), FORM).status_code == 404
    assert _profile(session, dataset_id) is None
