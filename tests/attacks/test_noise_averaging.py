"""Attack: average several draws of one noisy cell.

Noise (Laplace, per cell) and date shifts (per row) protect a cell only if a reader holds one
draw of it. An outsider collects every copy of the same rows the platform shows — two buyers'
data API reads, the free preview, the provider's previews, the compliance review page, the
console's catalog page and the provider's console page — and, after the provider loosens ε,
both policy versions. Every door must show the same noisy value of every cell, so averaging
across doors gains nothing, and the two versions must not combine into the true value.
"""

from __future__ import annotations

import datetime
import statistics
from typing import Any

import pytest

from tests.attacks.harness import Account, Outsider, assert_absent, csv_of, html_tables

ROWS = 200
START = datetime.date(2024, 1, 1)
INCOMES = [5000 + 37 * i for i in range(ROWS)]
IDS = [f"P{i:05d}" for i in range(ROWS)]
NOISED, SHIFTED = "收入", ("就诊日期", "出院日期")
PERTURBED = (NOISED, *SHIFTED)


def _rules(epsilon: float) -> dict[str, Any]:
    return {
        "编号": {"operator": "pseudonymize"},
        NOISED: {"operator": "noise", "epsilon": epsilon, "sensitivity": 1000},
        SHIFTED[0]: {"operator": "date_shift", "max_days": 30},
        SHIFTED[1]: {"operator": "date_shift", "max_days": 30},
    }


def _csv() -> bytes:
    rows = [["编号", NOISED, *SHIFTED]]
    for i in range(ROWS):
        visit = START + datetime.timedelta(days=i)
        rows.append([IDS[i], INCOMES[i], visit, visit + datetime.timedelta(days=3)])
    return csv_of(rows)


@pytest.fixture
def listed(outsider: Outsider) -> tuple[Account, Account, str]:
    provider, compliance = outsider.account("provider"), outsider.account("compliance")
    dataset = outsider.uploaded(provider, _csv(), title="就诊收入登记")["id"]
    outsider.set_policy(provider, dataset, _rules(0.5))
    outsider.list_dataset(provider, compliance, dataset)
    return provider, compliance, dataset


def _buyer_rows(outsider: Outsider, buyer: Account, dataset: str) -> list[dict[str, Any]]:
    response = outsider.rows(buyer, dataset, limit=ROWS)
    assert response.status_code == 200, response.text
    assert_absent(response.text, IDS, where="data API")
    return list(response.json()["rows"])


def _page_rows(page: str, columns: list[str]) -> list[dict[str, str]]:
    """The preview table of a console page, as dicts of cell texts."""
    for table in html_tables(page):
        if table and table[0] == columns:
            return [dict(zip(columns, cells, strict=True)) for cells in table[1:]]
    raise AssertionError(f"no table with columns {columns} on the page")


def _as_cell(value: Any) -> str:
    return str(value)


def test_every_door_shows_the_same_draw_of_every_noisy_and_shifted_cell(
    outsider: Outsider, listed: tuple[Account, Account, str]
) -> None:
    provider, compliance, dataset = listed
    buyer_a, buyer_b = outsider.account("buyer"), outsider.account("buyer")
    for buyer in (buyer_a, buyer_b):
        assert outsider.order_free_sample(buyer, dataset).status_code == 201
    reference = _buyer_rows(outsider, buyer_a, dataset)
    doors: dict[str, list[dict[str, Any]]] = {
        "buyer B's data API": _buyer_rows(outsider, buyer_b, dataset),
        "the free preview": outsider.get(buyer_a, f"/api/v1/datasets/{dataset}/preview", rows=50)[
            "rows"
        ],
        "the provider's preview": outsider.get(
            provider, f"/api/v1/datasets/{dataset}/preview", rows=50
        )["rows"],
        "the provider's approved preview": outsider.get(
            provider, f"/api/v1/datasets/{dataset}/preview", rows=50, policy="approved"
        )["rows"],
        "the review page": outsider.get(compliance, f"/api/v1/reviews/listings/{dataset}")[
            "preview"
        ]["rows"],
    }
    columns = ["编号", NOISED, *SHIFTED]
    with outsider.console(buyer_a) as browser:
        page = browser.get(f"/console/datasets/{dataset}")
        assert page.status_code == 200, page.text
        doors["the console's catalog page"] = _page_rows(page.text, columns)
    with outsider.console(provider) as browser:
        page = browser.get(f"/console/provider/datasets/{dataset}")
        assert page.status_code == 200, page.text
        doors["the provider's console page"] = _page_rows(page.text, columns)
    for door, rows in doors.items():
        assert rows, door
        assert_absent(rows, IDS, where=door)
        for index, row in enumerate(rows):
            for column in PERTURBED:
                assert _as_cell(row[column]) == _as_cell(reference[index][column]), (
                    f"{door} shows another draw of row {index}, {column}"
                )
    # Pseudonyms stay per audience: the two buyers' tokens cannot be joined.
    tokens_b = {row["编号"] for row in doors["buyer B's data API"]}
    assert tokens_b.isdisjoint(row["编号"] for row in reference)
    # The cells are perturbed, and averaging every copy gives back exactly one draw.
    noisy = [float(row[NOISED]) for row in reference]
    assert all(value != truth for value, truth in zip(noisy, INCOMES, strict=True))
    for index in range(10):
        copies = [float(rows[index][NOISED]) for rows in doors.values()] + [noisy[index]]
        assert statistics.fmean(copies) == pytest.approx(noisy[index], abs=1e-9)


def test_two_policy_versions_do_not_combine_into_the_true_value(
    outsider: Outsider, listed: tuple[Account, Account, str]
) -> None:
    """Had each version rescaled one standard draw (x + b L and x + 2b L), the buyer would
    solve x = 2 y1 - y2 exactly; had it drawn afresh, averaging would shrink the error. On
    the noise ladder the looser version is the tighter one plus independent noise."""
    provider, compliance, dataset = listed
    buyer = outsider.account("buyer")
    assert outsider.order_free_sample(buyer, dataset).status_code == 201
    tight = [float(row[NOISED]) for row in _buyer_rows(outsider, buyer, dataset)]
    outsider.set_policy(provider, dataset, _rules(0.25))  # ε halved: scale 2000 -> 4000
    outsider.approve(compliance, dataset)
    loose = [float(row[NOISED]) for row in _buyer_rows(outsider, buyer, dataset)]
    assert loose != tight

    def error(estimates: list[float]) -> float:
        return statistics.fmean(abs(e - x) for e, x in zip(estimates, INCOMES, strict=True))

    solved = [2 * y1 - y2 for y1, y2 in zip(tight, loose, strict=True)]
    averaged = [(y1 + y2) / 2 for y1, y2 in zip(tight, loose, strict=True)]
    assert error(solved) > 1000  # nowhere near exact recovery
    assert error(averaged) > error(tight)  # the tighter release alone is the best there is
    unchanged = sum(1 for y1, y2 in zip(tight, loose, strict=True) if y1 == y2)
    assert 0 < unchanged < ROWS  # a quarter of the cells keep their draw, the rest add noise
