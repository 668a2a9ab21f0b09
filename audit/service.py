"""Recording and verifying audited actions.

``record`` queues a record on the session; just before that session commits, the queued
records are chained onto the log (locking the chain head) and written in the same transaction
as the action. So an action never commits without its record, and a record never survives a
rolled-back action. Appends are serialized by the head row lock, held only from the append to
the commit. That step is a SQLAlchemy session hook the shell installs at start-up
(``install_commit_hook``, called by ``market.shell.wiring.wire``), not an import side effect.

What the chain proves: any edit, insertion or deletion of a stored record (including at the
end, against the head) is detected by ``verify``. It cannot stop someone with write access
from rewriting the whole chain and head consistently; anchoring ``head_hash`` outside the
database (e.g. in the regulator's export) closes that gap.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from accounts.principal import Principal
from audit.chain import record_hash
from audit.models import GENESIS_HASH, AuditRecord
from audit.repository import AuditFilter, AuditRepository
from ground.db import on_rollback, unit_of_work, utcnow
from ground.errors import NotFound

_PENDING_KEY = "sluice.audit_pending"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pending:
    action: str
    actor: Principal | None
    actor_user_id: uuid.UUID | None
    dataset_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    details: dict[str, Any]


def record(
    session: Session,
    action: str,
    *,
    actor: Principal | None,
    dataset_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    actor_user_id: uuid.UUID | None = None,
) -> None:
    """Queue an audit record; it is written when (and only if) the session commits.

    ``actor`` is the signed-in principal; code that knows only a user id (state machines,
    tasks acting for someone) passes ``actor_user_id`` instead.

    ``details`` must be JSON-native (str, int, float, bool, None, lists, dicts): it is hashed
    as stored, so values that change on a round trip would read as tampering.
    """
    session.info.setdefault(_PENDING_KEY, []).append(
        _Pending(action, actor, actor_user_id, dataset_id, subject_id, dict(details or {}))
    )


def record_refusal(
    session: Session,
    action: str,
    *,
    actor: Principal | None,
    dataset_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    actor_user_id: uuid.UUID | None = None,
) -> None:
    """Record that something was refused, even though the refused request rolls back.

    A refusal raises, so the request's unit of work rolls back and leaves the state unchanged;
    an ordinary ``record`` would vanish with it. This one is queued like any record (kept when
    the unit of work commits anyway, e.g. a webhook that answers 200 after refusing to credit a
    payment) and, should the unit of work roll back, written right after the rollback by a
    unit of work of its own, chained like every other record. If even that fails, the failure
    is logged and the refusal still stands.
    """
    fields: dict[str, Any] = {
        "actor": actor,
        "dataset_id": dataset_id,
        "subject_id": subject_id,
        "details": details,
        "actor_user_id": actor_user_id,
    }
    record(session, action, **fields)

    def write_after_rollback() -> None:
        try:
            with unit_of_work() as own:
                record(own, action, **fields)
        except Exception:
            log.exception("audit record of a refusal could not be written: %s", action)

    on_rollback(session, write_after_rollback)


def install_commit_hook() -> None:
    """Chain queued records onto the log before every session commits, and drop them when it
    rolls back. Session-wide SQLAlchemy listeners; installing them twice keeps one of each."""
    if not event.contains(OrmSession, "before_commit", _append_pending):
        event.listen(OrmSession, "before_commit", _append_pending)
    if not event.contains(OrmSession, "after_rollback", _drop_pending):
        event.listen(OrmSession, "after_rollback", _drop_pending)


def _append_pending(session: OrmSession) -> None:
    pending: list[_Pending] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    assert isinstance(session, Session)
    repo = AuditRepository(session)
    head = repo.lock_head()
    for item in pending:
        fields: dict[str, Any] = {
            "seq": head.last_seq + 1,
            "at": utcnow(),
            "action": item.action,
            "actor_user_id": item.actor.user_id if item.actor else item.actor_user_id,
            "actor_org_id": item.actor.org_id if item.actor else None,
            "actor_role": str(item.actor.role) if item.actor else None,
            "dataset_id": item.dataset_id,
            "subject_id": item.subject_id,
            "details": item.details,
            "prev_hash": head.last_hash,
        }
        entry = AuditRecord(**fields, hash=record_hash(**fields))
        head.last_seq, head.last_hash = entry.seq, entry.hash
        repo.add(entry, head)


def _drop_pending(session: OrmSession) -> None:
    session.info.pop(_PENDING_KEY, None)


@dataclass
class VerifyReport:
    ok: bool
    records_checked: int
    head_seq: int
    head_hash: str
    first_broken_seq: int | None = None
    first_broken_id: uuid.UUID | None = None
    reason: str | None = None
    reason_zh: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def verify(session: Session) -> VerifyReport:
    """Walk the chain from the first record; report the first broken link, if any."""
    repo = AuditRepository(session)
    head = repo.head()
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0

    def broken(seq: int, rid: uuid.UUID | None, en: str, zh: str) -> VerifyReport:
        return VerifyReport(False, checked, head_seq, head_hash, seq, rid, en, zh)

    for entry in repo.in_order():
        if entry.seq != expected_seq:
            return broken(
                expected_seq,
                None,
                f"Record {expected_seq} is missing: it was deleted.",
                f"第 {expected_seq} 条记录缺失：已被删除。",
            )
        if entry.prev_hash != prev_hash:
            return broken(
                entry.seq,
                entry.id,
                f"Record {entry.seq} does not link to record {entry.seq - 1}.",
                f"第 {entry.seq} 条记录与第 {entry.seq - 1} 条记录的链接断开。",
            )
        recomputed = record_hash(
            seq=entry.seq,
            at=entry.at,
            action=entry.action,
            actor_user_id=entry.actor_user_id,
            actor_org_id=entry.actor_org_id,
            actor_role=entry.actor_role,
            dataset_id=entry.dataset_id,
            subject_id=entry.subject_id,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return broken(
                entry.seq,
                entry.id,
                f"Record {entry.seq} was altered: its contents no longer match its hash.",
                f"第 {entry.seq} 条记录被篡改：内容与哈希值不符。",
            )
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    if checked != head_seq or prev_hash != head_hash:
        return broken(
            checked + 1,
            None,
            f"The chain ends at record {checked} but its head says {head_seq}: "
            "records were deleted from the end.",
            f"记录链止于第 {checked} 条，但链头记录为第 {head_seq} 条：末尾记录已被删除。",
        )
    return VerifyReport(True, checked, head_seq, head_hash)


def search(
    session: Session, where: AuditFilter, *, limit: int, offset: int
) -> tuple[list[AuditRecord], int]:
    return AuditRepository(session).search(where, limit=limit, offset=offset)


def get_record(session: Session, seq: int) -> AuditRecord:
    """One record by its place in the chain (the number ``verify`` names when it breaks)."""
    entry = AuditRepository(session).by_seq(seq)
    if entry is None:
        raise NotFound(f"Audit record {seq} not found.", f"审计记录 {seq} 不存在。")
    return entry


def export(session: Session, where: AuditFilter) -> Any:
    """Matching records in chain order, lazily (for CSV / JSON-lines exports)."""
    return AuditRepository(session).in_order(where)


def counts_by_actor_org(session: Session, action: str, since: datetime) -> dict[uuid.UUID, int]:
    """How often each organization performed ``action`` since a time (for anomaly reports)."""
    return AuditRepository(session).counts_by_actor_org(action, since)
