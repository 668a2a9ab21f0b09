"""Attack: get the exact values of a sandbox-only dataset from its free sample, its preview or
its console pages, and so the exact sums and counts the sandbox exists to protect.

Before delivery modes every listed dataset got a free sample of real masked rows: the policy's
kept columns (income, dates, district …) came out exact, and exact SUM/COUNT with them. Now a
provider declares the dataset sandbox-only; its free sample, preview and catalog page are
synthetic, made from public metadata alone. The data here is fresh and unique per run; every
stored value except the declared public domain must stay absent from everything a buyer gets.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from anonymize.synthetic import resident_ids
from tests.attacks.harness import Account, Outsider, assert_absent, csv_of

ROWS = 237
DISTRICTS = ["朝阳区", "海淀区", "东城区", "西城区"]  # the declared public domain
HEADER = ["身份证号", "区", "收入", "登记日期", "档案号", "备注"]
KEEP_ALL = {
    "身份证号": {"operator": "mask", "keep_first": 6, "keep_last": 4},
    "区": {"operator": "keep"},
    "收入": {"operator": "keep"},
    "登记日期": {"operator": "keep"},
    "档案号": {"operator": "keep"},
    "备注": {"operator": "keep"},
}
PROFILE = {
    "privacy_unit": "身份证号",
    "max_rows_per_person": 1,
    "bounds": {"收入": [0, 1_000_000]},
    "public_domains": {"区": DISTRICTS},
}


def _register() -> list[list[Any]]:
    """Unique random values: incomes with a non-zero third decimal (a synthetic number has at
    most two), dates before 2021, 10-digit file numbers, random notes."""
    rng = np.random.default_rng(secrets.randbits(64))
    ids = resident_ids(rng, ROWS)
    incomes = _unique(rng, 1_000_000, 99_999_999, lambda n: n * 10 + 1) / 1000  # ..x.xx1
    days = rng.choice(np.arange(0, 25_000), ROWS, replace=False)
    files = _unique(rng, 10**9, 10**10, lambda n: n)
    return [
        [
            ids[i],
            DISTRICTS[i % len(DISTRICTS)],
            f"{incomes[i]:.3f}",
            (date(1950, 1, 1) + timedelta(days=int(days[i]))).isoformat(),
            str(files[i]),
            f"备注{secrets.token_hex(6)}",
        ]
        for i in range(ROWS)
    ]


def _list(
    outsider: Outsider, provider: Account, compliance: Account, mode: str
) -> tuple[str, list]:
    rows = _register()
    dataset = outsider.uploaded(provider, csv_of([HEADER, *rows]), delivery_mode=mode)
    outsider.set_policy(provider, dataset["id"], KEEP_ALL)
    outsider.list_dataset(provider, compliance, dataset["id"])
    if mode != "rows":
        declared = outsider.declare_profile(provider, dataset["id"], PROFILE)
        assert declared.status_code == 200, declared.text
        approved = outsider.client.post(
            f"/api/v1/sandbox/profiles/{dataset['id']}/approve", headers=compliance.headers
        )
        assert approved.status_code == 200, approved.text
    return dataset["id"], rows


def _unique(
    rng: np.random.Generator, low: int, high: int, shape: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """ROWS distinct integers drawn from [low, high), then shaped."""
    drawn: set[int] = set()
    while len(drawn) < ROWS:
        drawn.update(int(v) for v in rng.integers(low, high, ROWS))
    return shape(rng.permutation(np.array(sorted(drawn)[:ROWS])))


def _secrets(rows: list[list[Any]]) -> list[str]:
    """Every stored value outside the public domain, as text."""
    return [cell for row in rows for cell in (row[0], *row[2:])]


@pytest.fixture
def cast(outsider: Outsider) -> tuple[Account, Account, Account]:
    return outsider.account("provider"), outsider.account("compliance"), outsider.account("buyer")


def test_the_free_sample_holds_no_stored_value_and_says_it_is_synthetic(
    outsider: Outsider, cast: tuple[Account, Account, Account]
) -> None:
    provider, compliance, buyer = cast
    dataset_id, rows = _list(outsider, provider, compliance, "sandbox")
    [free] = [p for p in outsider.plans(buyer, dataset_id) if p["kind"] == "free_sample"]
    assert "synthetic" in free["name"]
    assert outsider.order(buyer, dataset_id, free["id"]).status_code == 201
    served: list[dict[str, Any]] = []
    for params in ({"limit": 1000}, {"limit": 1, "offset": 0}, {"limit": 40, "offset": 60}):
        page = outsider.rows(buyer, dataset_id, **params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["synthetic"] is True
        assert body["total_rows"] != ROWS  # not even the size leaks
        assert_absent(page.text, _secrets(rows), where=f"data API {params}")
        served.extend(body["rows"])
    assert set(row["区"] for row in served) <= set(DISTRICTS)  # public by declaration


def test_exact_sums_and_counts_of_kept_columns_cannot_be_had_from_rows(
    outsider: Outsider, cast: tuple[Account, Account, Account]
) -> None:
    provider, compliance, buyer = cast
    dataset_id, rows = _list(outsider, provider, compliance, "sandbox")
    outsider.order_free_sample(buyer, dataset_id)
    served = outsider.rows(buyer, dataset_id, limit=1000).json()["rows"]
    true_sum = round(sum(float(r[2]) for r in rows), 3)
    assert round(sum(r["收入"] for r in served), 3) != true_sum
    assert len(served) != ROWS
    # No plan can serve real rows: the provider is refused one, and nothing is added.
    before = outsider.plans(provider, dataset_id)
    refused = outsider.client.post(
        f"/api/v1/datasets/{dataset_id}/plans",
        headers=provider.headers,
        json={"name": "rows", "kind": "api_quota", "calls": 10, "valid_days": 30,
              "price_minor": 100},
    )  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["detail_zh"] != refused.json()["detail"]
    assert outsider.plans(provider, dataset_id) == before
    # Nor can the listed dataset be switched to rows afterwards.
    switched = outsider.declare_delivery(provider, dataset_id, "both")
    assert switched.status_code == 409
    again = outsider.rows(buyer, dataset_id, limit=5).json()
    assert again["synthetic"] is True


def test_the_preview_and_the_console_pages_are_synthetic_too(
    outsider: Outsider, cast: tuple[Account, Account, Account]
) -> None:
    provider, compliance, buyer = cast
    dataset_id, rows = _list(outsider, provider, compliance, "sandbox")
    other_provider = outsider.account("provider")
    for viewer in (buyer, other_provider):
        preview = outsider.preview(viewer, dataset_id, rows=50)
        assert preview.status_code == 200, preview.text
        assert preview.json()["synthetic"] is True
        assert_absent(preview.text, _secrets(rows), where="preview")
        assert outsider.preview(viewer, dataset_id, policy="draft").status_code == 404
        for path in (f"/console/datasets/{dataset_id}", "/console/catalog"):
            page = outsider.console_page(viewer, path)
            assert page.status_code == 200
            assert_absent(page.text, _secrets(rows), where=path)
        detail = outsider.get(viewer, f"/api/v1/datasets/{dataset_id}")
        assert detail["row_count"] is None
        assert_absent(detail, _secrets(rows), where="GET /datasets/{id}")
    assert "data-synthetic" in outsider.console_page(buyer, f"/console/datasets/{dataset_id}").text


def test_offering_both_shows_compliance_what_the_rows_give_exactly(
    outsider: Outsider, cast: tuple[Account, Account, Account]
) -> None:
    """The declared trade-off: rows and sandbox together. The review says, before approval,
    that the kept income gives exact sums the sandbox can no longer protect."""
    provider, compliance, _ = cast
    rows = _register()
    dataset = outsider.uploaded(provider, csv_of([HEADER, *rows]), delivery_mode="both")
    outsider.set_policy(provider, dataset["id"], KEEP_ALL)
    outsider.submit(provider, dataset["id"])
    detail = outsider.get(compliance, f"/api/v1/reviews/listings/{dataset['id']}")
    trade = detail["delivery_tradeoff"]
    assert {"收入", "登记日期", "档案号", "备注"} <= set(trade["exact_columns"])
    assert any("SUM" in line["en"] and "收入" in line["en"] for line in trade[
        "sandbox_cannot_protect"
    ])  # fmt: skip
    page = outsider.console_page(compliance, f"/console/compliance/listings/{dataset['id']}")
    assert "data-tradeoff" in page.text
