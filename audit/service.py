"""Recording, sealing and verifying audited actions.

``record`` queues a record on the session; just before that session commits, the queued
records are INSERTed with the hash of their content, in the same transaction as the action. So
an action never commits without its record, and a record never survives a rolled-back action.
Appending takes no shared lock: concurrent actions never wait on each other for the log. That
step is a SQLAlchemy session hook the shell installs at start-up (``install_commit_hook``,
called by ``market.shell.wiring.wire``), not an import side effect.

The records are chained afterwards by a single sealer (``seal``): under the head's row lock
(SQLite: its write lock), it takes the committed, unsealed records by ``at`` then id, gives each
its ``seq`` and ``hash`` = H(seq, previous hash, content hash), and advances the head. It runs as
the ``audit.seal`` beat task (``audit.tasks.SEAL_INTERVAL_SECONDS``), and before every
verification, search and export, so those cover everything committed.

What the chain proves: any edit, insertion or deletion of a sealed record (including at the end,
against the head) is detected by ``verify``, and so is an edit of an unsealed record (its content
hash). Two gaps remain, by design of any log kept in the database it protects: deleting a record
before it is sealed leaves no trace (the seal interval bounds that window), and someone with write
access can rewrite the whole chain and head consistently; anchoring ``head_hash`` outside the
database (e.g. in the regulator's export) closes the second.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from accounts.principal import Principal
from audit.chain import content_hash, legacy_record_hash, link_hash
from audit.models import GENESIS_HASH, AuditRecord
from audit.repository import AuditFilter, AuditRepository
from ground.db import on_rollback, unit_of_work, utcnow
from ground.errors import NotFound

_PENDING_KEY = "sluice.audit_pending"
_TICK = timedelta(microseconds=1)
_CUTOFF_MARGIN = timedelta(seconds=1)
#: How many records one seal chains at most (one transaction of the ``audit.seal`` task).
SEAL_BATCH = 1000
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
    """Write queued records just before every session commits, and drop them when it rolls
    back. Session-wide SQLAlchemy listeners; installing them twice keeps one of each."""
    if not event.contains(OrmSession, "before_commit", _append_pending):
        event.listen(OrmSession, "before_commit", _append_pending)
    if not event.contains(OrmSession, "after_rollback", _drop_pending):
        event.listen(OrmSession, "after_rollback", _drop_pending)


def _append_pending(session: OrmSession) -> None:
    """INSERT the queued records with their content hashes, in the committing transaction.

    Their ``at`` strictly increases within one transaction, so the sealer (which chains by
    ``at``, then id) keeps the order in which one action recorded them."""
    pending: list[_Pending] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    assert isinstance(session, Session)
    entries: list[AuditRecord] = []
    at = utcnow()
    for item in pending:
        if entries:
            at = max(utcnow(), entries[-1].at + _TICK)
        fields: dict[str, Any] = {
            "at": at,
            "action": item.action,
            "actor_user_id": item.actor.user_id if item.actor else item.actor_user_id,
            "actor_org_id": item.actor.org_id if item.actor else None,
            "actor_role": str(item.actor.role) if item.actor else None,
            "dataset_id": item.dataset_id,
            "subject_id": item.subject_id,
            "details": item.details,
        }
        entries.append(AuditRecord(**fields, content_hash=content_hash(**fields)))
    AuditRepository(session).append(entries)


def _drop_pending(session: OrmSession) -> None:
    session.info.pop(_PENDING_KEY, None)


def seal(session: Session, *, limit: int = SEAL_BATCH, until: datetime | None = None) -> int:
    """Chain up to ``limit`` committed, unsealed records (written at ``until`` or before, if
    given) onto the log; returns how many.

    Holds the head's row lock (SQLite: the write lock) until the caller commits, so one sealer
    runs at a time; requests never take it. Records committed while it runs are not visible to
    it and are chained by the next run. Flushes; the caller commits."""
    repo = AuditRepository(session)
    head = repo.lock_head()
    entries = repo.unsealed(limit=limit, until=until)
    for entry in entries:
        entry.seq, entry.prev_hash = head.last_seq + 1, head.last_hash
        entry.hash = link_hash(
            seq=entry.seq, prev_hash=entry.prev_hash, content_hash=entry.content_hash
        )
        head.last_seq, head.last_hash = entry.seq, entry.hash
    if entries:
        repo.save_sealed(entries, head)
    return len(entries)


def seal_cutoff() -> datetime:
    """Where a sealing run stops: records written after it are the next run's. A second past
    now, because records of one transaction get successive microseconds (``_append_pending``)
    and may run slightly ahead of the clock."""
    return utcnow() + _CUTOFF_MARGIN


def seal_all(session: Session) -> int:
    """Chain every committed, unsealed record written before this call (before a verification
    or an export, so they cover everything committed so far). Records written meanwhile are
    left to the next seal, so a steady stream of new ones cannot keep this running. In one
    transaction: the caller commits."""
    until, total = seal_cutoff(), 0
    while sealed := seal(session, until=until):
        total += sealed
    return total


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
    unsealed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# The stored fields a record's hashes cover (``audit.chain``), by their keyword names.
_HASHED_FIELDS = (
    "at",
    "action",
    "actor_user_id",
    "actor_org_id",
    "actor_role",
    "dataset_id",
    "subject_id",
    "details",
)


def _hashed_fields(entry: AuditRecord) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _HASHED_FIELDS}


def content_hash_of(entry: AuditRecord) -> str:
    """The content hash ``entry``'s stored fields have now (equal to its ``content_hash``
    unless it was edited)."""
    return content_hash(**_hashed_fields(entry))


def _recomputed_legacy(entry: AuditRecord, seq: int, prev_hash: str) -> str:
    return legacy_record_hash(seq=seq, prev_hash=prev_hash, **_hashed_fields(entry))


def _intact(entry: AuditRecord, seq: int, prev_hash: str, legacy_through: int) -> bool:
    """Whether a sealed record's hash matches its fields and place (the original formula for
    records chained before sealing existed)."""
    if seq <= legacy_through:
        return _recomputed_legacy(entry, seq, prev_hash) == entry.hash
    if entry.content_hash != content_hash_of(entry):
        return False
    return link_hash(seq=seq, prev_hash=prev_hash, content_hash=entry.content_hash) == entry.hash


def verify(session: Session, *, seal_first: bool = True) -> VerifyReport:
    """Seal what is committed, then walk the chain from the first record and check the
    records still unsealed; report the first broken record, if any.

    Sealing first makes the report cover every record committed before it (the caller
    commits the seal); ``seal_first=False`` verifies without writing (e.g. on a read-only
    replica), the records committed since the last seal checked by their content hash only.

    A sealed record is protected by the chain: an edit of its fields or of its chain fields, a
    deletion, an insertion with a forged ``seq``, or records deleted from the end (against the
    head) are all found. An unsealed record, one committed after the last seal, is protected
    by its content hash only: an edit is found, but deleting it leaves no trace until it has
    been sealed (the interval of the ``audit.seal`` beat task bounds that window). Anchoring
    ``head_hash`` outside the database defeats a rewrite of the whole chain.
    """
    if seal_first:
        seal_all(session)
    repo = AuditRepository(session)
    head = repo.head()
    head_seq, head_hash, legacy_through = (
        (head.last_seq, head.last_hash, head.legacy_through) if head else (0, GENESIS_HASH, 0)
    )
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0

    def broken(seq: int | None, rid: uuid.UUID | None, en: str, zh: str) -> VerifyReport:
        return VerifyReport(False, checked, head_seq, head_hash, seq, rid, en, zh)

    for entry in repo.in_order():
        if expected_seq > head_seq:
            return broken(
                expected_seq,
                entry.id,
                f"Record {expected_seq} lies beyond the chain's head: it was inserted.",
                f"第 {expected_seq} 条记录超出链头：系伪造插入。",
            )
        if entry.seq != expected_seq:
            return broken(
                expected_seq,
                None,
                f"Record {expected_seq} is missing: it was deleted.",
                f"第 {expected_seq} 条记录缺失：已被删除。",
            )
        if entry.prev_hash != prev_hash:
            return broken(
                expected_seq,
                entry.id,
                f"Record {expected_seq} does not link to record {expected_seq - 1}.",
                f"第 {expected_seq} 条记录与第 {expected_seq - 1} 条记录的链接断开。",
            )
        if not _intact(entry, expected_seq, prev_hash, legacy_through):
            return broken(
                expected_seq,
                entry.id,
                f"Record {expected_seq} was altered: its contents no longer match its hash.",
                f"第 {expected_seq} 条记录被篡改：内容与哈希值不符。",
            )
        prev_hash, expected_seq, checked = entry.hash or "", expected_seq + 1, checked + 1
    if checked != head_seq or prev_hash != head_hash:
        return broken(
            checked + 1,
            None,
            f"The chain ends at record {checked} but its head says {head_seq}: "
            "records were deleted from the end.",
            f"记录链止于第 {checked} 条，但链头记录为第 {head_seq} 条：末尾记录已被删除。",
        )
    unsealed = 0
    for entry in repo.iter_unsealed():
        if entry.content_hash != content_hash_of(entry):
            return broken(
                None,
                entry.id,
                f"Unsealed record {entry.id} was altered: its contents no longer match its hash.",
                f"未封存的记录 {entry.id} 被篡改：内容与哈希值不符。",
            )
        unsealed += 1
    return VerifyReport(True, checked, head_seq, head_hash, unsealed=unsealed)


def search(
    session: Session, where: AuditFilter, *, limit: int, offset: int
) -> tuple[list[AuditRecord], int]:
    """Sealed records, newest first; seals what is committed first, so the log shows every
    action committed before the search (the caller commits the seal)."""
    seal_all(session)
    return AuditRepository(session).search(where, limit=limit, offset=offset)


def get_record(session: Session, seq: int) -> AuditRecord:
    """One record by its place in the chain (the number ``verify`` names when it breaks)."""
    entry = AuditRepository(session).by_seq(seq)
    if entry is None:
        raise NotFound(f"Audit record {seq} not found.", f"审计记录 {seq} 不存在。")
    return entry


def export(session: Session, where: AuditFilter) -> Any:
    """Matching sealed records in chain order, lazily (for CSV / JSON-lines exports). Callers
    seal first (``seal_all``, committed) so the export covers everything committed."""
    return AuditRepository(session).in_order(where)


def counts_by_actor_org(session: Session, action: str, since: datetime) -> dict[uuid.UUID, int]:
    """How often each organization performed ``action`` since a time (for anomaly reports)."""
    return AuditRepository(session).counts_by_actor_org(action, since)
