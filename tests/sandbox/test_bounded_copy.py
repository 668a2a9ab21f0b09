"""Approval bounds each person's contribution once, in a copy the queries read."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
from sqlmodel import Session

from ground.config import Settings
from sandbox import profiles
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
    # The first rows of the heavy person, in file order, are the ones kept.
    kept = [r["金额"] for r in copy.to_pylist() if r["身份证号"] == PEOPLE[0]]
    assert kept == [100, 101, 102]


def test_a_file_within_the_bound_is_read_as_it_is(session: Session, settings: Settings) -> None:
    table = _heavy_table().slice(8)  # one row each
    dataset, _, _ = create_sandbox_dataset(session, settings, table=table)
    approved = profiles.approved_profile(session, dataset.id)
    assert approved["bounded_file"] is None
    path = profiles.query_path(dataset, approved, settings.data_dir)
    assert path == profiles.dataset_path(dataset, settings.data_dir)
