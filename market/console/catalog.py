"""The catalog: search and filter listed datasets, and one dataset's page.

Open to every signed-in user, like ``GET /catalog``. Both pages show the buyer view
(``listings.public_view``): declarations only (released forms, delivery mode, the sandbox's
columns), never the detector's evidence, confidence or kinds, file facts, or the row count of a
sandbox-only dataset. The dataset page shows the rows as a buyer receives them (the approved
policy, through ``listings.policies.preview``; each showing is audited as ``data.preview``,
door ``console.catalog``) or, for a dataset offered through the sandbox only, its synthetic
sample, labelled as such (``listings.samples``), so a provider or reviewer looking at a listed
dataset sees exactly what is for sale. Its owner and staff also see the detected kinds, as on
``GET /datasets/{id}``.
"""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import pyarrow as pa
from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from accounts import service as accounts
from accounts.models import Role
from accounts.principal import Principal
from billing import service as plans
from ground.dependencies import SessionDep, SettingsDep, UnitOfWorkRoute
from listings import grading, policies, public_view, samples
from listings import service as listings
from listings.models import DataGrade, DatasetStatus, DeliveryMode
from listings.policies import PreviewDoor
from listings.rows import json_rows
from listings.versions import Which
from listings.views import catalog_entries, dataset_read, public_read
from market.console.forms import BlankIsNone
from market.console.nav import NavItem
from market.console.session import CurrentUser
from market.console.templating import render

router = APIRouter(route_class=UnitOfWorkRoute)
NAV = (NavItem("catalog.nav", "/console/catalog", frozenset(Role)),)
PAGE_SIZE = 20
PREVIEW_ROWS = 10


def rows_view(table: pa.Table) -> dict[str, Any]:
    """A table as the ``rows_table`` macro shows it."""
    return {"columns": table.column_names, "rows": json_rows(table)}


def masked_preview(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    which: Which,
    data_dir: Path,
    *,
    door: PreviewDoor,
) -> dict[str, Any]:
    """The first rows through the draft or approved policy (``GET /datasets/{id}/preview``),
    audited under ``door`` like every preview."""
    _, _, table = policies.preview(
        session,
        principal,
        dataset_id,
        which=which,
        rows=PREVIEW_ROWS,
        data_dir=data_dir,
        door=door,
    )
    return rows_view(table)


@router.get("/catalog")
def catalog(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    domain: Annotated[str, Query(max_length=100)] = "",
    grade: Annotated[DataGrade | None, Query(), BlankIsNone] = None,
    provider: Annotated[uuid.UUID | None, Query(), BlankIsNone] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Listed datasets, newest first, with the same filters as ``GET /catalog``."""
    rows, total = listings.catalog(
        session,
        q=q.strip() or None,
        domain=domain or None,
        grade=grade,
        provider_org_id=provider,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    domains, provider_ids = listings.catalog_facets(session)
    names = accounts.organization_names(session, set(provider_ids))
    filters = {"q": q, "domain": domain, "grade": grade or "", "provider": provider or ""}

    def url_for_page(number: int) -> str:
        return "/console/catalog?" + urlencode({**filters, "page": number})

    return render(
        request,
        "catalog/list.html",
        user,
        {
            "entries": catalog_entries(session, rows),
            "total": total,
            "page": page,
            "pages": max(1, math.ceil(total / PAGE_SIZE)),
            "url_for_page": url_for_page,
            "filters": filters,
            "domains": domains,
            "providers": sorted(names.items(), key=lambda item: item[1]),
            "grades": list(DataGrade),
        },
    )


@router.get("/datasets/{dataset_id}")
def dataset_page(
    request: Request,
    dataset_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Description, the columns as released, the rows as a buyer receives them (or the
    synthetic sample of a sandbox-only dataset), plans and provider."""
    dataset = listings.get_visible(session, user.principal, dataset_id)
    preview = None
    synthetic = dataset.delivery_mode is DeliveryMode.sandbox
    if dataset.status == DatasetStatus.listed:
        if synthetic:
            sample = samples.synthetic_rows(session, dataset, limit=PREVIEW_ROWS, offset=0)
            preview = rows_view(sample)
        else:
            preview = masked_preview(
                session,
                user.principal,
                dataset.id,
                "approved",
                settings.data_dir,
                door=PreviewDoor.console_catalog,
            )
    full = public_view.sees_full_view(user.principal, dataset)
    flags = grading.personal_info(dataset.columns)
    return render(
        request,
        "catalog/dataset.html",
        user,
        {
            "dataset": public_read(session, dataset),
            # Measurements (detected kinds) only for the owner and staff, as in the API.
            "full": dataset_read(dataset) if full else None,
            "detected": {str(c["name"]): c for c in dataset.columns} if full else {},
            "provider": accounts.get_organization(session, dataset.provider_org_id),
            "preview": preview,
            "synthetic": synthetic,
            "plans": plans.plans_for(session, dataset.id),
            "sensitive": set(flags.sensitive_columns) if full else set(),
            "personal": set(flags.personal_columns) if full else set(),
            "is_owner": user.role is Role.provider
            and dataset.provider_org_id == user.principal.org_id,
        },
    )
