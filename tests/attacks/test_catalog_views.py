"""Attack: learn facts measured on a dataset's stored values from the buyer-facing views.

The ingest task measures every upload: each column's detected kind, the detector's confidence
and evidence ("982 of 1,000 sampled values are valid resident ID numbers"), the file's name,
size and encoding, its exact row count. A buyer (any signed-in user who is not the owner or
staff) must see declarations only: the catalog, ``GET /datasets/{id}``, and the console's
catalog, dataset and sandbox pages. Each attack reads the owner's full view first, to know
exactly which measurements to look for, then every buyer view.
"""

from __future__ import annotations

import secrets

import numpy as np
import pytest

from anonymize.synthetic import chinese_names, mobiles, resident_ids
from tests.attacks.harness import Account, Outsider, all_keys, assert_absent, csv_of

ROWS = 1237
MEASURED_KEYS = {
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
}
PROFILE = {
    "privacy_unit": "身份证号",
    "max_rows_per_person": 1,
    "bounds": {"金额": [0, 100_000]},
    "public_domains": {"城市": ["北京", "上海"]},
}


def _upload(outsider: Outsider, provider: Account, mode: str) -> tuple[str, str]:
    """A GB18030 register under a telling file name; returns (dataset id, file name)."""
    rng = np.random.default_rng(secrets.randbits(64))
    header = ["姓名", "身份证号", "手机号", "城市", "金额"]
    rows = zip(
        chinese_names(rng, ROWS),
        resident_ids(rng, ROWS),
        mobiles(rng, ROWS),
        rng.choice(["北京", "上海"], ROWS).tolist(),
        rng.integers(1, 100_000, ROWS).tolist(),
        strict=True,
    )
    filename = f"机密档案-{secrets.token_hex(4)}.csv"
    content = csv_of([header, *rows], encoding="gb18030")
    dataset = outsider.uploaded(provider, content, filename=filename, delivery_mode=mode)
    return dataset["id"], filename


def _measurements(outsider: Outsider, provider: Account, dataset_id: str) -> list[str]:
    """What the owner's full view says that was measured, as text to look for."""
    full = outsider.get(provider, f"/api/v1/datasets/{dataset_id}")
    assert full["source_encoding"], full  # the attack needs a measured encoding to look for
    found = [full["original_filename"], "sampled values", str(full["source_encoding"])]
    found += [c["evidence"] for c in full["columns"] if c["evidence"]]
    found += [c["kind"] for c in full["columns"] if c["kind"] not in ("other", "name", "mobile")]
    found += [str(c["type"]) for c in full["columns"] if str(c["type"]).startswith("int")]
    return found


def _listed(outsider: Outsider, mode: str) -> tuple[Account, Account, Account, str, list[str]]:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    dataset_id, _ = _upload(outsider, provider, mode)
    measured = _measurements(outsider, provider, dataset_id)
    outsider.list_dataset(provider, compliance, dataset_id)
    if mode != "rows":
        outsider.sandbox_ready(provider, compliance, buyer, dataset_id, PROFILE)
    return provider, compliance, buyer, dataset_id, measured


@pytest.mark.parametrize("mode", ["rows", "sandbox", "both"])
def test_the_api_views_of_a_buyer_hold_no_measurement(outsider: Outsider, mode: str) -> None:
    _, _, buyer, dataset_id, measured = _listed(outsider, mode)
    other_provider = outsider.account("provider")  # not the owner: a buyer here
    for viewer in (buyer, other_provider):
        detail = outsider.get(viewer, f"/api/v1/datasets/{dataset_id}")
        catalog = outsider.get(viewer, "/api/v1/catalog")
        found = outsider.get(viewer, "/api/v1/catalog", q="Attack")
        for view, where in ((detail, "dataset"), (catalog, "catalog"), (found, "search")):
            assert all_keys(view).isdisjoint(MEASURED_KEYS), where
            assert_absent(view, measured, where=f"{where} ({mode})")
        assert detail["delivery_mode"] == mode


@pytest.mark.parametrize("mode", ["sandbox", "both"])
def test_the_console_pages_of_a_buyer_hold_no_measurement(outsider: Outsider, mode: str) -> None:
    _, _, buyer, dataset_id, measured = _listed(outsider, mode)
    for path in (
        "/console/catalog",
        f"/console/datasets/{dataset_id}",
        f"/console/sandbox/{dataset_id}",
    ):
        page = outsider.console_page(buyer, path)
        assert page.status_code == 200, f"{path}: {page.status_code}"
        assert_absent(page.text, measured, where=f"{path} ({mode})")
        assert "(100%)" not in page.text  # a detector's confidence


def test_a_sandbox_only_dataset_does_not_reveal_its_row_count(outsider: Outsider) -> None:
    _, _, buyer, dataset_id, _ = _listed(outsider, "sandbox")
    detail = outsider.get(buyer, f"/api/v1/datasets/{dataset_id}")
    assert detail["row_count"] is None
    catalog = outsider.get(buyer, "/api/v1/catalog")
    assert_absent(catalog, [str(ROWS)], where="catalog")
    assert_absent(detail, [str(ROWS)], where="dataset")
    for path in ("/console/catalog", f"/console/datasets/{dataset_id}"):
        assert_absent(outsider.console_page(buyer, path).text, [f"{ROWS:,}"], where=path)


def test_the_owner_and_staff_keep_the_full_view(outsider: Outsider) -> None:
    provider, compliance, _, dataset_id, measured = _listed(outsider, "both")
    for viewer in (provider, compliance):
        detail = outsider.get(viewer, f"/api/v1/datasets/{dataset_id}")
        assert detail["original_filename"] == measured[0]
        assert detail["row_count"] == ROWS
        assert all("evidence" in c for c in detail["columns"])
