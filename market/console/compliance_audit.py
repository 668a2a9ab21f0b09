"""The audit log viewer: search with filters, one record in full, chain verification and the
regulator's exports.

Everything comes from ``audit.service``, as ``GET /audit``, ``/audit/verify`` and
``/audit/export`` do; compliance staff and admins may use it, as in the API. The exports are
the API's own format (``audit.export``), hashes included, so a regulator can
re-verify a downloaded file; they are served here because a browser carries the session
cookie, not the API's bearer token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role
from audit import export as audit_export
from audit import service as audit
from audit.export import ExportFormat
from audit.models import AuditRecord
from audit.repository import AuditFilter
from ground.db import new_session, unit_of_work
from ground.dependencies import SessionDep, UnitOfWorkRoute
from ground.ops.logs import get_logger
from market.console.compliance_common import (
    PAGE_SIZE,
    dataset_titles,
    optional_choice,
    optional_day,
    optional_uuid,
    page_links,
    pages,
    user_emails,
)
from market.console.forms import FormInvalid
from market.console.i18n import lang_of
from market.console.nav import NavItem
from market.console.session import StaffUser
from market.console.templating import render

log = get_logger(__name__)

router = APIRouter(prefix="/compliance/audit", route_class=UnitOfWorkRoute)
NAV = (
    NavItem(
        "compliance.nav.audit",
        "/console/compliance/audit",
        frozenset({Role.compliance, Role.admin}),
    ),
)
BASE = "/console/compliance/audit"
# Offered as suggestions in the action filter; a prefix matches every action under it.
ACTION_PREFIXES = (
    "listing",
    "dataset",
    "policy",
    "order",
    "entitlement",
    "sandbox",
    "data",
    "auth",
    "api_key",
    "user",
    "organization",
)
FilterText = Annotated[str, Query(max_length=64)]


def _filter(actor: str, action: str, dataset: str, since: str, until: str) -> AuditFilter:
    """The API's ``AuditFilter`` from the form's text fields (400 on a malformed one)."""
    start = optional_day(since, "since")
    end = optional_day(until, "until", end_of_day=True)
    if start and end and start >= end:
        raise FormInvalid("since must not be after until.", "起始日期不能晚于结束日期。")
    return AuditFilter(
        actor_user_id=optional_uuid(actor, "actor"),
        dataset_id=optional_uuid(dataset, "dataset"),
        action=action.strip() or None,
        since=start,
        until=end,
    )


def _names(session: Session, records: list[AuditRecord]) -> dict[str, dict[Any, str]]:
    """Who and what the records name, looked up once per distinct id on the page."""
    orgs = {r.actor_org_id for r in records if r.actor_org_id is not None}
    return {
        "users": dict(user_emails(session, {r.actor_user_id for r in records})),
        "orgs": dict(accounts.organization_names(session, orgs)),
        "datasets": dataset_titles(session, {r.dataset_id for r in records}),
    }


@router.get("")
def audit_log(
    request: Request,
    user: StaffUser,
    session: SessionDep,
    actor: FilterText = "",
    action: FilterText = "",
    dataset: FilterText = "",
    since: FilterText = "",
    until: FilterText = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Audit records, newest first, filtered by acting user, action (or its prefix), dataset
    and a range of UTC days, with links to each record, to verification and to exports."""
    typed = {"actor": actor, "action": action, "dataset": dataset, "since": since, "until": until}
    error = None
    records: list[AuditRecord] = []
    total = 0
    try:
        where = _filter(actor, action, dataset, since, until)
        records, total = audit.search(
            session, where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    except FormInvalid as exc:
        log.info("audit filter refused", error=type(exc).__name__)
        error = exc.detail_zh if lang_of(request) == "zh" else exc.detail
    kept = {k: v.strip() for k, v in typed.items() if v.strip()}
    return render(
        request,
        "compliance/audit.html",
        user,
        {
            "records": records,
            # Readable in any language: tojson would escape every Chinese character.
            "summaries": {
                r.seq: json.dumps(r.details, ensure_ascii=False, sort_keys=True) for r in records
            },
            "names": _names(session, records),
            "total": total,
            "page": page,
            "pages": pages(total),
            "url_for_page": page_links(BASE, kept),
            "filters": typed,
            "query": kept,
            "error": error,
            "prefixes": ACTION_PREFIXES,
        },
        status_code=400 if error else 200,
    )


@router.get("/verify")
def verify(request: Request, user: StaffUser, session: SessionDep) -> Response:
    """Recompute the hash chain from the first record: intact, or the first broken link and
    why. htmx swaps the result into the log page; without JavaScript it is a page."""
    report = audit.verify(session)
    fragment = request.headers.get("HX-Request") == "true"
    template = "compliance/_verify_result.html" if fragment else "compliance/audit_verify.html"
    return render(request, template, user, {"report": report})


@router.get("/export")
def export(
    user: StaffUser,
    format: Annotated[str, Query(max_length=10)] = "csv",
    actor: FilterText = "",
    action: FilterText = "",
    dataset: FilterText = "",
    since: FilterText = "",
    until: FilterText = "",
) -> StreamingResponse:
    """The matching records in chain order, as CSV or JSON lines, hashes included: the
    export of ``GET /audit/export``."""
    fmt = optional_choice(ExportFormat, format, "format") or ExportFormat.csv
    where = _filter(actor, action, dataset, since, until)

    def chunks() -> Iterator[str]:
        # Its own sessions: the stream outlives the request's unit of work. The seal commits
        # first, so the export covers every record committed before it.
        with unit_of_work() as sealing:
            audit.seal_all(sealing)
        with new_session() as session:
            yield from audit_export.render(audit.export(session, where), fmt)

    media = "text/csv; charset=utf-8" if fmt is ExportFormat.csv else "application/x-ndjson"
    return StreamingResponse(
        chunks(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="sluice-audit.{fmt.value}"'},
    )


@router.get("/{seq}")
def record(
    request: Request,
    seq: Annotated[int, PathParam(ge=1)],
    user: StaffUser,
    session: SessionDep,
) -> Response:
    """One record in full: every hashed field, its details, and its links in the chain."""
    entry = audit.get_record(session, seq)
    newest, _ = audit.search(session, AuditFilter(), limit=1, offset=0)
    return render(
        request,
        "compliance/audit_record.html",
        user,
        {
            "r": entry,
            "names": _names(session, [entry]),
            "details": json.dumps(entry.details, ensure_ascii=False, indent=2, sort_keys=True),
            "last_seq": newest[0].seq if newest else entry.seq,
        },
    )
