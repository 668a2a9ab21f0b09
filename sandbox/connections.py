"""Locked-down DuckDB connections, and a small per-process pool of idle ones.

Opening a locked connection (a new in-memory DuckDB instance, its limits, the lock-down, the
view) costs 15-20 ms, as much as a whole aggregate over 1,000,000 rows, so the engine reuses
idle ones. What makes reuse safe:

* **One file per connection, for good.** The key is the resolved dataset file and the limits.
  ``allowed_paths`` names that file only and ``lock_configuration`` is set before the
  connection is first used, and nothing can unset it: a reused connection can read no other
  file, change no setting and attach nothing, exactly like a fresh one. A connection serves
  one dataset file only, so no answer about one dataset is computed on another's connection.
* **Nothing of a query outlives it.** A connection goes back to the pool only after a batch
  in which DuckDB's own parser classed every statement as a SELECT (no CREATE, SET, ATTACH,
  PRAGMA, ...) and which ended without an error and without the deadline's interrupt firing;
  anything else closes it. A SELECT leaves no catalog entry, variable or setting behind, and
  the view reads the file afresh each time (``cache_local_files`` is off, so DuckDB keeps no
  file data between queries): a query sees exactly what it would see on a fresh connection,
  whichever buyer ran the one before.
* **One user at a time, one process.** A connection is checked out exclusively; at most
  ``POOL_SIZE`` idle ones are kept (oldest closed first), and a forked child never touches
  its parent's connections (the pool notices the new process id and starts empty).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import duckdb

from sandbox.query import TABLE_NAME, quote_string

#: Idle locked connections kept per process (each is a DuckDB instance holding no data).
POOL_SIZE = 8

PoolKey = tuple[str, str, int]


def open_locked(file: Path, memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection that can read ``file`` as ``dataset`` and nothing
    else (the recipe in /work/shared/DEPENDENCIES.md: limits, then the lock-down, then the
    view)."""
    con = duckdb.connect(":memory:")
    try:
        quoted = quote_string(str(file))
        con.execute(f"SET memory_limit={quote_string(memory_limit)}")
        con.execute(f"SET threads={int(threads)}")
        con.execute("SET autoinstall_known_extensions=false")
        con.execute("SET autoload_known_extensions=false")
        con.execute("SET cache_local_files=false")
        con.execute(f"SET allowed_paths=[{quoted}]")
        con.execute("SET enable_external_access=false")
        con.execute("SET lock_configuration=true")
        con.execute(f"CREATE VIEW {TABLE_NAME} AS SELECT * FROM read_parquet({quoted})")
    except BaseException:
        con.close()
        raise
    return con


def only_selects(con: duckdb.DuckDBPyConnection, statements: list[str]) -> bool:
    """Whether DuckDB's own parser classes every statement of the batch as a SELECT."""
    try:
        parsed = [s for sql in statements for s in con.extract_statements(sql)]
    except duckdb.Error:
        return False
    return all(s.type == duckdb.StatementType.SELECT for s in parsed)


class Pool:
    """Idle locked connections by (file, memory limit, threads), most recently used last."""

    def __init__(self, size: int = POOL_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._idle: OrderedDict[tuple[PoolKey, int], duckdb.DuckDBPyConnection] = OrderedDict()
        self._pid = os.getpid()
        self._serial = 0
        self._orphans: list[duckdb.DuckDBPyConnection] = []

    def take(self, key: PoolKey) -> duckdb.DuckDBPyConnection | None:
        """An idle connection for ``key``, now the caller's alone; None when there is none."""
        with self._lock:
            self._forget_parents()
            for entry in reversed(self._idle):
                if entry[0] == key:
                    return self._idle.pop(entry)
        return None

    def give(self, key: PoolKey, con: duckdb.DuckDBPyConnection) -> None:
        """Keep ``con`` (which must have passed the reuse rules above) for a later query."""
        evicted: list[duckdb.DuckDBPyConnection] = []
        with self._lock:
            self._forget_parents()
            self._serial += 1
            self._idle[(key, self._serial)] = con
            while len(self._idle) > self._size:
                evicted.append(self._idle.popitem(last=False)[1])
        for old in evicted:
            old.close()

    def idle(self, key: PoolKey | None = None) -> int:
        """How many idle connections are kept (for ``key``, or in all)."""
        with self._lock:
            return sum(1 for entry in self._idle if key is None or entry[0] == key)

    def clear(self) -> None:
        """Close every idle connection (tests, and a process about to exit)."""
        with self._lock:
            idle, self._idle = list(self._idle.values()), OrderedDict()
        for con in idle:
            con.close()

    def _forget_parents(self) -> None:
        # A forked child must not use connections its parent opened, nor close them (DuckDB's
        # threads did not survive the fork): they are kept, unused, until the child exits.
        if os.getpid() != self._pid:
            self._orphans.extend(self._idle.values())
            self._idle = OrderedDict()
            self._pid = os.getpid()
