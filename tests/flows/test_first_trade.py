"""The first trade, end to end through HTTP: list, review, order, read masked rows."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from accounts.models import OrgKind, Role
from ground.config import Settings
from tests.fixtures.client import bearer
from tests.fixtures.factories import APPROVAL, create_org, create_user, csv_bytes, people_table

MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
MASKED_MOBILE = re.compile(r"^1\d{2}\*{4}\d{4}$")


def test_provider_lists_compliance_approves_buyer_reads_masked_rows(
    client: TestClient, session: Session, settings: Settings
) -> None:
    provider = create_user(
        session, role=Role.provider, org=create_org(session, kind=OrgKind.government)
    )
    reviewer = create_user(session, role=Role.compliance)
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    as_provider, as_reviewer, as_buyer = (bearer(u, settings) for u in (provider, reviewer, buyer))
    table = people_table(rows=30)

    # 1. The provider uploads a GBK-encoded CSV export.
    upload = client.post(
        "/api/v1/datasets",
        headers=as_provider,
        files={"file": ("参保人员.csv", csv_bytes(table, encoding="gbk"), "text/csv")},
        data={"title": "参保人员名册", "description": "社保参保人员", "domain": "social_security"},
    )
    assert upload.status_code == 201, upload.text
    dataset_id = upload.json()["id"]
    detail = client.get(f"/api/v1/datasets/{dataset_id}", headers=as_provider).json()
    assert detail["status"] == "draft"
    assert detail["row_count"] == 30
    assert detail["source_encoding"] == "gb18030"
    kinds = {c["name"]: c["kind"] for c in detail["columns"]}
    assert kinds == {
        "姓名": "name",
        "身份证号": "resident_id",
        "手机号": "mobile",
        "城市": "other",
        "金额": "other",
    }

    # 2-3. Authorization and grade proposal, submitted, queued for compliance, approved.
    authorization = client.put(
        f"/api/v1/datasets/{dataset_id}/authorization",
        headers=as_provider,
        json={"source": "区社保经办系统", "legal_basis": "《数据安全法》第三十二条"},
    )
    assert authorization.status_code == 200, authorization.text
    grade = client.put(
        f"/api/v1/datasets/{dataset_id}/grade",
        headers=as_provider,
        json={"grade": "general", "grade_level": 2, "reason": "去标识后低影响"},
    )
    assert grade.status_code == 200, grade.text
    submitted = client.post(f"/api/v1/datasets/{dataset_id}/submit", headers=as_provider)
    assert submitted.json()["status"] == "in_review"
    queue = client.get("/api/v1/reviews/listings", headers=as_reviewer).json()
    assert [d["id"] for d in queue["items"]] == [dataset_id]
    approved = client.post(
        f"/api/v1/reviews/listings/{dataset_id}/approve", headers=as_reviewer, json=APPROVAL
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "listed"

    # 4. The buyer finds it in the catalog.
    catalog = client.get("/api/v1/catalog", params={"q": "参保"}, headers=as_buyer).json()
    assert [d["id"] for d in catalog["items"]] == [dataset_id]

    # 5. The buyer orders the free plan with a usage scenario.
    plans = client.get(f"/api/v1/datasets/{dataset_id}/plans", headers=as_buyer).json()
    assert len(plans) == 1
    assert plans[0]["price_minor"] == 0
    order = client.post(
        "/api/v1/orders",
        headers=as_buyer,
        json={
            "dataset_id": dataset_id,
            "plan_id": plans[0]["id"],
            "usage_scenario": "信贷风控建模",
        },
    )
    assert order.status_code == 201, order.text
    assert order.json()["entitlement"]["quota_remaining"] == settings.free_plan_calls

    # 6. With an API key, rows come back masked; each call costs one unit.
    key = client.post("/api/v1/api-keys", headers=as_buyer, json={"name": "etl"}).json()["secret"]
    rows = client.get(
        f"/api/v1/data/{dataset_id}/rows",
        params={"limit": 10, "offset": 5},
        headers={"X-API-Key": key},
    )
    assert rows.status_code == 200, rows.text
    body = rows.json()
    assert body["quota_remaining"] == settings.free_plan_calls - 1
    assert len(body["rows"]) == 10
    originals = table.slice(5, 10).to_pylist()
    for served, original in zip(body["rows"], originals, strict=True):
        assert MASKED_ID.match(served["身份证号"])
        assert served["身份证号"][:6] == original["身份证号"][:6]
        assert served["身份证号"][-4:] == original["身份证号"][-4:]
        assert MASKED_MOBILE.match(served["手机号"])
        assert served["姓名"][0] == original["姓名"][0]
        assert "*" in served["姓名"]
        assert served["城市"] == original["城市"]
        assert served["金额"] == original["金额"]

    for _ in range(settings.free_plan_calls - 1):
        assert (
            client.get(f"/api/v1/data/{dataset_id}/rows", headers={"X-API-Key": key}).status_code
            == 200
        )
    exhausted = client.get(f"/api/v1/data/{dataset_id}/rows", headers={"X-API-Key": key})
    assert exhausted.status_code == 429
    assert exhausted.json()["error"] == "QuotaExhausted"
    assert "额度" in exhausted.json()["detail_zh"]
    final = client.get(f"/api/v1/orders/{order.json()['id']}", headers=as_buyer).json()
    assert final["entitlement"]["quota_remaining"] == 0
