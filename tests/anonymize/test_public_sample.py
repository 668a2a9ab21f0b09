"""Synthetic samples from public metadata: released types, determinism, domains and bounds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from anonymize import ColumnRule, Policy, apply_policy
from anonymize.public_sample import released_schema, synthetic_release
from anonymize.synthetic import resident_ids

RULES = {
    "keep": ColumnRule(operator="keep"),
    "mask": ColumnRule(operator="mask", keep_first=2, keep_last=1),
    "mask_name": ColumnRule(operator="mask_name"),
    "redact": ColumnRule(operator="redact"),
    "pseudonymize": ColumnRule(operator="pseudonymize"),
    "month": ColumnRule(operator="generalize", generalize_to="month"),
    "age_band": ColumnRule(operator="generalize", generalize_to="age_band"),
    "gps": ColumnRule(operator="generalize", generalize_to="gps", decimals=1),
    "truncate": ColumnRule(operator="truncate", length=2),
    "noise": ColumnRule(operator="noise", epsilon=1.0, sensitivity=1.0),
    "date_shift": ColumnRule(operator="date_shift", max_days=5),
}
VALUES = {
    pa.int64(): [31, 47, 58],
    pa.float64(): [1.5, 22.25, 39.9],
    pa.string(): ["110105199001011234", "上海市徐汇区", "b"],
    pa.date32(): [dt.date(2020, 1, 2), dt.date(1999, 12, 31), dt.date(2024, 2, 29)],
    pa.timestamp("us"): [dt.datetime(2020, 1, 2, 3, 4, 5)] * 3,
    pa.bool_(): [True, False, None],
}


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("kind", list(VALUES), ids=str)
def test_the_released_schema_is_the_schema_of_real_released_rows(
    rule: str, kind: pa.DataType
) -> None:
    """Computed without values, it matches what the operators give on values."""
    policy = Policy(columns={"c": RULES[rule]})
    table = pa.table({"c": pa.array(VALUES[kind], kind)})
    released = apply_policy(table, policy, key=b"k" * 32, cell_key=b"c" * 32)
    assert released_schema(table.schema, policy) == released.schema


def test_dropped_and_unnamed_columns_are_not_in_the_released_schema() -> None:
    schema = pa.schema([("a", pa.string()), ("b", pa.int64()), ("c", pa.int64())])
    policy = Policy(columns={"a": ColumnRule(operator="keep"), "b": ColumnRule(operator="drop")})
    assert released_schema(schema, policy).names == ["a"]


SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("district", pa.string()),
        ("income", pa.float64()),
        ("age", pa.int64()),
        ("born", pa.date32()),
        ("seen", pa.timestamp("us")),
        ("flag", pa.bool_()),
        ("secret", pa.string()),
    ]
)
POLICY = Policy(
    columns={
        "name": ColumnRule(operator="mask_name"),
        "district": ColumnRule(operator="keep"),
        "income": ColumnRule(operator="keep"),
        "age": ColumnRule(operator="keep"),
        "born": ColumnRule(operator="keep"),
        "seen": ColumnRule(operator="date_shift", max_days=3),
        "flag": ColumnRule(operator="keep"),
        "secret": ColumnRule(operator="drop"),
    }
)


def _sample(seed: bytes = b"s", **extra: object) -> pa.Table:
    return synthetic_release(SCHEMA, POLICY, rows=200, seed=seed, **extra)  # type: ignore[arg-type]


def test_a_sample_has_the_released_form_and_the_requested_rows() -> None:
    sample = _sample()
    assert sample.num_rows == 200
    assert sample.schema == released_schema(SCHEMA, POLICY)
    assert "secret" not in sample.column_names


def test_the_same_metadata_gives_the_same_sample_and_another_seed_another() -> None:
    assert _sample(b"x").equals(_sample(b"x"))
    assert not _sample(b"x").equals(_sample(b"y"))


def test_public_domains_and_bounds_are_the_only_sources_of_values() -> None:
    sample = _sample(
        public_domains={"district": ["朝阳区", "海淀区"]},
        bounds={"income": (1000.0, 2000.0), "age": (18.0, 20.0)},
    )
    assert set(sample.column("district").to_pylist()) <= {"朝阳区", "海淀区"}
    assert all(1000 <= v <= 2000 for v in sample.column("income").to_pylist())
    assert set(sample.column("age").to_pylist()) <= {18, 19, 20}


def test_values_without_a_domain_are_visibly_synthetic() -> None:
    sample = _sample()
    assert all(v.startswith("s") for v in sample.column("name").to_pylist())  # "synthetic-…"
    assert all(v.year >= 2100 for v in sample.column("born").to_pylist())
    assert all(0 <= v <= 1000 for v in sample.column("income").to_pylist())


def test_no_synthetic_cell_equals_a_stored_value_outside_a_public_domain() -> None:
    """Stored values of the kinds a real register holds never show up: the generator never
    sees them, and its value spaces make a coincidence improbable."""
    rng = np.random.default_rng(3)
    stored = {
        *resident_ids(rng, 500),
        *(f"{v:.2f}" for v in rng.uniform(0, 1000, 500)),
        *(
            str(dt.date(1950, 1, 1) + dt.timedelta(days=int(d)))
            for d in rng.integers(0, 25_000, 500)
        ),
    }
    sample = _sample(public_domains={"district": ["朝阳区"]})
    cells = {str(v) for column in sample.columns for v in column.to_pylist()}
    assert (cells & stored) == set()


def test_a_domain_declared_in_another_type_keeps_its_values() -> None:
    sample = _sample(public_domains={"age": ["十八", "二十"]})
    assert set(sample.column("age").to_pylist()) <= {"十八", "二十"}
