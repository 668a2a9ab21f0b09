"""Column names: a header's names with personal-data values replaced by neutral names, and
the refusals of empty, repeated and personal nested field names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import pyarrow as pa

from anonymize.headers import neutral_name, sensitive_name_kind
from ground.errors import InvalidFile

Column: TypeAlias = pa.Array | pa.ChunkedArray


def header_names(header: list[str], columns: Sequence[Column]) -> tuple[list[str], list[int]]:
    """The header's names, each personal-data value among them replaced by a neutral name;
    empty and repeated names are refused (after the replacement, so the refusal never
    quotes a value). ``columns`` are (a sample of) each column's values."""
    sensitive = [
        position
        for position, (name, values) in enumerate(zip(header, columns, strict=True), 1)
        if name and sensitive_name_kind(name, values) is not None
    ]
    taken = {name for position, name in enumerate(header, 1) if position not in sensitive}
    names = list(header)
    for position in sensitive:
        names[position - 1] = neutral_name(position, taken)
        taken.add(names[position - 1])
    _check_names(names)
    return names, sensitive


def neutral_names(width: int) -> list[str]:
    return [neutral_name(i, set()) for i in range(1, width + 1)]


def refuse_personal_field_names(column: str, kind: pa.DataType) -> None:
    """Nested field names (a struct's, at any depth) are part of the column's public type:
    one that is a personal-data value is refused, as the file cannot be stored without it."""
    for name in _nested_field_names(kind):
        found = sensitive_name_kind(name)
        if found is not None:
            raise InvalidFile(
                f"A nested field of column {column!r} is named with personal data (a "
                f"{found.value} value); rename the field and upload the file again.",
                f"列“{column}”的嵌套字段以个人信息（{found.value}）命名，"
                "请重命名该字段后重新上传。",
            )


def _nested_field_names(kind: pa.DataType) -> list[str]:
    if pa.types.is_struct(kind):
        return [n for f in kind for n in [f.name, *_nested_field_names(f.type)]]
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return [kind.value_field.name, *_nested_field_names(kind.value_type)]
    if pa.types.is_map(kind):
        return _nested_field_names(kind.key_type) + _nested_field_names(kind.item_type)
    return []


def _check_names(names: list[str]) -> None:
    for position, name in enumerate(names, start=1):
        if not name:
            raise InvalidFile(
                f"Column {position} has no name in the header.", f"表头第 {position} 列没有列名。"
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidFile(
                f"The column name {name!r} appears more than once.", f"列名“{name}”重复出现。"
            )
        seen.add(name)
