"""Column types that keep every value exactly: CSV text gets a type only when each value's
text comes back unchanged.

CSV columns (every value read as text first):

- **int64** when every value is a canonical integer (no sign ``+``, no leading zero, no
  ``-0``) of at most 15 digits (so within 2^53, exact as a double and in JavaScript), unless
  every value has the same width of six or more digits: that is a code (postcodes, IDs);
- **float64** when every value's text is the canonical JSON text of its double: an integer as
  above, or a decimal of at most 15 significant digits with no trailing zero in the fraction
  and no leading zero in the integer part, under 1e16 and not below 1e-4 (where the shortest
  form would switch to an exponent). ``1.10``, ``-0``, ``1e5`` and ``0.00001`` stay text;
- **decimal128** when every value is a decimal with the same number of fraction digits
  (``12.50``, ``3.00``) and at most 38 digits: exact, summable in the sandbox, and served as
  the string ``"12.50"`` (``listings.rows``);
- **date32** when every value is ``YYYY-MM-DD`` and a real date;
- text otherwise. Digit strings with leading zeros, more than 15 digits (bank cards, IDs) or
  a fixed width therefore stay strings, and so do mixed columns.

The type is decided over every value of the column, a batch at a time (``TextTypeState``),
so a value in the last batch that does not fit a type rules it out for the whole column.
Parquet columns follow ``listings.parquet_columns``.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_INT = r"^(0|-?[1-9][0-9]{0,14})$"
# A decimal whose text is the shortest form of its double (see the module docstring); the
# significant-digit and magnitude limits are checked apart.
_CANONICAL_DECIMAL = r"^-?(0|[1-9][0-9]*)\.[0-9]*[1-9]$"
_BELOW_1E_4 = r"^-?0\.0000"
_FIXED_SCALE = r"^-?(0|[1-9][0-9]*)\.[0-9]+$"
_NEGATIVE_ZERO = r"^-0(\.0+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_MAX_EXACT_DIGITS = 15
_MAX_DECIMAL_DIGITS = 38
_IDENTIFIER_FLOAT = 1e15  # integral doubles from here on have 16+ digits
_NO_MIN = 2**63


def infer_text_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Give a text column a numeric or date type when every value's text survives it."""
    state = TextTypeState()
    state.observe(column)
    return convert_text(column, state.decided_type())


class TextTypeState:
    """What a text column's values allow, gathered batch by batch, so the type of a column of
    any length is decided with memory for one batch: a type stays possible only while every
    value seen so far fits it (a value in the last batch that does not fit rules it out),
    and the widths, scales and digit counts it depends on are running minima and maxima."""

    def __init__(self) -> None:
        self.present = False
        self.integer, self.floating, self.fixed_scale, self.date = True, True, True, True
        self.min_width, self.max_width = _NO_MIN, 0
        self.max_significant = 0
        self.min_scale, self.max_scale, self.max_precision = _NO_MIN, 0, 0

    def observe(self, column: pa.Array | pa.ChunkedArray) -> None:
        present = pc.drop_null(column)
        if len(present) == 0:
            return
        self.present = True
        if self.integer:
            self._observe_integers(present)
        if self.floating:
            self._observe_floats(present)
        if self.fixed_scale:
            self._observe_decimals(present)
        if self.date:
            self.date = _all(present, _DATE) and _real_dates(present) is not None

    def decided_type(self) -> pa.DataType:
        """The type every value seen keeps its exact text in (string when none is)."""
        if not self.present:
            return pa.string()
        if self.integer:
            fixed_width = self.min_width == self.max_width >= 6
            return pa.string() if fixed_width else pa.int64()
        if self.floating and self.max_significant <= _MAX_EXACT_DIGITS:
            return pa.float64()
        if self.fixed_scale and self.min_scale == self.max_scale:
            if self.max_precision <= _MAX_DECIMAL_DIGITS:
                return pa.decimal128(max(self.max_precision, 1), self.max_scale)
        if self.date:
            return pa.date32()
        return pa.string()

    def _observe_integers(self, present: pa.Array | pa.ChunkedArray) -> None:
        self.integer = _all(present, _INT)
        if self.integer:
            lengths = pc.utf8_length(present)
            self.min_width = min(self.min_width, pc.min(lengths).as_py())
            self.max_width = max(self.max_width, pc.max(lengths).as_py())

    def _observe_floats(self, present: pa.Array | pa.ChunkedArray) -> None:
        integer = pc.match_substring_regex(present, _INT)
        decimal = pc.and_(
            pc.match_substring_regex(present, _CANONICAL_DECIMAL),
            pc.invert(pc.match_substring_regex(present, _BELOW_1E_4)),
        )
        self.floating = bool(pc.all(pc.or_(integer, decimal)).as_py())
        if self.floating:
            digits = pc.max(_significant_digits(present)).as_py()
            self.max_significant = max(self.max_significant, digits)

    def _observe_decimals(self, present: pa.Array | pa.ChunkedArray) -> None:
        self.fixed_scale = _all(present, _FIXED_SCALE) and not bool(
            pc.any(pc.match_substring_regex(present, _NEGATIVE_ZERO)).as_py()
        )
        if not self.fixed_scale:
            return
        dot = pc.add(pc.find_substring(present, "."), 1)
        fraction = pc.subtract(pc.utf8_length(present), dot)
        self.min_scale = min(self.min_scale, pc.min(fraction).as_py())
        self.max_scale = max(self.max_scale, pc.max(fraction).as_py())
        unsigned = pc.utf8_length(pc.replace_substring(present, "-", ""))
        self.max_precision = max(self.max_precision, pc.max(unsigned).as_py() - 1)


def convert_text(column: pa.Array | pa.ChunkedArray, kind: pa.DataType) -> pa.Array:
    """``column`` (text) as ``kind``, which ``TextTypeState`` decided from every value."""
    if kind == pa.string():
        return column
    if kind == pa.date32():
        dates = _real_dates(column)
        if dates is None:  # cannot happen for a decided type: every value was checked
            raise ValueError("a value of a date column is not a date")
        return dates
    return pc.cast(column, kind)


def _real_dates(column: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """The values as dates when each is a real ``YYYY-MM-DD`` date, else None (strptime
    rolls 2024-02-30 over to March; only a value that round-trips is a date)."""
    try:
        dates = pc.cast(pc.strptime(column, format="%Y-%m-%d", unit="s"), pa.date32())
    except pa.ArrowInvalid:
        return None
    same = pc.equal(pc.strftime(dates, format="%Y-%m-%d"), column)
    return dates if pc.all(same).as_py() is not False else None


def _all(values: pa.Array | pa.ChunkedArray, pattern: str) -> bool:
    return bool(pc.all(pc.match_substring_regex(values, pattern)).as_py())


def _significant_digits(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    digits = pc.replace_substring_regex(values, r"[-.]", "")
    return pc.utf8_length(pc.utf8_ltrim(digits, "0"))
