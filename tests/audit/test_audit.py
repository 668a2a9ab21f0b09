"""The audit log: every action leaves a chained record in its own transaction, and any edit or
deletion of a stored record is found by `verify`, which names the first broken link."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from accounts.models import Role, User
from audit import service as audit
from audit.models import AuditRecord
from ground import db
from ground.config import Settings
from ground.errors import NotFound
from market.shell.cli import app as cli_app
from tests.fixtures.audit import sealed_records
from tests.fixtures.client import bearer
from tests.fixtures.factories import (
    PASSWORD,
    create_listed_dataset,
    create_user,
    principal_of,
)


def _actions(session: Session) -> list[str]:
    return list(session.exec(select(AuditRecord.action).order_by(col(AuditRecord.seq))).all())


@pytest.fixture
def auditor(session: Session) -> User:
    user = create_user(session, role=Role.compliance)
    session.commit()
    return user


def test_actions_are_recorded_with_who_what_and_details(
    client: TestClient, session: Session, settings: Settings, auditor: User
) -> None:
    provider = create_user(session, role=Role.provider)
    dataset = create_listed_dataset(session, settings, provider=provider, reviewer=auditor)
    session.commit()
    login = client.post(
        "/api/v1/auth/token", data={"username": provider.email, "password": PASSWORD}
    )
    assert login.status_code == 200
    records = client.get(
        "/api/v1/audit", params={"dataset_id": str(dataset.id)}, headers=bearer(auditor, settings)
    ).json()["items"]
    by_action = {r["action"]: r for r in records}
    assert set(by_action) == {
        "dataset.upload",
        "dataset.profile",
        "dataset.authorization",
        "dataset.grade_proposed",
        "dataset.submit",
        "listing.approve",
    }
    upload = by_action["dataset.upload"]
    assert upload["actor_user_id"] == str(provider.id)
    assert upload["actor_role"] == "provider"
    assert upload["details"]["rows"] == 50
    assert by_action["listing.approve"]["details"]["reason"] == "approved in a test"
    logins = client.get(
        "/api/v1/audit",
        params={"action": "auth", "actor": str(provider.id)},
        headers=bearer(auditor, settings),
    ).json()
    assert [r["action"] for r in logins["items"]] == ["auth.login"]


def test_a_refused_action_leaves_no_record(
    client: TestClient, session: Session, settings: Settings
) -> None:
    provider = create_user(session, role=Role.provider)
    session.commit()
    before = _actions(session)
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(provider, settings),
        files={"file": ("bad.csv", b"a,b\n1,2,3\n", "text/csv")},
        data={"title": "t", "domain": "d"},
    )
    assert response.status_code == 422
    assert _actions(session) == before


def test_every_data_call_is_recorded_with_rows_returned(
    client: TestClient, session: Session, settings: Settings, auditor: User
) -> None:
    provider, buyer = (
        create_user(session, role=Role.provider),
        create_user(session, role=Role.buyer),
    )
    dataset = create_listed_dataset(session, settings, provider=provider, reviewer=auditor)
    session.commit()
    headers = bearer(buyer, settings)
    plan = client.get(f"/api/v1/datasets/{dataset.id}/plans", headers=headers).json()[0]
    order = client.post(
        "/api/v1/orders",
        headers=headers,
        json={"dataset_id": str(dataset.id), "plan_id": plan["id"], "usage_scenario": "风控"},
    )
    key = client.post("/api/v1/api-keys", headers=headers, json={"name": "k"}).json()
    rows = client.get(
        f"/api/v1/data/{dataset.id}/rows", params={"limit": 7}, headers={"X-API-Key": key["secret"]}
    )
    assert rows.status_code == 200
    calls = client.get(
        "/api/v1/audit", params={"action": "data.rows"}, headers=bearer(auditor, settings)
    ).json()["items"]
    assert len(calls) == 1
    assert calls[0]["details"]["rows_returned"] == 7
    assert calls[0]["details"]["api_key_id"] == key["id"]
    assert calls[0]["details"]["usage_scenario"] == "风控"
    assert calls[0]["subject_id"] == order.json()["entitlement"]["id"]
    assert calls[0]["actor_org_id"] == str(buyer.organization_id)
    created = client.get(
        "/api/v1/audit", params={"action": "order.create"}, headers=bearer(auditor, settings)
    ).json()["items"]
    assert created[0]["details"]["usage_scenario"] == "风控"
    assert created[0]["actor_user_id"] == str(buyer.id)


def _seed_chain(session: Session, count: int = 5) -> list[AuditRecord]:
    """Records appended and sealed (as the beat's seal task would)."""
    actor = principal_of(create_user(session, role=Role.admin))
    for n in range(count):
        audit.record(session, "test.event", actor=actor, details={"n": n, "名": "值"})
    session.commit()
    return sealed_records(session)


def test_verify_accepts_an_intact_chain(
    client: TestClient, session: Session, settings: Settings, auditor: User
) -> None:
    records = _seed_chain(session)
    report = client.get("/api/v1/audit/verify", headers=bearer(auditor, settings)).json()
    assert report["ok"] is True
    assert report["records_checked"] == records[-1].seq
    assert report["head_hash"] == records[-1].hash


def test_verify_names_a_record_edited_in_the_database(
    client: TestClient, session: Session, settings: Settings, auditor: User
) -> None:
    records = _seed_chain(session)
    victim = records[-3]
    session.execute(
        text("UPDATE audit_record SET details = :d WHERE seq = :seq"),
        {"d": json.dumps({"n": 999}), "seq": victim.seq},
    )
    session.commit()
    report = client.get("/api/v1/audit/verify", headers=bearer(auditor, settings)).json()
    assert report["ok"] is False
    assert report["first_broken_seq"] == victim.seq
    assert report["first_broken_id"] == str(victim.id)
    assert "altered" in report["reason"]
    assert "篡改" in report["reason_zh"]


def _delete(session: Session, record: AuditRecord) -> None:
    session.execute(text("DELETE FROM audit_record WHERE seq = :seq"), {"seq": record.seq})
    session.commit()


def test_verify_names_a_deleted_record(
    client: TestClient, session: Session, settings: Settings, auditor: User
) -> None:
    records = _seed_chain(session)
    _delete(session, records[-2])
    report = client.get("/api/v1/audit/verify", headers=bearer(auditor, settings)).json()
    assert report["ok"] is False
    assert report["first_broken_seq"] == records[-2].seq
    assert "deleted" in report["reason"]


def test_verify_notices_records_deleted_from_the_end(
    client: TestClient, session: Session, settings: Settings, auditor: User
) -> None:
    records = _seed_chain(session)
    _delete(session, records[-1])
    report = client.get("/api/v1/audit/verify", headers=bearer(auditor, settings)).json()
    assert report["ok"] is False
    assert report["first_broken_seq"] == records[-1].seq
    assert "end" in report["reason"]


def test_cli_verify_exits_non_zero_on_a_broken_chain(session: Session, settings: Settings) -> None:
    records = _seed_chain(session)
    runner = CliRunner()
    intact = runner.invoke(cli_app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "OK" in intact.output
    _delete(session, records[1])
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"record {records[1].seq}" in broken.output


def test_export_as_csv_and_json_lines_carries_the_hashes(
    client: TestClient, session: Session, settings: Settings, auditor: User
) -> None:
    records = _seed_chain(session, count=3)
    headers = bearer(auditor, settings)
    as_csv = client.get(
        "/api/v1/audit/export", params={"format": "csv", "action": "test"}, headers=headers
    )
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["hash"] for r in rows] == [r.hash for r in records[-3:]]
    assert json.loads(rows[0]["details"])["名"] == "值"
    as_jsonl = client.get(
        "/api/v1/audit/export", params={"format": "jsonl", "action": "test"}, headers=headers
    )
    lines = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert [line["seq"] for line in lines] == [r.seq for r in records[-3:]]


def test_filters_by_time_window(
    client: TestClient, session: Session, settings: Settings, auditor: User
) -> None:
    records = _seed_chain(session, count=3)
    headers = bearer(auditor, settings)
    since = records[-1].at.isoformat()
    found = client.get("/api/v1/audit", params={"since": since, "action": "test"}, headers=headers)
    assert [r["seq"] for r in found.json()["items"]] == [records[-1].seq]


def test_concurrent_appends_form_one_unbroken_chain(
    committed_database: str, settings: Settings
) -> None:
    """Real transactions on real threads append without waiting for each other; sealed
    afterwards (by ``verify``), no two records claim the same place or predecessor."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(5):
                with db.unit_of_work() as session:
                    audit.record(
                        session, "test.concurrent", actor=None, details={"w": worker, "n": n}
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with db.new_session() as session:
        report = audit.verify(session)
    assert report.ok, report.reason
    assert report.records_checked == 40


def test_auditors_only(client: TestClient, session: Session, settings: Settings) -> None:
    buyer = create_user(session, role=Role.buyer)
    session.commit()
    assert client.get("/api/v1/audit", headers=bearer(buyer, settings)).status_code == 403


def test_one_record_by_its_place_in_the_chain(session: Session) -> None:
    first, last = _seed_chain(session, count=2)[-2:]
    assert first.seq is not None
    assert last.seq is not None
    assert audit.get_record(session, first.seq).hash == first.hash
    with pytest.raises(NotFound) as refused:
        audit.get_record(session, last.seq + 1)
    assert refused.value.status_code == 404
    assert "审计记录" in refused.value.detail_zh


def test_a_refusal_is_recorded_although_its_request_rolls_back(
    session: Session, auditor: User
) -> None:
    """An ordinary record vanishes with a rolled-back request; a refusal's is written anyway,
    chained like the rest."""

    class Refused(Exception):
        pass

    def refused_request() -> None:
        with db.unit_of_work() as request:
            audit.record(request, "kept.never", actor=principal_of(auditor))
            audit.record_refusal(
                request, "kept.refusal", actor=principal_of(auditor), details={"door": "x"}
            )
            raise Refused

    with pytest.raises(Refused):
        refused_request()
    session.expire_all()
    assert "kept.never" not in _actions(session)
    [record] = session.exec(select(AuditRecord).where(AuditRecord.action == "kept.refusal")).all()
    assert record.details == {"door": "x"}
    assert audit.verify(session).ok


def test_a_refusal_in_a_request_that_commits_is_recorded_once(
    session: Session, auditor: User
) -> None:
    with db.unit_of_work() as request:
        audit.record_refusal(request, "kept.refusal", actor=principal_of(auditor))
    session.expire_all()
    assert _actions(session).count("kept.refusal") == 1
