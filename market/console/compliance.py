"""Compliance: the listing review queue, a dataset's review page, and the decisions on it
(approve with the checklist, reject, suspend, reinstate).

The review page shows exactly what ``GET /reviews/listings/{id}`` returns, because it calls
that view; every decision goes through ``listings.review``, the service behind the API's
``POST /reviews/listings/...``, with the API's request models validating the forms. A refused
decision (a checklist item left unticked, core data, a dataset no longer in review) raises the
service's bilingual error and the unit of work rolls back, so nothing changes. The API lets
only the compliance role review listings, not admins; so do these pages.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role
from accounts.principal import Principal
from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute
from listings import authorization, exposure, review
from listings import service as listings
from listings.models import DataGrade, Dataset, DatasetStatus
from listings.policies import PreviewDoor
from listings.review import QueueKind
from listings.schemas import ApprovalRequest, RejectionReason
from listings.versions import has_pending_change
from listings.views import attachment_file, dataset_read, k_read, review_detail
from market.console.compliance_common import (
    PAGE_SIZE,
    optional_choice,
    page_links,
    pages,
    user_emails,
)
from market.console.forms import FormFields, blank_to_none, validate_form
from market.console.i18n import lang_of
from market.console.nav import NavItem
from market.console.policy_form import PARAMETERS
from market.console.session import ComplianceUser
from market.console.templating import redirect, render
from sandbox import profiles

router = APIRouter(prefix="/compliance", route_class=UnitOfWorkRoute)
NAV = (
    NavItem(
        "compliance.nav.listings", "/console/compliance/listings", frozenset({Role.compliance})
    ),
)
BASE = "/console/compliance/listings"
DONE = frozenset({"approved", "rejected", "suspended", "reinstated"})


class QueueFilter(StrEnum):
    """What the queue shows: the work waiting (both kinds, or one), or datasets in a
    status compliance acts on later (suspend a listed one, reinstate a suspended one)."""

    waiting = "waiting"
    submission = "submission"
    policy_change = "policy_change"
    listed = "listed"
    suspended = "suspended"
    rejected = "rejected"


_QUEUE_KINDS: dict[QueueFilter, QueueKind | None] = {
    QueueFilter.waiting: None,
    QueueFilter.submission: "submission",
    QueueFilter.policy_change: "policy_change",
}


@router.get("/listings")
def listing_queue(
    request: Request,
    user: ComplianceUser,
    session: SessionDep,
    settings: SettingsDep,
    status: Annotated[str, Query(max_length=20)] = "",
    grade: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Submissions and policy changes waiting for a decision, longest-waiting first, like
    ``GET /reviews/listings``; or listed, suspended or rejected datasets. Filter by grade."""
    shown = optional_choice(QueueFilter, status, "status") or QueueFilter.waiting
    chosen_grade = optional_choice(DataGrade, grade, "grade")
    offset = (page - 1) * PAGE_SIZE
    if shown in _QUEUE_KINDS:
        rows, total = review.queue(
            session, limit=PAGE_SIZE, offset=offset, kind=_QUEUE_KINDS[shown], grade=chosen_grade
        )
    else:
        rows, total = listings.list_datasets(
            session,
            user.principal,
            status=DatasetStatus(shown.value),
            grade=chosen_grade,
            limit=PAGE_SIZE,
            offset=offset,
        )
    versions = review.current_versions(session, rows)
    names = accounts.organization_names(session, {d.provider_org_id for d in rows})
    entries = []
    for dataset in rows:
        version = versions.get(dataset.id)
        entries.append(
            {
                "dataset": dataset_read(dataset),
                "provider_name": names.get(dataset.provider_org_id, ""),
                "policy_change": has_pending_change(dataset),
                "k": k_read(version.k_anonymity if version else None, settings.k_anonymity_min),
                # Offered as rows and sandbox: which columns the rows give exactly (policy only).
                "tradeoff": exposure.tradeoff(dataset),
            }
        )
    filters = {"status": shown.value, "grade": chosen_grade.value if chosen_grade else ""}
    return render(
        request,
        "compliance/listings.html",
        user,
        {
            "entries": entries,
            "total": total,
            "page": page,
            "pages": pages(total),
            "url_for_page": page_links(BASE, filters),
            "filters": filters,
            "queue_filters": list(QueueFilter),
            "grades": list(DataGrade),
        },
    )


@router.get("/listings/{dataset_id}")
def review_dataset(
    request: Request,
    dataset_id: uuid.UUID,
    user: ComplianceUser,
    session: SessionDep,
    settings: SettingsDep,
    done: str = "",
) -> Response:
    """The reviewer's page: provider and authorization, suggested and proposed grade,
    sensitive columns with their evidence, the policy, the masked preview, k-anonymity,
    history, the sandbox profile's status, and the decisions the dataset's status allows."""
    # The API's own view (``listings.views``): the console shows what
    # GET /reviews/listings/{id} shows.
    detail = review_detail(
        session, user.principal, dataset_id, settings, door=PreviewDoor.console_review
    )
    dataset = detail.dataset
    stored = listings.get_dataset(session, dataset_id)
    policy_change = has_pending_change(stored)
    rules: dict[str, dict[str, Any]] = (detail.policy or {}).get("columns", {})
    # Each rule with only its operator's parameters (the stored rule carries every default).
    treatments = {
        column: (
            rule["operator"],
            [(k, rule[k]) for k in PARAMETERS.get(rule["operator"], ()) if rule.get(k) is not None],
        )
        for column, rule in rules.items()
    }
    checklist_lang = 1 if lang_of(request) == "zh" else 0
    return render(
        request,
        "compliance/review.html",
        user,
        {
            "detail": detail,
            "dataset": dataset,
            "done": done if done in DONE else "",
            "treatments": treatments,
            "quasi_identifiers": set((detail.policy or {}).get("quasi_identifiers", [])),
            "sensitive": set(detail.sensitive_columns),
            "personal": set(detail.personal_columns),
            "checklist": [(key, texts[checklist_lang]) for key, texts in review.CHECKLIST.items()],
            "reviewers": user_emails(session, {r.reviewer_id for r in detail.history}),
            "policy_change": policy_change,
            "decidable": dataset.status == DatasetStatus.in_review or policy_change,
            "grade_value": dataset.grade or dataset.proposed_grade or detail.suggested_grade,
            "level_value": (dataset.grade_level if dataset.grade else dataset.proposed_grade_level)
            or detail.suggested_grade_level,
            "sandbox_profile": profiles.find(session, user.principal, dataset_id),
        },
    )


@router.get("/listings/{dataset_id}/attachments/{attachment_id}")
def download_attachment(
    dataset_id: uuid.UUID,
    attachment_id: uuid.UUID,
    user: ComplianceUser,
    session: SessionDep,
    settings: SettingsDep,
) -> FileResponse:
    """A document behind the provider's authorization, as the API serves it."""
    dataset = listings.get_for_owner_or_staff(session, user.principal, dataset_id)
    return attachment_file(
        authorization.get_attachment(session, dataset.id, attachment_id), settings
    )


def _done(dataset_id: uuid.UUID, what: str) -> str:
    return f"{BASE}/{dataset_id}?done={what}"


@router.post("/listings/{dataset_id}/approve")
def approve(
    request: Request,
    dataset_id: uuid.UUID,
    user: ComplianceUser,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """List the dataset (or approve its policy change) with the confirmed grade; the
    service refuses it unless every checklist item is ticked."""
    fields = blank_to_none(form)
    grade = fields.get("grade")
    body = validate_form(
        ApprovalRequest,
        {
            "grade": grade,
            "grade_level": fields.get("grade_level") if grade == DataGrade.general else None,
            "checklist": {key: fields.get(key) == "1" for key in review.CHECKLIST},
            "reason": fields.get("note") or "",
        },
    )
    review.approve(
        session,
        user.principal,
        dataset_id,
        grade=body.grade,
        grade_level=body.grade_level,
        checklist=body.checklist.model_dump(),
        note=body.reason,
    )
    return redirect(request, _done(dataset_id, "approved"))


class Decision(StrEnum):
    reject = "reject"
    suspend = "suspend"
    reinstate = "reinstate"


Decide = Callable[[Session, Principal, uuid.UUID, str], Dataset]
# Each decision with a reason: the service that makes it and the confirmation shown after.
_DECISIONS: dict[Decision, tuple[Decide, str]] = {
    # Back to the provider with the changes it needs (a policy change: the listing stays).
    Decision.reject: (review.reject, "rejected"),
    # Every data API call and sandbox query on a listed dataset stops at once.
    Decision.suspend: (review.suspend, "suspended"),
    # Listed again under its approved policy.
    Decision.reinstate: (review.reinstate, "reinstated"),
}


@router.post("/listings/{dataset_id}/{decision}")
def decide(
    request: Request,
    dataset_id: uuid.UUID,
    decision: Decision,
    user: ComplianceUser,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """Reject (or request changes), suspend or reinstate, with the reason recorded; the
    service refuses a decision the dataset's status does not allow."""
    reason = validate_form(RejectionReason, {"reason": form.get("reason", "")}).reason.strip()
    make, done = _DECISIONS[decision]
    make(session, user.principal, dataset_id, reason)
    return redirect(request, _done(dataset_id, done))
