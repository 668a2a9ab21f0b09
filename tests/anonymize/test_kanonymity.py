import polars as pl
import pyarrow as pa
import pytest

from anonymize.kanonymity import k_anonymity


def _table() -> pa.Table:
    return pa.table(
        {
            "district": ["朝阳"] * 6 + ["海淀"] * 3 + [None],
            "age_band": ["30-39"] * 6 + ["40-49"] * 2 + ["50-59", "30-39"],
            "income": list(range(10)),
        }
    )


def test_smallest_class_and_rows_at_risk() -> None:
    report = k_anonymity(_table(), ["district", "age_band"], threshold=5)
    assert (report.k, report.equivalence_classes) == (1, 4)
    assert (report.rows_at_risk, report.classes_at_risk) == (4, 3)
    assert report.below_threshold


def test_agrees_with_a_plain_group_by() -> None:
    table = _table()
    sizes = pl.from_arrow(table).group_by(["district"]).len()["len"]
    assert k_anonymity(table, ["district"]).k == sizes.min()


def test_without_quasi_identifiers_the_whole_table_is_one_class() -> None:
    report = k_anonymity(_table(), [], threshold=5)
    assert (report.k, report.rows_at_risk) == (10, 0)


def test_an_empty_table_is_not_flagged() -> None:
    report = k_anonymity(_table().slice(0, 0), ["district"])
    assert (report.k, report.below_threshold) == (0, False)


def test_unknown_columns_are_refused() -> None:
    with pytest.raises(KeyError):
        k_anonymity(_table(), ["nope"])


def test_mixed_types_group_as_text() -> None:
    table = pa.table({"code": pa.array([1, 1, 2], pa.int64())})
    assert k_anonymity(table, ["code"], threshold=2).rows_at_risk == 1


def test_dropped_quasi_identifiers_are_reported_apart() -> None:
    released = _table().drop_columns(["age_band"])
    report = k_anonymity(
        released, ["district"], threshold=5, dropped_quasi_identifiers=["age_band"]
    )
    assert report.quasi_identifiers == ("district",)
    assert report.dropped_quasi_identifiers == ("age_band",)
    assert report.k == k_anonymity(released, ["district"]).k


def test_a_released_column_cannot_be_reported_as_dropped() -> None:
    with pytest.raises(ValueError, match="age_band"):
        k_anonymity(_table(), ["district"], dropped_quasi_identifiers=["age_band"])
