"""Approval bounds each person's contribution once, in a copy the queries read."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlmodel import Session

from ground.config import Settings
from sandbox import engine, profiles
from tests.fixtures.factories import create_sandbox_dataset

PEOPLE = ["110105199001011237", "310104198502022345", "440305197703033456"]


def _heavy_table() -> pa.Table:
    """One person with 9 rows, two with 1: over the profile's bound of 3 rows per person."""
    ids = [PEOPLE[0]] * 9 + PEOPLE[1:] + [None]
    return pa.table(
        {
            "身份证号": ids,
            "城市": ["北京"] * len(ids),
            "金额": list(range(100, 100 + len(ids))),
            "age": [30] * len(ids),
        }
    )


def test_a_file_over_the_bound_is_served_from_a_bounded_copy(
    session: Session, settings: Settings
) -> None:
    dataset, _, _ = create_sandbox_dataset(session, settings, table=_heavy_table())
    approved = profiles.approved_profile(session, dataset.id)
    assert approved["bounded_file"] is not None
    path = profiles.query_path(dataset, approved, settings.data_dir)
    assert path != profiles.dataset_path(dataset, settings.data_dir)
    copy = pq.read_table(path)
    per_person = Counter(copy.column("身份证号").to_pylist())
    assert per_person == {PEOPLE[0]: 3, PEOPLE[1]: 1, PEOPLE[2]: 1}
    # The first rows of the heavy person in file order are the ones kept (the copy's own row
    # order is not meaningful: the sandbox only aggregates it).
    kept = sorted(r["金额"] for r in copy.to_pylist() if r["身份证号"] == PEOPLE[0])
    assert kept == [100, 101, 102]


def test_a_file_within_the_bound_is_read_as_it_is(session: Session, settings: Settings) -> None:
    table = _heavy_table().slice(8)  # one row each
    dataset, _, _ = create_sandbox_dataset(session, settings, table=table)
    approved = profiles.approved_profile(session, dataset.id)
    assert approved["bounded_file"] is None
    path = profiles.query_path(dataset, approved, settings.data_dir)
    assert path == profiles.dataset_path(dataset, settings.data_dir)


def test_the_copy_keeps_each_persons_first_rows_in_file_order(tmp_path: Path) -> None:
    """Interleaved people, some over the bound, across several row groups: the copy holds
    exactly each person's first ``max_rows`` rows (and none without a person)."""
    rng = random.Random(7)
    people = [rng.choice(["a", "b", "c", "d", "e", None]) for _ in range(5_000)]
    source = tmp_path / "data.parquet"
    pq.write_table(
        pa.table({"pid": people, "row": list(range(len(people)))}), source, row_group_size=700
    )
    engine.write_bounded_copy(source, tmp_path / "copy.parquet", "pid", 4)
    seen: Counter[str] = Counter()
    expected = []
    for row, person in enumerate(people):
        if person is not None and seen[person] < 4:
            seen[person] += 1
            expected.append((person, row))
    copy = pq.read_table(tmp_path / "copy.parquet").to_pylist()
    assert sorted((r["pid"], r["row"]) for r in copy) == sorted(expected)
