"""Attack: read rows through the previews, where no audit trail would show it.

Every way rows are shown outside the data API — the preview endpoint, the review detail, the
console's catalog page, the provider's dataset page and live policy editor, the compliance
review page — must leave a `data.preview` record that compliance finds in GET /audit (who,
which dataset, through which door, which policy and version, how many rows), like a data
call; refused previews leave none, and the records themselves carry no row values.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.attacks.harness import Account, Outsider, assert_absent, csv_of

IDS = [f"ID{i:04d}" for i in range(30)]
CITIES = ["北京", "上海", "广州"]
ALL_DOORS = {
    "api.preview",
    "api.review",
    "console.catalog",
    "console.provider",
    "console.policy_editor",
    "console.review",
}


@pytest.fixture
def listed(outsider: Outsider) -> tuple[Account, Account, str]:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    rows = [["编号", "城市"], *([i, CITIES[n % 3]] for n, i in enumerate(IDS))]
    dataset = outsider.uploaded(provider, csv_of(rows), title="预览审计")["id"]
    outsider.set_policy(
        provider, dataset, {"编号": {"operator": "pseudonymize"}, "城市": {"operator": "keep"}}
    )
    outsider.list_dataset(provider, compliance, dataset)
    return provider, compliance, dataset


def _preview_records(outsider: Outsider, compliance: Account, dataset: str) -> list[dict[str, Any]]:
    page = outsider.get(
        compliance, "/api/v1/audit", action="data.preview", dataset_id=dataset, limit=100
    )
    return list(page["items"])


def test_every_preview_door_leaves_an_audit_record_compliance_can_find(
    outsider: Outsider, listed: tuple[Account, Account, str]
) -> None:
    provider, compliance, dataset = listed
    buyer = outsider.account("buyer")
    shown = outsider.get(buyer, f"/api/v1/datasets/{dataset}/preview", rows=7)
    outsider.get(compliance, f"/api/v1/reviews/listings/{dataset}")
    with outsider.console(buyer) as browser:
        assert browser.get(f"/console/datasets/{dataset}").status_code == 200
    with outsider.console(provider) as browser:
        manage = f"/console/provider/datasets/{dataset}"
        assert browser.get(manage).status_code == 200
        edited = outsider.console_post(
            browser,
            manage,
            f"{manage}/policy/preview",
            {"col-0": "编号", "op-0": "redact", "col-1": "城市", "op-1": "keep"},
        )
        assert edited.status_code == 200, edited.text
    with outsider.console(compliance) as browser:
        assert browser.get(f"/console/compliance/listings/{dataset}").status_code == 200

    records = _preview_records(outsider, compliance, dataset)
    by_door = {record["details"]["door"]: record for record in records}
    assert set(by_door) == ALL_DOORS
    # One record per showing: the provider's page was shown twice (once more for the form).
    counts = Counter(record["details"]["door"] for record in records)
    assert counts == dict.fromkeys(ALL_DOORS, 1) | {"console.provider": 2}
    actors = {
        "api.preview": buyer,
        "console.catalog": buyer,
        "api.review": compliance,
        "console.review": compliance,
        "console.provider": provider,
        "console.policy_editor": provider,
    }
    for door, record in by_door.items():
        assert record["actor_org_id"] == actors[door].org_id, door
        assert record["details"]["rows_returned"] > 0, door
        assert record["dataset_id"] == dataset
    assert by_door["api.preview"]["details"] | {"columns": None} == {
        "door": "api.preview",
        "policy": "approved",
        "policy_version": shown["policy_version"],
        "rows_requested": 7,
        "rows_returned": len(shown["rows"]),
        "columns": None,
    }
    editor = by_door["console.policy_editor"]["details"]
    assert editor["policy"] == "unsaved"
    assert editor["policy_version"] is None
    approved = outsider.get(provider, f"/api/v1/datasets/{dataset}/policy")["approved_version"]
    assert shown["policy_version"] == approved
    assert editor["unsaved_policy"]["columns"]["编号"]["operator"] == "redact"
    # The trail records that rows were shown, never the rows themselves.
    assert_absent(records, IDS, where="the audit log")
    assert outsider.get(compliance, "/api/v1/audit/verify")["ok"] is True


def test_each_showing_is_its_own_record(
    outsider: Outsider, listed: tuple[Account, Account, str]
) -> None:
    _, compliance, dataset = listed
    buyer = outsider.account("buyer")
    for _ in range(3):
        outsider.get(buyer, f"/api/v1/datasets/{dataset}/preview")
    records = _preview_records(outsider, compliance, dataset)
    assert [r["details"]["door"] for r in records] == ["api.preview"] * 3


def test_refused_previews_leave_no_record_and_buyers_cannot_read_the_trail(
    outsider: Outsider, listed: tuple[Account, Account, str]
) -> None:
    provider, compliance, dataset = listed
    buyer, stranger = outsider.account("buyer"), outsider.account("provider")
    refused = [
        outsider.client.get(
            f"/api/v1/datasets/{dataset}/preview",
            params={"policy": "draft"},
            headers=buyer.headers,
        ),
        outsider.client.get(f"/api/v1/reviews/listings/{dataset}", headers=buyer.headers),
        outsider.client.get(f"/api/v1/datasets/{dataset}/preview", params={"rows": 500},
                            headers=provider.headers),
    ]  # fmt: skip
    assert all(400 <= r.status_code < 500 for r in refused), [r.status_code for r in refused]
    with outsider.console(stranger) as browser:
        manage = "/console/provider"
        edited = outsider.console_post(
            browser,
            manage,
            f"/console/provider/datasets/{dataset}/policy/preview",
            {"col-0": "编号", "op-0": "keep"},
        )
        assert edited.status_code in (403, 404)
        assert_absent(edited.text, IDS, where="another provider's editor preview")
    assert _preview_records(outsider, compliance, dataset) == []
    trail = outsider.client.get("/api/v1/audit", headers=buyer.headers)
    assert trail.status_code == 403
