"""The catalog pages: filters, pagination, and a dataset as a buyer sees it."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import Role, User
from ground.config import Settings
from listings import storage
from listings.models import DataGrade, Dataset, DeliveryMode
from market.console import catalog as catalog_pages
from tests.fixtures.console import html as shown
from tests.fixtures.factories import (
    create_dataset,
    create_listed_dataset,
    create_plan,
    create_sandbox_dataset,
    create_user,
)
from tests.market.console.conftest import SignIn


def test_the_catalog_shows_listed_datasets_only(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    create_listed_dataset(
        session, settings, provider=provider, reviewer=reviewer, title="交通卡口流量"
    )
    create_dataset(session, settings, provider=provider, title="未上架草稿")
    signed_in(buyer)
    page = client.get("/console/catalog")
    assert page.status_code == 200
    assert "交通卡口流量" in page.text
    assert "未上架草稿" not in page.text
    assert shown("catalog.found", total=1) in page.text


def test_filters_by_words_grade_and_provider(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    other = create_user(session, role=Role.provider)
    create_listed_dataset(
        session, settings, provider=provider, reviewer=reviewer, title="交通事故统计"
    )
    create_listed_dataset(
        session,
        settings,
        provider=provider,
        reviewer=reviewer,
        title="重要交通数据",
        grade=DataGrade.important,
        level=None,
    )
    create_listed_dataset(
        session, settings, provider=other, reviewer=reviewer, title="企业登记信息"
    )
    signed_in(buyer)

    def titles(**params: str) -> set[str]:
        text = client.get("/console/catalog", params=params).text
        return {t for t in ("交通事故统计", "重要交通数据", "企业登记信息") if t in text}

    assert titles(q="交通") == {"交通事故统计", "重要交通数据"}
    assert titles(grade="important") == {"重要交通数据"}
    assert titles(provider=str(other.organization_id)) == {"企业登记信息"}
    assert titles(q="交通", grade="general") == {"交通事故统计"}
    # The form's "all" options send empty values: no filter, not an error.
    assert titles(q="", domain="", grade="", provider="") == {
        "交通事故统计",
        "重要交通数据",
        "企业登记信息",
    }


def test_the_filters_offer_providers_and_domains_with_listings(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    create_listed_dataset(session, settings, provider=provider, reviewer=reviewer, title="A")
    signed_in(buyer)
    page = client.get("/console/catalog").text
    assert f'<option value="{provider.organization_id}"' in page
    assert '<option value="social_security"' in page
    assert '<label for="provider">' in page


def test_results_are_paginated(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    buyer: User,
    signed_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(catalog_pages, "PAGE_SIZE", 2)
    for n in range(3):
        create_listed_dataset(
            session, settings, provider=provider, reviewer=reviewer, title=f"数据集{n}"
        )
    signed_in(buyer)
    first = client.get("/console/catalog").text
    second = client.get("/console/catalog", params={"page": 2}).text
    assert shown("common.page_of", page=1, pages=2) in first
    assert 'rel="next"' in first
    titles = [f"数据集{n}" for n in range(3)]
    assert sum(t in first for t in titles) == 2
    assert sum(t in second for t in titles) == 1


def test_a_dataset_page_shows_rows_as_a_buyer_receives_them(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    create_plan(session, listed, provider=provider, price_minor=12_345, name="季度包")
    raw = pq.read_table(storage.resolve(settings.data_dir, listed.file_path)).to_pylist()
    signed_in(buyer)
    page = client.get(f"/console/datasets/{listed.id}")
    assert page.status_code == 200
    text = page.text
    assert listed.description in text
    assert "身份证号" in text  # the schema
    assert raw[0]["身份证号"] not in text  # never the raw identifier
    assert raw[0]["身份证号"][:6] in text  # its masked form keeps the region prefix
    assert "季度包" in text
    assert "¥123.45" in text
    assert '<th scope="col">' in text


def test_an_unlisted_dataset_is_not_found_for_others(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    buyer: User,
    signed_in: SignIn,
) -> None:
    draft = create_dataset(session, settings, provider=provider)
    signed_in(buyer)
    page = client.get(f"/console/datasets/{draft.id}")
    assert page.status_code == 404
    assert "数据集不存在" in page.text


def test_a_buyer_sees_released_forms_not_the_detectors_measurements(
    client: TestClient,
    session: Session,
    settings: Settings,
    listed: Dataset,
    buyer: User,
    signed_in: SignIn,
) -> None:
    signed_in(buyer)
    text = client.get(f"/console/datasets/{listed.id}").text
    assert shown("provider.op.mask") in text  # the resident ID's released form (mask)
    assert "resident_id" not in text  # the detected kind
    assert "sampled values" not in text  # the detector's evidence
    assert "people.csv" not in text
    assert shown("common.delivery.both") in text  # the delivery mode


def test_the_owner_also_sees_the_detected_kinds(
    client: TestClient, listed: Dataset, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    assert "resident_id" in client.get(f"/console/datasets/{listed.id}").text


def test_a_sandbox_only_dataset_shows_a_labelled_synthetic_sample(
    client: TestClient,
    session: Session,
    settings: Settings,
    buyer: User,
    signed_in: SignIn,
) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings, delivery_mode=DeliveryMode.sandbox)
    raw = pq.read_table(storage.resolve(settings.data_dir, dataset.file_path))
    signed_in(buyer)
    text = client.get(f"/console/datasets/{dataset.id}").text
    assert "data-synthetic" in text
    assert shown("catalog.synthetic_label") in text
    assert shown("common.rows_sandbox_only") in text  # no row count
    for value in raw.column("身份证号").to_pylist():
        assert value[:6] + "*" not in text
        assert value not in text
    listing = client.get("/console/catalog").text
    assert shown("common.delivery.sandbox") in listing
