"""In Chromium: a provider uploads a CSV, reviews the detection, edits the policy while the
preview follows, saves it and submits the dataset for review."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from accounts.models import Role
from ground.db import unit_of_work
from listings.models import Dataset, DatasetStatus
from tests.fixtures.console import pattern, text
from tests.fixtures.factories import PASSWORD, create_user, csv_bytes, people_table
from tests.market.console.conftest import screenshot


def test_provider_uploads_edits_the_policy_and_submits(page: Page, tmp_path: Path) -> None:
    with unit_of_work() as session:
        email = create_user(session, role=Role.provider).email
    upload = tmp_path / "社保登记.csv"
    upload.write_bytes(csv_bytes(people_table(rows=40)))

    page.goto("/console/login")
    page.get_by_label(text("common.email")).fill(email)
    page.get_by_label(text("common.password")).fill(PASSWORD)
    page.get_by_role("button", name=text("common.login")).click()
    page.get_by_role("navigation").get_by_role("link", name=text("provider.nav")).click()
    page.get_by_role("link", name=text("provider.upload")).click()

    page.get_by_label(text("provider.field_title")).fill("海淀区社保登记")
    page.get_by_label(text("catalog.domain")).fill("social_security")
    page.get_by_label(text("provider.file")).set_input_files(upload)
    page.get_by_role("button", name=text("provider.upload_button")).click()

    expect(page).to_have_url(re.compile(r"/console/provider/datasets/[0-9a-f-]+\?done=uploaded"))
    expect(page.get_by_role("status")).to_contain_text(text("provider.done.uploaded"))
    id_row = page.locator('tr[data-column="身份证号"]')
    expect(id_row).to_contain_text("resident_id")
    expect(id_row).to_contain_text("valid resident ID numbers")

    preview = page.locator("#policy-preview")
    expect(preview).not_to_contain_text("已隐藏")
    page.get_by_label(text("provider.operator_for", column="手机号")).select_option("redact")
    mobile_row = page.locator('tr[data-column="手机号"]')
    replacement = mobile_row.get_by_label(text("provider.param.replacement"))
    expect(replacement).to_be_visible()  # only the chosen treatment's parameters show
    expect(mobile_row.get_by_label(text("provider.param.keep_first"))).to_be_hidden()
    replacement.fill("已隐藏")
    replacement.press("Tab")  # a change event: the preview follows the unsaved edit
    expect(preview).to_contain_text(pattern("provider.preview_caption_live", in_html=False))
    expect(preview.locator("td", has_text="已隐藏").first).to_be_visible()
    screenshot(page, "provider-policy-preview")

    page.get_by_role("button", name=text("provider.save_policy")).click()
    expect(page.get_by_role("status")).to_contain_text(text("provider.done.policy_saved"))
    expect(page.locator("#policy-preview")).to_contain_text("已隐藏")

    page.get_by_label(text("provider.source")).fill("区社保中心业务系统")
    page.get_by_label(text("provider.legal_basis")).fill("《数据安全法》第三十二条")
    page.get_by_label(text("provider.proposed_grade")).select_option("general")
    page.get_by_label(text("provider.grade_level")).select_option("3")
    page.get_by_role("button", name=text("provider.submit_button")).click()

    expect(page.get_by_role("status")).to_contain_text(text("provider.done.submitted"))
    expect(page.locator(".badge").first).to_have_text(text("common.status.in_review"))
    screenshot(page, "provider-submitted")
    dataset_id = uuid.UUID(page.url.split("/datasets/")[1].split("?")[0])

    page.get_by_role("link", name=text("provider.back")).click()
    expect(page.get_by_role("row", name=re.compile("海淀区社保登记"))).to_contain_text(
        text("common.status.in_review")
    )
    expect(page.locator("svg[role=img]").first).to_be_visible()
    screenshot(page, "provider-dashboard")

    with unit_of_work() as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        assert dataset.status == DatasetStatus.in_review
        assert dataset.policy is not None
        assert dataset.policy["columns"]["手机号"] == {
            **dataset.policy["columns"]["手机号"],
            "operator": "redact",
            "replacement": "已隐藏",
        }
