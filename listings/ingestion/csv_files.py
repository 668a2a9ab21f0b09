"""CSV files, streamed: the encoding and header from the start of the file, then two passes
of Arrow's streaming reader, each holding one batch (``SLUICE_INGEST_BATCH_BYTES``) at a
time: the first decides every column's type over all its values (``TextTypeState``), the
second converts and writes batch by batch. A type chosen early never meets a value it cannot
hold: a non-number in the last batch keeps the whole column text."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv

from anonymize.headers import first_row_is_header
from ground.errors import InvalidFile
from ground.ops.logs import get_logger
from listings import encodings
from listings.inference import TextTypeState, convert_text
from listings.ingestion.limits import IngestLimits
from listings.ingestion.names import header_names, neutral_names

HeaderMode = Literal["auto", "present", "absent"]
log = get_logger(__name__)
_FIELD_COUNT = re.compile(r"Expected (\d+) columns, got (\d+)")


@dataclass
class CsvPlan:
    """What the first pass learned: enough for the second to convert without looking back."""

    encoding: str
    delimiter: str
    width: int
    header: bool = False
    names: list[str] = field(default_factory=list)
    neutralized: list[int] = field(default_factory=list)
    types: list[pa.DataType] = field(default_factory=list)
    rows: int = 0
    complete: bool = False  # every row was read (rows is the file's row count)

    def schema(self) -> pa.Schema:
        return pa.schema(list(zip(self.names, self.types, strict=True)))


def plan_csv(
    path: Path, *, tab: bool, header: HeaderMode, limits: IngestLimits, whole: bool
) -> CsvPlan:
    """Pass one. ``whole=False`` is the upload's early check: the encoding of the first batch,
    the header, the width and cells of the sample; ``whole=True`` reads every row and decides
    the types."""
    encoding = encodings.detect_file(path, limit=None if whole else limits.batch_bytes)
    width, delimiter = _first_record_width(path, encoding, tab=tab, limits=limits)
    limits.check_width(width)
    plan = CsvPlan(encoding, delimiter, width)
    batches = _batches(path, plan, limits)
    sample, exhausted = _sample(batches, limits)
    cells = [column[0].as_py() for column in sample.columns]
    after_first = sample.slice(1, limits.sample_rows)
    plan.header = _is_header(header, cells, after_first)
    if plan.header:
        names = [str(cell or "").strip() for cell in cells]
        plan.names, plan.neutralized = header_names(names, after_first.columns)
    else:
        plan.names = neutral_names(plan.width)
    states = [TextTypeState() for _ in range(plan.width)]
    body = sample.slice(1) if plan.header else sample
    for batch in body.to_batches():
        _observe(plan, states, batch, limits, types=whole)
    if whole:
        for batch in batches:
            _observe(plan, states, batch, limits, types=True)
    plan.complete = whole or exhausted
    if plan.complete and plan.rows == 0:
        raise InvalidFile("The file has a header but no data rows.", "文件只有表头，没有数据行。")
    plan.types = [state.decided_type() for state in states]
    return plan


def converted_batches(path: Path, plan: CsvPlan, limits: IngestLimits) -> Iterator[pa.RecordBatch]:
    """Pass two: every data row, converted to the decided types, a batch at a time."""
    schema = plan.schema()
    skip = 1 if plan.header else 0
    for batch in _batches(path, plan, limits):
        if skip:
            batch, skip = batch.slice(1), 0
        if batch.num_rows:
            columns = [convert_text(c, t) for c, t in zip(batch.columns, plan.types, strict=True)]
            yield pa.RecordBatch.from_arrays(columns, schema=schema)


def _observe(
    plan: CsvPlan,
    states: list[TextTypeState],
    batch: pa.RecordBatch,
    limits: IngestLimits,
    *,
    types: bool,
) -> None:
    limits.check_cells(batch)
    plan.rows += batch.num_rows
    if types:
        for state, column in zip(states, batch.columns, strict=True):
            state.observe(column)


def _sample(batches: Iterator[pa.RecordBatch], limits: IngestLimits) -> tuple[pa.Table, bool]:
    """The first row and up to ``sample_rows`` after it (the batches they came in, whole),
    and whether that was the whole file."""
    taken: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        limits.check_cells(batch)
        taken.append(batch)
        rows += batch.num_rows
        if rows > limits.sample_rows:
            return pa.Table.from_batches(taken), False
    if not taken:
        raise InvalidFile(
            "The file has no columns: its first line is empty.", "文件没有任何列：第一行为空。"
        )
    return pa.Table.from_batches(taken), True


def _is_header(mode: HeaderMode, cells: list[str | None], body: pa.Table) -> bool:
    """The provider's answer, or with ``auto`` the values' (``anonymize.headers``). A file of
    one line is a header alone (refused: no data) unless that line is a record."""
    if mode != "auto":
        return mode == "present"
    columns = body.columns if body.num_rows else [pa.array([], pa.string())] * len(cells)
    decision = first_row_is_header(cells, columns)
    log.info("header decision", is_header=decision.is_header, reason=decision.reason)
    return decision.is_header


def _first_record_width(
    path: Path, encoding: str, *, tab: bool, limits: IngestLimits
) -> tuple[int, str]:
    """How many cells the first record has (read with Python's csv module from the first
    batch's text), and the delimiter its first line implies."""
    with path.open("rb") as fh:
        head = fh.read(limits.batch_bytes)
        more = bool(fh.read(1))
    if more:
        cut = head.rfind(b"\n")
        if cut < 0:
            raise _row_too_long(limits)
        head = head[: cut + 1]
    decoder = "utf-8-sig" if encoding == encodings.UTF8 else encoding
    text = codecs.decode(head, decoder)
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = "\t" if tab or ("\t" in first_line and "," not in first_line) else ","
    first = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    if not first or first == [""]:
        raise InvalidFile(
            "The file has no columns: its first line is empty.", "文件没有任何列：第一行为空。"
        )
    return len(first), delimiter


def _batches(path: Path, plan: CsvPlan, limits: IngestLimits) -> Iterator[pa.RecordBatch]:
    """Every record, the first included, as text, one batch at a time: only an empty cell
    is null (never "NA", "null" or "None", which are values)."""
    placeholders = [f"f{i}" for i in range(plan.width)]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=placeholders,
                block_size=limits.batch_bytes,
                encoding="utf8" if plan.encoding == encodings.UTF8 else plan.encoding,
            ),
            parse_options=pacsv.ParseOptions(delimiter=plan.delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(placeholders, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
        yield from reader
    except pa.ArrowInvalid as exc:
        raise _malformed(exc, plan.width, limits) from exc


def _malformed(exc: pa.ArrowInvalid, width: int, limits: IngestLimits) -> InvalidFile:
    """A fixed message for Arrow's parse error: the field counts it names, never the row's
    text it quotes (which is data)."""
    text = str(exc)
    if "straddling" in text or "block size" in text:
        return _row_too_long(limits)
    counts = _FIELD_COUNT.search(text)
    found = f"Expected {counts[1]} columns, got {counts[2]}" if counts else "a row cannot be read"
    found_zh = f"应有 {counts[1]} 列，实有 {counts[2]} 列" if counts else "有一行无法读取"
    log.info("csv parse refused", arrow_error_class=type(exc).__name__)
    return InvalidFile(
        f"The CSV is malformed: {found}. Every row must have {width} fields.",
        f"CSV 格式错误：{found_zh}。每一行都必须有 {width} 个字段。",
    )


def _row_too_long(limits: IngestLimits) -> InvalidFile:
    return InvalidFile(
        f"A row of the file is longer than {limits.batch_bytes:,} bytes, the most one row "
        "may take.",
        f"文件中有一行超过 {limits.batch_bytes:,} 字节，超出单行长度上限。",
    )
