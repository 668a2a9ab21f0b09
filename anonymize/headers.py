"""Column names that are really values: whether a file's first row is a header, and whether
a header cell (or any column name) is itself a piece of personal data.

A CSV's first line is read as the header only when it does not look like a record. Its cells
are compared with the values of their own columns, with the same validators the detectors
use (``anonymize.detect``):

- a cell that is a valid value of a self-evident kind (a resident ID, a mobile, a bank card,
  a credit code, a landline, an e-mail or IP address, a plate, a passport, a GPS pair, a
  postal address) is a record: no header is ever one of those;
- so is a Chinese personal name heading a column of names (unless it is a word headers use,
  such as 姓名 or 申请人);
- a cell that names a kind (手机号, email …), or text over a column of numbers or dates, is a
  header;
- a number over numbers, or a date over dates, is a record when nothing says header.

Strong evidence of a record wins over any sign of a header, because the two mistakes do not
cost the same: a header read as a record only adds a row its provider sees and can re-upload
with ``header="present"``, while a record read as a header publishes a person's data as
column names and loses their row.

Independently of that decision, ``sensitive_name_kind`` says whether a name is a personal
data value; callers replace such names by neutral ones (``neutral_name``) for CSV headers
and Parquet column names alike, and refuse renames to them. All functions are
deterministic and keyless.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from anonymize._text import ArrowColumn
from anonymize.detect import (
    DETECTORS,
    HINTED_RATE,
    ColumnKind,
    Detector,
    normalize_header,
    sample_values,
)
from anonymize.validators import valid_address_mask, valid_name_mask

# Kinds a single valid value of which is never a column header. An address counts only with
# a house number in it (城市街道 is a header, 海淀区学院路1号 is not); one without is judged by
# its column, like a name.
SELF_EVIDENT_KINDS = frozenset(
    {
        ColumnKind.RESIDENT_ID,
        ColumnKind.MOBILE,
        ColumnKind.BANK_CARD,
        ColumnKind.USCC,
        ColumnKind.LANDLINE,
        ColumnKind.EMAIL,
        ColumnKind.IP_ADDRESS,
        ColumnKind.PLATE,
        ColumnKind.PASSPORT,
        ColumnKind.GPS,
        ColumnKind.ADDRESS,
    }
)
_SELF_EVIDENT: tuple[Detector, ...] = tuple(
    d for d in DETECTORS if d.kind in SELF_EVIDENT_KINDS and not d.needs_header
)
_HOUSE_NUMBER = re.compile(r"[0-9０-９]")
# Kinds whose value is told from a header word only by the column under it.
_BY_COLUMN: dict[ColumnKind, Callable[[ArrowColumn], pa.BooleanArray]] = {
    ColumnKind.NAME: valid_name_mask,
    ColumnKind.ADDRESS: valid_address_mask,
}
# Words for people that headers use and that start with a surname character (申请人, 经办人,
# 业务员, 患者, 户名): never taken for a person's name.
_ROLE_WORD = re.compile(r"(人|者|员|名)$")
# Shapes of typed columns: a text header over such a column is the classic header signal.
_NUMBER = r"^[+-]?[0-9]+([.,][0-9]+)*$"
_DATE = r"^[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?$|^(19|20)[0-9]{6}$"
_SHAPE_RATE = 0.9
_SAMPLE = 200


@dataclass(frozen=True)
class HeaderDecision:
    """Whether the first row is a header, and why (a sentence for logs and the audit)."""

    is_header: bool
    reason: str


def value_kinds(cells: Sequence[str | None]) -> list[ColumnKind | None]:
    """For each cell, the self-evident kind it is a valid value of, or None."""
    text = pa.array([None if c is None else c.strip() for c in cells], pa.string())
    kinds: list[ColumnKind | None] = [None] * len(cells)
    for detector in _SELF_EVIDENT:
        for index, valid in enumerate(detector.validator(text).to_pylist()):
            if not valid or kinds[index] is not None:
                continue
            cell = cells[index] or ""
            if detector.kind is ColumnKind.ADDRESS and not _HOUSE_NUMBER.search(cell):
                continue
            kinds[index] = detector.kind
    return kinds


def is_header_word(text: str) -> bool:
    """Whether ``text`` names a kind the detectors know (手机号, 姓名, email …) or a role of
    a person (申请人, 业务员)."""
    header = normalize_header(text)
    return any(d.header.search(header) for d in DETECTORS) or bool(_ROLE_WORD.search(text))


def kind_over_its_column(cell: str, values: ArrowColumn) -> ColumnKind | None:
    """NAME or ADDRESS when ``cell`` is a valid value of that kind heading a column where at
    least half the values are of that kind too, and is not a header word; else None."""
    text = cell.strip()
    if not text or is_header_word(text):
        return None
    sample: pa.LargeStringArray | None = None
    for kind, validator in _BY_COLUMN.items():
        if not validator(pa.array([text], pa.string()))[0].as_py():
            continue
        if sample is None:
            sample = sample_values(values, _SAMPLE)
        if len(sample) and (pc.sum(validator(sample)).as_py() or 0) / len(sample) >= HINTED_RATE:
            return kind
    return None


def sensitive_name_kind(name: str, values: ArrowColumn | None = None) -> ColumnKind | None:
    """The kind of personal data ``name`` itself is, or None: a self-evident kind, or a name
    or address heading ``values`` of its kind. Such a name must never be published."""
    kind = value_kinds([name])[0]
    if kind is None and values is not None:
        kind = kind_over_its_column(name, values)
    return kind


def neutral_name(position: int, taken: set[str]) -> str:
    """``column_<position>`` (1-based), made unique among ``taken``."""
    name = f"column_{position}"
    suffix = 1
    while name in taken:
        suffix += 1
        name = f"column_{position}_{suffix}"
    return name


def _shape(values: ArrowColumn) -> str | None:
    """ "number" or "date" when nearly every sampled value has that shape, else None."""
    sample = sample_values(values, _SAMPLE)
    if len(sample) == 0:
        return None
    for shape, pattern in (("date", _DATE), ("number", _NUMBER)):
        matched = pc.sum(pc.match_substring_regex(sample, pattern)).as_py() or 0
        if matched / len(sample) >= _SHAPE_RATE:
            return shape
    return None


def _cell_shape(cell: str) -> str | None:
    return _shape(pa.array([cell], pa.string()))


def first_row_is_header(
    first: Sequence[str | None], columns: Sequence[ArrowColumn]
) -> HeaderDecision:
    """Decide whether ``first`` (the first row's cells) is a header over ``columns`` (the
    values of the rows after it, one column per cell). See the module docstring."""
    kinds = value_kinds(first)
    header_votes: list[int] = []
    weak_record_votes: list[int] = []
    for position, (cell, kind, values) in enumerate(zip(first, kinds, columns, strict=True), 1):
        text = (cell or "").strip()
        if kind is not None:
            return HeaderDecision(False, f"cell {position} is a valid {kind.value} value")
        if not text:
            continue
        over = kind_over_its_column(text, values)
        if over is not None:
            return HeaderDecision(False, f"cell {position} is a {over.value} over its column")
        if is_header_word(text):
            header_votes.append(position)
            continue
        body_shape = _shape(values)
        if body_shape is None:
            continue
        if _cell_shape(text) == body_shape:
            weak_record_votes.append(position)
        else:
            header_votes.append(position)
    if header_votes:
        return HeaderDecision(True, f"cells {header_votes} read as column names")
    if weak_record_votes:
        return HeaderDecision(False, f"cells {weak_record_votes} have their columns' shape")
    return HeaderDecision(True, "nothing marks the first row as a record")
