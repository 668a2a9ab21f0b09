"""The audit log viewer: filters, a record in full, chain verification and exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from accounts.models import Role, User
from audit import service as audit_service
from audit.models import AuditRecord
from ground.db import utcnow
from listings.models import Dataset
from tests.fixtures.audit import seal, sealed_records
from tests.fixtures.console import html as shown
from tests.fixtures.factories import create_user
from tests.market.console.conftest import SignIn

LOG = "/console/compliance/audit"


def _seqs(page: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr data-seq="(\d+)">', page)]


def _records(session: Session) -> list[AuditRecord]:
    return sealed_records(session)


def test_the_log_lists_records_newest_first_with_who_did_what(
    client: TestClient, session: Session, listed: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    page = client.get(LOG)
    assert page.status_code == 200
    seqs = _seqs(page.text)
    assert seqs == sorted(seqs, reverse=True)
    assert seqs[0] == _records(session)[-1].seq
    assert "listing.approve" in page.text
    assert "People register" in page.text  # the dataset's title, not its id
    assert reviewer.email in page.text  # the sign-in just recorded
    assert "《数据安全法》第三十二条" in page.text  # details in their own script, not \\u escapes


def test_filters_narrow_the_log(
    client: TestClient,
    session: Session,
    listed: Dataset,
    provider: User,
    reviewer: User,
    signed_in: SignIn,
) -> None:
    signed_in(reviewer)
    records = _records(session)

    def shown(**params: str) -> set[int]:
        page = client.get(LOG, params=params)
        assert page.status_code == 200
        return set(_seqs(page.text))

    listing = {r.seq for r in records if r.action.startswith("listing.")}
    assert listing
    assert shown(action="listing") == listing
    by_provider = {r.seq for r in records if r.actor_user_id == provider.id}
    assert by_provider
    assert shown(actor=str(provider.id)) == by_provider
    dataset_actions = {
        r.seq for r in records if r.dataset_id == listed.id and r.action.startswith("dataset.")
    }
    assert dataset_actions
    assert shown(dataset=str(listed.id), action="dataset") == dataset_actions
    today = utcnow().date()
    assert shown(since=(today + timedelta(days=1)).isoformat()) == set()
    assert shown(since=today.isoformat(), until=today.isoformat()) >= listing


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"actor": "alice"}, "actor：'alice' 不是有效的编号"),
        ({"since": "2026-13-01"}, "since：'2026-13-01' 不是有效日期"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "起始日期不能晚于结束日期"),
    ],
)
def test_a_malformed_filter_keeps_the_form_and_explains(
    client: TestClient,
    reviewer: User,
    signed_in: SignIn,
    params: dict[str, str],
    message: str,
) -> None:
    signed_in(reviewer)
    page = client.get(LOG, params=params)
    assert page.status_code == 400
    text = page.text.replace("&#39;", "'")
    assert message in text
    first = next(iter(params.values()))
    assert f'value="{first}"' in text  # what was typed stays in the form
    assert _seqs(text) == []


def test_a_record_in_full(
    client: TestClient, session: Session, listed: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    seal(session)
    approval = session.exec(
        select(AuditRecord).where(AuditRecord.action == "listing.approve")
    ).one()
    page = client.get(f"{LOG}/{approval.seq}")
    assert page.status_code == 200
    assert approval.hash in page.text
    assert approval.prev_hash in page.text
    assert "&#34;authorization_verified&#34;: true" in page.text  # the checklist in the details
    assert client.get(f"{LOG}/999999").status_code == 404


def test_verifying_an_intact_chain(
    client: TestClient, session: Session, listed: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    page = client.get(f"{LOG}/verify")
    assert page.status_code == 200
    assert 'data-chain="intact"' in page.text
    checked = shown("compliance.audit.intact_detail", count=f"{len(_records(session)):,}")
    assert checked in page.text
    fragment = client.get(f"{LOG}/verify", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert 'data-chain="intact"' in fragment.text


def test_verifying_says_how_many_records_are_not_sealed_yet(
    client: TestClient,
    session: Session,
    listed: Dataset,
    reviewer: User,
    signed_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Records written after a seal's cutoff stay unsealed; the page says how many, and that
    only their content hashes protect them until the next seal."""
    audit_service.record(session, "test.late", actor=None, dataset_id=listed.id)
    session.commit()
    monkeypatch.setattr(audit_service, "seal_cutoff", lambda: utcnow() - timedelta(days=3650))
    signed_in(reviewer)
    page = client.get(f"{LOG}/verify")
    unsealed = session.exec(select(AuditRecord).where(col(AuditRecord.seq).is_(None))).all()
    assert 'data-chain="intact"' in page.text
    assert f'data-unsealed="{len(unsealed)}"' in page.text
    assert shown("compliance.audit.unsealed", count=f"{len(unsealed):,}") in page.text


def test_verifying_names_the_first_broken_link(
    client: TestClient, session: Session, listed: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    seal(session)
    victim = session.exec(select(AuditRecord).where(AuditRecord.action == "listing.approve")).one()
    session.execute(
        update(AuditRecord).where(col(AuditRecord.id) == victim.id).values(details={"x": 1})
    )
    session.commit()
    page = client.get(f"{LOG}/verify").text
    assert 'data-chain="broken"' in page
    assert shown("compliance.audit.broken", seq=victim.seq) in page
    assert f"第 {victim.seq} 条记录被篡改" in page
    assert f'href="{LOG}/{victim.seq}"' in page
    client.cookies.set("lang", "en")
    english = client.get(f"{LOG}/verify").text
    assert f"Record {victim.seq} was altered" in english


def test_exports_follow_the_filters_and_carry_the_hashes(
    client: TestClient, session: Session, listed: Dataset, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    listing = [r for r in _records(session) if r.action.startswith("listing.")]
    page = client.get(LOG, params={"action": "listing"}).text
    assert f'href="{LOG}/export?action=listing&amp;format=csv"' in page

    as_csv = client.get(f"{LOG}/export", params={"action": "listing", "format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="sluice-audit.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(int(r["seq"]), r["hash"]) for r in rows] == [(r.seq, r.hash) for r in listing]

    as_jsonl = client.get(f"{LOG}/export", params={"action": "listing", "format": "jsonl"})
    assert as_jsonl.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert [line["hash"] for line in lines] == [r.hash for r in listing]


def test_an_unknown_export_format_is_refused(
    client: TestClient, reviewer: User, signed_in: SignIn
) -> None:
    signed_in(reviewer)
    response = client.get(f"{LOG}/export", params={"format": "xlsx"})
    assert response.status_code == 400
    assert "format" in response.text


def test_admins_read_the_log_but_providers_and_buyers_do_not(
    client: TestClient, session: Session, signed_in: SignIn
) -> None:
    admin = create_user(session, role=Role.admin)
    signed_in(admin)
    assert client.get(LOG).status_code == 200
    assert client.get(f"{LOG}/export").status_code == 200
    for role in (Role.provider, Role.buyer):
        client.cookies.clear()
        signed_in(create_user(session, role=role))
        assert client.get(f"{LOG}/export").status_code == 403
        assert client.get(f"{LOG}/verify").status_code == 403
