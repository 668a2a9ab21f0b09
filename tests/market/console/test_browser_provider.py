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
from tests.fixtures.factories import PASSWORD, create_user, csv_bytes, people_table
from tests.market.console.conftest import screenshot


def test_provider_uploads_edits_the_policy_and_submits(page: Page, tmp_path: Path) -> None:
    with unit_of_work() as session:
        email = create_user(session, role=Role.provider).email
    upload = tmp_path / "社保登记.csv"
    upload.write_bytes(csv_bytes(people_table(rows=40)))

    page.goto("/console/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation").get_by_role("link", name="我的数据").click()
    page.get_by_role("link", name="上传数据集").click()

    page.get_by_label("数据集名称").fill("海淀区社保登记")
    page.get_by_label("领域").fill("social_security")
    page.get_by_label("数据文件").set_input_files(upload)
    page.get_by_role("button", name="上传").click()

    expect(page).to_have_url(re.compile(r"/console/provider/datasets/[0-9a-f-]+\?done=uploaded"))
    expect(page.get_by_role("status")).to_contain_text("上传成功")
    id_row = page.locator('tr[data-column="身份证号"]')
    expect(id_row).to_contain_text("resident_id")
    expect(id_row).to_contain_text("valid resident ID numbers")

    preview = page.locator("#policy-preview")
    expect(preview).not_to_contain_text("已隐藏")
    page.get_by_label("列“手机号”的脱敏方式").select_option("redact")
    mobile_row = page.locator('tr[data-column="手机号"]')
    replacement = mobile_row.get_by_label("替换为")
    expect(replacement).to_be_visible()  # only the chosen treatment's parameters show
    expect(mobile_row.get_by_label("保留前几位")).to_be_hidden()
    replacement.fill("已隐藏")
    replacement.press("Tab")  # a change event: the preview follows the unsaved edit
    expect(preview).to_contain_text("按正在编辑（未保存）的策略处理")
    expect(preview.locator("td", has_text="已隐藏").first).to_be_visible()
    screenshot(page, "provider-policy-preview")

    page.get_by_role("button", name="保存策略").click()
    expect(page.get_by_role("status")).to_contain_text("脱敏策略已保存为新版本")
    expect(page.locator("#policy-preview")).to_contain_text("已隐藏")

    page.get_by_label("数据来源").fill("区社保中心业务系统")
    page.get_by_label("发布的法律依据").fill("《数据安全法》第三十二条")
    page.get_by_label("拟定分级").select_option("general")
    page.get_by_label("级别（一般数据）").select_option("3")
    page.get_by_role("button", name="提交审核").click()

    expect(page.get_by_role("status")).to_contain_text("已提交审核")
    expect(page.locator(".badge").first).to_have_text("审核中")
    screenshot(page, "provider-submitted")
    dataset_id = uuid.UUID(page.url.split("/datasets/")[1].split("?")[0])

    page.get_by_role("link", name="返回数据集列表").click()
    expect(page.get_by_role("row", name=re.compile("海淀区社保登记"))).to_contain_text("审核中")
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
