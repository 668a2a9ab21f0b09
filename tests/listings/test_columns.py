"""Renaming columns (PUT /datasets/{id}/columns): the file, the columns, the draft policy
and the sandbox profile follow; bad names are refused with state unchanged."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from anonymize import synthetic
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import APPROVAL, create_user, prepare_for_review


def _header_less(n: int = 6) -> bytes:
    rng = np.random.default_rng(5)
    columns = (
        synthetic.chinese_names(rng, n),
        synthetic.mobiles(rng, n),
        rng.choice(["北京", "上海"], n).tolist(),
        [str(v) for v in rng.integers(18, 80, n)],
    )
    sink = io.StringIO()
    csv.writer(sink).writerows(zip(*columns, strict=True))
    return sink.getvalue().encode()


@pytest.fixture
def draft(client: TestClient, session: Session, settings: Settings, provider: User) -> Dataset:
    session.commit()
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(provider, settings),
        files={"file": ("people.csv", _header_less(), "text/csv")},
        data={"title": "Header-less people", "domain": "test"},
    )
    assert response.status_code == 201, response.text
    dataset = session.get(Dataset, uuid.UUID(response.json()["id"]))
    assert dataset is not None
    return dataset


def _rename(
    client: TestClient, user: User, settings: Settings, dataset: Dataset, names: dict[str, str]
) -> Any:
    return client.put(
        f"/api/v1/datasets/{dataset.id}/columns",
        headers=bearer(user, settings),
        json={"names": names},
    )


def _state(client: TestClient, user: User, settings: Settings, dataset: Dataset) -> Any:
    detail = client.get(f"/api/v1/datasets/{dataset.id}", headers=bearer(user, settings)).json()
    policy = client.get(f"/api/v1/datasets/{dataset.id}/policy", headers=bearer(user, settings))
    return [c["name"] for c in detail["columns"]], policy.json()


NAMES = {"column_1": "姓名", "column_2": "手机号", "column_3": "城市", "column_4": "年龄"}


def test_renaming_rewrites_the_file_and_saves_the_policy_as_a_new_version(
    client: TestClient, session: Session, settings: Settings, provider: User, draft: Dataset
) -> None:
    old_relpath = draft.file_path
    old_file = settings.data_dir / old_relpath
    _, before = _state(client, provider, settings, draft)
    assert before["columns"]["column_2"]["operator"] == "mask"  # mobiles were detected
    put = client.put(
        f"/api/v1/datasets/{draft.id}/policy",
        headers=bearer(provider, settings),
        json={"columns": before["columns"], "quasi_identifiers": ["column_3", "column_4"]},
    )
    assert put.status_code == 200, put.text

    response = _rename(client, provider, settings, draft, NAMES)
    assert response.status_code == 200, response.text
    assert [c["name"] for c in response.json()["columns"]] == list(NAMES.values())
    names, after = _state(client, provider, settings, draft)
    assert names == list(NAMES.values())
    assert after["version"] == put.json()["version"] + 1
    assert after["columns"]["手机号"] == before["columns"]["column_2"]
    assert after["quasi_identifiers"] == ["城市", "年龄"]
    assert after["k_anonymity"]["quasi_identifiers"] == ["城市", "年龄"]

    session.expire_all()
    stored = session.get(Dataset, draft.id)
    assert stored is not None
    assert stored.file_path != old_relpath
    assert pq.read_schema(settings.data_dir / stored.file_path).names == list(NAMES.values())
    assert not old_file.exists()  # removed once the rename committed
    preview = client.get(
        f"/api/v1/datasets/{draft.id}/preview", headers=bearer(provider, settings)
    ).json()
    assert preview["columns"] == list(NAMES.values())
    audit = client.get(
        "/api/v1/audit",
        params={"action": "dataset.columns_rename"},
        headers=bearer(create_user(session, role=Role.compliance), settings),
    ).json()["items"]
    assert audit[0]["details"]["renamed"] == NAMES


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ({"nope": "x"}, "no column 'nope'"),
        ({}, "at least one column"),
        ({"column_1": "   "}, "is empty"),
        ({"column_1": "a", "column_2": "a"}, "more than one column: 'a'"),
        ({"column_1": "column_2"}, "more than one column: 'column_2'"),
        ({"column_1": "bad\nname"}, "control characters"),
        ({"column_1": "x" * 201}, "at most 200"),
        ({"column_1": "13812345678"}, "(a mobile value)"),
        ({"column_3": "110105199003071234"}, None),  # checked below: not echoed
    ],
)
def test_bad_names_are_refused_in_both_languages_and_nothing_changes(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    draft: Dataset,
    names: dict[str, str],
    message: str | None,
) -> None:
    before = _state(client, provider, settings, draft)
    old_relpath = draft.file_path
    response = _rename(client, provider, settings, draft, names)
    if message is None:  # an ID with a wrong check digit is not personal data: accepted
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.text
    body = response.json()
    assert message in body["detail"], body
    assert body["detail_zh"]
    assert body["detail_zh"] != body["detail"]
    assert "13812345678" not in body["detail"]
    assert _state(client, provider, settings, draft) == before
    session.expire_all()
    stored = session.get(Dataset, draft.id)
    assert stored is not None
    assert stored.file_path == old_relpath
    assert (settings.data_dir / old_relpath).exists()


def test_a_persons_name_over_a_column_of_names_is_refused(
    client: TestClient, settings: Settings, provider: User, draft: Dataset
) -> None:
    response = _rename(client, provider, settings, draft, {"column_1": "王建国"})
    assert response.status_code == 400
    assert "(a name value)" in response.json()["detail"]
    assert _rename(client, provider, settings, draft, {"column_3": "王建国"}).status_code == 200


def test_only_drafts_and_rejected_datasets_can_be_renamed(
    client: TestClient, session: Session, settings: Settings, provider: User, draft: Dataset
) -> None:
    prepare_for_review(session, draft, provider=provider)
    session.commit()
    submit = client.post(f"/api/v1/datasets/{draft.id}/submit", headers=bearer(provider, settings))
    assert submit.status_code == 200, submit.text
    response = _rename(client, provider, settings, draft, {"column_3": "城市"})
    assert response.status_code == 409
    assert "before review" in response.json()["detail"]
    reviewer = create_user(session, role=Role.compliance)
    session.commit()
    rejected = client.post(
        f"/api/v1/reviews/listings/{draft.id}/reject",
        headers=bearer(reviewer, settings),
        json={"reason": "name the columns"},
    )
    assert rejected.status_code == 200
    assert _rename(client, provider, settings, draft, {"column_3": "城市"}).status_code == 200
    client.post(f"/api/v1/datasets/{draft.id}/submit", headers=bearer(provider, settings))
    approved = client.post(
        f"/api/v1/reviews/listings/{draft.id}/approve",
        headers=bearer(reviewer, settings),
        json=APPROVAL,
    )
    assert approved.status_code == 200, approved.text
    assert _rename(client, provider, settings, draft, {"城市": "city"}).status_code == 409


def test_another_organization_cannot_rename(
    client: TestClient, session: Session, settings: Settings, draft: Dataset
) -> None:
    other = create_user(session, role=Role.provider)
    session.commit()
    assert _rename(client, other, settings, draft, {"column_3": "城市"}).status_code == 404


def test_the_sandbox_profile_follows_the_new_names_and_waits_for_review_again(
    client: TestClient, session: Session, settings: Settings, provider: User, draft: Dataset
) -> None:
    declared = client.put(
        f"/api/v1/sandbox/profiles/{draft.id}",
        headers=bearer(provider, settings),
        json={
            "privacy_unit": "column_2",
            "max_rows_per_person": 1,
            "bounds": {"column_4": [0, 120]},
            "public_domains": {"column_3": ["北京", "上海"]},
        },
    )
    assert declared.status_code == 200, declared.text
    reviewer = create_user(session, role=Role.compliance)
    session.commit()
    approved = client.post(
        f"/api/v1/sandbox/profiles/{draft.id}/approve", headers=bearer(reviewer, settings)
    )
    assert approved.status_code == 200, approved.text
    assert _rename(client, provider, settings, draft, NAMES).status_code == 200
    profile = client.get(
        f"/api/v1/sandbox/profiles/{draft.id}", headers=bearer(provider, settings)
    ).json()
    assert profile["status"] == "pending"
    assert profile["declared"]["privacy_unit"] == "手机号"
    assert profile["declared"]["bounds"] == {"年龄": [0.0, 120.0]}
    assert profile["declared"]["public_domains"] == {"城市": ["北京", "上海"]}
