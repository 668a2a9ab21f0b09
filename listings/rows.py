"""Rows as JSON: the one serializer every row output goes through (the data API, previews,
the review page and the console's tables).

Guarantee: each value leaves as a JSON value a client reads back without loss, whatever its
language (JavaScript reads every JSON number as a double, exact only up to 2^53):

- integers within ±2^53 are JSON numbers; larger ones are strings of their digits, so no
  client rounds an identifier (``6222029458073021579`` stays that, never ``…021600``);
- floats: integral values within ±2^53 are JSON integers (``1.0`` → ``1``, the text CSV
  inference accepts, see ``listings.ingestion``); other finite values are JSON numbers
  written in the shortest form that reads back as the same double; NaN and ±infinity, which
  JSON has no number for, are the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``;
- decimals of scale 0 within ±2^53 are integers; every other decimal is a string of its
  exact digits (``"1.10"``, never the double 1.1);
- dates, times and timestamps are ISO 8601 strings (nanosecond ones with every digit);
  binary values are their UTF-8 text, or
  ``"base64:"`` and their Base64 when they are not UTF-8;
- lists, structs and maps are converted value by value (a map as a list of ``[key, value]``);
- nulls are ``null``; strings and booleans are themselves.

Every caller that puts table rows into JSON or a page calls ``json_rows``; nothing calls
``to_pylist`` on released rows directly.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import math
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

# JavaScript's Number.MAX_SAFE_INTEGER is 2^53 - 1; 2^53 itself is exact but so is 2^53 + 1
# rounded to it, so only magnitudes up to 2^53 - 1 are unambiguous.
SAFE_INTEGER = 2**53 - 1

Converter = Callable[[Any], Any]


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """The table's rows as JSON-ready dicts (column name → value), exact as described above."""
    if table.num_columns == 0:
        return [{} for _ in range(table.num_rows)]
    names = table.column_names
    columns = [_column_values(table.column(index)) for index in range(table.num_columns)]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def json_value(value: Any) -> Any:
    """One Python value (as Arrow's ``as_py`` gives it) made exact for JSON."""
    return _convert_python(value)


def _column_values(column: pa.ChunkedArray) -> list[Any]:
    if _nanoseconds(column.type):
        # Python's datetime holds microseconds: Arrow's own ISO text keeps every digit.
        text = pc.cast(column, pa.string())
        if pa.types.is_timestamp(column.type):
            text = pc.replace_substring(text, " ", "T", max_replacements=1)
        return text.to_pylist()
    values = column.to_pylist()
    convert = _converter(column.type)
    if convert is None:
        return values
    return [None if value is None else convert(value) for value in values]


def _converter(kind: pa.DataType) -> Converter | None:
    """A per-value conversion for ``kind``, or None when Arrow's Python values are already
    exact JSON (strings, booleans, nulls, small integer types)."""
    if _exact_json(kind):
        return None
    if pa.types.is_integer(kind):
        return None if kind.bit_width <= 32 else _integer
    if pa.types.is_floating(kind):
        return _float
    if pa.types.is_decimal(kind):
        return _decimal
    return _container_converter(kind)


def _exact_json(kind: pa.DataType) -> bool:
    """Types whose Python values JSON holds as they are."""
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_null(kind)
    )


def _container_converter(kind: pa.DataType) -> Converter | None:
    """Dictionaries by their values' conversion; maps, lists and structs value by value with
    their inner types' conversions; any other type by its Python values (``_convert_python``)."""
    if pa.types.is_dictionary(kind):
        return _converter(kind.value_type)
    if pa.types.is_map(kind):
        return _map_converter(kind)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _list_converter(kind)
    if pa.types.is_struct(kind):
        return _struct_converter(kind)
    return _convert_python


def _map_converter(kind: pa.MapType) -> Converter:
    """A map as a list of ``[key, value]`` pairs."""
    key, item = _converter(kind.key_type) or _same, _converter(kind.item_type) or _same
    return lambda pairs: [[_maybe(key, k), _maybe(item, v)] for k, v in pairs]


def _list_converter(kind: pa.ListType | pa.LargeListType | pa.FixedSizeListType) -> Converter:
    inner = _converter(kind.value_type) or _same
    return lambda items: [_maybe(inner, item) for item in items]


def _struct_converter(kind: pa.StructType) -> Converter:
    fields = {f.name: _converter(f.type) or _same for f in kind}
    return lambda record: {k: _maybe(fields.get(k, _same), v) for k, v in record.items()}


def _nanoseconds(kind: pa.DataType) -> bool:
    """Times, timestamps and durations Python's datetime cannot hold exactly (stored before
    ingestion made them microseconds or text, ``listings.parquet_columns``)."""
    temporal = pa.types.is_time64(kind) or pa.types.is_timestamp(kind)
    return (temporal or pa.types.is_duration(kind)) and kind.unit == "ns"


def _same(value: Any) -> Any:
    return value


def _maybe(convert: Converter, value: Any) -> Any:
    return None if value is None else convert(value)


def _integer(value: int) -> int | str:
    return value if -SAFE_INTEGER <= value <= SAFE_INTEGER else str(value)


def _float(value: float) -> float | int | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) <= SAFE_INTEGER:
        return int(value)
    return value


def _decimal(value: decimal.Decimal) -> int | str:
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value() and value.as_tuple().exponent == 0:
        return _integer(int(value))
    return format(value, "f")


def _bytes(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(value).decode("ascii")


def _convert_python(value: Any) -> Any:
    """Type-directed conversion of a Python value of any Arrow type not handled above."""
    match value:
        case None | bool() | str():
            return value
        case int():
            return _integer(value)
        case float():
            return _float(value)
        case decimal.Decimal():
            return _decimal(value)
        case bytes():
            return _bytes(value)
        case datetime.date() | datetime.time():  # datetime is a date
            return value.isoformat()
        case datetime.timedelta():
            return str(value)
        case dict():
            return {k: _convert_python(v) for k, v in value.items()}
        case list() | tuple():
            return [_convert_python(item) for item in value]
    return str(value)
