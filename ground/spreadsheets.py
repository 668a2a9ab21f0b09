"""CSV that spreadsheets open safely (OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Sheets as a formula: a dataset title such as ``=HYPERLINK("http://x",
"点击")`` in a statement would become a live link, or worse. Such cells are written with a
leading apostrophe, which spreadsheets show as text and do not display. Numbers are written as
they are (``-150`` stays a number); only text is neutralized. JSON-lines exports stay exact.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will read it as data, never as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeDictWriter:
    """``csv.DictWriter`` whose text cells cannot become formulas (header names included)."""

    def __init__(self, out: TextIO, fieldnames: Iterable[str]) -> None:
        self._fields = list(fieldnames)
        self._writer = csv.DictWriter(out, fieldnames=self._fields)

    def writeheader(self) -> None:
        self._writer.writerow({name: safe_cell(name) for name in self._fields})

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow({key: safe_cell(value) for key, value in row.items()})
