"""Submission and compliance review: no listing without review, and only by compliance."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from anonymize import Policy
from ground.config import Settings
from listings import policies, review
from listings.models import DataGrade, Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    APPROVAL,
    create_dataset,
    create_user,
    list_dataset,
    prepare_for_review,
    principal_of,
    submit_dataset,
)


@pytest.fixture
def draft(session: Session, settings: Settings, provider: User) -> Dataset:
    dataset = create_dataset(session, settings, provider=provider)
    prepare_for_review(session, dataset, provider=provider)
    session.commit()
    return dataset


def _submit(client: TestClient, dataset: Dataset, user: User, settings: Settings) -> int:
    url = f"/api/v1/datasets/{dataset.id}/submit"
    return client.post(url, headers=bearer(user, settings)).status_code


def test_draft_is_invisible_to_buyers_and_other_providers(
    client: TestClient, session: Session, settings: Settings, draft: Dataset
) -> None:
    outsiders = [create_user(session, role=r) for r in (Role.buyer, Role.provider)]
    session.commit()
    for user in outsiders:
        response = client.get(f"/api/v1/datasets/{draft.id}", headers=bearer(user, settings))
        assert response.status_code == 404
    catalog = client.get("/api/v1/catalog", headers=bearer(outsiders[0], settings)).json()
    assert catalog["total"] == 0


def test_only_the_owning_provider_can_submit(
    client: TestClient, session: Session, settings: Settings, draft: Dataset, provider: User
) -> None:
    other_provider = create_user(session, role=Role.provider)
    session.commit()
    assert _submit(client, draft, other_provider, settings) == 404
    assert _submit(client, draft, provider, settings) == 200
    assert _submit(client, draft, provider, settings) == 409  # already in review


def test_rejection_needs_a_reason_and_the_provider_can_resubmit(
    client: TestClient,
    session: Session,
    settings: Settings,
    draft: Dataset,
    provider: User,
    reviewer: User,
) -> None:
    session.commit()
    assert _submit(client, draft, provider, settings) == 200
    url = f"/api/v1/reviews/listings/{draft.id}/reject"
    as_reviewer = bearer(reviewer, settings)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        assert client.post(url, headers=as_reviewer, json=body).status_code == 422
    rejected = client.post(url, headers=as_reviewer, json={"reason": "身份证号列需全部遮盖"})
    assert rejected.json()["status"] == "rejected"
    history = client.get(
        f"/api/v1/datasets/{draft.id}/reviews", headers=bearer(provider, settings)
    ).json()
    assert [(h["decision"], h["reason"]) for h in history] == [("rejected", "身份证号列需全部遮盖")]
    assert _submit(client, draft, provider, settings) == 200


def test_only_a_dataset_in_review_can_be_approved(
    client: TestClient, session: Session, settings: Settings, draft: Dataset, reviewer: User
) -> None:
    session.commit()
    url = f"/api/v1/reviews/listings/{draft.id}/approve"
    response = client.post(url, headers=bearer(reviewer, settings), json=APPROVAL)
    assert response.status_code == 409
    assert "in review" in response.json()["detail"]


def test_a_provider_cannot_approve_its_own_dataset(
    client: TestClient, session: Session, settings: Settings, draft: Dataset, provider: User
) -> None:
    session.commit()
    assert _submit(client, draft, provider, settings) == 200
    url = f"/api/v1/reviews/listings/{draft.id}/approve"
    assert client.post(url, headers=bearer(provider, settings)).status_code == 403
    detail = client.get(f"/api/v1/datasets/{draft.id}", headers=bearer(provider, settings))
    assert detail.json()["status"] == "in_review"


def test_approval_freezes_the_policy_buyers_are_served(
    session: Session, settings: Settings, draft: Dataset, provider: User, reviewer: User
) -> None:
    listed = list_dataset(session, draft, provider=provider, reviewer=reviewer)
    assert listed.status == "listed"
    assert listed.approved_policy == listed.policy
    assert listed.approved_policy is not None
    assert listed.approved_policy["columns"]["身份证号"]["operator"] == "mask"


def test_catalog_lists_only_listed_datasets_paginated_and_searchable(
    client: TestClient, session: Session, settings: Settings, provider: User, reviewer: User
) -> None:
    titles = ["交通卡口流量", "企业登记信息", "交通事故统计"]
    for title in titles:
        dataset = create_dataset(session, settings, provider=provider, title=title)
        list_dataset(session, dataset, provider=provider, reviewer=reviewer)
    create_dataset(session, settings, provider=provider, title="交通未上架草稿")
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    headers = bearer(buyer, settings)
    page = client.get("/api/v1/catalog", params={"limit": 2}, headers=headers).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    rest = client.get("/api/v1/catalog", params={"limit": 2, "offset": 2}, headers=headers).json()
    seen = {i["title"] for i in page["items"]} | {i["title"] for i in rest["items"]}
    assert seen == set(titles)
    found = client.get("/api/v1/catalog", params={"q": "交通"}, headers=headers).json()
    assert {i["title"] for i in found["items"]} == {"交通卡口流量", "交通事故统计"}
    assert all(i["provider_name"] for i in found["items"])
    assert client.get("/api/v1/catalog", params={"limit": 500}, headers=headers).status_code == 422


def test_catalog_search_treats_wildcards_literally(
    client: TestClient, session: Session, settings: Settings, provider: User, reviewer: User
) -> None:
    dataset = create_dataset(session, settings, provider=provider, title="plain title")
    list_dataset(session, dataset, provider=provider, reviewer=reviewer)
    session.commit()
    found = client.get("/api/v1/catalog", params={"q": "%"}, headers=bearer(provider, settings))
    assert found.json()["total"] == 0


def test_catalog_filters_by_grade_and_provider(
    client: TestClient, session: Session, settings: Settings, provider: User, reviewer: User
) -> None:
    other = create_user(session, role=Role.provider)
    general = create_dataset(session, settings, provider=provider, title="general one")
    list_dataset(session, general, provider=provider, reviewer=reviewer)
    important = create_dataset(session, settings, provider=other, title="important one")
    list_dataset(
        session, important, provider=other, reviewer=reviewer, grade=DataGrade.important, level=None
    )
    session.commit()
    headers = bearer(provider, settings)

    def titles(**params: str) -> set[str]:
        page = client.get("/api/v1/catalog", params=params, headers=headers).json()
        return {i["title"] for i in page["items"]}

    assert titles(grade="important") == {"important one"}
    assert titles(provider_org_id=str(provider.organization_id)) == {"general one"}
    assert titles(grade="general", provider_org_id=str(other.organization_id)) == set()
    assert (
        client.get("/api/v1/catalog", params={"grade": "secret"}, headers=headers).status_code
        == 422
    )


def test_the_queue_filters_by_kind_and_stated_grade(
    session: Session, settings: Settings, provider: User, reviewer: User
) -> None:
    submitted = create_dataset(session, settings, provider=provider, title="submitted")
    submit_dataset(session, submitted, provider=provider)  # proposed general, level 2
    changed = create_dataset(session, settings, provider=provider, title="changed")
    list_dataset(
        session,
        changed,
        provider=provider,
        reviewer=reviewer,
        grade=DataGrade.important,
        level=None,
    )
    assert changed.policy is not None
    policies.update_policy(
        session,
        principal_of(provider),
        changed.id,
        Policy.model_validate(changed.policy),
        data_dir=settings.data_dir,
        k_threshold=settings.k_anonymity_min,
    )

    def titles(**filters: Any) -> set[str]:
        rows, total = review.queue(session, limit=10, offset=0, **filters)
        assert total == len(rows)
        return {d.title for d in rows}

    assert titles() == {"submitted", "changed"}
    assert titles(kind="submission") == {"submitted"}
    assert titles(kind="policy_change") == {"changed"}
    # A submission is filtered by its proposed grade, a listed dataset by its confirmed one.
    assert titles(grade=DataGrade.general) == {"submitted"}
    assert titles(grade=DataGrade.important) == {"changed"}
    assert titles(kind="submission", grade=DataGrade.important) == set()
