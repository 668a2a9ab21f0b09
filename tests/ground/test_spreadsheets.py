"""Text cells never reach a spreadsheet as formulas; numbers stay numbers."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from ground.spreadsheets import FORMULA_PREFIXES, SafeDictWriter, safe_cell


@given(st.text())
def test_no_text_cell_starts_like_a_formula(value: str) -> None:
    cell = safe_cell(value)
    assert not cell.startswith(FORMULA_PREFIXES)
    assert cell.removeprefix("'") == value or cell == value


@given(st.integers() | st.floats(allow_nan=False))
def test_numbers_are_written_unchanged(value: float) -> None:
    assert safe_cell(value) == value


def test_the_writer_neutralizes_every_text_cell() -> None:
    out = io.StringIO()
    writer = SafeDictWriter(out, ["title", "amount"])
    writer.writeheader()
    writer.writerow({"title": "@SUM(A1:A9)", "amount": -150})
    writer.writerow({"title": "普通标题", "amount": 3})
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows == [
        {"title": "'@SUM(A1:A9)", "amount": "-150"},
        {"title": "普通标题", "amount": "3"},
    ]
