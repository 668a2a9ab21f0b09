"""The policy API: versions, validation, approval before serving, keys per buyer, preview
and k-anonymity, all through HTTP."""

from __future__ import annotations

from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from accounts.models import Role, User
from audit.models import AuditRecord
from billing.service import plans_for
from ground.config import Settings
from listings import keys
from listings.models import Dataset
from tests.fixtures.client import api_key_over_http, bearer, order_over_http
from tests.fixtures.factories import (
    APPROVAL,
    create_dataset,
    create_user,
    csv_bytes,
    list_dataset,
    people_table,
    prepare_for_review,
)

COLUMNS = ["姓名", "身份证号", "手机号", "城市", "金额"]


@pytest.fixture
def draft(session: Session, settings: Settings, provider: User) -> Dataset:
    dataset = create_dataset(session, settings, provider=provider)
    prepare_for_review(session, dataset, provider=provider)
    session.commit()
    return dataset


@pytest.fixture
def listed(session: Session, draft: Dataset, provider: User, reviewer: User) -> Dataset:
    list_dataset(session, draft, provider=provider, reviewer=reviewer)
    session.commit()
    return draft


def _policy_url(dataset: Dataset) -> str:
    return f"/api/v1/datasets/{dataset.id}/policy"


def _rules(**overrides: dict[str, Any]) -> dict[str, Any]:
    rules: dict[str, Any] = {
        "姓名": {"operator": "mask_name"},
        "身份证号": {"operator": "mask", "keep_first": 6, "keep_last": 4},
        "手机号": {"operator": "mask", "keep_first": 3, "keep_last": 4, "normalize": "mobile"},
        "城市": {"operator": "keep"},
        "金额": {"operator": "keep"},
    }
    rules.update(overrides)
    return rules


def _put(
    client: TestClient,
    dataset: Dataset,
    user: User,
    settings: Settings,
    columns: dict[str, Any],
    quasi_identifiers: list[str] | None = None,
) -> Any:
    body = {"columns": columns, "quasi_identifiers": quasi_identifiers or []}
    return client.put(_policy_url(dataset), headers=bearer(user, settings), json=body)


def _buyer_key(client: TestClient, session: Session, settings: Settings, dataset: Dataset) -> str:
    """A new buyer organization with the free plan and an API key."""
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    free = plans_for(session, dataset.id)[0]
    order_over_http(client, buyer, settings, dataset.id, free.id, scenario="风控建模")
    return api_key_over_http(client, buyer, settings, name="etl")


def _rows(client: TestClient, dataset: Dataset, key: str, **params: int) -> list[dict[str, Any]]:
    response = client.get(
        f"/api/v1/data/{dataset.id}/rows", params=params, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


def test_profiling_proposes_version_1(
    client: TestClient, settings: Settings, draft: Dataset, provider: User
) -> None:
    body = client.get(_policy_url(draft), headers=bearer(provider, settings)).json()
    assert body["version"] == 1
    assert body["created_by_id"] is None
    assert body["approved_version"] is None
    assert body["columns"]["身份证号"]["operator"] == "mask"
    assert set(body["columns"]) == set(COLUMNS)


def test_put_saves_a_new_version_and_keeps_the_history(
    client: TestClient, settings: Settings, draft: Dataset, provider: User
) -> None:
    response = _put(client, draft, provider, settings, _rules(姓名={"operator": "redact"}))
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["created_by_id"] == str(provider.id)
    history = client.get(f"{_policy_url(draft)}/versions", headers=bearer(provider, settings))
    assert [v["version"] for v in history.json()] == [2, 1]
    assert history.json()[0]["columns"]["姓名"]["operator"] == "redact"


def test_a_rule_for_an_unknown_column_is_refused_and_nothing_changes(
    client: TestClient, settings: Settings, draft: Dataset, provider: User
) -> None:
    response = _put(client, draft, provider, settings, _rules(邮编={"operator": "keep"}))
    assert response.status_code == 400
    assert "邮编" in response.json()["detail"]
    assert "邮编" in response.json()["detail_zh"]
    body = client.get(_policy_url(draft), headers=bearer(provider, settings)).json()
    assert body["version"] == 1


@pytest.mark.parametrize(
    "rule",
    [
        {"operator": "truncate"},
        {"operator": "noise", "epsilon": 0},
        {"operator": "shuffle"},
        {"operator": "mask", "keep_first": -1},
    ],
)
def test_invalid_operator_parameters_are_422_in_both_languages(
    client: TestClient, settings: Settings, draft: Dataset, provider: User, rule: dict[str, Any]
) -> None:
    response = _put(client, draft, provider, settings, _rules(金额=rule))
    assert response.status_code == 422
    assert response.json()["detail_zh"]
    body = client.get(_policy_url(draft), headers=bearer(provider, settings)).json()
    assert body["version"] == 1


def test_unknown_quasi_identifiers_are_refused(
    client: TestClient, settings: Settings, draft: Dataset, provider: User
) -> None:
    response = _put(client, draft, provider, settings, _rules(), quasi_identifiers=["年龄"])
    assert response.status_code == 400
    assert "准标识符" in response.json()["detail_zh"]


def test_another_provider_cannot_see_or_change_the_policy(
    client: TestClient, session: Session, settings: Settings, draft: Dataset
) -> None:
    other = create_user(session, role=Role.provider)
    session.commit()
    assert client.get(_policy_url(draft), headers=bearer(other, settings)).status_code == 404
    assert _put(client, draft, other, settings, _rules()).status_code == 404


def test_the_policy_is_frozen_while_in_review(
    client: TestClient, settings: Settings, draft: Dataset, provider: User
) -> None:
    client.post(f"/api/v1/datasets/{draft.id}/submit", headers=bearer(provider, settings))
    response = _put(client, draft, provider, settings, _rules())
    assert response.status_code == 409
    assert response.json()["detail_zh"]


def test_a_listed_dataset_serves_the_approved_version_until_the_change_is_approved(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    reviewer: User,
) -> None:
    key = _buyer_key(client, session, settings, listed)
    assert _rows(client, listed, key, limit=1)[0]["姓名"].endswith("*")

    changed = _put(client, listed, provider, settings, _rules(姓名={"operator": "redact"}))
    assert changed.json()["pending_review"] is True
    assert changed.json()["approved_version"] == 1
    assert _rows(client, listed, key, limit=1)[0]["姓名"].endswith("*")  # still version 1

    queue = client.get("/api/v1/reviews/listings", headers=bearer(reviewer, settings)).json()
    entry = next(item for item in queue["items"] if item["id"] == str(listed.id))
    assert entry["policy_change"] is True
    assert entry["status"] == "listed"

    approve = f"/api/v1/reviews/listings/{listed.id}/approve"
    assert (
        client.post(approve, headers=bearer(reviewer, settings), json=APPROVAL).status_code == 200
    )
    assert _rows(client, listed, key, limit=1)[0]["姓名"] == "***"
    body = client.get(_policy_url(listed), headers=bearer(provider, settings)).json()
    assert (body["approved_version"], body["pending_review"]) == (2, False)


def test_rejecting_a_policy_change_keeps_the_listing_on_the_approved_version(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    reviewer: User,
) -> None:
    _put(client, listed, provider, settings, _rules(身份证号={"operator": "keep"}))
    reject = f"/api/v1/reviews/listings/{listed.id}/reject"
    response = client.post(
        reject, headers=bearer(reviewer, settings), json={"reason": "身份证号不能明文发布"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "listed"
    body = client.get(_policy_url(listed), headers=bearer(provider, settings)).json()
    assert (body["version"], body["approved_version"]) == (1, 1)
    key = _buyer_key(client, session, settings, listed)
    assert "*" in _rows(client, listed, key, limit=1)[0]["身份证号"]


def test_two_buyers_get_unlinkable_pseudonyms_each_stable_for_its_owner(
    client: TestClient,
    session: Session,
    settings: Settings,
    draft: Dataset,
    provider: User,
    reviewer: User,
) -> None:
    _put(client, draft, provider, settings, _rules(身份证号={"operator": "pseudonymize"}))
    list_dataset(session, draft, provider=provider, reviewer=reviewer)
    session.commit()
    first, second = (_buyer_key(client, session, settings, draft) for _ in range(2))
    tokens_a = [r["身份证号"] for r in _rows(client, draft, first, limit=20)]
    tokens_b = [r["身份证号"] for r in _rows(client, draft, second, limit=20)]
    assert set(tokens_a).isdisjoint(tokens_b)
    assert [r["身份证号"] for r in _rows(client, draft, first, limit=20)] == tokens_a
    page = [r["身份证号"] for r in _rows(client, draft, first, limit=5, offset=10)]
    assert page == tokens_a[10:15]
    raw_ids = people_table()["身份证号"].to_pylist()
    assert set(tokens_a).isdisjoint(raw_ids)


def test_the_dataset_secret_never_leaves_the_server(
    client: TestClient, session: Session, settings: Settings, draft: Dataset, provider: User
) -> None:
    session.refresh(draft)
    as_provider = bearer(provider, settings)
    for url in (
        f"/api/v1/datasets/{draft.id}",
        _policy_url(draft),
        f"{_policy_url(draft)}/versions",
        f"/api/v1/datasets/{draft.id}/preview",
        "/api/v1/datasets",
    ):
        text = client.get(url, headers=as_provider).text
        assert draft.pseudonym_secret not in text  # neither the sealed form
        assert keys.dataset_secret(draft).hex() not in text  # nor the secret itself


def test_preview_shows_the_draft_to_its_provider(
    client: TestClient, settings: Settings, draft: Dataset, provider: User
) -> None:
    _put(client, draft, provider, settings, _rules(城市={"operator": "drop"}))
    response = client.get(
        f"/api/v1/datasets/{draft.id}/preview",
        params={"rows": 3},
        headers=bearer(provider, settings),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["policy"], body["policy_version"]) == ("draft", 2)
    assert body["columns"] == ["姓名", "身份证号", "手机号", "金额"]
    assert len(body["rows"]) == 3
    raw = people_table().slice(0, 3).to_pylist()
    for shown, original in zip(body["rows"], raw, strict=True):
        assert shown["身份证号"] != original["身份证号"]
        assert shown["身份证号"][:6] == original["身份证号"][:6]


def test_buyers_preview_only_the_approved_policy_of_listed_datasets(
    client: TestClient,
    session: Session,
    settings: Settings,
    draft: Dataset,
    provider: User,
    reviewer: User,
) -> None:
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    url = f"/api/v1/datasets/{draft.id}/preview"
    assert client.get(url, headers=bearer(buyer, settings)).status_code == 404  # not listed
    list_dataset(session, draft, provider=provider, reviewer=reviewer)
    session.commit()
    _put(client, draft, provider, settings, _rules(姓名={"operator": "keep"}))
    shown = client.get(url, headers=bearer(buyer, settings)).json()
    assert (shown["policy"], shown["policy_version"]) == ("approved", 1)
    assert all(row["姓名"].endswith("*") for row in shown["rows"])
    draft_view = client.get(url, params={"policy": "draft"}, headers=bearer(buyer, settings))
    assert draft_view.status_code == 404


def _previews(session: Session, dataset: Dataset) -> list[AuditRecord]:
    query = select(AuditRecord).where(
        AuditRecord.action == "data.preview", AuditRecord.dataset_id == dataset.id
    )
    return list(session.exec(query.order_by(col(AuditRecord.seq))))


def test_every_preview_is_audited_with_door_policy_version_and_rows(
    client: TestClient, session: Session, settings: Settings, draft: Dataset, provider: User
) -> None:
    response = client.get(
        f"/api/v1/datasets/{draft.id}/preview",
        params={"rows": 4},
        headers=bearer(provider, settings),
    )
    assert response.status_code == 200, response.text
    [record] = _previews(session, draft)
    assert record.actor_user_id == provider.id
    assert record.details == {
        "door": "api.preview",
        "policy": "draft",
        "policy_version": 1,
        "rows_requested": 4,
        "rows_returned": 4,
        "columns": response.json()["columns"],
    }


def test_a_refused_preview_leaves_no_record(
    client: TestClient, session: Session, settings: Settings, draft: Dataset
) -> None:
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    url = f"/api/v1/datasets/{draft.id}/preview"
    assert client.get(url, headers=bearer(buyer, settings)).status_code == 404
    assert _previews(session, draft) == []


def test_k_anonymity_matches_a_group_by_of_the_released_rows(
    client: TestClient, settings: Settings, draft: Dataset, provider: User
) -> None:
    url = f"/api/v1/datasets/{draft.id}/k-anonymity"
    as_provider = bearer(provider, settings)
    by_city = client.get(url, params={"quasi_identifiers": "城市"}, headers=as_provider).json()
    expected = pl.from_arrow(people_table()).group_by("城市").len()["len"].min()
    assert by_city["k"] == expected
    assert by_city["threshold"] == settings.k_anonymity_min
    unique = client.get(url, params={"quasi_identifiers": "城市,金额"}, headers=as_provider)
    assert unique.json()["k"] == 1
    assert unique.json()["below_threshold"] is True
    assert unique.json()["rows_at_risk"] > 0


def test_k_anonymity_is_measured_on_the_released_form(
    client: TestClient, settings: Settings, draft: Dataset, provider: User
) -> None:
    # Each ID is unique raw; generalized to region and birth year, classes merge.
    generalized = {"operator": "generalize", "generalize_to": "region_birth_year"}
    _put(client, draft, provider, settings, _rules(身份证号=generalized))
    url = f"/api/v1/datasets/{draft.id}/k-anonymity"
    report = client.get(
        url, params={"quasi_identifiers": "身份证号"}, headers=bearer(provider, settings)
    ).json()
    assert report["equivalence_classes"] < 50


def test_dropped_quasi_identifiers_are_listed_apart_wherever_k_is_shown(
    client: TestClient, settings: Settings, draft: Dataset, provider: User, reviewer: User
) -> None:
    """金额 is declared a quasi-identifier but dropped: it splits no class, and every
    report says it was left out rather than quietly measuring without it."""
    rules = _rules(金额={"operator": "drop"})
    saved = _put(client, draft, provider, settings, rules, quasi_identifiers=["城市", "金额"])
    stored = saved.json()["k_anonymity"]
    assert (stored["quasi_identifiers"], stored["dropped_quasi_identifiers"]) == (
        ["城市"],
        ["金额"],
    )
    expected = pl.from_arrow(people_table()).group_by("城市").len()["len"].min()
    assert stored["k"] == expected

    url = f"/api/v1/datasets/{draft.id}/k-anonymity"
    fresh = client.get(
        url, params={"quasi_identifiers": "金额,城市"}, headers=bearer(provider, settings)
    )
    assert (fresh.json()["quasi_identifiers"], fresh.json()["dropped_quasi_identifiers"]) == (
        ["城市"],
        ["金额"],
    )

    submit = f"/api/v1/datasets/{draft.id}/submit"
    assert client.post(submit, headers=bearer(provider, settings)).status_code == 200
    as_reviewer = bearer(reviewer, settings)
    queue = client.get("/api/v1/reviews/listings", headers=as_reviewer).json()
    entry = next(item for item in queue["items"] if item["id"] == str(draft.id))
    assert entry["k_anonymity"]["dropped_quasi_identifiers"] == ["金额"]
    page = client.get(f"/api/v1/reviews/listings/{draft.id}", headers=as_reviewer).json()
    assert page["k_anonymity"]["dropped_quasi_identifiers"] == ["金额"]


def test_k_anonymity_of_unknown_columns_is_400(
    client: TestClient, settings: Settings, draft: Dataset, provider: User
) -> None:
    url = f"/api/v1/datasets/{draft.id}/k-anonymity"
    response = client.get(
        url, params={"quasi_identifiers": "年龄"}, headers=bearer(provider, settings)
    )
    assert response.status_code == 400
    assert response.json()["detail_zh"]


def test_the_review_queue_flags_a_release_under_k(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
) -> None:
    risky = create_dataset(session, settings, provider=provider, title="risky")
    safe = create_dataset(session, settings, provider=provider, title="safe")
    for dataset in (risky, safe):
        prepare_for_review(session, dataset, provider=provider)
    session.commit()
    _put(client, risky, provider, settings, _rules(), quasi_identifiers=["城市", "金额"])
    _put(client, safe, provider, settings, _rules(), quasi_identifiers=["城市"])
    for dataset in (risky, safe):
        submit = f"/api/v1/datasets/{dataset.id}/submit"
        assert client.post(submit, headers=bearer(provider, settings)).status_code == 200
    queue = client.get("/api/v1/reviews/listings", headers=bearer(reviewer, settings)).json()
    entries = {item["title"]: item for item in queue["items"]}
    assert entries["risky"]["k_anonymity_flag"] is True
    assert entries["risky"]["k_anonymity"]["k"] == 1
    assert entries["risky"]["quasi_identifiers"] == ["城市", "金额"]
    assert entries["safe"]["k_anonymity_flag"] is False


def _places_table() -> pa.Table:
    """People with where they were seen: a coordinate pair and a latitude column."""
    latitudes = [round(39.9 + 0.0123 * i, 6) for i in range(20)]
    pairs = [f"{lat:.6f},{116.4 + 0.0071 * i:.6f}" for i, lat in enumerate(latitudes)]
    people = people_table(rows=20)
    return people.append_column("坐标", pa.array(pairs)).append_column("纬度", pa.array(latitudes))


@pytest.fixture
def places(session: Session, settings: Settings, provider: User) -> Dataset:
    content = csv_bytes(_places_table())
    dataset = create_dataset(session, settings, provider=provider, content=content)
    session.commit()
    return dataset


def _preview(client: TestClient, dataset: Dataset, user: User, settings: Settings) -> Any:
    url = f"/api/v1/datasets/{dataset.id}/preview"
    response = client.get(url, params={"rows": 20}, headers=bearer(user, settings))
    assert response.status_code == 200, response.text
    return response.json()


def test_coordinates_are_generalized_by_default_and_by_an_edited_rule(
    client: TestClient, settings: Settings, places: Dataset, provider: User
) -> None:
    proposed = client.get(_policy_url(places), headers=bearer(provider, settings)).json()
    assert proposed["columns"]["坐标"]["generalize_to"] == "gps"
    assert proposed["columns"]["坐标"]["decimals"] == 1

    rules = {
        **proposed["columns"],
        "坐标": {"operator": "generalize", "generalize_to": "gps", "decimals": 2},
        "纬度": {"operator": "generalize", "generalize_to": "gps", "grid": 0.05},
    }
    response = _put(client, places, provider, settings, rules)
    assert response.status_code == 200, response.text
    rows = _preview(client, places, provider, settings)["rows"]
    raw = _places_table().to_pylist()
    for shown, original in zip(rows, raw, strict=True):
        lat, lng = (float(part) for part in original["坐标"].split(","))
        assert shown["坐标"] == f"{round(lat, 2):.2f},{round(lng, 2):.2f}"
        assert shown["纬度"] == pytest.approx(round(original["纬度"] / 0.05) * 0.05)
    assert len({row["纬度"] for row in rows}) < len(rows)  # several points share a cell


@pytest.mark.parametrize(
    "rule",
    [
        {"operator": "generalize", "generalize_to": "gps"},
        {"operator": "generalize", "generalize_to": "gps", "decimals": 2, "grid": 0.1},
        {"operator": "generalize", "generalize_to": "gps", "decimals": 9},
        {"operator": "generalize", "generalize_to": "gps", "grid": 0.0000015},
    ],
)
def test_bad_coordinate_rules_are_422_in_both_languages_and_change_nothing(
    client: TestClient, settings: Settings, places: Dataset, provider: User, rule: dict[str, Any]
) -> None:
    proposed = client.get(_policy_url(places), headers=bearer(provider, settings)).json()
    response = _put(client, places, provider, settings, {**proposed["columns"], "坐标": rule})
    assert response.status_code == 422
    body = response.json()
    assert "坐标" in body["detail"]
    assert body["detail_zh"].startswith("请求参数无效")
    after = client.get(_policy_url(places), headers=bearer(provider, settings)).json()
    assert after["version"] == 1
    assert after["columns"]["坐标"]["decimals"] == 1
