"""Where dataset files live under the data directory, and how they are written safely.

The data directory is this node's copy; with an object store configured (``ground.storage``)
the store is the source of truth. The choke points: a file written under the data directory is
``publish``-ed (uploaded) before its transaction commits; a file is read through
``ensure_local`` (fetched into the cache and verified when missing or altered); files are
removed with ``remove_dataset_files`` (store and cache). ``resolve`` only names the local path,
for writing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from ground import storage as files
from ground.config import get_settings
from ground.errors import PayloadTooLarge
from ground.ops.logs import get_logger

log = get_logger(__name__)

_CHUNK = 1024 * 1024


STAGING_DIR = "staging"
DATASETS_DIR = "datasets"


def dataset_relpath(dataset_id: uuid.UUID, *, revision: str = "") -> str:
    """Where a dataset's file lives; a rewritten file (columns renamed) gets a new
    ``revision`` name, so the old file stays readable until the change commits."""
    suffix = f"-{revision}" if revision else ""
    return f"{DATASETS_DIR}/{dataset_id}/data{suffix}.parquet"


def upload_relpath(dataset_id: uuid.UUID) -> str:
    """Where an accepted upload waits, as the provider sent it, for the ingest task to
    convert it; removed once the dataset is profiled or has failed."""
    return f"datasets/{dataset_id}/upload.bin"


def keep_upload(staged: Path, dest: Path) -> None:
    """Move a checked staging file to where the ingest task reads it (a rename: same disk)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, dest)


def resolve(data_dir: Path, relpath: str) -> Path:
    """The local path of ``relpath``, to write to; readers use ``ensure_local``."""
    return data_dir / relpath


def ensure_local(data_dir: Path, relpath: str) -> Path:
    """A local copy of ``relpath`` to read, verified against the writer's checksum when an
    object store is configured (fetched again if the cached bytes changed). The path does not
    exist when no such file is stored."""
    return files.node_files(get_settings(), data_dir).ensure_local(relpath)


def publish(data_dir: Path, relpath: str) -> None:
    """Upload a file just written under ``data_dir`` to the object store (nothing to do in
    embedded mode). Call it before the transaction that records the file commits, so no node
    ever reads a row that names a file the store does not have."""
    files.node_files(get_settings(), data_dir).publish(relpath)


@contextmanager
def staged_upload(source: BinaryIO, data_dir: Path, *, max_bytes: int) -> Iterator[Path]:
    """Copy an upload to a staging file, enforcing the size limit while streaming.

    The limit is checked as bytes arrive rather than trusting a Content-Length header; the
    staging file is removed whatever happens, so a refused upload leaves nothing behind.
    """
    staging = data_dir / STAGING_DIR
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


def row_group_rows() -> int:
    """Rows per row group of every stored dataset file (``SLUICE_PARQUET_ROW_GROUP_ROWS``): a
    page of rows decodes only the groups it overlaps (``listings.row_cache``)."""
    return get_settings().parquet_row_group_rows


def write_parquet_atomically(table: pa.Table, dest: Path) -> None:
    """Write to a temporary name and rename, so readers never see a half-written file."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=row_group_rows())
    os.replace(tmp, dest)


def remove_dataset_files(data_dir: Path, relpath: str) -> None:
    """Remove a file from the store and this node's cache (other nodes' cached copies are
    never read again: no row names the file any more)."""
    path = resolve(data_dir, relpath)
    files.node_files(get_settings(), data_dir).remove(relpath)
    try:
        path.parent.rmdir()
    except OSError as exc:
        # Other files are still there (another version): the directory stays.
        log.debug("dataset directory kept", relpath=relpath, error_class=type(exc).__name__)


def remove_dataset_directory(data_dir: Path, dataset_id: uuid.UUID) -> None:
    """Remove everything stored for a dataset: its file(s), attachments, sandbox copies."""
    shutil.rmtree(data_dir / DATASETS_DIR / str(dataset_id), ignore_errors=True)


def staged_files(data_dir: Path) -> list[Path]:
    """Staging files left in the staging directory (an upload in flight, or a killed one)."""
    staging = data_dir / STAGING_DIR
    return [p for p in staging.iterdir() if p.is_file()] if staging.is_dir() else []


def dataset_directories(data_dir: Path) -> dict[uuid.UUID, Path]:
    """Each directory under ``datasets/`` named by a dataset id (other names are not ours)."""
    root = data_dir / DATASETS_DIR
    found: dict[uuid.UUID, Path] = {}
    for path in root.iterdir() if root.is_dir() else []:
        try:
            found[uuid.UUID(path.name)] = path
        except ValueError:
            continue  # not a dataset directory: never touched
    return found


def temporary_files(data_dir: Path) -> list[Path]:
    """Half-written ``*.tmp`` files under ``datasets/`` (a write killed before its rename)."""
    root = data_dir / DATASETS_DIR
    return [p for p in root.rglob("*.tmp") if p.is_file()] if root.is_dir() else []


def last_modified(path: Path) -> float:
    """The newest modification time of ``path`` and, for a directory, of anything in it: a
    directory something was just written into is young even if the directory itself is old."""
    times = [_mtime(path)]
    if path.is_dir():
        times += [_mtime(p) for p in path.rglob("*")]
    return max(times)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0  # removed meanwhile (a finished upload's staging file): nothing to keep


def write_batches_atomically(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, dest: Path
) -> int:
    """Write ``batches`` (memory holds about two batches, never the file) under a temporary
    name, then rename; returns how many batches were read. Rows are regrouped into row groups
    of exactly ``row_group_rows()`` rows (the last one shorter), whatever size the batches
    come in. A failure removes the temporary file, so nothing half-written is ever left or
    read."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".parquet.tmp")
    counted = _Counted(batches)
    rows = row_group_rows()
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for group in _regrouped(counted, schema, rows):
                writer.write_table(group, row_group_size=rows)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return counted.count


class _Counted:
    """The batches passing through, counted (the ingest reports how many it read)."""

    def __init__(self, batches: Iterable[pa.RecordBatch]) -> None:
        self._batches = batches
        self.count = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self._batches:
            self.count += 1
            yield batch


def _regrouped(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, rows: int
) -> Iterator[pa.Table]:
    """``batches`` as tables of exactly ``rows`` rows (the last may be shorter): slices, so
    nothing is copied until the writer encodes them."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        while batch.num_rows:
            take = min(rows - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == rows:
                yield pa.Table.from_batches(pending, schema)
                pending, held = [], 0
    if held:
        yield pa.Table.from_batches(pending, schema)
