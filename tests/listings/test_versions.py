"""Releasing rows through a policy version: which key each operator gets."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import pyarrow as pa
import pytest
from sqlmodel import Session

from accounts.models import User
from anonymize import ColumnRule, Policy
from ground.config import Settings
from ground.secretbox import SecretsKeyError
from listings import versions
from listings.models import Dataset
from tests.fixtures.factories import create_dataset, csv_bytes

ROWS = 40
POLICY = Policy(
    columns={
        "编号": ColumnRule(operator="pseudonymize"),
        "收入": ColumnRule(operator="noise", epsilon=0.5, sensitivity=1000.0),
        "就诊日期": ColumnRule(operator="date_shift", max_days=15),
        "出院日期": ColumnRule(operator="date_shift", max_days=15),
    }
)


@pytest.fixture
def visits(session: Session, settings: Settings, provider: User) -> Dataset:
    start = datetime.date(2024, 1, 1)
    table = pa.table(
        {
            "编号": [f"P{i:04d}" for i in range(ROWS)],
            "收入": [5000 + 10 * i for i in range(ROWS)],
            "就诊日期": [(start + datetime.timedelta(days=i)).isoformat() for i in range(ROWS)],
            "出院日期": [(start + datetime.timedelta(days=i + 3)).isoformat() for i in range(ROWS)],
        }
    )
    dataset = create_dataset(session, settings, provider=provider, content=csv_bytes(table))
    session.commit()
    return dataset


def _release(dataset: Dataset, data_dir: Path, buyer: uuid.UUID | None, **page: int) -> pa.Table:
    return versions.release_with(
        dataset,
        POLICY,
        buyer_org_id=buyer,
        limit=page.get("limit", ROWS),
        offset=page.get("offset", 0),
        data_dir=data_dir,
    )


def test_every_audience_gets_the_same_noisy_and_shifted_cells_and_its_own_pseudonyms(
    visits: Dataset, settings: Settings
) -> None:
    """Changed intentionally: noise and date shifts used to be keyed per buyer, which gave
    each buyer (and the preview) an independent draw of the same cell to average."""
    releases = [_release(visits, settings.data_dir, who) for who in (uuid.uuid4(), uuid.uuid4())]
    releases.append(_release(visits, settings.data_dir, None))
    for column in ("收入", "就诊日期", "出院日期"):
        assert (
            releases[0].column(column) == releases[1].column(column) == releases[2].column(column)
        )
    tokens = [set(r.column("编号").to_pylist()) for r in releases]
    assert tokens[0].isdisjoint(tokens[1])
    assert tokens[0].isdisjoint(tokens[2])


def test_noise_and_shifts_are_perturbations_not_copies(visits: Dataset, settings: Settings) -> None:
    released = _release(visits, settings.data_dir, None)
    incomes = released.column("收入").to_pylist()
    assert sum(1 for i, v in enumerate(incomes) if v != 5000 + 10 * i) == ROWS
    start = datetime.date(2024, 1, 1)
    stays = [
        (end - begin).days
        for begin, end in zip(
            released.column("就诊日期").to_pylist(),
            released.column("出院日期").to_pylist(),
            strict=True,
        )
    ]
    assert stays == [3] * ROWS  # one offset per row: the stay survives
    first = released.column("就诊日期")[0].as_py()
    assert abs((first - start).days) <= 15


def test_a_page_carries_the_same_cells_as_the_whole(visits: Dataset, settings: Settings) -> None:
    whole = _release(visits, settings.data_dir, None)
    page = _release(visits, settings.data_dir, None, limit=5, offset=17)
    assert page.to_pylist() == whole.slice(17, 5).to_pylist()


def test_a_keyless_policy_releases_without_opening_any_key(
    visits: Dataset, settings: Settings
) -> None:
    visits.pseudonym_secret = "unusable"
    keyless = Policy(columns={"收入": ColumnRule(operator="keep")})
    table = versions.release_with(
        visits, keyless, buyer_org_id=None, limit=3, offset=0, data_dir=settings.data_dir
    )
    assert table.column("收入").to_pylist() == [5000, 5010, 5020]
    with pytest.raises(SecretsKeyError):
        _release(visits, settings.data_dir, None, limit=3)
