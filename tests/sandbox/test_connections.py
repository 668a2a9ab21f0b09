"""Reused locked connections: still locked, one file each, and nothing of a query survives it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox import connections, engine

LIMITS = engine.Limits(timeout_seconds=30, memory_limit="500MB", threads=1)


@pytest.fixture(autouse=True)
def _empty_pool() -> Iterator[None]:
    engine.POOL.clear()
    yield
    engine.POOL.clear()


def _file(tmp_path: Path, name: str, amounts: list[int]) -> Path:
    file = tmp_path / name
    pq.write_table(
        pa.table({"pid": [f"p{i}" for i in range(len(amounts))], "amount": amounts}), file
    )
    return file


def _key(path: Path) -> connections.PoolKey:
    return (str(path.resolve()), LIMITS.memory_limit, LIMITS.threads)


def _total(path: Path) -> int:
    ((value,),) = engine.run(path, ["SELECT sum(amount) FROM dataset"], LIMITS)[0]
    return int(value)


def test_a_connection_is_reused_for_the_same_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "a.parquet", [1, 2, 3])
    assert _total(path) == 6
    assert engine.POOL.idle(_key(path)) == 1
    assert _total(path) == 6
    assert engine.POOL.idle(_key(path)) == 1  # taken and given back, not a second one


def test_a_reused_connection_is_still_locked_down(tmp_path: Path) -> None:
    path = _file(tmp_path, "a.parquet", [1, 2, 3])
    other = _file(tmp_path, "other.parquet", [100])
    _total(path)
    con = engine.POOL.take(_key(path))
    assert con is not None
    try:
        for sql in (
            f"SELECT * FROM read_parquet('{other}')",
            f"SELECT * FROM read_parquet('{tmp_path}/*.parquet')",
            "SELECT * FROM read_csv_auto('/etc/passwd')",
            "SET enable_external_access = true",
            "SET lock_configuration = false",
            "SET threads = 8",
            f"ATTACH '{tmp_path / 'new.duckdb'}' AS other",
            f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
            "INSTALL httpfs",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql).fetchall()
    finally:
        con.close()
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "new.duckdb").exists()


def test_hostile_statements_on_a_pooled_connection_fail_and_retire_it(tmp_path: Path) -> None:
    path = _file(tmp_path, "a.parquet", [1, 2, 3])
    other = _file(tmp_path, "other.parquet", [100])
    _total(path)
    for sql in (
        f"SELECT * FROM read_parquet('{other}')",
        "SET enable_external_access = true",
        f"ATTACH '{tmp_path / 'new.duckdb'}' AS other",
    ):
        assert engine.POOL.idle(_key(path)) == 1
        with pytest.raises(engine.ExecutionFailed):
            engine.run(path, [sql], LIMITS)
        assert engine.POOL.idle(_key(path)) == 0  # the connection that failed was closed
        _total(path)


FAILS = None


@pytest.mark.parametrize(
    ("leave", "look", "clean"),
    [
        ("CREATE TABLE leak AS SELECT 42 AS x", "SELECT * FROM leak", FAILS),
        ("CREATE TEMP TABLE leak AS SELECT 42 AS x", "SELECT * FROM leak", FAILS),
        ("CREATE MACRO leak() AS 42", "SELECT leak()", FAILS),
        (
            "CREATE OR REPLACE VIEW dataset AS SELECT 42 AS amount",
            "SELECT count(*) FROM dataset WHERE amount = 42",
            [(0,)],
        ),
        ("SET VARIABLE leak = 42", "SELECT getvariable('leak') + 0", [(None,)]),
    ],
)
def test_nothing_a_batch_creates_reaches_the_next_query(
    tmp_path: Path, leave: str, look: str, clean: object
) -> None:
    """Our statements are SELECTs; a batch with anything else still runs under the lock-down
    but its connection is closed, so the next query (another buyer's) sees a fresh one."""
    path = _file(tmp_path, "a.parquet", [1, 2, 3])
    _total(path)
    engine.run(path, ["SELECT 1", leave, "SELECT 1"], LIMITS)
    assert engine.POOL.idle(_key(path)) == 0
    looked: object = FAILS
    try:
        looked = engine.run(path, [look], LIMITS)[0]
    except engine.ExecutionFailed:
        pass
    assert looked == clean
    assert _total(path) == 6


def test_each_file_has_its_own_connections(tmp_path: Path) -> None:
    a = _file(tmp_path, "a.parquet", [1, 2, 3])
    b = _file(tmp_path, "b.parquet", [10, 20])
    for _ in range(3):
        assert _total(a) == 6
        assert _total(b) == 30
    assert engine.POOL.idle(_key(a)) == engine.POOL.idle(_key(b)) == 1
    con = engine.POOL.take(_key(a))
    assert con is not None
    with pytest.raises(duckdb.Error):
        con.execute(f"SELECT sum(amount) FROM read_parquet('{b}')").fetchall()
    con.close()


def test_an_interrupted_connection_is_not_reused(tmp_path: Path) -> None:
    path = _file(tmp_path, "a.parquet", [1, 2, 3])
    _total(path)
    limits = engine.Limits(timeout_seconds=0.2, memory_limit="500MB", threads=1)
    with pytest.raises(engine.ExecutionTimedOut):
        engine.run(path, ["SELECT count(*) FROM range(10000000000) a"], limits)
    assert engine.POOL.idle((str(path.resolve()), "500MB", 1)) == 0
    assert _total(path) == 6


def test_the_pool_keeps_a_bounded_number_of_idle_connections(tmp_path: Path) -> None:
    path = _file(tmp_path, "a.parquet", [1])
    pool = connections.Pool(size=2)
    key = _key(path)
    opened = [connections.open_locked(path.resolve(), "100MB", 1) for _ in range(3)]
    for con in opened:
        pool.give(key, con)
    assert pool.idle(key) == 2
    with pytest.raises(duckdb.ConnectionException):
        opened[0].execute("SELECT 1")  # the oldest was closed
    pool.clear()


def test_concurrent_queries_each_get_their_own_connection(tmp_path: Path) -> None:
    a = _file(tmp_path, "a.parquet", list(range(1000)))
    b = _file(tmp_path, "b.parquet", [7] * 10)
    results: list[tuple[str, int]] = []
    lock = threading.Lock()

    def work(path: Path) -> None:
        for _ in range(5):
            value = _total(path)
            with lock:
                results.append((path.name, value))

    threads = [threading.Thread(target=work, args=(p,)) for p in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(results)) == [("a.parquet", 499500), ("b.parquet", 70)]
    assert len(results) == 20
    assert engine.POOL.idle() <= connections.POOL_SIZE


def test_a_forked_child_does_not_use_its_parents_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, "a.parquet", [1, 2, 3])
    _total(path)
    assert engine.POOL.idle(_key(path)) == 1
    monkeypatch.setattr(connections.os, "getpid", lambda: -1)  # as seen in a forked child
    assert engine.POOL.take(_key(path)) is None
    assert _total(path) == 6
