"""Parquet files, streamed: the schema and names from the footer and a sample, then two passes
over the row groups, a batch at a time (about ``SLUICE_INGEST_BATCH_BYTES`` of uncompressed
data): the first gathers each column's evidence (``listings.parquet_columns``), the second
converts and writes. A file Arrow cannot read (truncated, damaged) is refused with one fixed
message: Arrow's own text names server paths and internals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ground.errors import InvalidFile
from ground.ops.logs import get_logger
from listings.ingestion.limits import IngestLimits
from listings.ingestion.names import header_names, refuse_personal_field_names
from listings.parquet_columns import ColumnPlan

log = get_logger(__name__)


@dataclass
class ParquetPlan:
    names: list[str]
    neutralized: list[int]
    columns: list[ColumnPlan] = field(default_factory=list)
    rows: int = 0
    batch_rows: int = 1

    def schema(self) -> pa.Schema:
        return pa.schema(
            [(n, c.stored_type) for n, c in zip(self.names, self.columns, strict=True)]
        )


def plan_parquet(path: Path, *, limits: IngestLimits, whole: bool) -> ParquetPlan:
    """Pass one (``whole=False``: the upload's early check, on the footer and first batch)."""
    parquet = _open(path)
    schema = parquet.schema_arrow
    limits.check_width(len(schema))
    rows = parquet.metadata.num_rows
    batch_rows = _batch_rows(parquet, limits)
    sample = next(_batches(parquet, min(batch_rows, limits.sample_rows)), None)
    values = sample.columns if sample is not None else [pa.array([], f.type) for f in schema]
    names, neutralized = header_names([str(n).strip() for n in schema.names], values)
    if rows == 0:
        raise InvalidFile("The file has no data rows.", "文件没有数据行。")
    for name, kind in zip(names, schema.types, strict=True):
        refuse_personal_field_names(name, kind)
    plan = ParquetPlan(names, neutralized, rows=rows, batch_rows=batch_rows)
    plan.columns = [ColumnPlan(n, t) for n, t in zip(names, schema.types, strict=True)]
    first_row = 1
    for batch in _batches(parquet, batch_rows):
        limits.check_cells(batch)
        for column_plan, column in zip(plan.columns, batch.columns, strict=True):
            column_plan.observe(column, first_row=first_row)
        first_row += batch.num_rows
        if not whole:
            break
    return plan


def converted_batches(path: Path, plan: ParquetPlan) -> Iterator[pa.RecordBatch]:
    """Pass two: every row as stored, a batch at a time. The file's own metadata (pandas
    index, writer statistics) is not carried over: it can hold raw values."""
    schema = plan.schema()
    for batch in _batches(_open(path), plan.batch_rows):
        columns = [c.convert(v) for c, v in zip(plan.columns, batch.columns, strict=True)]
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


def _batch_rows(parquet: pq.ParquetFile, limits: IngestLimits) -> int:
    """Rows per batch so a batch holds about ``batch_bytes`` of uncompressed data."""
    metadata = parquet.metadata
    size = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    per_row = max(1, size // max(1, metadata.num_rows))
    return max(1, min(limits.batch_bytes // per_row, 1_000_000))


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable(exc) from exc


def _batches(parquet: pq.ParquetFile, rows: int) -> Iterator[pa.RecordBatch]:
    try:
        yield from parquet.iter_batches(batch_size=rows, use_threads=False)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable(exc) from exc


def _unreadable(exc: Exception) -> InvalidFile:
    log.info("parquet unreadable", error_class=type(exc).__name__)
    return InvalidFile(
        "The Parquet file cannot be read: it is damaged, truncated or not Parquet. Export "
        "it again and upload the new file.",
        "无法读取该 Parquet 文件：文件已损坏、不完整或并非 Parquet 格式。请重新导出后上传。",
    )
