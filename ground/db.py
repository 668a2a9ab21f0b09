"""Database engine, sessions and shared column types.

One synchronous SQLModel ``Session`` serves the API and the Celery tasks alike. Services only
flush; the owner of a unit of work (the request dependency or a task) commits, then sends the
tasks the work enqueued (see ``ground.worker``), so a task never races the commit it needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, String, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

from ground.config import get_settings
from ground.worker import discard_pending, send_pending

# Set before any model is imported so constraint names are stable across databases, which is
# what lets Alembic migrations (and their downgrades) name the constraints they touch.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones and hands back naive values; this type refuses naive input and
    re-attaches UTC on the way out, so comparisons never mix naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StrEnumType(TypeDecorator[StrEnum]):
    """An enum stored as plain text (no database enum types to migrate), loaded as the enum."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int = 20) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: StrEnum | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum_class(value)


# Statements that need SQLite's write lock: writes, DDL, and savepoints (which open a
# transaction). ``SELECT … FOR UPDATE`` needs it too (see ``_takes_write_lock``).
_WRITE_VERBS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER"}
)


def _takes_write_lock(statement: str, context: Any) -> bool:
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if verb in _WRITE_VERBS:
        return True
    # SQLite has no row locks and drops FOR UPDATE from the SQL, so a locking read takes the
    # database's write lock instead: what it read stays true until the unit of work commits.
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _configure_sqlite(engine: Engine) -> None:
    """Transactions that read without blocking writers, and write one at a time.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT, so the driver runs in
    autocommit mode and this takes control of BEGIN. A unit of work reads in autocommit (each
    statement sees the latest committed data, as PostgreSQL's READ COMMITTED does) and takes
    the write lock with ``BEGIN IMMEDIATE`` just before its first write or locking read; from
    then on it is serialized against every other writer until it commits. So reads never take
    the write lock, and a write never fails on a stale snapshot (the ``SQLITE_BUSY_SNAPSHOT``
    of deferred transactions upgraded under WAL). WAL lets readers run while a writer works.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _write_lock_first(
        conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        raw = conn.connection.dbapi_connection
        if conn.in_transaction() and not raw.in_transaction:
            if _takes_write_lock(statement, context):
                cursor.execute("BEGIN IMMEDIATE")


def _ensure_sqlite_directory(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


@lru_cache
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        _ensure_sqlite_directory(url)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=60)


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


def ping(url: str) -> None:
    """``SELECT 1`` on a raw DBAPI connection from the pool, outside any transaction, so the
    readiness probe takes no lock (SQLite's sessions take the write lock with BEGIN IMMEDIATE
    before a write). Raises whatever the driver raises when the database does not answer."""
    connection = engine_for(url).raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.close()
    finally:
        connection.close()


def _default_session_factory() -> Session:
    return Session(get_engine(), expire_on_commit=False)


# Tests replace this to bind every session, including in-process task sessions, to the
# connection of the transaction they roll back at the end.
session_factory: Callable[[], Session] = _default_session_factory


def new_session() -> Session:
    return session_factory()


_ROLLBACK_KEY = "sluice.on_rollback"
_COMMIT_KEY = "sluice.on_commit"
log = logging.getLogger(__name__)


def on_rollback(session: Session, undo: Callable[[], None]) -> None:
    """Register an undo for a side effect outside the database (e.g. a file written).

    Run if the unit of work rolls back, so a failed request leaves no orphaned file behind.
    Also used for what must be written because of the rollback (the audit record of a
    refusal, ``audit.record_refusal``).
    """
    session.info.setdefault(_ROLLBACK_KEY, []).append(undo)


def on_commit(session: Session, cleanup: Callable[[], None]) -> None:
    """Register a cleanup outside the database (e.g. removing a file a change replaced) to
    run once the unit of work has committed, never before: until then the old state must
    stay usable. A failing cleanup is logged, not raised (the commit already happened)."""
    session.info.setdefault(_COMMIT_KEY, []).append(cleanup)


def _run_after_commit(session: Session) -> None:
    for cleanup in session.info.pop(_COMMIT_KEY, []):
        try:
            cleanup()
        except Exception:
            log.exception("a cleanup after commit failed")


#: What a unit of work's owner hands a service that must make part of its work durable before
#: going on (``commit_so_far`` on the owner's session): the sandbox commits its ε reservation
#: before reading data. The service decides when; only the owner can commit.
Checkpoint = Callable[[], None]


def commit_so_far(session: Session) -> None:
    """End the unit of work here and go on in a new one on the same session.

    For the owners of units of work only (``unit_of_work``, the request's in
    ``ground.dependencies``), which hand it to services as a ``Checkpoint``. The part that
    committed is settled as a whole unit of work is: its after-commit cleanups run, its queued
    tasks are sent, and its undos are forgotten (a later rollback undoes only what follows).
    """
    session.commit()
    _committed(session)


def roll_back_so_far(session: Session) -> None:
    """Undo the unit of work so far and go on in a new one on the same session (a page that
    answers a refusal with a form to correct): what the undone part queued is dropped (its
    tasks, its after-commit cleanups) and its undos run (a refusal's audit record is written,
    a file it wrote is removed), exactly as when a whole unit of work rolls back."""
    session.rollback()
    _rolled_back(session)


def _committed(session: Session) -> None:

    session.info.pop(_ROLLBACK_KEY, None)
    _run_after_commit(session)
    send_pending(session)


def _rolled_back(session: Session) -> None:

    discard_pending(session)
    session.info.pop(_COMMIT_KEY, None)
    for undo in reversed(session.info.pop(_ROLLBACK_KEY, [])):
        undo()


def _has_work(session: Session) -> bool:
    """Whether committing would do anything: an open transaction, unflushed changes, or work
    queued on the session (audit records, tasks, cleanups). A request whose endpoint thread
    already committed (``ground.dependencies.UnitOfWorkRoute``) has none left."""
    return session.in_transaction() or bool(
        session.new or session.dirty or session.deleted or session.info
    )


def release_after_reads(session: Session) -> None:
    """Give the session's connection back to the pool after reads alone, e.g. at the end of a
    dependency that authenticated the caller; the next statement takes one again.

    Why: FastAPI runs a sync dependency and the sync endpoint in separate worker-thread
    calls, and in between the request may wait for a free thread. A connection held across
    that wait is one fewer for the requests that are running: with more requests in flight
    than the pool holds, threads wait for connections held by requests waiting for threads
    (the pool's timeout then fails them). Ending a read-only transaction loses nothing: it is
    rolled back (there is nothing to commit, and the unit of work's one commit stays the
    endpoint's), which expires what it loaded, so a dependency that calls this returns plain
    values, not ORM objects. A session that wrote or queued anything is refused: a dependency
    must not write.
    """
    if session.new or session.dirty or session.deleted or session.info:
        raise RuntimeError("a dependency wrote or queued work before the endpoint ran")
    if session.in_transaction():
        session.rollback()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session committed on success, rolled back on error; queued tasks go after commit."""
    session = new_session()
    try:
        yield session
        if _has_work(session):
            session.commit()
    except BaseException:
        roll_back_so_far(session)
        raise
    else:
        _committed(session)
    finally:
        session.close()
