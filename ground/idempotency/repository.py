"""Every query on stored idempotency keys."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlmodel import Session

from ground.idempotency.models import IdempotencyRecord


def find(session: Session, owner: str, key: str) -> IdempotencyRecord | None:
    statement = select(IdempotencyRecord).where(
        IdempotencyRecord.owner == owner,  # type: ignore[arg-type]
        IdempotencyRecord.key == key,  # type: ignore[arg-type]
    )
    return session.execute(statement).scalars().first()


def add(session: Session, record: IdempotencyRecord) -> IdempotencyRecord:
    session.add(record)
    session.flush()
    return record


def remove(session: Session, record: IdempotencyRecord) -> None:
    session.delete(record)
    session.flush()


def delete_expired(session: Session, now: datetime) -> int:
    """Delete every key past its expiry (complete or not: an incomplete one past its expiry is
    a claim whose unit of work can no longer be running)."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)  # type: ignore[arg-type]
    )
    return int(getattr(result, "rowcount", 0) or 0)


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar_one())


def try_lock(session: Session, owner: str, key: str) -> bool:
    """PostgreSQL: take a transaction-scoped advisory lock on the key without waiting.

    Held until the unit of work commits or rolls back, by whichever process or node claimed
    the key first, so a second request with the same key learns at once that the first is
    still running. Other databases answer True (the caller serializes in-process; SQLite
    serializes writers anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    digest = hashlib.sha256(f"idempotency\0{owner}\0{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    acquired = session.execute(
        text("SELECT pg_try_advisory_xact_lock(:lock_id)"), {"lock_id": lock_id}
    ).scalar_one()
    return bool(acquired)
