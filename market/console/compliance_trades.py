"""Compliance on trades: the order review queue, revoking entitlements, and the emergency
stop of a buyer or a dataset.

The queue is the API's own view (``GET /reviews/orders``, built by ``trade.views``);
decisions go through ``trade.service`` and ``trade.revocation``, the services behind the
API's ``POST /reviews/...``, with the API's request models validating the forms. The API
lets only the compliance role do this, and so do these pages.

The emergency stop takes two steps: choosing a buyer and/or a dataset shows what would be
ended (the active entitlements, and the sandbox budgets the stop also closes), and only the
second form, with its confirmation ticked, revokes anything. The stop then stands until
compliance lifts it; the queue and the stop page show the standing stops, lifted on
``compliance_stops``'s pages.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from accounts import service as accounts
from accounts.models import OrgKind, Role
from billing import metering
from ground.dependencies import SessionDep
from ground.idempotency.route import ConsoleIdempotentRoute, IdempotentWrite
from listings import service as listings
from listings.models import DatasetStatus
from listings.views import dataset_read
from market.console import compliance_stops
from market.console.compliance_common import (
    PAGE_SIZE,
    dataset_titles,
    optional_choice,
    optional_uuid,
    page_links,
    pages,
)
from market.console.forms import FormFields, FormInvalid, blank_to_none, validate_form
from market.console.nav import NavItem
from market.console.session import ComplianceUser
from market.console.templating import redirect, render
from trade import revocation
from trade import service as trade
from trade.models import EntitlementStatus
from trade.schemas import EmergencyStop, OrderApproval, ReviewDecisionBody, RevocationBody
from trade.views import order_review_queue

router = APIRouter(prefix="/compliance", route_class=ConsoleIdempotentRoute)
_STAFF = frozenset({Role.compliance})
NAV = (
    NavItem("compliance.nav.orders", "/console/compliance/orders", _STAFF),
    NavItem("compliance.nav.entitlements", "/console/compliance/entitlements", _STAFF),
)
ORDERS = "/console/compliance/orders"
ENTITLEMENTS = "/console/compliance/entitlements"
STOP = "/console/compliance/emergency-stop"
CHOICES_LIMIT = 500  # organizations and datasets offered in the stop form's lists
DONE = frozenset({"approved", "rejected", "revoked"})


@router.get("/orders")
def orders(
    request: Request,
    user: ComplianceUser,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    done: str = "",
) -> Response:
    """Orders on graded data waiting for compliance, newest first: buyer, usage scenario,
    dataset grade, plan and duration, and the buyer's history."""
    # The API's view itself (``trade.views``), so the console shows what GET /reviews/orders
    # shows.
    items, total = order_review_queue(session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    _, standing = compliance_stops.standing_stops(session, limit=0)
    return render(
        request,
        "compliance/orders.html",
        user,
        {
            "standing_stops": standing,
            "orders": items,
            "total": total,
            "page": page,
            "pages": pages(total),
            "url_for_page": page_links(ORDERS, {}),
            "done": done if done in DONE else "",
        },
    )


@router.post("/orders/{order_id}/approve")
def approve_order(
    request: Request,
    order_id: uuid.UUID,
    user: ComplianceUser,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """Let the order proceed to payment, optionally capping its quota and duration."""
    fields = blank_to_none(form)
    body = validate_form(
        OrderApproval,
        {
            "note": fields.get("note") or "",
            "max_quota": fields.get("max_quota"),
            "max_valid_days": fields.get("max_valid_days"),
        },
    )
    trade.approve_order(
        session,
        user.principal,
        order_id,
        body.note,
        max_quota=body.max_quota,
        max_valid_days=body.max_valid_days,
    )
    return redirect(request, f"{ORDERS}?done=approved")


@router.post("/orders/{order_id}/reject")
def reject_order(
    request: Request,
    order_id: uuid.UUID,
    user: ComplianceUser,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """Refuse the order with a reason the buyer sees; it is cancelled."""
    body = validate_form(ReviewDecisionBody, {"note": form.get("reason", "").strip()})
    if not body.note:
        raise FormInvalid("Give the reason for rejecting the order.", "请填写驳回订单的理由。")
    trade.reject_order(session, user.principal, order_id, body.note)
    return redirect(request, f"{ORDERS}?done=rejected")


@router.get("/entitlements")
def entitlements(
    request: Request,
    user: ComplianceUser,
    session: SessionDep,
    buyer: Annotated[str, Query(max_length=64)] = "",
    dataset: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=20)] = "active",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    done: str = "",
    stopped: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """Entitlements of every buyer, newest first, each with its use so far and a revoke
    form; filtered by buyer organization, dataset and status."""
    buyer_id = optional_uuid(buyer, "buyer")
    dataset_id = optional_uuid(dataset, "dataset")
    chosen = optional_choice(EntitlementStatus, status, "status")
    rows, total = trade.entitlements(
        session,
        buyer_org_id=buyer_id,
        dataset_id=dataset_id,
        status=chosen,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    used = metering.usage_by_entitlement(session, [e.id for e in rows])
    names = accounts.organization_names(session, {e.buyer_org_id for e in rows})
    titles = dataset_titles(session, {e.dataset_id for e in rows})
    filters = {"buyer": buyer_id or "", "dataset": dataset_id or "", "status": chosen or ""}
    return render(
        request,
        "compliance/entitlements.html",
        user,
        {
            "entries": [
                {
                    "e": e,
                    "buyer_name": names.get(e.buyer_org_id, ""),
                    "dataset_title": titles[e.dataset_id],
                    "used": used.get(e.id),
                }
                for e in rows
            ],
            "total": total,
            "page": page,
            "pages": pages(total),
            "url_for_page": page_links(ENTITLEMENTS, filters),
            "filters": {k: str(v) for k, v in filters.items()},
            "statuses": list(EntitlementStatus),
            "done": done if done in DONE else "",
            "stopped": stopped,
        },
    )


@router.post("/entitlements/{entitlement_id}/revoke")
def revoke(
    request: Request,
    entitlement_id: uuid.UUID,
    user: ComplianceUser,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """End one entitlement at once: the buyer's next call is refused."""
    body = validate_form(RevocationBody, {"reason": form.get("reason", "")})
    entitlement = revocation.revoke(session, user.principal, entitlement_id, body.reason.strip())
    return redirect(request, f"{ENTITLEMENTS}?buyer={entitlement.buyer_org_id}&done=revoked")


@router.get("/emergency-stop")
def emergency_stop_form(
    request: Request,
    user: ComplianceUser,
    session: SessionDep,
    buyer: Annotated[str, Query(max_length=64)] = "",
    dataset: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Step one: choose a buyer organization, a dataset, or both. With a choice made, the
    page shows what the stop would end and asks for the reason and a confirmation. The
    standing stops are listed above, each with its lift form."""
    buyer_id = optional_uuid(buyer, "buyer")
    dataset_id = optional_uuid(dataset, "dataset")
    orgs, _ = accounts.list_organizations(session, limit=CHOICES_LIMIT, offset=0)
    datasets = [
        d
        for status in (DatasetStatus.listed, DatasetStatus.suspended)
        for d in listings.list_datasets(
            session, user.principal, status=status, limit=CHOICES_LIMIT, offset=0
        )[0]
    ]
    target = None
    if buyer_id or dataset_id:
        _, active = trade.entitlements(
            session,
            buyer_org_id=buyer_id,
            dataset_id=dataset_id,
            status=EntitlementStatus.active,
            limit=1,
            offset=0,
        )
        target = {
            "buyer": accounts.get_organization(session, buyer_id) if buyer_id else None,
            "dataset": dataset_read(listings.get_dataset(session, dataset_id))
            if dataset_id
            else None,
            "active": active,
        }
    standing, standing_total = compliance_stops.standing_stops(session)
    return render(
        request,
        "compliance/emergency_stop.html",
        user,
        {
            "standing": standing,
            "standing_total": standing_total,
            "orgs": [o for o in orgs if o.kind is not OrgKind.platform],
            "datasets": datasets,
            "chosen": {"buyer": str(buyer_id or ""), "dataset": str(dataset_id or "")},
            "target": target,
        },
    )


@router.post("/emergency-stop")
def emergency_stop(
    request: Request,
    user: ComplianceUser,
    _: IdempotentWrite,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """Step two: revoke every active entitlement of the buyer, on the dataset, or of the
    buyer on the dataset, and close the matching sandbox budgets, in one unit of work; the
    stop then stands until lifted."""
    fields = blank_to_none(form)
    if fields.get("confirm") != "1":
        raise FormInvalid(
            "Tick the confirmation to stop access; nothing was revoked.",
            "请勾选确认后再执行紧急停止；尚未撤销任何授权。",
        )
    body = validate_form(
        EmergencyStop,
        {
            "buyer_org_id": fields.get("buyer"),
            "dataset_id": fields.get("dataset"),
            "reason": fields.get("reason") or "",
        },
    )
    stop = revocation.emergency_stop(
        session,
        user.principal,
        buyer_org_id=body.buyer_org_id,
        dataset_id=body.dataset_id,
        reason=body.reason.strip(),
    )
    shown = {
        "buyer": body.buyer_org_id or "",
        "dataset": body.dataset_id or "",
        "status": EntitlementStatus.revoked.value,
        "stopped": stop.revoked_count,
    }
    return redirect(request, f"{ENTITLEMENTS}?{urlencode(shown)}")
