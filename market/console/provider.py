"""The provider's pages: datasets, upload, detection, policy editor, submission, plans and
the revenue and usage charts.

Every action goes through the service the API's endpoint calls (``listings.service``,
``listings.policies``, ``listings.authorization``, ``listings.grading``, ``billing.service``),
with the API's request models validating the forms, so the console can do nothing the API
would refuse, and a refused action changes nothing (the unit of work rolls back).
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from sqlmodel import Session

from accounts.models import Role
from anonymize import Policy
from billing import service as plans
from billing import statements
from billing.models import PlanKind
from billing.schemas import PlanCreate, PlanUpdate
from billing.usage import daily_totals, usage_report
from ground.db import utcnow
from ground.dependencies import SessionDep, SettingsDep
from ground.idempotency.route import ConsoleIdempotentRoute, IdempotentWrite
from ground.upload_route import post_upload
from listings import authorization, deletion, delivery, grading, policies, review
from listings import service as listings
from listings.ingestion import HeaderMode
from listings.models import DatasetStatus, DeliveryMode
from listings.policies import PreviewDoor
from listings.schemas import AuthorizationUpdate, DeliveryModeUpdate, GradeProposal
from listings.versions import has_pending_change
from listings.views import dataset_read, k_read
from market.console import charts
from market.console.catalog import PREVIEW_ROWS, masked_preview, rows_view
from market.console.forms import FormFields, blank_to_none, money_to_minor, validate_form
from market.console.i18n import Lang, lang_of, translate
from market.console.nav import NavItem
from market.console.policy_form import (
    GENERALIZATIONS,
    OPERATORS,
    PARAMETERS,
    editor_rows,
    policy_from_form,
)
from market.console.session import ConsoleUser, ProviderUser
from market.console.templating import format_money, redirect, render
from market.console.upload_gate import console_upload_gate
from sandbox import profiles

router = APIRouter(prefix="/provider", route_class=ConsoleIdempotentRoute)
NAV = (NavItem("provider.nav", "/console/provider", frozenset({Role.provider})),)
PAGE_SIZE = 20
REVENUE_MONTHS = 6
# Confirmations shown after a redirect (?done=...); anything else is ignored.
DONE = frozenset(
    {
        "uploaded",
        "policy_saved",
        "submitted",
        "plan_created",
        "plan_updated",
        "attachment_added",
        "columns_renamed",
        "delivery_mode",
        "deleted",
    }
)
PLAN_KINDS = ("api_quota", "subscription", "sandbox_pack", "free_sample")


def _manage_url(dataset_id: uuid.UUID, done: str) -> str:
    return f"/console/provider/datasets/{dataset_id}?done={done}"


@router.get("")
def dashboard(
    request: Request,
    user: ProviderUser,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    done: str = "",
) -> Response:
    """The organization's datasets, its use over the last 30 days and its monthly revenue."""
    rows, total = listings.list_datasets(
        session, user.principal, status=None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    lang = lang_of(request)
    return render(
        request,
        "provider/dashboard.html",
        user,
        {
            "datasets": [dataset_read(d) for d in rows],
            "done": done if done in DONE else "",
            "page": page,
            "pages": max(1, math.ceil(total / PAGE_SIZE)),
            "url_for_page": lambda n: f"/console/provider?page={n}",
            "usage_chart": _usage_chart(session, user, lang),
            "revenue_charts": _revenue_charts(session, user, lang),
        },
    )


def _usage_chart(session: Session, user: ConsoleUser, lang: Lang) -> dict[str, Any]:
    days = daily_totals(usage_report(session, user.principal))
    calls = [(d.day.strftime("%m-%d"), float(d.calls)) for d in days]
    total = sum(d.calls for d in days)
    text = charts.ChartText(
        title=translate("provider.usage_chart", lang),
        description=translate(
            "provider.usage_chart_desc",
            lang,
            total=f"{total:,}",
            since=days[0].day.isoformat(),
            until=days[-1].day.isoformat(),
        ),
        x_label=translate("provider.axis_day", lang),
        y_label=translate("provider.axis_calls", lang),
    )
    return {
        "svg": charts.line_chart([charts.Series(translate("provider.calls", lang), calls)], text),
        "days": days,
    }


def _revenue_charts(session: Session, user: ConsoleUser, lang: Lang) -> list[dict[str, Any]]:
    months = statements.recent_months(datetime.now(UTC).date(), REVENUE_MONTHS)
    by_currency = statements.revenue_by_month(session, user.principal.org_id, months) or {
        "CNY": dict.fromkeys(months, 0)
    }
    out = []
    for currency, series in sorted(by_currency.items()):
        total = sum(series.values())
        text = charts.ChartText(
            title=translate("provider.revenue_chart", lang, currency=currency),
            description=translate(
                "provider.revenue_chart_desc",
                lang,
                total=format_money(total, currency),
                first=months[0],
                last=months[-1],
            ),
            x_label=translate("provider.axis_month", lang),
            y_label=translate("provider.axis_revenue", lang, currency=currency),
        )

        def as_money(value: float, code: str = currency) -> str:
            return format_money(int(value), code)

        svg = charts.bar_chart([(m, float(v)) for m, v in series.items()], text, as_money)
        out.append({"currency": currency, "svg": svg, "months": series})
    return out


@router.get("/upload")
def upload_form(request: Request, user: ProviderUser) -> Response:
    return render(
        request,
        "provider/upload.html",
        user,
        {"modes": list(DeliveryMode), "default_mode": DeliveryMode.both},
    )


@post_upload(
    router,
    "/upload",
    gate=console_upload_gate(Role.provider),
    max_file_bytes=lambda settings: settings.max_upload_bytes,
)
def upload(
    request: Request,
    user: ProviderUser,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    domain: Annotated[str, Form(min_length=1, max_length=100)],
    description: Annotated[str, Form(max_length=5000)] = "",
    header: Annotated[HeaderMode, Form()] = "auto",
    delivery_mode: Annotated[DeliveryMode, Form()] = DeliveryMode.both,
) -> Response:
    """The same ingestion as ``POST /datasets``: parsed, stored as Parquet, then profiled,
    with the delivery mode the provider declares. Session, role and CSRF token are checked
    before the file is stored, and the body is read within the same limits
    (``market.console.upload_gate``)."""
    dataset = listings.create_dataset(
        session,
        user.principal,
        source=file.file,
        filename=file.filename or "upload.csv",
        title=title.strip(),
        description=description,
        domain=domain.strip(),
        settings=settings,
        header=header,
        delivery_mode=delivery_mode,
    )
    return redirect(request, _manage_url(dataset.id, "uploaded"))


@router.get("/datasets/{dataset_id}")
def manage(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    settings: SettingsDep,
    done: str = "",
) -> Response:
    """Status and review reasons, detected columns, the policy editor with its preview, the
    submission form, the authorization documents, the sandbox profile's status and the plans
    of one of the organization's datasets."""
    dataset = listings.get_owned(session, user.principal, dataset_id)
    policy = Policy.model_validate(dataset.policy) if dataset.policy else None
    preview = None
    k_report = None
    if policy is not None:
        preview = masked_preview(
            session,
            user.principal,
            dataset.id,
            "draft",
            settings.data_dir,
            door=PreviewDoor.console_provider,
        )
        version = policies.current_version(session, dataset)
        k_report = k_read(version.k_anonymity, settings.k_anonymity_min)
    flags = grading.personal_info(dataset.columns)
    suggested_grade, suggested_level = grading.suggested_grade(dataset.columns)
    return render(
        request,
        "provider/dataset.html",
        user,
        {
            "dataset": dataset_read(dataset),
            "done": done if done in DONE else "",
            "history": review.history(session, dataset.id),
            "rows": editor_rows(dataset.columns, policy),
            "operators": OPERATORS,
            "parameters": PARAMETERS,
            "generalizations": GENERALIZATIONS,
            "editable": policy is not None and policies.is_editable(dataset),
            "pending_review": has_pending_change(dataset),
            "preview": preview,
            "k_report": k_report,
            "sensitive": set(flags.sensitive_columns),
            "personal": set(flags.personal_columns),
            "submittable": dataset.status in (DatasetStatus.draft, DatasetStatus.rejected),
            "renamable": dataset.status in (DatasetStatus.draft, DatasetStatus.rejected),
            "grade_value": dataset.proposed_grade or suggested_grade,
            "level_value": dataset.proposed_grade_level
            if dataset.proposed_grade
            else suggested_level,
            "plans": plans.plans_for(session, dataset.id, include_inactive=True),
            "attachments": authorization.attachments_of(session, dataset.id),
            "sandbox_profile": profiles.find(session, user.principal, dataset.id),
            "modes": list(DeliveryMode),
            "mode_changeable": dataset.status in delivery.CHANGEABLE,
            "deletable": deletion.is_deletable(dataset, settings=settings, now=utcnow()),
            "plan_kinds": [
                k for k in PLAN_KINDS if plans.offered(dataset.delivery_mode, PlanKind(k))
            ],
        },
    )


@router.post("/datasets/{dataset_id}/delivery-mode")
def set_delivery_mode(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """Declare what the dataset offers (``PUT /datasets/{id}/delivery-mode``)."""
    body = validate_form(DeliveryModeUpdate, {"delivery_mode": form.get("delivery_mode")})
    delivery.set_delivery_mode(session, user.principal, dataset_id, body.delivery_mode)
    return redirect(request, _manage_url(dataset_id, "delivery_mode"))


@router.post("/datasets/{dataset_id}/policy/preview")
def preview_policy(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    settings: SettingsDep,
    form: FormFields,
) -> Response:
    """The editor's live preview: the first rows under the policy as edited, not saved."""
    table = policies.preview_unsaved(
        session,
        user.principal,
        dataset_id,
        policy_from_form(form),
        rows=PREVIEW_ROWS,
        data_dir=settings.data_dir,
        door=PreviewDoor.console_policy_editor,
    )
    context = {"preview": rows_view(table), "draft": True}
    return render(request, "provider/_preview.html", user, context)


@router.post("/datasets/{dataset_id}/policy")
def save_policy(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    settings: SettingsDep,
    form: FormFields,
) -> Response:
    """Save the edited policy as a new version (``PUT /datasets/{id}/policy``)."""
    policies.update_policy(
        session,
        user.principal,
        dataset_id,
        policy_from_form(form),
        data_dir=settings.data_dir,
        k_threshold=settings.k_anonymity_min,
    )
    return redirect(request, _manage_url(dataset_id, "policy_saved"))


@router.post("/datasets/{dataset_id}/submit")
def submit(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """State the authorization, propose the grade and submit, in one unit of work: if any
    step is refused, none of them is kept."""
    fields = blank_to_none(form)
    stated = validate_form(
        AuthorizationUpdate,
        {"source": fields.get("source"), "legal_basis": fields.get("legal_basis")},
    )
    grade = fields.get("grade")
    proposal = validate_form(
        GradeProposal,
        {
            "grade": grade,
            "grade_level": fields.get("grade_level") if grade == "general" else None,
            "reason": fields.get("grade_reason") or "",
        },
    )
    authorization.set_authorization(
        session,
        user.principal,
        dataset_id,
        source=stated.source.strip(),
        legal_basis=stated.legal_basis,
    )
    grading.propose_grade(
        session,
        user.principal,
        dataset_id,
        grade=proposal.grade,
        level=proposal.grade_level,
        reason=proposal.reason,
    )
    listings.submit(session, user.principal, dataset_id)
    return redirect(request, _manage_url(dataset_id, "submitted"))


@router.post("/datasets/{dataset_id}/plans")
def create_plan(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    _: IdempotentWrite,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """A new plan (``POST /datasets/{id}/plans``); the price is typed in major units."""
    fields = blank_to_none(form)
    currency = fields.get("currency") or "CNY"
    values: dict[str, Any] = {
        name: fields.get(name)
        for name in ("name", "description", "kind", "calls", "quota_unit", "valid_days")
    }
    values.update(
        term_months=fields.get("term_months"),
        epsilon=fields.get("epsilon"),
        delta=fields.get("delta"),
        description=fields.get("description") or "",
        currency=currency,
        price_minor=money_to_minor(fields.get("price") or "", currency),
    )
    if fields.get("overage_price"):
        values["overage_price_minor"] = money_to_minor(
            fields["overage_price"] or "", currency, field="overage"
        )
    body = validate_form(PlanCreate, values)
    plans.create_plan(session, user.principal, dataset_id, body.model_dump())
    return redirect(request, _manage_url(dataset_id, "plan_created"))


@router.post("/datasets/{dataset_id}/plans/{plan_id}")
def update_plan(
    request: Request,
    dataset_id: uuid.UUID,
    plan_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    form: FormFields,
) -> Response:
    """Rename, reprice, withdraw or re-offer a plan (``PATCH .../plans/{plan_id}``)."""
    fields = blank_to_none(form)
    currency = fields.get("currency") or "CNY"
    changes: dict[str, Any] = {"is_active": bool(fields.get("is_active"))}
    if fields.get("name"):
        changes["name"] = fields["name"]
    if fields.get("price"):
        changes["price_minor"] = money_to_minor(fields["price"] or "", currency)
    body = validate_form(PlanUpdate, changes)
    plans.update_plan(
        session, user.principal, dataset_id, plan_id, body.model_dump(exclude_unset=True)
    )
    return redirect(request, _manage_url(dataset_id, "plan_updated"))
