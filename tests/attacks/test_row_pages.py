"""Attack: page over the seams of the row read path.

The data API serves a page from cached, decoded row groups (``listings.row_cache``) and masks
only the page's rows. An outsider pages across row-group boundaries, at the end of the file
and past it, on two datasets at once, looking for a raw value, a row of the other dataset,
or a cell whose noise or pseudonym differs between two pages holding it (a page masked at
the wrong row position would give a fresh draw to average). Then, after the provider rewrites
a dataset's file (renaming a column), the old file's rows must never come back.
"""

from __future__ import annotations

from typing import Any

import pytest

from ground.config import Settings
from tests.attacks.harness import Account, Outsider, assert_absent, csv_of
from tests.fixtures.settings import apply_settings

ROWS = 2500
GROUP = 1024
PAGES = [(0, 1000), (1000, 1000), (2000, 1000), (1020, 10), (2040, 20), (974, 100)]
PAGES += [(2450, 100), (ROWS - 1, 5), (ROWS, 5), (ROWS + 300, 100)]


def _ids(tag: str) -> list[str]:
    return [f"{tag}{i:06d}" for i in range(ROWS)]


def _names(tag: str) -> list[str]:
    return [f"欧阳{tag}{i}号" for i in range(ROWS)]


def _csv(tag: str, first: int) -> bytes:
    header = ["序号", "编号", "姓名", "收入", "城市"]
    rows = [
        [first + i, _ids(tag)[i], _names(tag)[i], 3000 + 11 * i, f"{tag}城"] for i in range(ROWS)
    ]
    return csv_of([header, *rows])


RULES: dict[str, Any] = {
    "序号": {"operator": "keep"},
    "编号": {"operator": "pseudonymize"},
    "姓名": {"operator": "mask_name"},
    "收入": {"operator": "noise", "epsilon": 1.0, "sensitivity": 1000},
    "城市": {"operator": "keep"},
}


@pytest.fixture
def paged(
    outsider: Outsider, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> tuple[Account, dict[str, str]]:
    """Two listed datasets stored in row groups of 1,024 rows, and a buyer of both with
    enough free calls to page through them."""
    apply_settings(monkeypatch, parquet_row_group_rows=str(GROUP), free_plan_calls="100")
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    buyer = outsider.account("buyer")
    datasets: dict[str, str] = {}
    for tag, first in (("甲", 0), ("乙", 100_000)):
        dataset = outsider.uploaded(provider, _csv(tag, first), title=f"分页攻击{tag}")["id"]
        outsider.set_policy(provider, dataset, RULES)
        outsider.list_dataset(provider, compliance, dataset)
        assert outsider.order_free_sample(buyer, dataset).status_code == 201
        datasets[tag] = dataset
    return buyer, datasets


def _page(outsider: Outsider, buyer: Account, dataset: str, offset: int, limit: int) -> Any:
    response = outsider.rows(buyer, dataset, offset=offset, limit=limit)
    assert response.status_code == 200, response.text
    return response


def test_pages_across_row_groups_leak_nothing_and_agree_cell_by_cell(
    outsider: Outsider, paged: tuple[Account, dict[str, str]]
) -> None:
    buyer, datasets = paged
    seen: dict[str, dict[int, dict[str, Any]]] = {tag: {} for tag in datasets}
    # Interleave the two datasets, so each read follows one of the other's in the cache.
    for offset, limit in PAGES:
        for tag, first in (("甲", 0), ("乙", 100_000)):
            response = _page(outsider, buyer, datasets[tag], offset, limit)
            assert_absent(response.text, _ids(tag) + _names(tag), where=f"{tag} at {offset}")
            rows = response.json()["rows"]
            expected = list(range(offset, min(offset + limit, ROWS)))
            assert [int(row["序号"]) - first for row in rows] == expected, (tag, offset, limit)
            assert {row["城市"] for row in rows} <= {f"{tag}城"}, "another dataset's rows"
            for position, row in zip(expected, rows, strict=True):
                earlier = seen[tag].setdefault(position, row)
                assert row == earlier, f"{tag} row {position} changed between two pages"
    for tag in datasets:
        assert len(seen[tag]) == ROWS
        incomes = [seen[tag][i]["收入"] for i in range(ROWS)]
        assert sum(value == 3000 + 11 * i for i, value in enumerate(incomes)) < ROWS / 10


def test_after_a_rewrite_the_old_files_rows_never_come_back(
    outsider: Outsider, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_settings(monkeypatch, parquet_row_group_rows=str(GROUP))
    provider = outsider.account("provider")
    dataset = outsider.uploaded(provider, _csv("丙", 0), title="改名攻击")["id"]
    outsider.set_policy(provider, dataset, RULES)
    before = outsider.get(provider, f"/api/v1/datasets/{dataset}/preview", rows=50)["rows"]
    assert [row["城市"] for row in before] == ["丙城"] * 50
    renamed = outsider.client.put(
        f"/api/v1/datasets/{dataset}/columns",
        headers=provider.headers,
        json={"names": {"城市": "所在城市"}},
    )
    assert renamed.status_code == 200, renamed.text
    after = outsider.get(provider, f"/api/v1/datasets/{dataset}/preview", rows=50)["rows"]
    assert [row["所在城市"] for row in after] == ["丙城"] * 50
    assert all("城市" not in row for row in after)
    assert [row["序号"] for row in after] == [row["序号"] for row in before]
    assert_absent(after, _ids("丙") + _names("丙"), where="preview after the rename")
