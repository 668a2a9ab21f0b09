"""Reading an upload into an Arrow table: format, encoding, shape and column types.

Every refusal is a ``SluiceError`` with a message in English and Chinese that says what is
wrong with the file, raised before anything is stored. CSV is decoded strictly as UTF-8 (with
or without BOM) and then as GB18030, the superset of GBK that government systems export; any
other encoding is refused rather than guessed, since a wrong guess silently corrupts names
and addresses.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from market.errors import InvalidFile, UnsupportedFile
from market.ops.logs import get_logger

log = get_logger(__name__)

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
# Integers that are really codes (ID numbers, phones, postcodes) keep their digits as text:
# a leading zero or a fixed width of six or more digits marks a code, not a quantity.
_INT = r"^-?(0|[1-9][0-9]{0,17})$"
_FLOAT = r"^-?[0-9]+(\.[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass(frozen=True)
class ParsedUpload:
    table: pa.Table
    source_format: SourceFormat
    encoding: str | None


def parse_upload(path: Path, filename: str) -> ParsedUpload:
    """Parse a staged upload; raises ``InvalidFile``/``UnsupportedFile`` with the reason."""
    suffix = Path(filename).suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise InvalidFile("The file is empty.", "文件为空。")
    if head.startswith(_PARQUET_MAGIC):
        return ParsedUpload(_read_parquet(path), "parquet", None)
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
    text, encoding = _decode(path.read_bytes())
    return ParsedUpload(_read_csv(text, tab=suffix == ".tsv"), "csv", encoding)


def _decode(raw: bytes) -> tuple[str, str]:
    if b"\x00" in raw:
        raise UnsupportedFile(
            "The file contains NUL bytes: it is binary or UTF-16, not UTF-8/GBK CSV text.",
            "文件包含空字节：它是二进制或 UTF-16 文件，不是 UTF-8/GBK 编码的 CSV 文本。",
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            log.debug("upload is not in this encoding; trying the next", encoding=encoding)
            continue
    raise InvalidFile(
        "The file's text encoding is not recognised; save it as UTF-8 or GB18030/GBK.",
        "无法识别文件的文本编码，请另存为 UTF-8 或 GB18030/GBK 编码。",
    )


def _read_csv(text: str, *, tab: bool) -> pa.Table:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = "\t" if tab or ("\t" in first_line and "," not in first_line) else ","
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    names = [name.strip() for name in header]
    if not names or names == [""]:
        raise InvalidFile(
            "The file has no columns: its first line (the header) is empty.",
            "文件没有任何列：第一行（表头）为空。",
        )
    _check_names(names)
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        message = str(exc).removeprefix("CSV parse error: ")
        raise InvalidFile(
            f"The CSV is malformed: {message}. Every row must have {len(names)} fields.",
            f"CSV 格式错误：{message}。每一行都必须有 {len(names)} 个字段。",
        ) from exc
    if table.num_rows == 0:
        raise InvalidFile("The file has a header but no data rows.", "文件只有表头，没有数据行。")
    return pa.table([_infer(table.column(n)) for n in names], names=names)


def _infer(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Give a text column a numeric or date type when every value fits it."""
    present = pc.drop_null(column)
    if len(present) == 0:
        return column
    if pc.all(pc.match_substring_regex(present, _INT)).as_py():
        lengths = pc.utf8_length(present)
        fixed_width = pc.min(lengths).as_py() == pc.max(lengths).as_py() >= 6
        if not fixed_width:
            return pc.cast(column, pa.int64())
        return column
    if pc.all(pc.match_substring_regex(present, _FLOAT)).as_py():
        return pc.cast(column, pa.float64())
    if pc.all(pc.match_substring_regex(present, _DATE)).as_py():
        try:
            dates = pc.cast(pc.strptime(column, format="%Y-%m-%d", unit="s"), pa.date32())
        except pa.ArrowInvalid:
            log.debug("column looks like dates but does not parse; kept as text")
            return column
        # strptime rolls 2024-02-30 over to March; only a value that round-trips is a date.
        if pc.all(pc.equal(pc.strftime(dates, format="%Y-%m-%d"), column)).as_py():
            return dates
    return column


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidFile(
            f"The Parquet file cannot be read: {exc}.", f"无法读取该 Parquet 文件：{exc}。"
        ) from exc
    if table.num_columns == 0:
        raise InvalidFile("The file has no columns.", "文件没有任何列。")
    _check_names([str(n).strip() for n in table.column_names])
    if table.num_rows == 0:
        raise InvalidFile("The file has no data rows.", "文件没有数据行。")
    return table


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
