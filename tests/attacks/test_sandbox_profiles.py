"""Attack: learn facts measured on a sandbox dataset from its privacy profile.

Approving a profile measures the file: whether some person has more rows than the declared
bound (then a bounded copy is written), the copy's path and the file's size. A buyer (or any
provider who is not the owner) reading ``GET /sandbox/profiles/{id}``, the sandbox console page
or a dry run must see declarations only. The attack uploads two datasets with the same
declaration, one where a person exceeds the bound and one where nobody does, and compares
what a buyer reads of each.
"""

from __future__ import annotations

import secrets

import numpy as np

from anonymize.synthetic import chinese_names, resident_ids
from tests.attacks.harness import Account, Outsider, all_keys, assert_absent, csv_of

PEOPLE = 30
PROFILE = {
    "privacy_unit": "身份证号",
    "max_rows_per_person": 1,
    "bounds": {"收入": [0, 200_000]},
    "public_domains": {"城市": ["北京", "上海"]},
}
MEASURED = {"file_within_bound", "bounded_file", "checked_size_bytes", "declared"}


def _dataset(
    outsider: Outsider, provider: Account, compliance: Account, buyer: Account, *, repeats: int
) -> str:
    """A listed sandbox dataset whose first person has ``repeats`` rows."""
    rng = np.random.default_rng(secrets.randbits(64))
    ids = resident_ids(rng, PEOPLE)
    rows = [
        (name, pid, int(rng.integers(1, 150_000)), str(rng.choice(["北京", "上海"])))
        for name, pid in zip(chinese_names(rng, PEOPLE), ids, strict=True)
    ]
    rows += [rows[0]] * (repeats - 1)
    content = csv_of([["姓名", "身份证号", "收入", "城市"], *rows])
    dataset = outsider.uploaded(provider, content, delivery_mode="sandbox")
    outsider.list_dataset(provider, compliance, dataset["id"])
    outsider.sandbox_ready(provider, compliance, buyer, dataset["id"], PROFILE)
    return str(dataset["id"])


def test_a_buyer_cannot_tell_whether_someone_exceeds_the_row_bound(outsider: Outsider) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer, stranger = outsider.account("buyer"), outsider.account("provider")
    over = _dataset(outsider, provider, compliance, buyer, repeats=3)
    within = _dataset(outsider, provider, compliance, buyer, repeats=1)
    # The owner's view says which one was over the bound: the fact the attack looks for.
    owner = {d: outsider.get(provider, f"/api/v1/sandbox/profiles/{d}") for d in (over, within)}
    assert owner[over]["approved"]["bounded_file"]
    assert owner[within]["approved"]["bounded_file"] is None
    # (The sizes are not searched for as text: a few digits can occur inside any UUID; the
    # key check covers them.)
    secrets_seen = [owner[over]["approved"]["bounded_file"], "sandbox-bounded", "parquet"]
    for viewer in (buyer, stranger):
        views = {d: outsider.get(viewer, f"/api/v1/sandbox/profiles/{d}") for d in (over, within)}
        for view in views.values():
            assert all_keys(view).isdisjoint(MEASURED), view
            assert view["approved"] == PROFILE | {"bounds": {"收入": [0.0, 200000.0]}}
            assert_absent(view, secrets_seen, where="profile")
        same = [{k: v for k, v in views[d].items() if k not in ("dataset_id", "approved_at")}
                for d in (over, within)]  # fmt: skip
        assert same[0] == same[1]


def test_the_buyers_other_sandbox_views_hold_no_measurement(outsider: Outsider) -> None:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    dataset_id = _dataset(outsider, provider, compliance, buyer, repeats=3)
    owner = outsider.get(provider, f"/api/v1/sandbox/profiles/{dataset_id}")["approved"]
    measured = [owner["bounded_file"], "sandbox-bounded", ".parquet"]
    sql = "SELECT 城市, count(*) FROM dataset GROUP BY 城市"
    dry = outsider.query(buyer, dataset_id, sql, dry_run=True)
    answer = outsider.query(buyer, dataset_id, sql)
    refused = outsider.query(buyer, dataset_id, "SELECT count(*) FROM dataset WHERE 收入 = 'x'")
    assert (dry.status_code, answer.status_code, refused.status_code) == (200, 200, 400)
    listed = outsider.get(buyer, "/api/v1/sandbox/queries")
    page = outsider.console_page(buyer, f"/console/sandbox/{dataset_id}")
    for where, body in (
        ("dry run", dry.json()),
        ("answer", answer.json()),
        ("refusal", refused.json()),
        ("listing", listed),
    ):
        assert all_keys(body).isdisjoint(MEASURED), where
        assert_absent(body, measured, where=where)
    assert_absent(page.text, measured, where="console")
