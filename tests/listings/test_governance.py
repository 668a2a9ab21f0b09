"""Grading, the authorization to publish, the review checklist and suspension."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from billing.service import plans_for
from ground.config import Settings
from listings.models import Dataset
from tests.fixtures.client import api_key_over_http, bearer
from tests.fixtures.factories import (
    APPROVAL,
    FULL_CHECKLIST,
    create_user,
    list_dataset,
    submit_dataset,
)


@pytest.fixture
def submitted(session: Session, provider: User, draft: Dataset) -> Dataset:
    submit_dataset(session, draft, provider=provider)
    session.commit()
    return draft


def _put(client: TestClient, user: User, settings: Settings, url: str, body: object) -> dict:
    response = client.put(url, headers=bearer(user, settings), json=body)
    return {**response.json(), "http_status": response.status_code}


def test_personal_information_flags_follow_the_detected_columns(
    client: TestClient, settings: Settings, provider: User, draft: Dataset
) -> None:
    detail = client.get(f"/api/v1/datasets/{draft.id}", headers=bearer(provider, settings)).json()
    assert detail["has_personal_info"] is True
    assert detail["has_sensitive_personal_info"] is True  # the resident ID column


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"grade": "general"}, "level from 1 to 4"),
        ({"grade": "important", "grade_level": 2}, "Only general data has a level"),
    ],
)
def test_a_malformed_grade_is_refused(
    client: TestClient,
    settings: Settings,
    provider: User,
    draft: Dataset,
    body: dict[str, object],
    message: str,
) -> None:
    result = _put(client, provider, settings, f"/api/v1/datasets/{draft.id}/grade", body)
    assert result["http_status"] == 400
    assert message in result["detail"]
    detail = client.get(f"/api/v1/datasets/{draft.id}", headers=bearer(provider, settings)).json()
    assert detail["proposed_grade"] is None


def test_submission_needs_authorization_and_a_grade(
    client: TestClient, settings: Settings, provider: User, draft: Dataset
) -> None:
    response = client.post(
        f"/api/v1/datasets/{draft.id}/submit", headers=bearer(provider, settings)
    )
    assert response.status_code == 409
    assert "data source" in response.json()["detail"]
    assert "法律依据" in response.json()["detail_zh"]
    assert "grade" in response.json()["detail"]


def test_core_data_can_never_be_submitted(
    client: TestClient, settings: Settings, provider: User, draft: Dataset
) -> None:
    url = f"/api/v1/datasets/{draft.id}"
    _put(client, provider, settings, f"{url}/authorization", {"source": "s", "legal_basis": "l"})
    assert _put(client, provider, settings, f"{url}/grade", {"grade": "core"})["http_status"] == 200
    response = client.post(f"{url}/submit", headers=bearer(provider, settings))
    assert response.status_code == 409
    assert "Core data" in response.json()["detail"]


def test_approval_needs_every_checklist_item_and_never_lists_core_data(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    draft: Dataset,
) -> None:
    submit_dataset(session, draft, provider=provider)
    session.commit()
    url = f"/api/v1/reviews/listings/{draft.id}/approve"
    headers = bearer(reviewer, settings)
    partial = {**APPROVAL, "checklist": {**FULL_CHECKLIST, "preview_checked": False}}
    response = client.post(url, headers=headers, json=partial)
    assert response.status_code == 400
    assert "masked preview" in response.json()["detail"]
    assert "脱敏预览" in response.json()["detail_zh"]
    core = client.post(
        url, headers=headers, json={**APPROVAL, "grade": "core", "grade_level": None}
    )
    assert core.status_code == 409
    listed = client.post(
        url, headers=headers, json={**APPROVAL, "grade": "important", "grade_level": None}
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["grade"] == "important"
    history = client.get(f"/api/v1/datasets/{draft.id}/reviews", headers=headers).json()
    assert history[-1]["checklist"] == FULL_CHECKLIST


def test_the_review_page_gathers_what_the_reviewer_needs(
    client: TestClient, settings: Settings, provider: User, reviewer: User, submitted: Dataset
) -> None:
    page = client.get(
        f"/api/v1/reviews/listings/{submitted.id}", headers=bearer(reviewer, settings)
    )
    assert page.status_code == 200
    body = page.json()
    assert body["provider"]["id"] == str(provider.organization_id)
    assert body["dataset"]["source"] == "区社保中心业务系统"
    assert body["sensitive_columns"] == ["身份证号"]
    assert set(body["personal_columns"]) == {"姓名", "手机号"}
    assert (body["suggested_grade"], body["suggested_grade_level"]) == ("general", 3)
    assert {item["key"] for item in body["checklist"]} == set(FULL_CHECKLIST)
    assert body["policy"]["columns"]["身份证号"]["operator"] == "mask"


def test_suspension_stops_every_access_at_once_and_reinstatement_restores_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    draft: Dataset,
) -> None:
    listed = list_dataset(session, draft, provider=provider, reviewer=reviewer)
    buyer = create_user(session, role=Role.buyer)
    plan = plans_for(session, listed.id)[0]
    session.commit()
    as_buyer = bearer(buyer, settings)
    client.post(
        "/api/v1/orders",
        headers=as_buyer,
        json={"dataset_id": str(listed.id), "plan_id": str(plan.id), "usage_scenario": "统计"},
    )
    key = api_key_over_http(client, buyer, settings)
    rows_url = f"/api/v1/data/{listed.id}/rows"
    assert client.get(rows_url, headers={"X-API-Key": key}).status_code == 200

    as_reviewer = bearer(reviewer, settings)
    reason = {"reason": "疑似数据来源不合法，暂停核查"}
    suspended = client.post(
        f"/api/v1/reviews/listings/{listed.id}/suspend", headers=as_reviewer, json=reason
    )
    assert suspended.json()["status"] == "suspended"
    refused = client.get(rows_url, headers={"X-API-Key": key})
    assert refused.status_code == 403
    assert "suspended" in refused.json()["detail"]
    assert client.get("/api/v1/catalog", headers=as_buyer).json()["total"] == 0

    client.post(f"/api/v1/reviews/listings/{listed.id}/reinstate", headers=as_reviewer, json=reason)
    assert client.get(rows_url, headers={"X-API-Key": key}).status_code == 200


def test_attachments_are_checked_by_content_and_private_to_provider_and_staff(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    draft: Dataset,
) -> None:
    url = f"/api/v1/datasets/{draft.id}/attachments"
    pdf = b"%PDF-1.7\n%test authorization letter\n"
    created = client.post(
        url,
        headers=bearer(provider, settings),
        files={"file": ("授权书.pdf", pdf, "application/pdf")},
    )
    assert created.status_code == 201, created.text
    assert created.json()["content_type"] == "application/pdf"
    fake = client.post(
        url,
        headers=bearer(provider, settings),
        files={"file": ("letter.pdf", b"hello", "application/pdf")},
    )
    assert fake.status_code == 415
    listed = client.get(url, headers=bearer(reviewer, settings)).json()
    assert [a["filename"] for a in listed] == ["授权书.pdf"]
    download = client.get(f"{url}/{created.json()['id']}", headers=bearer(reviewer, settings))
    assert download.content == pdf
    stranger = create_user(session, role=Role.provider)
    session.commit()
    assert client.get(url, headers=bearer(stranger, settings)).status_code == 404


def test_the_review_page_shows_the_masked_preview(
    client: TestClient, settings: Settings, provider: User, reviewer: User, submitted: Dataset
) -> None:
    page = client.get(
        f"/api/v1/reviews/listings/{submitted.id}", headers=bearer(reviewer, settings)
    )
    preview = page.json()["preview"]
    assert preview["policy"] == "draft"
    assert len(preview["rows"]) == 10
    assert all("*" in row["身份证号"] for row in preview["rows"])


def test_a_higher_grade_makes_the_untouched_default_policy_stricter(
    client: TestClient, settings: Settings, provider: User, draft: Dataset
) -> None:
    url = f"/api/v1/datasets/{draft.id}"
    before = client.get(f"{url}/policy", headers=bearer(provider, settings)).json()
    assert before["columns"]["身份证号"]["operator"] == "mask"
    _put(client, provider, settings, f"{url}/grade", {"grade": "general", "grade_level": 4})
    after = client.get(f"{url}/policy", headers=bearer(provider, settings)).json()
    assert after["version"] == before["version"] + 1
    assert after["columns"]["身份证号"]["operator"] == "pseudonymize"
    assert after["columns"]["姓名"]["operator"] == "redact"


def test_a_policy_the_provider_edited_is_kept_when_the_grade_changes(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    draft: Dataset,
) -> None:
    url = f"/api/v1/datasets/{draft.id}"
    policy = client.get(f"{url}/policy", headers=bearer(provider, settings)).json()
    edited = {name: {"operator": "redact"} for name in policy["columns"]}
    saved = _put(client, provider, settings, f"{url}/policy", {"columns": edited})
    assert saved["http_status"] == 200, saved
    _put(client, provider, settings, f"{url}/grade", {"grade": "general", "grade_level": 4})
    after = client.get(f"{url}/policy", headers=bearer(provider, settings)).json()
    assert after["version"] == saved["version"]
    records = client.get(
        "/api/v1/audit", params={"action": "policy.update"}, headers=bearer(reviewer, settings)
    ).json()["items"]
    assert records[0]["details"]["version"] == saved["version"]
    assert records[0]["actor_user_id"] == str(provider.id)
