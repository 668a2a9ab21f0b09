"""Pages of rows from stored Parquet files without a database engine: a bounded in-process
cache of opened files and of decoded columns, per row group.

A page ``[offset, offset + limit)`` reads only the row groups it overlaps, and only the
columns asked for; a row group's column, once decoded, is kept (up to a byte budget) so the
next page from the same group is a slice of memory.

Guarantees:
- **Never stale, never another file's rows.** Everything cached is keyed by the file's
  absolute path *and* its identity (device, inode, size, modification and change times in
  nanoseconds), and every read starts by looking at the path again (one ``stat``). A file
  replaced (a rename over it gives a new inode; a rewrite in place changes the size or
  times, and the change time cannot be set back from user space) has another identity, so
  nothing decoded from the old bytes can answer for it; a removed file fails that ``stat``,
  its entries are dropped and the read raises ``FileNotFoundError``. An opened file is
  checked after opening (the path still has the identity it had before), so a cached handle
  always reads the bytes its identity names. Datasets' files are never rewritten under one
  name while a transaction depends on them (``listings.storage``: a changed file gets a new
  name), so a read that began before a change commits is the only one that can still see
  the old file, exactly as when it opened the file itself.
- **Bounded by settings, never by a caller.** At most ``SLUICE_ROW_CACHE_FILES`` files are
  held open and ``SLUICE_ROW_CACHE_BYTES`` bytes of decoded columns kept, least recently used
  evicted first. A row group whose columns would not fit in the whole budget (an old file's
  one huge group) is never decoded whole: the page's rows are streamed from it, a batch at
  a time, so a read's memory is bounded too.
  (A read in flight keeps its own references: an evicted file is closed when its last read
  ends.) ``limit`` and ``offset`` only choose what is read.
- **Thread-safe.** The indexes are guarded by one lock held only to look up and insert;
  decoding runs outside it, on a reader of its own per decode (Parquet readers are not
  shared between threads; the open file underneath is read with positional reads), and two
  threads that miss on the same row group wait for one decode rather than doing it twice.
  Each process has its own cache (a forked child starts empty).
"""

from __future__ import annotations

import bisect
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ground.config import get_settings

Identity = tuple[int, int, int, int, int]
_OPEN_ATTEMPTS = 3
_STRIPES = 64
_STREAM_BATCH_ROWS = 8192


def identity_of(path: Path) -> Identity:
    """What distinguishes one file at ``path`` from any file later put there."""
    stat = os.stat(path)
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


@dataclass(frozen=True)
class OpenedFile:
    """A Parquet file held open, with its footer and the first row of each row group."""

    path: Path
    identity: Identity
    source: pa.NativeFile
    metadata: pq.FileMetaData
    schema: pa.Schema
    starts: tuple[int, ...]  # row group g holds rows starts[g] .. starts[g + 1] - 1

    @classmethod
    def open(cls, path: Path) -> OpenedFile:
        """Open ``path`` and read its footer; the handle is checked to be the file that the
        path named just before and just after opening it (else opened again)."""
        for _ in range(_OPEN_ATTEMPTS):
            before = identity_of(path)
            source = pa.OSFile(str(path))
            if identity_of(path) == before:
                parquet = pq.ParquetFile(source)
                metadata = parquet.metadata
                counts = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
                starts = [0]
                for count in counts:
                    starts.append(starts[-1] + count)
                return cls(path, before, source, metadata, parquet.schema_arrow, tuple(starts))
            source.close()
        raise FileNotFoundError(f"{path} kept changing while it was opened")

    @property
    def num_rows(self) -> int:
        return self.starts[-1]

    def reader(self) -> pq.ParquetFile:
        """A reader of this call's own over the shared handle (the footer is not parsed
        again; the handle is read with positional reads, safe from several threads)."""
        return pq.ParquetFile(self.source, metadata=self.metadata)

    def decode(self, group: int, names: list[str]) -> dict[str, pa.ChunkedArray]:
        """The columns ``names`` of row group ``group``, whole."""
        table = self.reader().read_row_group(group, columns=names)
        return {name: table.column(name) for name in names}

    def decoded_size(self, group: int, names: list[str]) -> int:
        """About how many bytes ``names`` of row group ``group`` take decoded (the writer's
        uncompressed sizes, from the footer: nothing is read)."""
        row_group = self.metadata.row_group(group)
        return sum(
            row_group.column(self.schema.get_field_index(name)).total_uncompressed_size
            for name in names
        )

    def stream(self, group: int, names: list[str], start: int, stop: int) -> pa.Table:
        """Rows ``start`` .. ``stop`` of row group ``group``, decoded a batch at a time and
        stopped once past ``stop``: memory holds a batch, not the group (an old file's one
        huge row group)."""
        pieces: list[pa.RecordBatch] = []
        seen = 0
        batches = self.reader().iter_batches(
            batch_size=_STREAM_BATCH_ROWS, row_groups=[group], columns=names
        )
        for batch in batches:
            first, after = max(start, seen), min(stop, seen + batch.num_rows)
            if first < after:
                pieces.append(batch.slice(first - seen, after - first))
            seen += batch.num_rows
            if seen >= stop:
                break
        schema = pa.schema([self.schema.field(name) for name in names])
        return pa.Table.from_batches(pieces, schema=schema)


_ColumnKey = tuple[Path, Identity, int, str]


class RowCache:
    """Opened files and decoded row-group columns, least recently used evicted first."""

    def __init__(self, *, max_files: int, max_bytes: int) -> None:
        self.max_files = max_files
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._files: OrderedDict[Path, OpenedFile] = OrderedDict()
        self._columns: OrderedDict[_ColumnKey, pa.ChunkedArray] = OrderedDict()
        self._bytes = 0
        self._decoding = [threading.Lock() for _ in range(_STRIPES)]

    # ----- reading ---------------------------------------------------------------------------

    def read(
        self, path: Path, *, offset: int, limit: int, columns: Callable[[str], bool]
    ) -> pa.Table:
        """Rows ``offset`` .. ``offset + limit`` (fewer at the end of the file, none past it)
        of the columns for which ``columns(name)`` is true, in the file's column order.
        Raises ``FileNotFoundError`` when no file is at ``path``."""
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative")
        opened = self.opened(Path(os.path.abspath(path)))
        fields = [field for field in opened.schema if columns(field.name)]
        names = [field.name for field in fields]
        end = min(offset + limit, opened.num_rows)
        pieces: dict[str, list[pa.Array]] = {name: [] for name in names}
        group = bisect.bisect_right(opened.starts, offset) - 1
        while names and offset < end and opened.starts[group] < end:
            first, after = opened.starts[group], opened.starts[group + 1]
            start, stop = max(offset, first) - first, min(end, after) - first
            for name, column in self._page_of_group(opened, group, names, start, stop).items():
                pieces[name].extend(column.chunks)
            group += 1
        rows = max(0, end - offset)
        if not names:
            # No column is read; the rows still count (a policy that drops every column).
            return pa.table({"_": pa.nulls(rows)}).select([])
        arrays = [pa.chunked_array(pieces[f.name], type=f.type) for f in fields]
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def opened(self, path: Path) -> OpenedFile:
        """The open file at ``path`` as it is now: the cached handle if the path still names
        the same file, else a new one (the old file's entries dropped)."""
        try:
            identity = identity_of(path)
        except FileNotFoundError:
            self.forget(path)
            raise
        with self._lock:
            cached = self._files.get(path)
            if cached is not None and cached.identity == identity:
                self._files.move_to_end(path)
                return cached
        opened = OpenedFile.open(path)
        with self._lock:
            self._drop_other_versions(path, opened.identity)
            if self.max_files > 0:
                self._files[path] = opened
                while len(self._files) > self.max_files:
                    self._files.popitem(last=False)
        return opened

    def forget(self, path: Path) -> None:
        """Drop everything cached for ``path`` (its file is gone)."""
        with self._lock:
            self._drop_other_versions(path, None)

    def _page_of_group(
        self, opened: OpenedFile, group: int, names: list[str], start: int, stop: int
    ) -> dict[str, pa.ChunkedArray]:
        """Rows ``start`` .. ``stop`` of a row group: sliced from its decoded columns (decoded
        and kept on a miss), or, for a group that could not be kept anyway (larger than the
        whole byte budget), streamed without decoding the whole group."""
        if opened.decoded_size(group, names) > self.max_bytes:
            table = opened.stream(group, names, start, stop)
            return {name: table.column(name) for name in names}
        decoded = self._group_columns(opened, group, names)
        return {name: decoded[name].slice(start, stop - start) for name in names}

    def _group_columns(
        self, opened: OpenedFile, group: int, names: list[str]
    ) -> dict[str, pa.ChunkedArray]:
        found = self._cached(opened, group, names)
        if len(found) == len(names):
            return found
        with self._decoding[hash((opened.path, opened.identity, group)) % _STRIPES]:
            # Another thread may have decoded them while this one waited.
            found.update(self._cached(opened, group, [n for n in names if n not in found]))
            missing = [name for name in names if name not in found]
            if missing:
                decoded = opened.decode(group, missing)
                self._keep(opened, group, decoded)
                found.update(decoded)
        return found

    # ----- the indexes (under the lock) -----------------------------------------------------

    def _cached(
        self, opened: OpenedFile, group: int, names: list[str]
    ) -> dict[str, pa.ChunkedArray]:
        found: dict[str, pa.ChunkedArray] = {}
        with self._lock:
            for name in names:
                key = (opened.path, opened.identity, group, name)
                column = self._columns.get(key)
                if column is not None:
                    self._columns.move_to_end(key)
                    found[name] = column
        return found

    def _keep(self, opened: OpenedFile, group: int, decoded: dict[str, pa.ChunkedArray]) -> None:
        with self._lock:
            if self._files.get(opened.path, opened).identity != opened.identity:
                return  # the path names a newer file already: these columns are history
            for name, column in decoded.items():
                size = column.get_total_buffer_size()
                key = (opened.path, opened.identity, group, name)
                if size > self.max_bytes or key in self._columns:
                    continue
                self._columns[key] = column
                self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._columns.popitem(last=False)
                self._bytes -= evicted.get_total_buffer_size()

    def _drop_other_versions(self, path: Path, identity: Identity | None) -> None:
        cached = self._files.get(path)
        if cached is not None and cached.identity != identity:
            del self._files[path]
        stale = [key for key in self._columns if key[0] == path and key[1] != identity]
        for key in stale:
            self._bytes -= self._columns.pop(key).get_total_buffer_size()

    # ----- observing ------------------------------------------------------------------------

    @property
    def open_files(self) -> int:
        with self._lock:
            return len(self._files)

    @property
    def decoded_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._files.clear()
            self._columns.clear()
            self._bytes = 0


def row_cache() -> RowCache:
    """This process's cache, bounded by the current settings."""
    settings = get_settings()
    return _row_cache(settings.row_cache_files, settings.row_cache_bytes)


@lru_cache(maxsize=4)
def _row_cache(max_files: int, max_bytes: int) -> RowCache:
    return RowCache(max_files=max_files, max_bytes=max_bytes)


# A forked child (a prefork worker) must not share its parent's locks or handles.
os.register_at_fork(after_in_child=_row_cache.cache_clear)
