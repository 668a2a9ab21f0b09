"""Datasets' keys: the secret stored only sealed, per-buyer pseudonym keys, one cell key per
dataset, and rotation that changes the ciphertext but no pseudonym."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel, select

from accounts.models import Role, User
from anonymize import derive_key
from audit.models import AuditRecord
from billing.service import plans_for
from ground import secretbox
from ground.config import Settings
from ground.secretbox import SecretsKeyError
from listings import keys
from listings.models import Dataset
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    create_api_key,
    create_user,
    list_dataset,
    place_order,
    prepare_for_review,
)
from tests.fixtures.factories import create_dataset as make_dataset
from tests.fixtures.settings import TEST_SECRETS_KEY, apply_settings


def _raw_secret(session: Session, dataset: Dataset) -> str:
    """The column exactly as the database holds it: a Core query on the table, past the model."""
    table = SQLModel.metadata.tables["dataset"]
    query = sa.select(table.c.pseudonym_secret).where(table.c.id == dataset.id)
    return str(session.execute(query).scalar_one())


def test_the_database_never_holds_a_secret_in_the_clear(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = make_dataset(session, settings, provider=provider)
    session.commit()
    raw = _raw_secret(session, dataset)
    secret = keys.dataset_secret(dataset)
    assert raw.startswith(f"v1.{settings.secrets_keyring.current_id}.")
    assert secret.hex() not in raw
    assert secret.hex().upper() not in raw
    assert len(secret) == keys.SECRET_BYTES


def test_pseudonym_keys_differ_per_audience_and_the_cell_key_is_one_per_dataset(
    session: Session, settings: Settings, provider: User
) -> None:
    first = make_dataset(session, settings, provider=provider)
    second = make_dataset(session, settings, provider=provider)
    buyer_a, buyer_b = uuid.uuid4(), uuid.uuid4()
    audience_keys = {
        keys.release_key(first, buyer_a),
        keys.release_key(first, buyer_b),
        keys.release_key(first, None),
    }
    assert len(audience_keys) == 3
    assert keys.cell_key(first) == keys.cell_key(first)
    assert keys.cell_key(first) not in audience_keys
    assert keys.cell_key(first) != keys.cell_key(second)
    secret = keys.dataset_secret(first)
    assert keys.release_key(first, buyer_a) == derive_key(secret, "buyer", str(buyer_a))


def _buyer_reading(session: Session, settings: Settings, dataset: Dataset) -> str:
    buyer = create_user(session, role=Role.buyer)
    free = next(plan for plan in plans_for(session, dataset.id) if plan.price_minor == 0)
    place_order(session, buyer, dataset, free)
    return create_api_key(session, buyer)


@pytest.fixture
def pseudonymized(
    client: TestClient, session: Session, settings: Settings, provider: User, reviewer: User
) -> Dataset:
    """A listed dataset whose ID numbers are released as per-buyer pseudonyms."""
    dataset = make_dataset(session, settings, provider=provider)
    prepare_for_review(session, dataset, provider=provider)
    session.commit()
    columns = {"身份证号": {"operator": "pseudonymize"}, "金额": {"operator": "keep"}}
    response = client.put(
        f"/api/v1/datasets/{dataset.id}/policy",
        headers=bearer(provider, settings),
        json={"columns": columns},
    )
    assert response.status_code == 200, response.text
    list_dataset(session, dataset, provider=provider, reviewer=reviewer)
    session.commit()
    return dataset


def _tokens(client: TestClient, dataset: Dataset, api_key: str) -> list[str]:
    response = client.get(
        f"/api/v1/data/{dataset.id}/rows", params={"limit": 20}, headers={"X-API-Key": api_key}
    )
    assert response.status_code == 200, response.text
    return [row["身份证号"] for row in response.json()["rows"]]


def test_rotation_reseals_every_secret_and_keeps_buyers_pseudonyms_identical(
    client: TestClient,
    session: Session,
    settings: Settings,
    pseudonymized: Dataset,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api_key = _buyer_reading(session, settings, pseudonymized)
    session.commit()
    before, sealed_before = (
        _tokens(client, pseudonymized, api_key),
        _raw_secret(session, pseudonymized),
    )
    new_key = secretbox.generate_key()
    rotated = apply_settings(
        monkeypatch, secrets_key=new_key, secrets_retired_keys=TEST_SECRETS_KEY
    )
    assert _tokens(client, pseudonymized, api_key) == before  # the retired key still opens
    report = keys.rotate(session, rotated.secrets_keyring)
    session.commit()
    assert report.resealed >= 1
    sealed_after = _raw_secret(session, pseudonymized)
    assert sealed_after != sealed_before
    assert sealed_after.startswith(f"v1.{rotated.secrets_keyring.current_id}.")
    apply_settings(monkeypatch, secrets_key=new_key, secrets_retired_keys="")
    assert _tokens(client, pseudonymized, api_key) == before  # the old key is no longer needed
    assert keys.rotate(session, rotated.secrets_keyring).resealed == 0  # idempotent
    [record] = session.exec(select(AuditRecord).where(AuditRecord.action == "secrets.rotate"))
    assert record.details["resealed"] == report.resealed
    assert record.details["current_key_id"] == rotated.secrets_keyring.current_id


def test_a_missing_key_is_a_clear_503_and_the_call_costs_nothing(
    client: TestClient,
    session: Session,
    settings: Settings,
    pseudonymized: Dataset,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api_key = _buyer_reading(session, settings, pseudonymized)
    session.commit()
    apply_settings(monkeypatch, secrets_key=secretbox.generate_key())
    response = client.get(
        f"/api/v1/data/{pseudonymized.id}/rows", params={"limit": 5}, headers={"X-API-Key": api_key}
    )
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "SecretsKeyError"
    assert body["detail"]
    assert body["detail_zh"]
    assert TEST_SECRETS_KEY not in response.text
    # The read failed inside the call's unit of work: no usage, no quota spent.
    usage = SQLModel.metadata.tables["usage_event"]
    calls = session.execute(
        sa.select(sa.func.count()).where(usage.c.dataset_id == pseudonymized.id)
    ).scalar_one()
    assert calls == 0


def test_a_secret_left_in_plaintext_is_never_used(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = make_dataset(session, settings, provider=provider)
    dataset.pseudonym_secret = "ab" * 32
    with pytest.raises(SecretsKeyError, match="not a sealed value"):
        keys.release_key(dataset, None)
    with pytest.raises(SecretsKeyError, match="not a sealed value"):
        keys.cell_key(dataset)


def test_a_sealed_secret_copied_from_another_dataset_does_not_open(
    session: Session, settings: Settings, provider: User
) -> None:
    first = make_dataset(session, settings, provider=provider)
    second = make_dataset(session, settings, provider=provider)
    second.pseudonym_secret = first.pseudonym_secret
    with pytest.raises(SecretsKeyError, match="does not authenticate"):
        keys.release_key(second, None)
