"""On SQLite (the embedded default) reads take no write lock, and writers queue instead of
failing: what lets sign-in work while a long upload is being profiled."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from accounts.models import Organization
from ground import db
from tests.fixtures.database import is_postgresql
from tests.fixtures.factories import create_org


@pytest.fixture
def sqlite_url(committed_database: str) -> str:
    if is_postgresql(committed_database):
        pytest.skip("SQLite's locking; PostgreSQL has row locks")
    return committed_database


def _count_orgs() -> int:
    with db.unit_of_work() as session:
        return len(session.exec(select(Organization)).all())


def test_a_read_runs_while_another_unit_of_work_holds_the_write_lock(sqlite_url: str) -> None:
    with db.unit_of_work() as writer:
        create_org(writer)
        writer.flush()  # the writer now holds SQLite's write lock, uncommitted
        # A reader is not blocked by it (WAL) and does not see the uncommitted row.
        assert _count_orgs() == 0
    assert _count_orgs() == 1


def test_a_unit_of_work_that_only_reads_leaves_writers_free(sqlite_url: str) -> None:
    with db.unit_of_work() as reader:
        reader.exec(select(Organization)).all()
        # Another unit of work writes and commits while the reader's is still open.
        with db.unit_of_work() as writer:
            create_org(writer)
    assert _count_orgs() == 1


def test_a_locking_read_takes_the_write_lock_until_commit(sqlite_url: str) -> None:
    """``SELECT … FOR UPDATE`` serializes on SQLite as row locks do on PostgreSQL: a second
    writer waits for the first to commit, then sees its write."""
    with db.unit_of_work() as session:
        org = create_org(session)
    order: list[str] = []
    locked = threading.Event()

    def second_writer() -> None:
        locked.wait()
        with db.unit_of_work() as other:
            other.exec(
                text("UPDATE organization SET name = 'second' WHERE id = :id"),
                params={"id": org.id.hex},
            )
            order.append("second")

    thread = threading.Thread(target=second_writer)
    thread.start()
    with db.unit_of_work() as first:
        row = first.exec(
            select(Organization).where(Organization.id == org.id).with_for_update()
        ).one()
        locked.set()
        thread.join(timeout=0.5)  # the second writer is blocked on the lock meanwhile
        assert thread.is_alive()
        row.name = "first"
        first.add(row)
        order.append("first")
    thread.join(timeout=30)
    assert order == ["first", "second"]
    with Session(db.engine_for(sqlite_url)) as check:
        assert (
            check.exec(select(Organization.name).where(Organization.id == org.id)).one() == "second"
        )
