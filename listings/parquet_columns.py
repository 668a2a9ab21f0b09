"""Parquet column types: which are stored as they are, which are made exact text, which are
refused, decided column by column over the whole file one batch at a time.

Every type that reaches the stored file is one the row serializer (``listings.rows``), the
detectors and the sandbox read without error or loss:

- integers, floats, booleans, strings, dates and decimals keep their type, except: 64-bit
  integers and integral decimals holding a value beyond ±(2^53 − 1) become strings of their
  digits (so detectors see the digits and no JSON client rounds them), and a floating-point
  column holding an integral value of 16 or more digits is refused: such a value is an
  identifier whose exact digits a double cannot be trusted to hold (above 2^53 they are
  already lost). Half floats become 32-bit floats (the same values);
- times of day and timestamps keep their type at microsecond precision or coarser; a
  nanosecond column whose values all fall on a microsecond is stored at microseconds, and
  one that does not becomes the ISO 8601 text of its values (``12:30:00.123456789``), exact;
- binary columns are text in disguise as often as not, and follow the CSV encoding rule
  (``listings.encodings``) column by column: all UTF-8 → a string column; all GB18030 with no
  UTF-8 text among them → decoded as GB18030 (so a GBK name is detected, not served as raw
  bytes a buyer could decode); UTF-8 text mixed with other bytes → refused naming the rows;
  neither → real binary data (digests, images), stored as the text ``base64:`` followed by
  its Base64, the form every output serves binary values in;
- dictionary columns are stored as their values;
- nested columns (lists, structs, maps, unions), durations, intervals and any other type are
  refused naming the column: flatten them or store them as text.
"""

from __future__ import annotations

import base64
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ground.errors import InvalidFile
from listings import encodings
from listings.rows import SAFE_INTEGER

_IDENTIFIER_FLOAT = 1e15  # integral doubles from here on have 16+ digits
BASE64_PREFIX = "base64:"

Column: TypeAlias = pa.Array | pa.ChunkedArray


def exact_parquet_column(name: str, column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A whole Parquet column as stored (see the module docstring); refuses what it must."""
    plan = ColumnPlan(name, column.type)
    plan.observe(column, first_row=1)
    converted = plan.convert(column)
    if isinstance(converted, pa.ChunkedArray):
        return converted
    return pa.chunked_array([converted], plan.stored_type)


def refuse_unsupported_type(name: str, kind: pa.DataType) -> None:
    """Refuse a column whose type is not stored at all (checked on the schema, before any
    value is read)."""
    value_kind = kind.value_type if pa.types.is_dictionary(kind) else kind
    if _supported(value_kind):
        return
    nested = pa.types.is_nested(value_kind)
    what = "a nested type (list, struct or map)" if nested else f"the type {value_kind}"
    what_zh = "嵌套类型（列表、结构或映射）" if nested else f"类型 {value_kind}"
    raise InvalidFile(
        f"Column {name!r} has {what}, which Sluice does not store. Flatten it into plain "
        "columns or export it as text, and upload the file again.",
        f"列“{name}”的{what_zh}不受支持。请将其展开为普通列或导出为文本后重新上传。",
    )


def _supported(kind: pa.DataType) -> bool:
    t = pa.types
    return any(
        check(kind)
        for check in (
            t.is_null,
            t.is_boolean,
            t.is_integer,
            t.is_floating,
            t.is_decimal,
            t.is_string,
            t.is_large_string,
            t.is_string_view,
            t.is_binary,
            t.is_large_binary,
            t.is_fixed_size_binary,
            t.is_binary_view,
            t.is_date,
            t.is_time,
            t.is_timestamp,
        )
    )


class ColumnPlan:
    """One column's evidence, gathered batch by batch (``observe``), and the conversion it
    decides (``convert``), the same for every batch of the file."""

    def __init__(self, name: str, kind: pa.DataType) -> None:
        refuse_unsupported_type(name, kind)
        self.name = name
        self.source_type = kind
        self.kind = _flat_type(kind)
        self.beyond_safe = False  # 64-bit integers and integral decimals
        self.integral = True  # decimals: every value so far is a whole number
        self.sub_microsecond = False  # nanosecond times and timestamps
        self.first_utf8_text_row: int | None = None  # binary: non-ASCII UTF-8 text
        self.first_not_utf8_row: int | None = None
        self.gb18030 = True

    def observe(self, column: Column, *, first_row: int) -> None:
        """Take in one batch of the column, whose first value is row ``first_row`` (1-based)."""
        values = _flat(column, self.kind)
        kind = self.kind
        if pa.types.is_integer(kind) and kind.bit_width == 64:
            self.beyond_safe = self.beyond_safe or _beyond_safe(values)
        elif pa.types.is_decimal(kind):
            self._observe_decimal(values)
        elif pa.types.is_floating(kind):
            _refuse_identifier_floats(self.name, values, first_row)
        elif _is_binary(kind):
            self._observe_binary(values, first_row)
        elif _nanoseconds(kind):
            self.sub_microsecond = self.sub_microsecond or not _fits_microseconds(values)

    @property
    def stored_type(self) -> pa.DataType:
        kind = self.kind
        if (pa.types.is_integer(kind) and kind.bit_width == 64) or pa.types.is_decimal(kind):
            return pa.string() if self.beyond_safe else kind
        if pa.types.is_float16(kind):
            return pa.float32()
        if _is_binary(kind):
            return pa.string()
        if _nanoseconds(kind):
            return pa.string() if self.sub_microsecond else _microseconds(kind)
        return kind

    def convert(self, column: Column) -> Column:
        """One batch of the column as stored."""
        values = _flat(column, self.kind)
        target = self.stored_type
        if target == values.type:
            return values
        if pa.types.is_decimal(self.kind):
            return pc.cast(pc.cast(values, _integral_type(self.kind)), target)
        if _is_binary(self.kind):
            return self._binary_as_text(values)
        if _nanoseconds(self.kind) and target == pa.string():
            text = pc.cast(values, pa.string())  # ISO 8601 with a space before the time
            return pc.replace_substring(text, " ", "T", max_replacements=1)
        return pc.cast(values, target)

    def _observe_decimal(self, values: Column) -> None:
        if not self.integral:
            return
        integral_type = _integral_type(self.kind)
        try:
            integral = pc.cast(values, integral_type)  # safe: refuses to drop a fraction
        except pa.ArrowInvalid:
            self.integral, self.beyond_safe = False, False
            return
        limit = pa.scalar(SAFE_INTEGER, integral_type)
        beyond = pc.or_(pc.greater(integral, limit), pc.less(integral, pc.negate(limit)))
        self.beyond_safe = self.beyond_safe or bool(pc.any(beyond).as_py())

    def _observe_binary(self, values: Column, first_row: int) -> None:
        try:
            text = pc.cast(values, pa.string())  # validates UTF-8
        except pa.ArrowInvalid:
            self._observe_binary_values(values, first_row)
        else:
            # All UTF-8: only where non-ASCII text starts matters (ASCII is GB18030 too).
            ascii_ = pc.fill_null(pc.string_is_ascii(text), True).to_numpy(zero_copy_only=False)
            if self.first_utf8_text_row is None and not ascii_.all():
                self.first_utf8_text_row = first_row + int(np.argmin(ascii_))
        self._refuse_mixed_text()

    def _observe_binary_values(self, values: Column, first_row: int) -> None:
        for row, value in enumerate(values.to_pylist(), first_row):
            if value is None:
                continue
            if _utf8(value):
                if self.first_utf8_text_row is None and not value.isascii():
                    self.first_utf8_text_row = row
            elif self.first_not_utf8_row is None:
                self.first_not_utf8_row = row
            if self.gb18030 and not _decodes(value, encodings.GB18030):
                self.gb18030 = False

    def _refuse_mixed_text(self) -> None:
        if self.first_utf8_text_row is not None and self.first_not_utf8_row is not None:
            bad, text = self.first_not_utf8_row, self.first_utf8_text_row
            raise InvalidFile(
                f"Column {self.name!r} mixes text encodings: row {bad} is not UTF-8, while "
                f"row {text} is UTF-8 text. Store the column as UTF-8 strings.",
                f"列“{self.name}”混用了多种文本编码：第 {bad} 行不是 UTF-8，而第 {text} 行是 "
                "UTF-8 文本。请将该列存为 UTF-8 字符串。",
            )

    def _binary_as_text(self, values: Column) -> pa.Array:
        if self.first_not_utf8_row is None:
            return pc.cast(values, pa.string())
        if self.gb18030:
            return pa.array(
                [None if v is None else v.decode(encodings.GB18030) for v in values.to_pylist()],
                pa.string(),
            )
        return pa.array(
            [
                None if v is None else BASE64_PREFIX + base64.b64encode(v).decode("ascii")
                for v in values.to_pylist()
            ],
            pa.string(),
        )


def _integral_type(kind: pa.DataType) -> pa.DataType:
    if isinstance(kind, pa.Decimal256Type):
        return pa.decimal256(kind.precision, 0)
    return pa.decimal128(kind.precision, 0)


def _flat_type(kind: pa.DataType) -> pa.DataType:
    """The type values are handled in: a dictionary's values, a view as its plain type."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_binary_view(kind) or pa.types.is_fixed_size_binary(kind):
        return pa.binary()
    return kind


def _flat(column: Column, kind: pa.DataType) -> Column:
    return column if column.type == kind else pc.cast(column, kind)


def _is_binary(kind: pa.DataType) -> bool:
    return pa.types.is_binary(kind) or pa.types.is_large_binary(kind)


def _nanoseconds(kind: pa.DataType) -> bool:
    return (pa.types.is_time64(kind) or pa.types.is_timestamp(kind)) and kind.unit == "ns"


def _microseconds(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(kind):
        return pa.timestamp("us", tz=kind.tz)
    return pa.time64("us")


def _fits_microseconds(values: Column) -> bool:
    try:
        pc.cast(values, _microseconds(values.type))  # safe: refuses to drop nanoseconds
    except pa.ArrowInvalid:
        return False
    return True


def _utf8(value: bytes) -> bool:
    return _decodes(value, encodings.UTF8)


def _decodes(value: bytes, encoding: str) -> bool:
    try:
        value.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _beyond_safe(column: Column) -> bool:
    if column.null_count == len(column):
        return False
    bounds = pc.min_max(column)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return bool(high > SAFE_INTEGER or low < -SAFE_INTEGER)


def _refuse_identifier_floats(name: str, column: Column, first_row: int) -> None:
    # Nulls read as NaN, never flagged; half floats widened (comparing them with 1e15 overflows).
    values = column.to_numpy(zero_copy_only=False).astype(np.float64)
    with np.errstate(invalid="ignore"):
        flagged = np.isfinite(values) & (np.abs(values) >= _IDENTIFIER_FLOAT)
        flagged &= values == np.floor(values)
    if not flagged.any():
        return
    row = int(np.argmax(flagged)) + first_row
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
