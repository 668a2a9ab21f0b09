"""The sealing migration: records chained before it keep their hashes and still verify, new ones
are sealed after them, and the downgrade re-chains with the original formula (refusing a
tampered log)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from audit import service as audit
from audit.chain import legacy_record_hash
from audit.models import GENESIS_HASH, AuditHead, AuditRecord
from ground import db
from ground.db import UTCDateTime, utcnow
from market.shell import migrations

BEFORE_SEALING = "c4e1d2a9b7f3"
SEALING = "0b126067b4a8"
OLD_RECORDS = 3
old_record = sa.table(
    "audit_record",
    sa.column("id", sa.Uuid()),
    sa.column("seq", sa.BigInteger()),
    sa.column("at", UTCDateTime()),
    sa.column("action", sa.String()),
    sa.column("details", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _legacy_hash(
    seq: int, at: datetime, action: str, details: dict[str, Any], prev_hash: str
) -> str:
    """The previous revision's hash of a record that names no actor, dataset or subject."""
    return legacy_record_hash(
        seq=seq,
        at=at,
        action=action,
        actor_user_id=None,
        actor_org_id=None,
        actor_role=None,
        dataset_id=None,
        subject_id=None,
        details=details,
        prev_hash=prev_hash,
    )


def _old_chain(url: str) -> str:
    """Records chained as the previous revision did (head advanced); returns the head hash."""
    prev, start = GENESIS_HASH, utcnow()
    with db.engine_for(url).begin() as conn:
        for seq in range(1, OLD_RECORDS + 1):
            at, details = start + timedelta(seconds=seq), {"n": seq, "名": "值"}
            digest = _legacy_hash(seq, at, "old.event", details, prev)
            conn.execute(
                old_record.insert(),
                {"id": uuid.uuid4(), "seq": seq, "at": at, "action": "old.event",
                 "details": details, "prev_hash": prev, "hash": digest},
            )  # fmt: skip
            prev = digest
        conn.execute(
            sa.text("UPDATE audit_head SET last_seq = :seq, last_hash = :hash"),
            {"seq": OLD_RECORDS, "hash": prev},
        )
    return prev


@pytest.fixture
def upgraded_over_an_old_chain(scratch_database_url: str) -> str:
    migrations.upgrade(scratch_database_url, BEFORE_SEALING)
    _old_chain(scratch_database_url)
    migrations.upgrade(scratch_database_url, SEALING)
    return scratch_database_url


def _session(url: str) -> Session:
    return Session(db.engine_for(url), expire_on_commit=False)


def _append_and_seal(url: str, count: int) -> None:
    with _session(url) as session:
        for n in range(count):
            audit.record(session, "new.event", actor=None, details={"n": n})
        session.commit()
        audit.seal_all(session)
        session.commit()


def test_old_records_keep_their_hashes_and_new_ones_are_sealed_after_them(
    upgraded_over_an_old_chain: str,
) -> None:
    url = upgraded_over_an_old_chain
    with _session(url) as session:
        head = session.get(AuditHead, 1)
        assert head is not None
        assert head.legacy_through == OLD_RECORDS
        old_head = head.last_hash
    _append_and_seal(url, 2)
    with _session(url) as session:
        report = audit.verify(session)
        new = session.exec(select(AuditRecord).where(AuditRecord.action == "new.event")).all()
    assert report.ok, report.reason
    assert report.records_checked == OLD_RECORDS + 2
    assert sorted(r.seq for r in new if r.seq) == [OLD_RECORDS + 1, OLD_RECORDS + 2]
    assert [r.prev_hash for r in new if r.seq == OLD_RECORDS + 1] == [old_head]


def test_an_edited_old_record_is_still_found(upgraded_over_an_old_chain: str) -> None:
    url = upgraded_over_an_old_chain
    with db.engine_for(url).begin() as conn:
        conn.execute(old_record.update().where(old_record.c.seq == 2).values(details={"n": 0}))
    with _session(url) as session:
        report = audit.verify(session)
    assert not report.ok
    assert report.first_broken_seq == 2


def test_the_downgrade_rechains_with_the_original_formula(
    upgraded_over_an_old_chain: str,
) -> None:
    url = upgraded_over_an_old_chain
    _append_and_seal(url, 2)
    with _session(url) as session:
        audit.record(session, "unsealed.event", actor=None)
        session.commit()
    migrations.downgrade(url, BEFORE_SEALING)
    with db.engine_for(url).connect() as conn:
        rows = conn.execute(sa.select(old_record).order_by(old_record.c.seq)).all()
        head = conn.execute(sa.text("SELECT last_seq, last_hash FROM audit_head")).one()
    assert [r.seq for r in rows] == list(range(1, OLD_RECORDS + 4))
    prev = GENESIS_HASH
    for r in rows:
        assert r.prev_hash == prev
        assert r.hash == _legacy_hash(r.seq, r.at, r.action, r.details, prev)
        prev = r.hash
    assert tuple(head) == (OLD_RECORDS + 3, prev)


def test_the_downgrade_refuses_to_rechain_a_tampered_log(upgraded_over_an_old_chain: str) -> None:
    url = upgraded_over_an_old_chain
    _append_and_seal(url, 2)
    with db.engine_for(url).begin() as conn:
        conn.execute(
            old_record.update().where(old_record.c.seq == OLD_RECORDS + 2).values(details={})
        )
    before = _chain_fields(url)
    with pytest.raises(RuntimeError, match="Refusing to downgrade"):
        migrations.downgrade(url, BEFORE_SEALING)
    assert _chain_fields(url) == before  # nothing re-chained


def _chain_fields(url: str) -> list[tuple[int | None, str | None, str | None]]:
    with _session(url) as session:
        rows = session.exec(select(AuditRecord).order_by(col(AuditRecord.seq))).all()
        return [(r.seq, r.prev_hash, r.hash) for r in rows]
