"""Reading an upload into the stored Parquet file: format, encoding, header, shape, column
types and bounds, streamed batch by batch.

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

Bounded resources: the file is read in batches of about ``SLUICE_INGEST_BATCH_BYTES`` and
written batch by batch, so memory follows that setting, not the file's size; decisions that
need a look at the values (header, neutral names, detection) read the first
``SLUICE_INGEST_SAMPLE_ROWS`` rows; a file with more than ``SLUICE_MAX_COLUMNS`` columns or a
cell over ``SLUICE_MAX_CELL_BYTES`` is refused (``listings.ingestion.limits``). The upload
request runs ``check_upload`` (the first batch: a bad start is a 4xx with nothing stored);
the ingest task runs ``ingest_file`` over the whole file (``csv_files``, ``parquet_files``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq

from ground.errors import InvalidFile, UnsupportedFile
from listings import storage
from listings.ingestion import csv_files, parquet_files
from listings.ingestion.csv_files import HeaderMode
from listings.ingestion.limits import IngestLimits

__all__ = [
    "HeaderMode",
    "IngestLimits",
    "IngestResult",
    "ParsedUpload",
    "check_upload",
    "ingest_file",
    "parse_upload",
]

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
class IngestResult:
    """How a file was read: whether a header row was found (None for Parquet), the 1-based
    positions of columns given a neutral name because their name was a personal-data value
    (the names themselves are never kept), the row count (None when the early check did not
    reach the end of the file) and how many batches were written."""

    source_format: SourceFormat
    encoding: str | None
    header: bool | None = None
    neutralized: list[int] = field(default_factory=list)
    rows: int | None = None
    batches: int = 0

    @property
    def header_mode(self) -> HeaderMode:
        """The header decision as the mode that repeats it without looking again."""
        return "auto" if self.header is None else "present" if self.header else "absent"


@dataclass(frozen=True)
class ParsedUpload:
    """A whole upload read into memory (tests and small tools; the service streams)."""

    table: pa.Table
    source_format: SourceFormat
    encoding: str | None
    header: bool | None = None
    neutralized: list[int] = field(default_factory=list)


def check_upload(
    path: Path, filename: str, *, header: HeaderMode = "auto", limits: IngestLimits
) -> IngestResult:
    """The early check at upload: format, and the first batch's encoding, header, width,
    names and cells. Raises ``InvalidFile``/``UnsupportedFile`` with the reason."""
    if _format(path, filename) == "parquet":
        plan = parquet_files.plan_parquet(path, limits=limits, whole=False)
        return IngestResult("parquet", None, None, plan.neutralized, plan.rows)
    csv = csv_files.plan_csv(path, tab=_is_tsv(filename), header=header, limits=limits, whole=False)
    rows = csv.rows if csv.complete else None
    return IngestResult("csv", csv.encoding, csv.header, csv.neutralized, rows)


def ingest_file(
    path: Path, filename: str, dest: Path, *, header: HeaderMode = "auto", limits: IngestLimits
) -> IngestResult:
    """Read the whole upload and write it to ``dest`` as Parquet, streaming (two passes, one
    batch in memory at a time); ``dest`` appears only once complete."""
    if _format(path, filename) == "parquet":
        plan = parquet_files.plan_parquet(path, limits=limits, whole=True)
        batches = parquet_files.converted_batches(path, plan)
        written = storage.write_batches_atomically(batches, plan.schema(), dest)
        return IngestResult("parquet", None, None, plan.neutralized, plan.rows, written)
    tab = _is_tsv(filename)
    csv = csv_files.plan_csv(path, tab=tab, header=header, limits=limits, whole=True)
    batches = csv_files.converted_batches(path, csv, limits)
    written = storage.write_batches_atomically(batches, csv.schema(), dest)
    return IngestResult("csv", csv.encoding, csv.header, csv.neutralized, csv.rows, written)


def parse_upload(
    path: Path,
    filename: str,
    *,
    header: HeaderMode = "auto",
    limits: IngestLimits | None = None,
) -> ParsedUpload:
    """``ingest_file`` into memory: the table exactly as it would be stored."""
    with tempfile.TemporaryDirectory() as scratch:
        dest = Path(scratch) / "data.parquet"
        result = ingest_file(path, filename, dest, header=header, limits=limits or IngestLimits())
        table = pq.read_table(dest)
    return ParsedUpload(
        table, result.source_format, result.encoding, result.header, result.neutralized
    )


def _is_tsv(filename: str) -> bool:
    return Path(filename).suffix.lower() == ".tsv"


def _format(path: Path, filename: str) -> SourceFormat:
    """Parquet by its magic bytes, CSV by its name; refuses what is neither."""
    suffix = Path(filename).suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise InvalidFile("The file is empty.", "文件为空。")
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
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
    return "csv"
