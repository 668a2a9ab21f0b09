"""Providers declare a dataset's delivery mode at upload, and change it until submission."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from accounts.models import Role, User
from audit.models import AuditRecord
from ground.config import Settings
from listings.models import Dataset, DeliveryMode
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    create_plan,
    create_user,
    csv_bytes,
    people_table,
    submit_dataset,
)


def _put_mode(
    client: TestClient, user: User, settings: Settings, dataset: Dataset, mode: str
) -> dict:
    response = client.put(
        f"/api/v1/datasets/{dataset.id}/delivery-mode",
        headers=bearer(user, settings),
        json={"delivery_mode": mode},
    )
    return {**response.json(), "http_status": response.status_code}


def _mode(client: TestClient, user: User, settings: Settings, dataset: Dataset) -> str:
    body = client.get(f"/api/v1/datasets/{dataset.id}", headers=bearer(user, settings)).json()
    return str(body["delivery_mode"])


@pytest.mark.parametrize("mode", ["rows", "sandbox", "both"])
def test_the_upload_declares_the_delivery_mode(
    client: TestClient, session: Session, settings: Settings, provider: User, mode: str
) -> None:
    session.commit()
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(provider, settings),
        files={"file": ("p.csv", csv_bytes(people_table(rows=5)), "text/csv")},
        data={"title": "T", "domain": "d", "delivery_mode": mode},
    )
    assert response.status_code == 201, response.text
    assert response.json()["delivery_mode"] == mode


def test_an_upload_without_a_mode_offers_both_as_before(
    client: TestClient, session: Session, settings: Settings, provider: User
) -> None:
    session.commit()
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(provider, settings),
        files={"file": ("p.csv", csv_bytes(people_table(rows=5)), "text/csv")},
        data={"title": "T", "domain": "d"},
    )
    assert response.json()["delivery_mode"] == "both"


def test_an_unknown_mode_is_refused_and_nothing_is_stored(
    client: TestClient, session: Session, settings: Settings, provider: User
) -> None:
    session.commit()
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(provider, settings),
        files={"file": ("p.csv", csv_bytes(people_table(rows=5)), "text/csv")},
        data={"title": "T", "domain": "d", "delivery_mode": "everything"},
    )
    assert response.status_code == 422
    assert session.exec(select(Dataset)).all() == []


def test_a_draft_changes_its_mode_and_the_change_is_audited(
    client: TestClient, session: Session, settings: Settings, provider: User, draft: Dataset
) -> None:
    changed = _put_mode(client, provider, settings, draft, "sandbox")
    assert changed["http_status"] == 200, changed
    assert changed["delivery_mode"] == "sandbox"
    record = session.exec(
        select(AuditRecord).where(AuditRecord.action == "dataset.delivery_mode")
    ).one()
    assert record.details == {"from": "both", "to": "sandbox"}


def test_the_mode_is_fixed_once_submitted(
    client: TestClient, session: Session, settings: Settings, provider: User, draft: Dataset
) -> None:
    submit_dataset(session, draft, provider=provider)
    session.commit()
    refused = _put_mode(client, provider, settings, draft, "sandbox")
    assert refused["http_status"] == 409
    assert "fixed" in refused["detail"]
    assert refused["detail_zh"] != refused["detail"]
    assert _mode(client, provider, settings, draft) == "both"


def test_a_plan_the_new_mode_forbids_must_be_withdrawn_first(
    client: TestClient, session: Session, settings: Settings, provider: User, draft: Dataset
) -> None:
    plan = create_plan(session, draft, provider=provider, name="行级额度包")
    session.commit()
    refused = _put_mode(client, provider, settings, draft, "sandbox")
    assert refused["http_status"] == 409
    assert "行级额度包" in refused["detail"]
    assert _mode(client, provider, settings, draft) == "both"
    client.delete(
        f"/api/v1/datasets/{draft.id}/plans/{plan.id}", headers=bearer(provider, settings)
    )
    assert _put_mode(client, provider, settings, draft, "sandbox")["http_status"] == 200


def test_only_the_owner_declares_the_mode(
    client: TestClient, session: Session, settings: Settings, draft: Dataset
) -> None:
    other = create_user(session, role=Role.provider)
    session.commit()
    assert _put_mode(client, other, settings, draft, "rows")["http_status"] == 404
    assert draft.delivery_mode is DeliveryMode.both


def test_a_bad_mode_body_is_refused(
    client: TestClient, settings: Settings, provider: User, draft: Dataset
) -> None:
    assert _put_mode(client, provider, settings, draft, "all")["http_status"] == 422
