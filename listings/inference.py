"""Column types that keep every value exactly: CSV text gets a type only when each value's
text comes back unchanged, and Parquet columns that JSON clients would round are made text.

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

Parquet columns keep their types, except: 64-bit integers and integral decimals holding a
value beyond ±(2^53 − 1) become strings of their digits (so detectors see the digits and no
JSON client rounds them), and a floating-point column holding an integral value of 16 or more
digits is refused: such a value is an identifier whose exact digits a double cannot be trusted
to hold (above 2^53 they are already lost), so neither detection nor masking can be relied on.

Binary Parquet columns are text in disguise as often as not, and follow the CSV encoding
rule (``listings.encodings``) column by column: all UTF-8 → a string column; all GB18030 with
no UTF-8 text among them → decoded as GB18030 (so a GBK name is detected, not served as raw
bytes a buyer could decode); UTF-8 text mixed with other bytes → refused naming the row;
neither → kept as binary (real binary data: digests, images).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from listings import encodings
from listings.rows import SAFE_INTEGER
from market.errors import InvalidFile

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


def infer_text_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Give a text column a numeric or date type when every value's text survives it."""
    present = pc.drop_null(column)
    if len(present) == 0:
        return column
    if _all(present, _INT):
        lengths = pc.utf8_length(present)
        fixed_width = pc.min(lengths).as_py() == pc.max(lengths).as_py() >= 6
        return column if fixed_width else pc.cast(column, pa.int64())
    if _all_canonical_floats(present):
        return pc.cast(column, pa.float64())
    decimal = _decimal_type(present)
    if decimal is not None:
        return pc.cast(column, decimal)
    if _all(present, _DATE):
        try:
            dates = pc.cast(pc.strptime(column, format="%Y-%m-%d", unit="s"), pa.date32())
        except pa.ArrowInvalid:
            return column
        # strptime rolls 2024-02-30 over to March; only a value that round-trips is a date.
        if pc.all(pc.equal(pc.strftime(dates, format="%Y-%m-%d"), column)).as_py():
            return dates
    return column


def _all(values: pa.ChunkedArray, pattern: str) -> bool:
    return bool(pc.all(pc.match_substring_regex(values, pattern)).as_py())


def _significant_digits(values: pa.ChunkedArray) -> pa.ChunkedArray:
    digits = pc.replace_substring_regex(values, r"[-.]", "")
    return pc.utf8_length(pc.utf8_ltrim(digits, "0"))


def _all_canonical_floats(values: pa.ChunkedArray) -> bool:
    integer = pc.match_substring_regex(values, _INT)
    decimal = pc.and_(
        pc.match_substring_regex(values, _CANONICAL_DECIMAL),
        pc.invert(pc.match_substring_regex(values, _BELOW_1E_4)),
    )
    if not pc.all(pc.or_(integer, decimal)).as_py():
        return False
    return bool(pc.max(_significant_digits(values)).as_py() <= _MAX_EXACT_DIGITS)


def _decimal_type(values: pa.ChunkedArray) -> pa.Decimal128Type | None:
    if (
        not _all(values, _FIXED_SCALE)
        or pc.any(pc.match_substring_regex(values, _NEGATIVE_ZERO)).as_py()
    ):
        return None
    fraction = pc.subtract(pc.utf8_length(values), pc.add(pc.find_substring(values, "."), 1))
    scale = pc.min(fraction).as_py()
    if scale != pc.max(fraction).as_py():
        return None
    precision = max(pc.max(pc.utf8_length(pc.replace_substring(values, "-", ""))).as_py() - 1, 1)
    if precision > _MAX_DECIMAL_DIGITS:
        return None
    return pa.decimal128(precision, scale)


def exact_parquet_column(name: str, column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A Parquet column as stored, with unsafe integers as text; refuses identifier floats."""
    kind = column.type
    if pa.types.is_integer(kind) and kind.bit_width == 64:
        return pc.cast(column, pa.string()) if _beyond_safe(column) else column
    if pa.types.is_decimal(kind):
        return _integral_decimal_as_text(column)
    if pa.types.is_floating(kind):
        _refuse_identifier_floats(name, column)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return _binary_as_text(name, column)
    return column


def _binary_as_text(name: str, column: pa.ChunkedArray) -> pa.ChunkedArray:
    try:
        return pc.cast(column, pa.string())  # validates UTF-8
    except pa.ArrowInvalid:
        pass
    values: list[bytes | None] = column.to_pylist()
    utf8_text = [
        row for row, v in enumerate(values, 1) if v is not None and not v.isascii() and _utf8(v)
    ]
    if utf8_text:
        bad = next(row for row, v in enumerate(values, 1) if v is not None and not _utf8(v))
        raise InvalidFile(
            f"Column {name!r} mixes text encodings: row {bad} is not UTF-8, while row "
            f"{utf8_text[0]} is UTF-8 text. Store the column as UTF-8 strings.",
            f"列“{name}”混用了多种文本编码：第 {bad} 行不是 UTF-8，而第 {utf8_text[0]} 行是 "
            "UTF-8 文本。请将该列存为 UTF-8 字符串。",
        )
    try:
        decoded = [None if v is None else v.decode(encodings.GB18030) for v in values]
    except UnicodeDecodeError:
        return column  # not text in any supported encoding: binary data
    return pa.chunked_array([pa.array(decoded, pa.string())])


def _utf8(value: bytes) -> bool:
    try:
        value.decode(encodings.UTF8)
    except UnicodeDecodeError:
        return False
    return True


def _beyond_safe(column: pa.ChunkedArray) -> bool:
    if column.null_count == len(column):
        return False
    bounds = pc.min_max(column)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return bool(high > SAFE_INTEGER or low < -SAFE_INTEGER)


def _integral_decimal_as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Decimals whose values are all integers and some beyond ±(2^53 − 1) become their digits
    (a card number stored as DECIMAL(20, 0) or DECIMAL(22, 2) reads as a card number)."""
    kind = column.type
    integral_type = (
        pa.decimal128(kind.precision, 0)
        if isinstance(kind, pa.Decimal128Type)
        else pa.decimal256(kind.precision, 0)
    )
    try:
        integral = pc.cast(column, integral_type)  # safe: refuses to drop a fraction
    except pa.ArrowInvalid:
        return column
    present = pc.drop_null(integral)
    if len(present) == 0:
        return column
    limit = pa.scalar(SAFE_INTEGER, integral_type)
    beyond = pc.or_(pc.greater(present, limit), pc.less(present, pc.negate(limit)))
    return pc.cast(integral, pa.string()) if pc.any(beyond).as_py() else column


def _refuse_identifier_floats(name: str, column: pa.ChunkedArray) -> None:
    values = column.to_numpy()  # nulls read as NaN, never flagged
    with np.errstate(invalid="ignore"):
        flagged = np.isfinite(values) & (np.abs(values) >= _IDENTIFIER_FLOAT)
        flagged &= values == np.floor(values)
    if not flagged.any():
        return
    row = int(np.argmax(flagged)) + 1
    raise InvalidFile(
        f"Column {name!r} is floating point and holds integral values of 16 or more digits "
        f"(first at row {row}). Such values are identifiers (card, account or ID numbers) "
        "whose exact digits a floating-point column cannot be trusted to hold, and may "
        "already have lost. Export the column as text (string) or a 64-bit integer and "
        "upload the file again.",
        f"列“{name}”是浮点类型，却包含 16 位及以上的整数值（首次出现在第 {row} 行）。"
        "这类值是卡号、账号或证件号等标识符，浮点列无法可靠地保存其精确数字，"
        "可能已经丢失了部分数字。请将该列导出为文本（string）或 64 位整数后重新上传。",
    )
