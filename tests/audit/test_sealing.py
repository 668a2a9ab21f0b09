"""Appending and sealing: an action's record is written with it (content hash only), the sealer
chains committed records in order, and `verify` names the first broken record whatever was
tampered with: content, chain fields, a sealed record deleted, one forged beyond the head, an
unsealed record edited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, col, select

from accounts.models import Role
from audit import service as audit
from audit import tasks as audit_tasks
from audit.chain import link_hash
from audit.models import AuditHead, AuditRecord
from market.shell.worker import BEAT_SCHEDULE
from tests.fixtures.audit import seal, sealed_records
from tests.fixtures.factories import create_user, principal_of


def _append(session: Session, count: int, action: str = "test.event") -> None:
    actor = principal_of(create_user(session, role=Role.admin))
    for n in range(count):
        audit.record(session, action, actor=actor, details={"n": n})
    session.commit()


def _mine(session: Session, action: str = "test.event") -> list[AuditRecord]:
    stmt = select(AuditRecord).where(AuditRecord.action == action)
    return list(session.exec(stmt.order_by(col(AuditRecord.at), col(AuditRecord.id))).all())


def test_a_committed_record_has_its_content_hash_and_no_place_until_sealed(
    session: Session,
) -> None:
    _append(session, 3)
    records = _mine(session)
    assert [r.seq for r in records] == [None, None, None]
    assert all(r.hash is None and r.prev_hash is None for r in records)
    assert [r.details["n"] for r in records] == [0, 1, 2]  # the order they were recorded in
    assert all(r.content_hash == audit.content_hash_of(r) for r in records)


def test_sealing_chains_records_in_order_onto_the_head(session: Session) -> None:
    _append(session, 4)
    seal(session)
    records = _mine(session)
    head = session.get(AuditHead, 1, populate_existing=True)
    assert head is not None
    everything = sealed_records(session)
    assert [r.seq for r in everything] == list(range(1, len(everything) + 1))
    assert [r.details["n"] for r in records] == [0, 1, 2, 3]
    assert [r.seq for r in records] == sorted(r.seq for r in records if r.seq)
    previous = "0" * 64
    for r in everything:
        assert r.prev_hash == previous
        assert r.seq is not None
        assert r.hash == link_hash(seq=r.seq, prev_hash=previous, content_hash=r.content_hash)
        previous = r.hash
    assert (head.last_seq, head.last_hash) == (everything[-1].seq, everything[-1].hash)


def test_sealing_twice_chains_nothing_twice(session: Session) -> None:
    _append(session, 2)
    seal(session)
    before = [(r.seq, r.hash) for r in sealed_records(session)]
    assert audit.seal_all(session) == 0
    assert [(r.seq, r.hash) for r in sealed_records(session)] == before


def test_the_beat_seals_the_log(session: Session) -> None:
    assert "audit.seal" in {entry["task"] for entry in BEAT_SCHEDULE.values()}
    _append(session, 2)
    assert audit_tasks.seal.apply().get()["sealed"] >= 2
    assert all(r.seq is not None for r in _mine(session))


def test_the_task_seals_a_backlog_larger_than_one_batch(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "SEAL_BATCH", 2)
    _append(session, 5)
    audit_tasks.seal.apply().get()
    assert all(r.seq is not None for r in _mine(session))
    assert audit.verify(session, seal_first=False).ok


def _edit_details(session: Session, victim: AuditRecord) -> None:
    session.execute(
        update(AuditRecord).where(col(AuditRecord.id) == victim.id).values(details={"n": 999})
    )
    session.commit()


def _tampered(session: Session, sql: str, **params: object) -> audit.VerifyReport:
    session.execute(text(sql), params)
    session.commit()
    return audit.verify(session)


def test_an_edited_chain_field_is_named(session: Session) -> None:
    _append(session, 4)
    victim = sealed_records(session)[-2]
    report = _tampered(
        session, "UPDATE audit_record SET hash = :h WHERE seq = :seq", h="f" * 64, seq=victim.seq
    )
    assert not report.ok
    assert report.first_broken_seq == victim.seq
    assert "altered" in (report.reason or "")


def test_a_record_forged_beyond_the_head_is_named(session: Session) -> None:
    _append(session, 2)
    last = sealed_records(session)[-1]
    assert last.seq is not None
    assert last.hash is not None
    seq = last.seq + 1
    forged = AuditRecord(action="test.forged", details={}, seq=seq, prev_hash=last.hash)
    forged.content_hash = audit.content_hash_of(forged)
    forged.hash = link_hash(seq=seq, prev_hash=last.hash, content_hash=forged.content_hash)
    session.add(forged)
    session.commit()
    report = audit.verify(session)
    assert not report.ok
    assert report.first_broken_seq == last.seq + 1
    assert report.first_broken_id == forged.id
    assert "inserted" in (report.reason or "")


@pytest.fixture
def sealed_then_appended(session: Session) -> None:
    """Records sealed, then three more committed (the beat has not run since)."""
    _append(session, 1)
    seal(session)
    _append(session, 3, action="test.late")


@pytest.mark.usefixtures("sealed_then_appended")
def test_an_edited_unsealed_record_is_named_by_its_id(session: Session) -> None:
    victim = _mine(session, "test.late")[0]
    _edit_details(session, victim)
    report = audit.verify(session, seal_first=False)
    assert not report.ok
    assert report.first_broken_seq is None
    assert report.first_broken_id == victim.id
    assert "Unsealed" in (report.reason or "")


@pytest.mark.usefixtures("sealed_then_appended")
def test_verify_counts_the_unsealed_records_it_checked(session: Session) -> None:
    unsealed = session.exec(select(AuditRecord).where(col(AuditRecord.seq).is_(None))).all()
    assert len(unsealed) >= 3  # the user it created for them recorded too
    report = audit.verify(session, seal_first=False)
    assert report.ok, report.reason
    assert report.unsealed == len(unsealed)
    sealing = audit.verify(session)
    assert sealing.ok
    assert sealing.unsealed == 0
    assert sealing.records_checked == report.records_checked + len(unsealed)


def test_a_sealed_edit_is_found_after_the_record_was_edited_before_sealing(
    session: Session,
) -> None:
    """Edited while unsealed, then sealed: the chain seals the edit, the content hash names it."""
    _append(session, 2)
    victim = _mine(session)[0]
    _edit_details(session, victim)
    report = audit.verify(session)
    assert not report.ok
    assert report.first_broken_id == victim.id
    sealed = session.get(AuditRecord, victim.id, populate_existing=True)
    assert sealed is not None
    assert report.first_broken_seq == sealed.seq


def test_a_seal_leaves_records_written_after_its_cutoff_to_the_next(session: Session) -> None:
    """So a steady stream of new records cannot keep one seal (or a verification) running."""
    seal(session)
    _append(session, 2)
    unsealed = session.exec(select(AuditRecord).where(col(AuditRecord.seq).is_(None))).all()
    written = [r.at for r in unsealed]
    assert audit.seal(session, until=min(written) - timedelta(microseconds=1)) == 0
    assert audit.seal(session, until=max(written)) == len(unsealed)
