"""Releasing rows through a policy version: which key each operator gets."""

from __future__ import annotations

import datetime
import decimal
import io
import os
import random
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlmodel import Session

from accounts.models import User
from anonymize import ColumnRule, Policy
from ground.config import Settings
from ground.secretbox import SecretsKeyError
from ground.storage import StorageUnavailable
from listings import storage, versions
from listings.models import Dataset
from listings.rows import json_rows
from tests.fixtures.factories import create_dataset, csv_bytes
from tests.fixtures.settings import apply_settings

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


# ----- the read path: the row cache against the DuckDB LIMIT/OFFSET read it replaced -------

GROUP = 1024
WIDE_ROWS = 5000
WIDE_POLICY = Policy(
    columns={
        "编号": ColumnRule(operator="pseudonymize"),
        "姓名": ColumnRule(operator="mask_name"),
        "收入": ColumnRule(operator="noise", epsilon=0.5, sensitivity=1000.0),
        "就诊日期": ColumnRule(operator="date_shift", max_days=15),
        "就诊时间": ColumnRule(operator="date_shift", max_days=15),
        "分数": ColumnRule(operator="keep"),
        "金额": ColumnRule(operator="keep"),
        "到店": ColumnRule(operator="keep"),
        "时刻": ColumnRule(operator="keep"),
        "出生日期": ColumnRule(operator="generalize", generalize_to="year"),
        "备注": ColumnRule(operator="drop"),
        # 身份证号 is named by no rule: dropped (fails closed)
    }
)


def _wide_table(rows: int) -> pa.Table:
    start = datetime.datetime(2024, 1, 1, 8, 30)
    return pa.table(
        {
            "编号": [f"P{i:05d}" for i in range(rows)],
            "姓名": [f"张{i}" for i in range(rows)],
            "身份证号": [f"11010519900101{i:04d}" for i in range(rows)],
            "收入": [5000 + 7 * i for i in range(rows)],
            "就诊日期": [(start + datetime.timedelta(days=i % 400)).date() for i in range(rows)],
            "就诊时间": pa.array(
                [start + datetime.timedelta(minutes=i) for i in range(rows)], pa.timestamp("us")
            ),
            "分数": [i / 8 if i % 11 else None for i in range(rows)],
            "金额": pa.array([decimal.Decimal(i) / 100 for i in range(rows)], pa.decimal128(9, 2)),
            "到店": [i % 3 == 0 for i in range(rows)],
            "时刻": [datetime.time(i % 24, i % 60) for i in range(rows)],
            "出生日期": [datetime.date(1950 + i % 50, 1 + i % 12, 1) for i in range(rows)],
            "备注": [f"note {i}" for i in range(rows)],
        }
    )


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@pytest.fixture(params=["row groups", "one old row group"])
def wide(
    request: pytest.FixtureRequest,
    session: Session,
    settings: Settings,
    provider: User,
    monkeypatch: pytest.MonkeyPatch,
) -> Dataset:
    """A dataset stored in row groups of 1,024 rows, or (as files written before row groups
    were sized) in one row group of every row."""
    grouped = apply_settings(monkeypatch, parquet_row_group_rows=str(GROUP))
    dataset = create_dataset(
        session,
        grouped,
        provider=provider,
        content=_parquet_bytes(_wide_table(WIDE_ROWS)),
        filename="visits.parquet",
    )
    session.commit()
    path = storage.resolve(grouped.data_dir, dataset.file_path)
    if request.param == "one old row group":
        tmp = path.with_suffix(".old")
        pq.write_table(pq.read_table(path), tmp, compression="zstd", row_group_size=WIDE_ROWS)
        os.replace(tmp, path)
    groups = pq.ParquetFile(path).metadata.num_row_groups
    assert groups == (1 if request.param == "one old row group" else 5)
    return dataset


def _duckdb_release(
    dataset: Dataset, data_dir: Path, buyer: uuid.UUID | None, *, limit: int, offset: int
) -> pa.Table:
    """The read path as it was: a DuckDB instance per call, LIMIT/OFFSET, then the policy."""
    path = storage.ensure_local(data_dir, dataset.file_path)
    with duckdb.connect() as con:
        raw = con.sql(
            "SELECT * FROM read_parquet($path) LIMIT $limit OFFSET $offset",
            params={"path": str(path), "limit": limit, "offset": offset},
        ).to_arrow_table()
    return versions.apply_for(dataset, raw, WIDE_POLICY, buyer_org_id=buyer, row_offset=offset)


def _wide_release(
    dataset: Dataset, data_dir: Path, buyer: uuid.UUID | None, *, limit: int, offset: int
) -> pa.Table:
    return versions.release_with(
        dataset, WIDE_POLICY, buyer_org_id=buyer, limit=limit, offset=offset, data_dir=data_dir
    )


def _pages() -> list[tuple[int, int]]:
    rng = random.Random(14)
    edges = [
        (0, 1),
        (0, WIDE_ROWS),
        (GROUP - 3, 10),  # across the first boundary
        (GROUP - 1, GROUP + 2),  # across three groups
        (2 * GROUP, GROUP),  # exactly one group
        (WIDE_ROWS - 7, 100),  # past the end: 7 rows
        (WIDE_ROWS - 1, 1),
        (WIDE_ROWS, 10),  # at the end: none
        (WIDE_ROWS + 500, 100),  # beyond it: none
        (17, 0),
    ]
    randoms = [(rng.randrange(WIDE_ROWS), rng.randrange(1, 1000)) for _ in range(25)]
    return edges + randoms


def test_every_page_equals_the_duckdb_read_it_replaced(wide: Dataset, settings: Settings) -> None:
    buyer = uuid.uuid4()
    for offset, limit in _pages():
        new = _wide_release(wide, settings.data_dir, buyer, limit=limit, offset=offset)
        old = _duckdb_release(wide, settings.data_dir, buyer, limit=limit, offset=offset)
        assert new.column_names == old.column_names, (offset, limit)
        assert json_rows(new) == json_rows(old), (offset, limit)
        assert new.num_rows == max(0, min(limit, WIDE_ROWS - offset))
    assert "身份证号" not in new.column_names
    assert "备注" not in new.column_names


def test_a_page_is_masked_at_its_absolute_rows(wide: Dataset, settings: Settings) -> None:
    """Noise, date shifts and pseudonyms of row i are the same in every page holding it."""
    whole = _wide_release(wide, settings.data_dir, None, limit=WIDE_ROWS, offset=0)
    for offset, limit in _pages():
        page = _wide_release(wide, settings.data_dir, None, limit=limit, offset=offset)
        assert json_rows(page) == json_rows(whole.slice(offset, limit)), (offset, limit)


def test_a_policy_that_releases_no_column_still_counts_the_rows(
    wide: Dataset, settings: Settings
) -> None:
    nothing = Policy(columns={"备注": ColumnRule(operator="drop")})
    page = versions.release_with(
        wide, nothing, buyer_org_id=None, limit=30, offset=GROUP - 10, data_dir=settings.data_dir
    )
    assert (page.num_rows, page.num_columns) == (30, 0)


def test_a_zoned_timestamp_keeps_its_zone_and_its_instant(
    session: Session, settings: Settings, provider: User
) -> None:
    """Changed intentionally: DuckDB handed zoned timestamps back in the server's own zone
    (so a month generalized from them depended on where the server ran, and differed from
    the k-anonymity measurement, which reads the file's zone); the instant is unchanged."""
    moments = [datetime.datetime(2024, 1, 31, 20, 0, tzinfo=datetime.UTC)] * 3
    table = pa.table({"时间": pa.array(moments, pa.timestamp("us", tz="Asia/Shanghai"))})
    dataset = create_dataset(
        session, settings, provider=provider, content=_parquet_bytes(table), filename="t.parquet"
    )
    kept = Policy(columns={"时间": ColumnRule(operator="keep")})
    page = versions.release_with(
        dataset, kept, buyer_org_id=None, limit=3, offset=0, data_dir=settings.data_dir
    )
    assert page.schema.field("时间").type.tz == "Asia/Shanghai"
    assert page.column("时间").to_pylist() == moments
    month = Policy(columns={"时间": ColumnRule(operator="generalize", generalize_to="month")})
    generalized = versions.release_with(
        dataset, month, buyer_org_id=None, limit=1, offset=0, data_dir=settings.data_dir
    )
    assert generalized.column("时间").to_pylist() == ["2024-02"]  # 04:00 on 1 February there


def test_a_removed_file_is_refused_not_served_from_the_cache(
    wide: Dataset, settings: Settings
) -> None:
    page = versions.release_with(
        wide, WIDE_POLICY, buyer_org_id=None, limit=10, offset=0, data_dir=settings.data_dir
    )
    assert page.num_rows == 10
    storage.resolve(settings.data_dir, wide.file_path).unlink()
    with pytest.raises(StorageUnavailable):
        versions.release_with(
            wide, WIDE_POLICY, buyer_org_id=None, limit=10, offset=0, data_dir=settings.data_dir
        )


def test_a_tampered_local_copy_is_fetched_again_and_never_served_from_the_cache(
    session: Session,
    settings: Settings,
    provider: User,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """With an object store, the data directory is a cache that ``ensure_local`` verifies; a
    copy altered on disk is fetched again, and the row cache reads the fetched bytes."""
    stored = apply_settings(monkeypatch, storage_url=f"file://{tmp_path / 'store'}")
    dataset = create_dataset(
        session,
        stored,
        provider=provider,
        content=_parquet_bytes(_wide_table(300)),
        filename="visits.parquet",
    )
    session.commit()
    first = _wide_release(dataset, stored.data_dir, None, limit=300, offset=0)
    local = storage.resolve(stored.data_dir, dataset.file_path)
    forged = _wide_table(300).set_column(1, "姓名", pa.array(["伪造"] * 300))
    pq.write_table(forged, local)  # rewritten in place: same path, other bytes
    again = _wide_release(dataset, stored.data_dir, None, limit=300, offset=0)
    assert json_rows(again) == json_rows(first)
