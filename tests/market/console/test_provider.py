"""The provider's pages, through the forms a browser posts."""

from __future__ import annotations

import re
import uuid

import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from accounts.models import Role, User
from billing import metering
from billing.models import Plan, UsageKind
from ground.config import Settings
from listings import review, storage
from listings.models import Dataset, DatasetStatus, DeliveryMode
from tests.fixtures.client import bearer
from tests.fixtures.console import html as shown
from tests.fixtures.console import pattern
from tests.fixtures.factories import (
    create_dataset,
    create_order,
    create_user,
    csv_bytes,
    people_table,
    principal_of,
    submit_dataset,
)
from tests.fixtures.reads import reloaded
from tests.market.console.conftest import SignIn, csrf_token, post_form


def _policy_form(dataset: Dataset, **overrides: dict[str, str]) -> dict[str, str]:
    """The editor's fields for the dataset's current policy, with some columns changed."""
    assert dataset.policy is not None
    form: dict[str, str] = {}
    for i, column in enumerate(c["name"] for c in dataset.columns):
        rule = dataset.policy["columns"].get(column, {"operator": "drop"})
        form[f"col-{i}"] = column
        chosen = overrides.get(column, {"op": rule["operator"]})
        form[f"op-{i}"] = chosen["op"]
        for key, value in chosen.items():
            if key != "op":
                form[f"{chosen['op']}.{key}-{i}"] = value
        if key_params := {k: v for k, v in rule.items() if k != "operator"}:
            if column not in overrides:
                for key, value in key_params.items():
                    if value is not None:
                        form[f"{rule['operator']}.{key}-{i}"] = str(value)
    return form


def _raw_rows(settings: Settings, dataset: Dataset) -> list[dict[str, object]]:
    return pq.read_table(storage.resolve(settings.data_dir, dataset.file_path)).to_pylist()


def test_uploading_through_the_form_profiles_the_file_and_shows_the_detection(
    client: TestClient, session: Session, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    assert shown("provider.progress") in client.get("/console/provider/upload").text
    response = client.post(
        "/console/provider/upload",
        data={"title": "社保登记", "domain": "social_security", "csrf_token": csrf_token(client)},
        files={"file": ("people.csv", csv_bytes(people_table()), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    match = re.fullmatch(
        r"/console/provider/datasets/([0-9a-f-]+)\?done=uploaded", response.headers["location"]
    )
    assert match
    dataset = session.get(Dataset, uuid.UUID(match.group(1)))
    assert dataset is not None
    assert dataset.status == DatasetStatus.draft
    page = client.get(response.headers["location"]).text
    assert shown("provider.done.uploaded") in page
    assert "resident_id" in page
    assert "valid resident ID numbers" in page  # the detector's evidence
    assert 'class="sensitive"' in page


def test_a_malformed_upload_is_refused_and_nothing_is_stored(
    client: TestClient, session: Session, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    response = client.post(
        "/console/provider/upload",
        data={"title": "坏文件", "domain": "x", "csrf_token": csrf_token(client)},
        files={"file": ("bad.parquet", b"not parquet at all", "application/octet-stream")},
    )
    assert 400 <= response.status_code < 500
    assert 'role="alert"' in response.text
    assert session.exec(select(Dataset).where(Dataset.title == "坏文件")).first() is None


def test_the_live_preview_applies_the_edited_policy_without_saving_it(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    signed_in: SignIn,
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    version = dataset.policy_version
    signed_in(provider)
    form = _policy_form(dataset, 手机号={"op": "redact", "replacement": "已隐藏"})
    response = post_form(client, f"/console/provider/datasets/{dataset.id}/policy/preview", form)
    assert response.status_code == 200
    assert "已隐藏" in response.text
    assert "<html" not in response.text  # a fragment for htmx to swap in
    raw = _raw_rows(settings, dataset)
    assert str(raw[0]["手机号"]) not in response.text
    session.refresh(dataset)
    assert dataset.policy_version == version


def test_saving_the_policy_records_a_new_version(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    version = dataset.policy_version or 0
    signed_in(provider)
    form = _policy_form(dataset, 城市={"op": "keep"}, 金额={"op": "drop"})
    form["qi-3"] = "1"  # 城市
    response = post_form(client, f"/console/provider/datasets/{dataset.id}/policy", form)
    assert response.status_code == 303
    session.refresh(dataset)
    assert dataset.policy_version == version + 1
    assert dataset.policy is not None
    assert dataset.policy["columns"]["金额"]["operator"] == "drop"
    assert dataset.policy["quasi_identifiers"] == ["城市"]
    page = client.get(response.headers["location"]).text
    assert shown("provider.done.policy_saved") in page
    assert pattern("provider.k_report").search(page)


def test_the_editor_sets_a_coordinate_grid_and_refuses_two_cell_sizes(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    version = dataset.policy_version or 0
    signed_in(provider)
    url = f"/console/provider/datasets/{dataset.id}/policy"
    page = client.get(f"/console/provider/datasets/{dataset.id}").text
    assert shown("provider.gen.gps") in page
    assert shown("provider.param.grid") in page
    both = {"op": "generalize", "generalize_to": "gps", "decimals": "2", "grid": "0.5"}
    refused = post_form(client, url, _policy_form(dataset, 金额=both))
    assert refused.status_code == 400
    assert "列“金额”的规则无效" in refused.text
    session.refresh(dataset)
    assert dataset.policy_version == version
    grid = {"op": "generalize", "generalize_to": "gps", "grid": "0.5"}
    saved = post_form(client, url, _policy_form(dataset, 金额=grid))
    assert saved.status_code == 303, saved.text
    session.refresh(dataset)
    assert dataset.policy is not None
    rule = dataset.policy["columns"]["金额"]
    assert (rule["generalize_to"], rule["grid"], rule["decimals"]) == ("gps", 0.5, None)


def test_an_invalid_rule_is_refused_in_both_languages_and_nothing_is_saved(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    version = dataset.policy_version
    signed_in(provider)
    form = _policy_form(dataset, 城市={"op": "truncate"})  # truncate needs a length
    response = post_form(client, f"/console/provider/datasets/{dataset.id}/policy", form)
    assert response.status_code == 400
    assert "列“城市”的规则无效" in response.text
    client.cookies.set("lang", "en")
    english = post_form(
        client,
        f"/console/provider/datasets/{dataset.id}/policy/preview",
        form,
    )
    assert "Column 城市" in english.text
    session.refresh(dataset)
    assert dataset.policy_version == version


def test_an_htmx_error_comes_back_as_an_alert_for_the_flash_region(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    form = _policy_form(dataset, 城市={"op": "noise", "epsilon": "abc"})
    response = client.post(
        f"/console/provider/datasets/{dataset.id}/policy/preview",
        data=form,
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flash"
    assert response.text.startswith('<div class="alert alert-error" role="alert"')
    assert "epsilon 必须是数字" in response.text


def test_submitting_states_authorization_and_grade_then_submits(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    response = post_form(
        client,
        f"/console/provider/datasets/{dataset.id}/submit",
        {
            "source": "区社保中心业务系统",
            "legal_basis": "《数据安全法》第三十二条",
            "grade": "general",
            "grade_level": "3",
        },
    )
    assert response.status_code == 303
    session.refresh(dataset)
    assert dataset.status == DatasetStatus.in_review
    assert (dataset.proposed_grade, dataset.proposed_grade_level) == ("general", 3)
    assert dataset.source == "区社保中心业务系统"
    assert shown("common.status.in_review") in client.get(response.headers["location"]).text


def test_a_submission_missing_its_legal_basis_changes_nothing(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    response = post_form(
        client,
        f"/console/provider/datasets/{dataset.id}/submit",
        {"source": "系统", "legal_basis": " ", "grade": "general", "grade_level": "2"},
    )
    assert response.status_code == 400
    assert "请修改表单" in response.text
    session.refresh(dataset)
    assert dataset.status == DatasetStatus.draft
    assert dataset.source == ""
    assert dataset.proposed_grade is None


def test_core_data_is_refused_at_submission_with_every_step_undone(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    response = post_form(
        client,
        f"/console/provider/datasets/{dataset.id}/submit",
        {"source": "系统", "legal_basis": "依据", "grade": "core"},
    )
    assert response.status_code == 409
    assert "核心数据一律不得上架交易" in response.text
    session.refresh(dataset)
    assert dataset.status == DatasetStatus.draft
    assert dataset.source == ""


def test_rejection_reasons_are_shown(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    submit_dataset(session, dataset, provider=provider)
    review.reject(session, principal_of(reviewer), dataset.id, "手机号脱敏不足")
    signed_in(provider)
    page = client.get(f"/console/provider/datasets/{dataset.id}").text
    assert shown("common.status.rejected") in page
    assert "手机号脱敏不足" in page
    assert shown("provider.submit_button") in page  # it may be submitted again


def test_plans_are_created_and_repriced_in_exact_minor_units(
    client: TestClient, session: Session, listed: Dataset, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    url = f"/console/provider/datasets/{listed.id}/plans"
    response = post_form(
        client,
        url,
        {
            "name": "月度包",
            "kind": "api_quota",
            "calls": "500",
            "quota_unit": "calls",
            "valid_days": "30",
            "currency": "CNY",
            "price": "12.30",
        },
    )
    assert response.status_code == 303
    plan = session.exec(select(Plan).where(Plan.name == "月度包")).one()
    assert plan.price_minor == 1230
    repriced = post_form(
        client, f"{url}/{plan.id}", {"name": "月度包", "price": "99.99", "currency": "CNY"}
    )
    assert repriced.status_code == 303
    session.refresh(plan)
    assert plan.price_minor == 9999
    assert plan.is_active is False  # the "on offer" box was not ticked: withdrawn


def test_a_price_with_too_many_decimals_is_refused(
    client: TestClient, session: Session, listed: Dataset, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    before = session.exec(select(Plan).where(col(Plan.dataset_id) == listed.id)).all()
    response = post_form(
        client,
        f"/console/provider/datasets/{listed.id}/plans",
        {"name": "x", "kind": "api_quota", "calls": "5", "valid_days": "3", "price": "1.234"},
    )
    assert response.status_code == 400
    assert "CNY 金额最多 2 位小数" in response.text
    after = session.exec(select(Plan).where(col(Plan.dataset_id) == listed.id)).all()
    assert len(after) == len(before)


def test_the_dashboard_lists_datasets_and_charts_usage_and_revenue(
    client: TestClient, session: Session, listed: Dataset, provider: User, signed_in: SignIn
) -> None:
    buyer = create_user(session, role=Role.buyer)
    for _ in range(3):
        metering.record_usage(
            session,
            buyer_org_id=buyer.organization_id,
            dataset_id=listed.id,
            provider_org_id=provider.organization_id,
            kind=UsageKind.api_call,
            units=1,
            rows=10,
        )
    signed_in(provider)
    page = client.get("/console/provider").text
    assert listed.title in page
    assert page.count('role="img"') >= 2  # usage and revenue
    # the usage chart's description counts the calls
    assert pattern("provider.usage_chart_desc", total=3).search(page)
    assert shown("provider.revenue_chart", currency="CNY") in page


def test_another_providers_dataset_is_not_theirs_to_manage(
    client: TestClient, session: Session, settings: Settings, provider: User, signed_in: SignIn
) -> None:
    other = create_user(session, role=Role.provider)
    dataset = create_dataset(session, settings, provider=other)
    signed_in(provider)
    assert client.get(f"/console/provider/datasets/{dataset.id}").status_code == 404
    response = post_form(
        client,
        f"/console/provider/datasets/{dataset.id}/submit",
        {"source": "s", "legal_basis": "l", "grade": "general", "grade_level": "1"},
    )
    assert response.status_code == 404


def test_the_revenue_chart_shows_what_the_ledger_owes_the_provider(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    buyer: User,
    admin: User,
    settings: Settings,
    signed_in: SignIn,
) -> None:
    order = create_order(session, buyer, listed, provider)
    session.commit()
    paid = client.post(
        f"/api/v1/orders/{order.id}/bank-transfers",
        headers=bearer(admin, settings),
        json={"reference": "T-1", "amount_minor": order.price_minor, "currency": "CNY"},
    )
    assert paid.status_code < 300, paid.text
    signed_in(provider)
    page = client.get("/console/provider").text
    # 10,000 fen paid, less the default 5% fee: ¥95.00 this month, in the chart and its table.
    assert page.count("¥95.00") >= 2


def test_the_upload_form_declares_the_delivery_mode(
    client: TestClient, session: Session, provider: User, signed_in: SignIn
) -> None:
    signed_in(provider)
    form = client.get("/console/provider/upload").text
    assert 'name="delivery_mode" value="sandbox"' in form
    response = client.post(
        "/console/provider/upload",
        data={"title": "沙箱数据", "domain": "d", "delivery_mode": "sandbox",
              "csrf_token": csrf_token(client)},
        files={"file": ("people.csv", csv_bytes(people_table()), "text/csv")},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    dataset = session.exec(select(Dataset).where(Dataset.title == "沙箱数据")).one()
    assert dataset.delivery_mode is DeliveryMode.sandbox
    page = client.get(response.headers["location"]).text
    # A sandbox-only dataset is offered no plan kind that serves rows.
    assert '<option value="api_quota">' not in page
    assert '<option value="sandbox_pack">' in page


def _mode(session: Session, dataset: Dataset) -> DeliveryMode:
    return reloaded(session, dataset).delivery_mode


def test_a_draft_changes_its_delivery_mode_until_it_is_submitted(
    client: TestClient,
    session: Session,
    settings: Settings,
    provider: User,
    signed_in: SignIn,
) -> None:
    dataset = create_dataset(session, settings, provider=provider)
    signed_in(provider)
    url = f"/console/provider/datasets/{dataset.id}/delivery-mode"
    done = post_form(client, url, {"delivery_mode": "rows"})
    assert done.status_code == 303
    assert _mode(session, dataset) is DeliveryMode.rows
    page = client.get(f"/console/provider/datasets/{dataset.id}").text
    assert 'id="sandbox-profile"' not in page  # no sandbox for a rows-only dataset
    submit_dataset(session, dataset, provider=provider)
    assert (
        shown("provider.delivery_hint")
        not in client.get(f"/console/provider/datasets/{dataset.id}").text
    )
    refused = post_form(client, url, {"delivery_mode": "both"})
    assert refused.status_code == 409
    assert "交付方式即固定" in refused.text
    assert _mode(session, dataset) is DeliveryMode.rows
