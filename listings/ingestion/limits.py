"""The bounds every ingest keeps: columns, cell size, batch size and sample size
(``SLUICE_MAX_COLUMNS``, ``SLUICE_MAX_CELL_BYTES``, ``SLUICE_INGEST_BATCH_BYTES``,
``SLUICE_INGEST_SAMPLE_ROWS``). Checked on the header and batch by batch, so a file past a
bound is refused before any work grows with it (a 50,000-column CSV is refused on its first
line, not detected column by column)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ground.config import Settings
from ground.errors import InvalidFile


@dataclass(frozen=True)
class IngestLimits:
    max_columns: int = 1000
    max_cell_bytes: int = 1024 * 1024
    batch_bytes: int = 16 * 1024 * 1024
    sample_rows: int = 10_000

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestLimits:
        return cls(
            max_columns=settings.max_columns,
            max_cell_bytes=settings.max_cell_bytes,
            batch_bytes=settings.ingest_batch_bytes,
            sample_rows=settings.ingest_sample_rows,
        )

    def check_width(self, width: int) -> None:
        if width == 0:
            raise InvalidFile("The file has no columns.", "文件没有任何列。")
        if width > self.max_columns:
            raise InvalidFile(
                f"The file has {width:,} columns; at most {self.max_columns:,} are accepted. "
                "Split it into several datasets.",
                f"文件有 {width:,} 列，超过上限 {self.max_columns:,} 列，请拆分为多个数据集。",
            )

    def check_cells(self, batch: pa.RecordBatch) -> None:
        """Refuse a text or binary cell longer than the limit (its column's position is
        named, never its value or name, which may be the header's personal data)."""
        for position, column in enumerate(batch.columns, 1):
            kind = column.type
            if not (
                pa.types.is_string(kind)
                or pa.types.is_large_string(kind)
                or pa.types.is_binary(kind)
                or pa.types.is_large_binary(kind)
            ):
                continue
            longest = pc.max(pc.binary_length(column)).as_py()
            if longest is not None and longest > self.max_cell_bytes:
                raise InvalidFile(
                    f"A cell of column {position} is {longest:,} bytes long; at most "
                    f"{self.max_cell_bytes:,} bytes are accepted per cell.",
                    f"第 {position} 列有一个单元格长 {longest:,} 字节，"
                    f"超过每个单元格 {self.max_cell_bytes:,} 字节的上限。",
                )
