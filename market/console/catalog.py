"""The catalog: search and filter listed datasets, and one dataset's page.

Open to every signed-in user, like ``GET /catalog``. The dataset page shows the rows as a
buyer receives them (the approved policy, through ``listings.policies.preview``), so a
provider or reviewer looking at a listed dataset sees exactly what is for sale; each showing
is audited (``data.preview``, door ``console.catalog``).
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

from billing import service as plans
from listings import grading, policies
from listings import service as listings
from listings.endpoints import catalog_entries, dataset_read
from listings.models import DataGrade, DatasetStatus
from listings.policies import PreviewDoor
from listings.rows import json_rows
from listings.versions import Which
from market.accounts import service as accounts
from market.accounts.models import Role
from market.accounts.principal import Principal
from market.console.forms import BlankIsNone
from market.console.nav import NavItem
from market.console.session import CurrentUser
from market.console.templating import render
from market.dependencies import SessionDep, SettingsDep

router = APIRouter()
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
    """Description, schema, the rows as a buyer receives them, plans and provider."""
    dataset = listings.get_visible(session, user.principal, dataset_id)
    preview = None
    if dataset.status == DatasetStatus.listed:
        preview = masked_preview(
            session,
            user.principal,
            dataset.id,
            "approved",
            settings.data_dir,
            door=PreviewDoor.console_catalog,
        )
    flags = grading.personal_info(dataset.columns)
    return render(
        request,
        "catalog/dataset.html",
        user,
        {
            "dataset": dataset_read(dataset),
            "provider": accounts.get_organization(session, dataset.provider_org_id),
            "preview": preview,
            "plans": plans.plans_for(session, dataset.id),
            "sensitive": set(flags.sensitive_columns),
            "personal": set(flags.personal_columns),
            "is_owner": user.role is Role.provider
            and dataset.provider_org_id == user.principal.org_id,
        },
    )
