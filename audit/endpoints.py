"""The audit log for compliance staff and administrators: search, verify, export."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from accounts.dependencies import require_roles
from accounts.models import Role
from accounts.principal import Principal
from audit import service
from audit.export import ExportFormat, render
from audit.repository import AuditFilter
from audit.schemas import AuditRecordRead, VerifyRead
from ground.db import new_session, unit_of_work
from ground.dependencies import SessionDep, UnitOfWorkRoute
from ground.pagination import Page, PageDep

router = APIRouter(tags=["audit"], route_class=UnitOfWorkRoute)
AuditorPrincipal = Annotated[Principal, Depends(require_roles(Role.compliance, Role.admin))]


def audit_filter(
    actor: Annotated[uuid.UUID | None, Query(description="Acting user id")] = None,
    organization: Annotated[uuid.UUID | None, Query(description="Acting organization")] = None,
    dataset_id: Annotated[uuid.UUID | None, Query()] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="An action, or a prefix like `listing`")
    ] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time")] = None,
) -> AuditFilter:
    return AuditFilter(
        actor_user_id=actor,
        actor_org_id=organization,
        dataset_id=dataset_id,
        action=action,
        since=since,
        until=until,
    )


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("/audit", response_model=Page[AuditRecordRead])
def search_audit(
    _auditor: AuditorPrincipal, session: SessionDep, where: FilterDep, page: PageDep
) -> Page[AuditRecordRead]:
    """Audit records, newest first, filtered by actor, organization, dataset, action and time."""
    rows, total = service.search(session, where, limit=page.limit, offset=page.offset)
    items = [AuditRecordRead.model_validate(r.model_dump()) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/audit/verify", response_model=VerifyRead)
def verify_audit(_auditor: AuditorPrincipal, session: SessionDep) -> VerifyRead:
    """Seal what is committed, recompute the hash chain and check the unsealed records'
    content hashes; `ok` is false with the first broken record named (`first_broken_seq` is
    null for an unsealed one), `unsealed` counts the records committed since the seal."""
    report = service.verify(session)
    return VerifyRead.model_validate(report, from_attributes=True)


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export_audit(
    _auditor: AuditorPrincipal,
    where: FilterDep,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.csv,
) -> StreamingResponse:
    """The matching records in chain order, as CSV or JSON lines, hashes included (every
    record committed before the request is sealed first)."""

    def chunks() -> Iterator[str]:
        # Its own sessions: the stream outlives the request's unit of work. The seal commits
        # first, so the export covers every record committed before it.
        with unit_of_work() as sealing:
            service.seal_all(sealing)
        with new_session() as session:
            yield from render(service.export(session, where), fmt)

    media = "text/csv; charset=utf-8" if fmt is ExportFormat.csv else "application/x-ndjson"
    filename = f"sluice-audit.{fmt.value}"
    return StreamingResponse(
        chunks(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
