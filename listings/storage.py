"""Where dataset files live under the data directory, and how they are written safely."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from market.errors import PayloadTooLarge
from market.ops.logs import get_logger

log = get_logger(__name__)

_CHUNK = 1024 * 1024


def dataset_relpath(dataset_id: uuid.UUID, *, revision: str = "") -> str:
    """Where a dataset's file lives; a rewritten file (columns renamed) gets a new
    ``revision`` name, so the old file stays readable until the change commits."""
    suffix = f"-{revision}" if revision else ""
    return f"datasets/{dataset_id}/data{suffix}.parquet"


def upload_relpath(dataset_id: uuid.UUID) -> str:
    """Where an accepted upload waits, as the provider sent it, for the ingest task to
    convert it; removed once the dataset is profiled or has failed."""
    return f"datasets/{dataset_id}/upload.bin"


def keep_upload(staged: Path, dest: Path) -> None:
    """Move a checked staging file to where the ingest task reads it (a rename: same disk)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, dest)


def remove_upload(data_dir: Path, relpath: str) -> None:
    resolve(data_dir, relpath).unlink(missing_ok=True)


def resolve(data_dir: Path, relpath: str) -> Path:
    return data_dir / relpath


@contextmanager
def staged_upload(source: BinaryIO, data_dir: Path, *, max_bytes: int) -> Iterator[Path]:
    """Copy an upload to a staging file, enforcing the size limit while streaming.

    The limit is checked as bytes arrive rather than trusting a Content-Length header; the
    staging file is removed whatever happens, so a refused upload leaves nothing behind.
    """
    staging = data_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    path = staging / f"{uuid.uuid4().hex}.upload"
    try:
        written = 0
        with path.open("wb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise PayloadTooLarge(
                        f"The file is larger than the limit of {max_bytes:,} bytes.",
                        f"文件超过大小上限 {max_bytes:,} 字节。",
                    )
                out.write(chunk)
        yield path
    finally:
        path.unlink(missing_ok=True)


def write_parquet_atomically(table: pa.Table, dest: Path) -> None:
    """Write to a temporary name and rename, so readers never see a half-written file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, dest)


def remove_dataset_files(data_dir: Path, relpath: str) -> None:
    path = resolve(data_dir, relpath)
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError as exc:
        # Other files are still there (another version): the directory stays.
        log.debug("dataset directory kept", relpath=relpath, error_class=type(exc).__name__)


def write_batches_atomically(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, dest: Path
) -> int:
    """Write ``batches`` one at a time (memory holds one batch, never the file) under a
    temporary name, then rename; returns how many batches were written. A failure removes
    the temporary file, so nothing half-written is ever left or read."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".parquet.tmp")
    written = 0
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for batch in batches:
                writer.write_batch(batch)
                written += 1
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return written
