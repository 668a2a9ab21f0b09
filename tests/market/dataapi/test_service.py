"""The data API serves masked rows where rows are offered, and synthetic rows otherwise."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from accounts.models import User
from audit.models import AuditRecord
from billing.service import plans_for
from ground.config import Settings
from listings import samples, storage
from listings.models import Dataset, DeliveryMode
from tests.fixtures.client import api_key_over_http, bearer, order_over_http
from tests.fixtures.factories import create_listed_dataset, create_sandbox_dataset


def _with_free_sample(client: TestClient, settings: Settings, buyer: User, dataset: Dataset) -> str:
    """The buyer's free sample on ``dataset``; returns a data API key."""
    [free] = [p for p in client.get(
        f"/api/v1/datasets/{dataset.id}/plans", headers=bearer(buyer, settings)
    ).json() if p["kind"] == "free_sample"]  # fmt: skip
    order_over_http(client, buyer, settings, dataset.id, free["id"], scenario="评估")
    return api_key_over_http(client, buyer, settings)


@pytest.fixture
def sandbox_only(session: Session, settings: Settings) -> Dataset:
    dataset, _, _ = create_sandbox_dataset(session, settings, delivery_mode=DeliveryMode.sandbox)
    session.commit()
    return dataset


def test_a_sandbox_only_free_sample_serves_synthetic_rows_without_the_file(
    client: TestClient, session: Session, settings: Settings, buyer: User, sandbox_only: Dataset
) -> None:
    key = _with_free_sample(client, settings, buyer, sandbox_only)
    storage.resolve(settings.data_dir, sandbox_only.file_path).unlink()  # never opened
    response = client.get(
        f"/api/v1/data/{sandbox_only.id}/rows", params={"limit": 20}, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["synthetic"] is True
    assert page["total_rows"] == samples.SAMPLE_ROWS  # not the dataset's size
    expected = samples.synthetic_rows(session, sandbox_only, limit=20, offset=0)
    assert page["rows"] == expected.to_pylist()
    assert page["quota_remaining"] == settings.free_plan_calls - 1


def test_paging_past_the_synthetic_sample_returns_nothing(
    client: TestClient, settings: Settings, buyer: User, sandbox_only: Dataset
) -> None:
    key = _with_free_sample(client, settings, buyer, sandbox_only)
    response = client.get(
        f"/api/v1/data/{sandbox_only.id}/rows",
        params={"offset": samples.SAMPLE_ROWS},
        headers={"X-API-Key": key},
    )
    assert response.json()["rows"] == []


def test_the_audit_record_says_the_rows_were_synthetic(
    client: TestClient, session: Session, settings: Settings, buyer: User, sandbox_only: Dataset
) -> None:
    key = _with_free_sample(client, settings, buyer, sandbox_only)
    client.get(f"/api/v1/data/{sandbox_only.id}/rows", headers={"X-API-Key": key})
    record = session.exec(
        select(AuditRecord)
        .where(AuditRecord.action == "data.rows")
        .order_by(col(AuditRecord.seq).desc())
    ).first()
    assert record is not None
    assert record.details["synthetic"] is True


@pytest.mark.parametrize("mode", [DeliveryMode.rows, DeliveryMode.both])
def test_datasets_offering_rows_serve_masked_rows(
    client: TestClient, session: Session, settings: Settings, buyer: User, mode: DeliveryMode
) -> None:
    dataset = create_listed_dataset(session, settings, delivery_mode=mode)
    session.commit()
    assert plans_for(session, dataset.id)[0].name.startswith("Free sample")
    key = _with_free_sample(client, settings, buyer, dataset)
    page = client.get(f"/api/v1/data/{dataset.id}/rows", headers={"X-API-Key": key}).json()
    assert page["synthetic"] is False
    assert page["total_rows"] == dataset.row_count
