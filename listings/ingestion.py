"""Reading an upload into an Arrow table: format, encoding, header, shape and column types.

Every refusal is a ``SluiceError`` with a message in English and Chinese that says what is
wrong with the file, raised before anything is stored. Three guarantees hold for what is
stored (each module says why):

- one encoding per file (``listings.encodings``): UTF-8 or GB18030/GBK as a whole, never a
  mix, never a guess;
- exact values (``listings.inference``): a column gets a numeric or date type only when every
  value's text survives it; identifiers stay text;
- no personal data as a column name (``anonymize.headers``): the first row is the header only
  when it does not look like a record (``header="auto"``, the default; the provider may say
  ``present`` or ``absent``), a header-less file gets neutral names ``column_1`` …, and a
  header cell or Parquet column name that is itself a personal-data value is replaced by a
  neutral name. The provider renames columns afterwards (``listings.columns``).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from anonymize.headers import first_row_is_header, neutral_name, sensitive_name_kind
from listings import encodings
from listings.inference import exact_parquet_column, infer_text_column
from market.errors import InvalidFile, UnsupportedFile

HeaderMode = Literal["auto", "present", "absent"]
log = logging.getLogger(__name__)
SourceFormat = Literal["csv", "parquet"]
_PARQUET_MAGIC = b"PAR1"
_CSV_SUFFIXES = {"", ".csv", ".txt", ".tsv"}
_BINARY_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook is one)",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an old Office document (.xls/.doc)",
    b"\xff\xd8\xff": "a JPEG image",
}


@dataclass(frozen=True)
class ParsedUpload:
    """The table to store, and how it was read: whether a header row was found (None for
    Parquet) and the 1-based positions of columns given a neutral name because their name
    was a personal-data value (the names themselves are never kept)."""

    table: pa.Table
    source_format: SourceFormat
    encoding: str | None
    header: bool | None = None
    neutralized: list[int] = field(default_factory=list)


def parse_upload(path: Path, filename: str, *, header: HeaderMode = "auto") -> ParsedUpload:
    """Parse a staged upload; raises ``InvalidFile``/``UnsupportedFile`` with the reason."""
    suffix = Path(filename).suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise InvalidFile("The file is empty.", "文件为空。")
    if head.startswith(_PARQUET_MAGIC):
        table, neutralized = _read_parquet(path)
        return ParsedUpload(table, "parquet", None, None, neutralized)
    if suffix == ".parquet":
        raise InvalidFile(
            "The file is named .parquet but is not a Parquet file.",
            "文件扩展名为 .parquet，但内容不是 Parquet 格式。",
        )
    if suffix not in _CSV_SUFFIXES:
        raise UnsupportedFile(
            f"Files of type {suffix} are not accepted; upload CSV or Parquet.",
            f"不支持 {suffix} 类型的文件，请上传 CSV 或 Parquet。",
        )
    for signature, what in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise UnsupportedFile(
                f"The file looks like {what}, not CSV text.",
                f"该文件看起来是二进制文件（{what}），不是 CSV 文本。",
            )
    text, encoding = encodings.decode(path.read_bytes())
    return _read_csv(text, tab=suffix == ".tsv", header=header, encoding=encoding)


def _read_csv(text: str, *, tab: bool, header: HeaderMode, encoding: str) -> ParsedUpload:
    delimiter = _delimiter(text, tab=tab)
    first = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    if not first or first == [""]:
        raise InvalidFile(
            "The file has no columns: its first line is empty.",
            "文件没有任何列：第一行为空。",
        )
    raw = _read_cells(text, delimiter, len(first))
    cells = [raw.column(i)[0].as_py() for i in range(raw.num_columns)]
    body = raw.slice(1)
    is_header = _is_header(header, cells, body)
    if is_header:
        names, neutralized = _header_names([str(c or "").strip() for c in cells], body.columns)
        data = body
    else:
        names, neutralized = [neutral_name(i, set()) for i in range(1, len(cells) + 1)], []
        data = raw
    if data.num_rows == 0:
        raise InvalidFile("The file has a header but no data rows.", "文件只有表头，没有数据行。")
    columns = [infer_text_column(data.column(i)) for i in range(data.num_columns)]
    return ParsedUpload(pa.table(columns, names=names), "csv", encoding, is_header, neutralized)


def _is_header(mode: HeaderMode, cells: list[str | None], body: pa.Table) -> bool:
    """The provider's answer, or with ``auto`` the values' (``anonymize.headers``). A file of
    one line is a header alone (refused: no data) unless that line is a record."""
    if mode != "auto":
        return mode == "present"
    columns = body.columns if body.num_rows else [pa.array([], pa.string())] * len(cells)
    decision = first_row_is_header(cells, columns)
    log.info("header decision: %s (%s)", decision.is_header, decision.reason)
    return decision.is_header


def _delimiter(text: str, *, tab: bool) -> str:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    return "\t" if tab or ("\t" in first_line and "," not in first_line) else ","


def _read_cells(text: str, delimiter: str, width: int) -> pa.Table:
    """Every record, the first included, as text: only an empty cell is null (never "NA",
    "null" or "None", which are values)."""
    placeholders = [f"f{i}" for i in range(width)]
    try:
        return pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=placeholders),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(placeholders, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        message = str(exc).removeprefix("CSV parse error: ")
        raise InvalidFile(
            f"The CSV is malformed: {message}. Every row must have {width} fields.",
            f"CSV 格式错误：{message}。每一行都必须有 {width} 个字段。",
        ) from exc


def _header_names(header: list[str], columns: list[pa.ChunkedArray]) -> tuple[list[str], list[int]]:
    """The header's names, each personal-data value among them replaced by a neutral name;
    empty and repeated names are refused (after the replacement, so the refusal never
    quotes a value)."""
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


def _read_parquet(path: Path) -> tuple[pa.Table, list[int]]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidFile(
            f"The Parquet file cannot be read: {exc}.", f"无法读取该 Parquet 文件：{exc}。"
        ) from exc
    if table.num_columns == 0:
        raise InvalidFile("The file has no columns.", "文件没有任何列。")
    names, neutralized = _header_names([str(n).strip() for n in table.column_names], table.columns)
    if table.num_rows == 0:
        raise InvalidFile("The file has no data rows.", "文件没有数据行。")
    for name, column_type in zip(names, table.schema.types, strict=True):
        _refuse_personal_field_names(name, column_type)
    columns = [exact_parquet_column(n, table.column(i)) for i, n in enumerate(names)]
    # The file's own metadata (pandas index, writer statistics) is not carried over: it can
    # hold raw values, and the stored file is ours.
    return pa.table(columns, names=names), neutralized


def _refuse_personal_field_names(column: str, kind: pa.DataType) -> None:
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
