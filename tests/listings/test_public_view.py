"""Buyers see declarations, never measurements; owners and staff keep the full view."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from anonymize import ColumnRule, Policy
from ground.config import Settings
from listings import policies
from listings.models import Dataset, DeliveryMode
from listings.public_view import coarse_type_of, public_columns
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    create_dataset,
    create_user,
    list_dataset,
    principal_of,
)

MEASUREMENTS = (
    "kind",
    "confidence",
    "evidence",
    "original_filename",
    "size_bytes",
    "source_encoding",
    "source_format",
    "ingest_error",
    "has_personal_info",
    "has_sensitive_personal_info",
)


def _listed(
    session: Session,
    settings: Settings,
    provider: User,
    mode: DeliveryMode,
    rules: dict[str, ColumnRule] | None = None,
) -> Dataset:
    dataset = create_dataset(session, settings, provider=provider, delivery_mode=mode)
    if rules is not None:
        policies.update_policy(
            session,
            principal_of(provider),
            dataset.id,
            Policy(columns=rules),
            data_dir=settings.data_dir,
            k_threshold=settings.k_anonymity_min,
        )
    list_dataset(
        session, dataset, provider=provider, reviewer=create_user(session, role=Role.compliance)
    )
    session.commit()
    return dataset


def _keys(value: object) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


@pytest.mark.parametrize("mode", list(DeliveryMode))
def test_a_buyer_gets_the_buyer_view_without_any_measurement(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    buyer: User,
    mode: DeliveryMode,
) -> None:
    dataset = _listed(session, settings, provider, mode)
    body = client.get(f"/api/v1/datasets/{dataset.id}", headers=bearer(buyer, settings)).json()
    assert _keys(body).isdisjoint(MEASUREMENTS)
    assert body["delivery_mode"] == mode
    assert body["provider_name"]
    assert body["synthetic_sample"] is (mode is DeliveryMode.sandbox)
    assert "people.csv" not in str(body)


def test_the_row_count_is_shown_only_where_rows_are_delivered(
    client: TestClient, session: Session, settings: Settings, provider: User, buyer: User
) -> None:
    rows = _listed(session, settings, provider, DeliveryMode.rows)
    sandbox = _listed(session, settings, provider, DeliveryMode.sandbox)
    headers = bearer(buyer, settings)
    assert client.get(f"/api/v1/datasets/{rows.id}", headers=headers).json()["row_count"] == 50
    assert client.get(f"/api/v1/datasets/{sandbox.id}", headers=headers).json()["row_count"] is None


@pytest.mark.parametrize("role", [Role.provider, Role.compliance, Role.admin])
def test_the_owner_and_staff_keep_the_full_view(
    client: TestClient, session: Session, settings: Settings, provider: User, role: Role
) -> None:
    dataset = _listed(session, settings, provider, DeliveryMode.sandbox)
    viewer = provider if role is Role.provider else create_user(session, role=role)
    session.commit()
    body = client.get(f"/api/v1/datasets/{dataset.id}", headers=bearer(viewer, settings)).json()
    assert body["original_filename"] == "people.csv"
    assert body["row_count"] == 50
    assert {"kind", "evidence", "confidence"} <= set(body["columns"][0])


def test_another_provider_is_a_buyer_here(
    client: TestClient, session: Session, settings: Settings, provider: User
) -> None:
    dataset = _listed(session, settings, provider, DeliveryMode.both)
    other = create_user(session, role=Role.provider)
    session.commit()
    body = client.get(f"/api/v1/datasets/{dataset.id}", headers=bearer(other, settings)).json()
    assert _keys(body).isdisjoint(MEASUREMENTS)


def test_the_catalog_shows_the_buyer_view_to_everyone(
    client: TestClient, session: Session, settings: Settings, provider: User
) -> None:
    _listed(session, settings, provider, DeliveryMode.both)
    for viewer in (provider, create_user(session, role=Role.compliance)):
        session.commit()
        page = client.get("/api/v1/catalog", headers=bearer(viewer, settings)).json()
        assert page["total"] == 1
        assert _keys(page["items"]).isdisjoint(MEASUREMENTS)


RULES = {
    "姓名": ColumnRule(operator="mask_name"),
    "身份证号": ColumnRule(operator="mask", keep_first=6, keep_last=4),
    "金额": ColumnRule(operator="keep"),
    "城市": ColumnRule(operator="drop"),
}  # 手机号 has no rule: not released in the rows


def test_columns_carry_their_released_form_and_type(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = _listed(session, settings, provider, DeliveryMode.both, RULES)
    columns = {c["name"]: c for c in public_columns(dataset)}
    assert columns["金额"]["released"] == {"operator": "keep", "parameters": {}, "type": "integer"}
    assert columns["身份证号"]["released"]["parameters"] == {
        "keep_first": 6,
        "keep_last": 4,
        "mask_char": "*",
    }
    assert columns["姓名"]["released"]["type"] == "text"
    # Not in the rows, but the sandbox aggregates every column of a "both" dataset.
    assert columns["城市"]["released"] is None
    assert columns["城市"]["sandbox"] is True
    assert columns["手机号"]["released"] is None


def test_a_rows_only_dataset_names_only_the_columns_its_rows_carry(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = _listed(session, settings, provider, DeliveryMode.rows, RULES)
    columns = public_columns(dataset)
    assert [c["name"] for c in columns] == ["姓名", "身份证号", "金额"]
    assert not any(c["sandbox"] for c in columns)


def test_a_sandbox_only_dataset_shows_no_released_form(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = _listed(session, settings, provider, DeliveryMode.sandbox, RULES)
    columns = public_columns(dataset)
    assert {c["name"] for c in columns} == {"姓名", "身份证号", "手机号", "城市", "金额"}
    assert all(c["released"] is None and c["sandbox"] for c in columns)
    assert {c["name"]: c["type"] for c in columns}["金额"] == "integer"


@pytest.mark.parametrize(
    ("stored", "coarse"),
    [
        ("int64", "integer"),
        ("uint8", "integer"),
        ("double", "number"),
        ("decimal128(10, 2)", "number"),
        ("string", "text"),
        ("large_string", "text"),
        ("date32[day]", "date"),
        ("timestamp[us, tz=UTC]", "datetime"),
        ("bool", "boolean"),
        ("list<item: int64>", "other"),
    ],
)
def test_stored_types_map_to_coarse_types(stored: str, coarse: str) -> None:
    assert coarse_type_of(stored) == coarse
