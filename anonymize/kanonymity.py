"""k-anonymity of a released table over chosen quasi-identifiers.

A table is k-anonymous over quasi-identifiers Q when every combination of Q's values that
occurs is shared by at least k rows: someone who knows a person's Q values (age band,
district, sex ...) cannot narrow them below k candidates. The report is computed on the
released form (after the policy), because that is what a buyer can join against; it is a
measurement, not a guarantee about columns outside Q. Nulls form their own class (a null
is as visible to a buyer as a value). Computed with one polars group-by, no Python loop.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from anonymize._text import as_text


@dataclass(frozen=True)
class KAnonymityReport:
    """`k` is the smallest equivalence class (0 for an empty table); `rows_at_risk` counts
    rows in classes smaller than `threshold`. `quasi_identifiers` are the columns the rows
    were grouped by; `dropped_quasi_identifiers` were chosen too but are not released
    (suppressed), so they split no class and the report says so instead of hiding them."""

    quasi_identifiers: tuple[str, ...]
    rows: int
    k: int
    equivalence_classes: int
    rows_at_risk: int
    classes_at_risk: int
    threshold: int
    dropped_quasi_identifiers: tuple[str, ...] = ()

    @property
    def below_threshold(self) -> bool:
        return self.rows > 0 and self.k < self.threshold


def k_anonymity(
    table: pa.Table,
    quasi_identifiers: Sequence[str],
    *,
    threshold: int = 5,
    dropped_quasi_identifiers: Sequence[str] = (),
) -> KAnonymityReport:
    """Measure k-anonymity of `table` over `quasi_identifiers` (columns it must have).

    With no quasi-identifiers every row is in one class, so k is the row count. Values
    are compared as text, so a column of mixed types groups consistently.
    `dropped_quasi_identifiers` names chosen quasi-identifiers the release suppresses: they
    must not be columns of `table` (a released column would split classes) and are
    reported as left out.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    missing = [name for name in quasi_identifiers if name not in table.column_names]
    if missing:
        raise KeyError(f"columns not in the table: {', '.join(missing)}")
    released = [name for name in dropped_quasi_identifiers if name in table.column_names]
    if released:
        raise ValueError(f"columns in the table cannot be dropped: {', '.join(released)}")
    names, dropped = tuple(quasi_identifiers), tuple(dropped_quasi_identifiers)
    if table.num_rows == 0:
        return KAnonymityReport(names, 0, 0, 0, 0, 0, threshold, dropped)
    if not names:
        rows = table.num_rows
        at_risk = rows if rows < threshold else 0
        return KAnonymityReport(names, rows, rows, 1, at_risk, int(at_risk > 0), threshold, dropped)
    frame = pl.from_arrow(pa.table({name: as_text(table.column(name)) for name in names}))
    assert isinstance(frame, pl.DataFrame)
    sizes = frame.group_by(list(names)).len()["len"]
    small = sizes.filter(sizes < threshold)
    return KAnonymityReport(
        quasi_identifiers=names,
        rows=table.num_rows,
        k=int(sizes.min() or 0),  # type: ignore[arg-type]
        equivalence_classes=len(sizes),
        rows_at_risk=int(small.sum()),
        classes_at_risk=len(small),
        threshold=threshold,
        dropped_quasi_identifiers=dropped,
    )
