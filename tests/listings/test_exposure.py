"""Compliance sees, for a dataset offered as rows and sandbox, what the rows give exactly."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import User
from anonymize import ColumnRule, Policy
from ground.config import Settings
from listings import exposure, policies
from listings.models import Dataset, DeliveryMode
from tests.fixtures.client import bearer
from tests.fixtures.factories import create_dataset, principal_of, submit_dataset

RULES = {
    "姓名": ColumnRule(operator="mask_name"),
    "身份证号": ColumnRule(operator="pseudonymize"),
    "手机号": ColumnRule(operator="redact"),
    "城市": ColumnRule(operator="truncate", length=2),  # 北京, 上海, 广州: every value whole
    "金额": ColumnRule(operator="keep"),
}


def _submitted(session: Session, settings: Settings, provider: User, mode: DeliveryMode) -> Dataset:
    dataset = create_dataset(session, settings, provider=provider, delivery_mode=mode)
    policies.update_policy(
        session,
        principal_of(provider),
        dataset.id,
        Policy(columns=RULES),
        data_dir=settings.data_dir,
        k_threshold=settings.k_anonymity_min,
    )
    submit_dataset(session, dataset, provider=provider)
    session.commit()
    return dataset


def test_the_policy_alone_names_what_the_rows_give(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = _submitted(session, settings, provider, DeliveryMode.both)
    result = exposure.tradeoff(dataset)
    assert result is not None
    assert not result.measured
    assert result.named("exact") == ["金额"]
    assert result.named("partly_exact") == ["城市"]
    assert result.named("grouped") == ["姓名", "身份证号"]
    assert result.named("protected") == ["手机号"]


def test_measuring_finds_the_values_released_whole(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = _submitted(session, settings, provider, DeliveryMode.both)
    result = exposure.tradeoff(dataset, data_dir=settings.data_dir, measure=True)
    assert result is not None
    assert result.measured
    city = next(c for c in result.columns if c.column == "城市")
    assert (city.whole_values, city.values_read) == (50, 50)
    assert result.named("exact") == ["城市", "金额"]  # every city leaves whole


def test_what_the_sandbox_cannot_protect_is_said_in_both_languages(
    session: Session, settings: Settings, provider: User
) -> None:
    dataset = _submitted(session, settings, provider, DeliveryMode.both)
    result = exposure.tradeoff(dataset)
    assert result is not None
    lines = result.sandbox_cannot_protect
    assert any("SUM" in en and "金额" in en and "SUM" in zh for en, zh in lines)
    assert any(en.startswith("COUNT(*) of the whole dataset") for en, _ in lines)
    assert all(en != zh for en, zh in lines)


@pytest.mark.parametrize("mode", [DeliveryMode.rows, DeliveryMode.sandbox])
def test_no_trade_off_without_both_channels(
    session: Session, settings: Settings, provider: User, mode: DeliveryMode
) -> None:
    assert exposure.tradeoff(_submitted(session, settings, provider, mode)) is None


def test_the_review_page_and_the_queue_show_the_trade_off(
    client: TestClient, session: Session, settings: Settings, provider: User, reviewer: User
) -> None:
    dataset = _submitted(session, settings, provider, DeliveryMode.both)
    headers = bearer(reviewer, settings)
    detail = client.get(f"/api/v1/reviews/listings/{dataset.id}", headers=headers).json()
    trade = detail["delivery_tradeoff"]
    assert trade["measured"] is True
    assert trade["exact_columns"] == ["城市", "金额"]
    assert all(line["en"] and line["zh"] for line in trade["sandbox_cannot_protect"])
    [entry] = client.get("/api/v1/reviews/listings", headers=headers).json()["items"]
    assert entry["delivery_mode"] == "both"
    assert entry["delivery_tradeoff"]["exact_columns"] == ["金额"]  # from the policy alone


def test_a_sandbox_only_submission_has_no_trade_off_to_show(
    client: TestClient, session: Session, settings: Settings, provider: User, reviewer: User
) -> None:
    dataset = _submitted(session, settings, provider, DeliveryMode.sandbox)
    detail = client.get(
        f"/api/v1/reviews/listings/{dataset.id}", headers=bearer(reviewer, settings)
    ).json()
    assert detail["delivery_tradeoff"] is None
    assert detail["dataset"]["delivery_mode"] == "sandbox"
