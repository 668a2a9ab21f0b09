"""Standing emergency stops for compliance: the list (standing or lifted) and lifting one.

The list is what ``GET /reviews/emergency-stops`` returns, with the names behind the ids;
lifting goes through ``trade.stops.lift``, the service behind ``POST
/reviews/emergency-stops/{id}/lift``, with the API's ``EmergencyStopLift`` validating the
reason (required). The form carries the CSRF token like every other. Lifting ends the
refusals only: the page says that what the stop revoked stays revoked.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role
from ground.dependencies import SessionDep, UnitOfWorkRoute
from market.console.compliance_common import (
    PAGE_SIZE,
    dataset_titles,
    optional_choice,
    page_links,
    pages,
    user_emails,
)
from market.console.forms import FormFields, validate_form
from market.console.nav import NavItem
from market.console.session import ComplianceUser
from market.console.templating import redirect, render
from trade import stops
from trade.models import EmergencyStop, StopStatus
from trade.schemas import EmergencyStopLift

router = APIRouter(prefix="/compliance", route_class=UnitOfWorkRoute)
NAV = (
    NavItem(
        "compliance.nav.stops", "/console/compliance/emergency-stops", frozenset({Role.compliance})
    ),
)
STOPS = "/console/compliance/emergency-stops"


def stop_rows(session: Session, rows: list[EmergencyStop]) -> list[dict[str, Any]]:
    """Each stop with the buyer's name, the dataset's title and who placed and lifted it."""
    names = accounts.organization_names(
        session, {s.buyer_org_id for s in rows if s.buyer_org_id is not None}
    )
    titles = dataset_titles(session, {s.dataset_id for s in rows})
    named: set[uuid.UUID | None] = {s.created_by_id for s in rows}
    people = user_emails(session, named | {s.lifted_by_id for s in rows})
    return [
        {
            "s": s,
            "buyer_name": names.get(s.buyer_org_id) if s.buyer_org_id else None,
            "dataset_title": titles.get(s.dataset_id) if s.dataset_id else None,
            "placed_by": people.get(s.created_by_id, ""),
            "lifted_by": people.get(s.lifted_by_id) if s.lifted_by_id else None,
        }
        for s in rows
    ]


def standing_stops(session: Session, *, limit: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], int]:
    """The newest standing stops, ready for ``compliance/_stops_table.html``, and how many
    stand in all (the trade review pages show them)."""
    rows, total = stops.list_stops(session, status=StopStatus.active, limit=limit, offset=0)
    return stop_rows(session, rows), total


@router.get("/emergency-stops")
def stop_list(
    request: Request,
    user: ComplianceUser,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "active",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    done: str = "",
) -> Response:
    """Emergency stops, newest first: standing ones (each with a lift form) or lifted ones,
    with who placed and lifted them, and why."""
    chosen = optional_choice(StopStatus, status, "status")
    rows, total = stops.list_stops(
        session, status=chosen, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render(
        request,
        "compliance/emergency_stops.html",
        user,
        {
            "entries": stop_rows(session, rows),
            "total": total,
            "page": page,
            "pages": pages(total),
            "url_for_page": page_links(STOPS, {"status": chosen or ""}),
            "status": chosen or "",
            "statuses": list(StopStatus),
            "done": done == "lifted",
        },
    )


@router.post("/emergency-stops/{stop_id}/lift")
def lift(
    request: Request,
    stop_id: uuid.UUID,
    user: ComplianceUser,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """Lift a standing stop, with the reason (required, audited). What it revoked stays
    revoked; the buyer orders anew."""
    body = validate_form(EmergencyStopLift, {"reason": form.get("reason", "")})
    stops.lift(session, user.principal, stop_id, body.reason)
    return redirect(request, f"{STOPS}?status=lifted&done=lifted")
