"""DuckDB execution, locked down: one dataset file, no other I/O, bounded memory, threads, time.

Recipe (checked on DuckDB 2.0, see /work/shared/DEPENDENCIES.md): on a fresh in-memory
connection set the memory and thread limits, then ``allowed_paths`` to the dataset file,
``enable_external_access=false`` and ``lock_configuration=true``; only then create the view
``dataset`` over that file. Any other file read raises a ``PermissionException`` and any later
``SET`` an ``InvalidInputException``. A timer interrupts the query at the deadline.

Errors are never passed through: DuckDB's messages can quote data values, so callers get
``ExecutionFailed``/``ExecutionTimedOut`` with fixed texts.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ground.config import Settings
from ground.ops.logs import get_logger
from sandbox import connections
from sandbox.query import TABLE_NAME, ValueType, quote_identifier

log = get_logger(__name__)


class ExecutionFailed(Exception):
    """The query failed while reading data (the text is fixed; no data values)."""


class ExecutionTimedOut(ExecutionFailed):
    """The query ran past the sandbox time limit and was interrupted."""


#: Receives each statement's result rows, a chunk at a time: (statement index, rows).
RowSink = Callable[[int, list[tuple[Any, ...]]], None]


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float
    memory_limit: str
    threads: int
    # Rows fetched from DuckDB at a time. Results are streamed to a sink, never held whole, so
    # no number of result rows (groups) is an error: the sink decides what to keep.
    fetch_rows: int = 10_000


def limits_from(settings: Settings) -> Limits:
    return Limits(
        timeout_seconds=settings.sandbox_timeout_seconds,
        memory_limit=settings.sandbox_memory_limit,
        threads=settings.sandbox_threads,
    )


def max_rows_per_person(path: Path, privacy_unit: str, limits: Limits) -> int:
    """The largest number of rows any one person has in the file (0 for an empty file)."""
    unit = quote_identifier(privacy_unit)
    sql = (
        f"SELECT coalesce(max(c), 0) FROM (SELECT count(*) AS c FROM {TABLE_NAME} "
        f"WHERE {unit} IS NOT NULL GROUP BY {unit})"
    )
    ((value,),) = run(path, [sql], limits)[0]
    return int(value)


def write_bounded_copy(path: Path, dest: Path, privacy_unit: str, max_rows: int) -> None:
    """Write the rows the sandbox may use: at most ``max_rows`` per person (their first rows in
    file order), rows without a person dropped.

    Which of a person's rows are kept depends only on that person's own rows (their relative
    order in the file), so adding or removing one person changes the copy by at most
    ``max_rows`` rows: the sensitivity every release assumes holds on the copy, and queries over
    it need no per-query bounding. Our own fixed SQL on a private connection: no buyer input.

    One statement, no Python row loop: the people over the bound are found by one grouped
    count, the window that ranks rows runs over *their* rows only, and every other row streams
    straight from the file to the copy (an anti-join against the few dropped row numbers).
    It keeps exactly the rows the earlier window over every row kept, without ranking and
    sorting every row of the file (29 s -> about 6 s at 10,000,000 rows, bench/README.md).
    The copy's row order is not meaningful: the sandbox only aggregates it.
    """
    unit = quote_identifier(privacy_unit)
    tmp = dest.with_suffix(".tmp")
    with duckdb.connect() as con:
        con.execute(
            f"COPY (WITH over AS (SELECT {unit} AS unit FROM read_parquet($path) "
            f"WHERE {unit} IS NOT NULL GROUP BY {unit} HAVING count(*) > $m), "
            f"dropped AS (SELECT row FROM (SELECT file_row_number AS row, row_number() OVER "
            f"(PARTITION BY {unit} ORDER BY file_row_number) AS rank "
            f"FROM read_parquet($path, file_row_number = true) "
            f"WHERE {unit} IN (SELECT unit FROM over)) WHERE rank > $m) "
            f"SELECT * EXCLUDE (file_row_number) FROM read_parquet($path, file_row_number = true) "
            f"WHERE {unit} IS NOT NULL AND file_row_number NOT IN (SELECT row FROM dropped)) "
            f"TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)",
            {"path": str(path), "m": max_rows},
        )
    tmp.replace(dest)


def file_rows(path: Path) -> int:
    """The file's row count, from its Parquet footer (no data read): an upper bound on the
    rows any query over it aggregates."""
    return int(pq.read_metadata(path).num_rows)


def column_types(path: Path) -> dict[str, ValueType]:
    """The dataset's columns the sandbox can use, from the Parquet schema (no data read).

    These types are what the checker proves queries total against, so a column is offered
    only with a type whose every operation the checker allows cannot fail on any value:
    timestamps in micro- or nanoseconds without a time zone (read as TIMESTAMP, a narrowing
    that cannot fail); seconds, milliseconds and zoned timestamps, whose conversions can
    overflow or depend on a zone, are left out.
    """
    types: dict[str, ValueType] = {}
    for f in pq.read_schema(path):
        t = f.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            types[f.name] = "number"
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            types[f.name] = "string"
        elif pa.types.is_date(t):
            types[f.name] = "date"
        elif pa.types.is_timestamp(t) and t.unit in ("us", "ns") and t.tz is None:
            types[f.name] = "timestamp"
        elif pa.types.is_boolean(t):
            types[f.name] = "bool"
    return types


POOL = connections.Pool()
# Idle DuckDB connections are closed before the interpreter tears DuckDB's bindings down (left
# to the garbage collector at exit, each is reported as a leaked instance).
atexit.register(POOL.clear)


@contextmanager
def locked_connection(path: Path, limits: Limits) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB connection that can read ``path`` as ``dataset`` and nothing
    else, closed on exit (never pooled)."""
    con = connections.open_locked(path.resolve(), limits.memory_limit, limits.threads)
    try:
        yield con
    finally:
        con.close()


def stream(path: Path, statements: list[str], limits: Limits, sink: RowSink) -> None:
    """Run our generated statements, passing every result row to ``sink`` in chunks.

    One deadline covers the whole batch, the sink's work included: a timer interrupts DuckDB,
    and the deadline is checked after each chunk. Raises ``ExecutionTimedOut`` past it and
    ``ExecutionFailed`` on any engine error; never on the number of rows.

    The connection is a locked one from ``POOL`` (or a new one); it goes back only under the
    rules in ``sandbox.connections`` (SELECTs only, no error, no interrupt), so the lock-down
    and what a query can see are those of a fresh connection.
    """
    deadline = time.monotonic() + limits.timeout_seconds
    file = path.resolve()
    key = (str(file), limits.memory_limit, int(limits.threads))
    con = POOL.take(key)
    if con is None:
        con = connections.open_locked(file, limits.memory_limit, limits.threads)
    reusable = connections.only_selects(con, statements)
    interrupted = threading.Event()

    def interrupt() -> None:
        interrupted.set()
        con.interrupt()

    timer = threading.Timer(limits.timeout_seconds, interrupt)
    timer.start()
    try:
        for index, sql in enumerate(statements):
            cursor = con.execute(sql)
            while rows := cursor.fetchmany(limits.fetch_rows):
                sink(index, rows)
                if time.monotonic() > deadline:
                    raise ExecutionTimedOut("time limit")
    except duckdb.InterruptException:
        reusable = False
        raise ExecutionTimedOut("time limit") from None
    except duckdb.Error as exc:
        reusable = False
        # The class only: DuckDB's messages can quote data values.
        log.warning("sandbox engine error", error_class=type(exc).__name__)
        if not timer.is_alive():
            raise ExecutionTimedOut("time limit") from None
        raise ExecutionFailed("engine error") from None
    except BaseException:
        reusable = False
        raise
    finally:
        timer.cancel()
        timer.join()
        if reusable and not interrupted.is_set():
            POOL.give(key, con)
        else:
            con.close()


def run(path: Path, statements: list[str], limits: Limits) -> list[list[tuple[Any, ...]]]:
    """``stream`` collected: one list of rows per statement. For our own fixed statements
    whose results are small (a profile check, tests, benchmarks); buyers' queries stream."""
    results: list[list[tuple[Any, ...]]] = [[] for _ in statements]
    stream(path, statements, limits, lambda index, rows: results[index].extend(rows))
    return results
