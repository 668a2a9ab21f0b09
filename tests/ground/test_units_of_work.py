"""A unit of work ended midway on its session: ``commit_so_far`` and ``roll_back_so_far``.

The part that ends is settled exactly as a whole unit of work would be (cleanups or undos,
queued tasks sent or dropped), and the session goes on in a new unit of work, so a later
rollback never undoes what was committed, nor runs the committed part's undos.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from ground import db, worker
from ground.db import (
    commit_so_far,
    on_commit,
    on_rollback,
    roll_back_so_far,
    unit_of_work,
    utcnow,
)
from ground.idempotency.models import IdempotencyRecord


def _record(key: str) -> IdempotencyRecord:
    return IdempotencyRecord(
        owner="test",
        key=key,
        fingerprint="f",
        method="POST",
        path="/",
        expires_at=utcnow() + timedelta(hours=1),
    )


def _keys(session: Session) -> set[str]:
    session.expire_all()
    found = session.exec(select(IdempotencyRecord).where(IdempotencyRecord.owner == "test"))
    return {r.key for r in found}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the tasks the units of work send."""
    names: list[str] = []

    def send_pending(session: Session) -> None:
        names.extend(name for name, _kwargs, _id in session.info.pop(worker._PENDING_KEY, []))

    # Patched where the unit of work looks it up (ground.db imports it by name).
    monkeypatch.setattr(db, "send_pending", send_pending)
    return names


def test_commit_so_far_keeps_the_first_part_when_the_rest_fails(
    connection: Any, session: Session, sent: list[str]
) -> None:
    ran: list[str] = []

    def request() -> None:
        with unit_of_work() as work:
            work.add(_record("committed"))
            on_commit(work, lambda: ran.append("cleanup of the committed part"))
            on_rollback(work, lambda: ran.append("undo of the committed part"))
            worker.enqueue(work, "committed.task")
            commit_so_far(work)
            assert ran == ["cleanup of the committed part"]
            assert sent == ["committed.task"]
            work.add(_record("rolled back"))
            work.flush()
            on_rollback(work, lambda: ran.append("undo of the rest"))
            worker.enqueue(work, "rolled-back.task")
            raise RuntimeError("the rest fails")

    with pytest.raises(RuntimeError, match="the rest fails"):
        request()
    assert ran == ["cleanup of the committed part", "undo of the rest"]
    assert sent == ["committed.task"]
    assert _keys(session) == {"committed"}


def test_roll_back_so_far_undoes_the_first_part_and_the_rest_commits(
    connection: Any, session: Session, sent: list[str]
) -> None:
    ran: list[str] = []
    with unit_of_work() as work:
        work.add(_record("refused"))
        work.flush()
        on_commit(work, lambda: ran.append("cleanup of the undone part"))
        on_rollback(work, lambda: ran.append("undo of the undone part"))
        worker.enqueue(work, "undone.task")
        roll_back_so_far(work)
        assert ran == ["undo of the undone part"]
        work.add(_record("page"))
        worker.enqueue(work, "page.task")
    assert ran == ["undo of the undone part"]
    assert sent == ["page.task"]
    assert _keys(session) == {"page"}
