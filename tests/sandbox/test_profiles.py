"""A dataset offered as rows only takes no sandbox profile, grant or query."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import Role
from ground.config import Settings
from listings import delivery, offers
from listings.models import DatasetStatus, DeliveryMode
from sandbox import profiles
from sandbox.models import SandboxGrant, SandboxProfile
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    SANDBOX_PROFILE,
    create_dataset,
    create_user,
    csv_bytes,
    list_dataset,
    principal_of,
    sandbox_table,
)


def test_a_rows_only_dataset_refuses_a_profile_in_both_languages(
    client: TestClient, session: Session, settings: Settings
) -> None:
    provider = create_user(session, role=Role.provider)
    dataset = create_dataset(
        session,
        settings,
        provider=provider,
        content=csv_bytes(sandbox_table()),
        delivery_mode=DeliveryMode.rows,
    )
    session.commit()
    response = client.put(
        f"/api/v1/sandbox/profiles/{dataset.id}",
        json=SANDBOX_PROFILE,
        headers=bearer(provider, settings),
    )
    assert response.status_code == 400
    assert "'rows'" in response.json()["detail"]
    assert response.json()["detail_zh"] != response.json()["detail"]
    assert session.exec(select(SandboxProfile)).all() == []


def test_a_profile_approved_before_the_mode_became_rows_answers_no_query_and_no_grant(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """A draft declared and got a profile approved, then its provider chose rows only: the
    mode, not the leftover profile, decides."""
    provider = create_user(session, role=Role.provider)
    reviewer = create_user(session, role=Role.compliance)
    dataset = create_dataset(
        session, settings, provider=provider, content=csv_bytes(sandbox_table())
    )
    profiles.declare(
        session, principal_of(provider), dataset.id, dict(SANDBOX_PROFILE), settings.data_dir
    )
    profiles.approve(session, principal_of(reviewer), dataset.id, settings)
    delivery.set_delivery_mode(session, principal_of(provider), dataset.id, DeliveryMode.rows)
    list_dataset(session, dataset, provider=provider, reviewer=reviewer)
    assert dataset.status is DatasetStatus.listed
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    grant = client.post(
        "/api/v1/sandbox/grants",
        headers=bearer(reviewer, settings),
        json={"buyer_org_id": str(buyer.organization_id), "dataset_id": str(dataset.id),
              "epsilon": 1.0},
    )  # fmt: skip
    assert grant.status_code == 409
    assert session.exec(select(SandboxGrant)).all() == []
    with pytest.raises(offers.SandboxNotOffered):  # what every query asks first
        profiles.approved_profile(session, dataset.id)
