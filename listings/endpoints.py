"""Datasets, the catalog and the listing review queue."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from accounts.dependencies import (
    CompliancePrincipal,
    CurrentPrincipal,
    ProviderOrStaffPrincipal,
    ProviderPrincipal,
    bearer_upload_gate,
)
from accounts.models import Role
from ground.db import utcnow
from ground.dependencies import SessionDep, SettingsDep
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from ground.openapi import error_responses
from ground.pagination import Page, PageDep
from ground.upload_route import post_upload
from listings import (
    columns,
    deletion,
    delivery,
    exposure,
    public_view,
    review,
    service,
)
from listings.ingestion import HeaderMode
from listings.models import DataGrade, Dataset, DatasetStatus, DeliveryMode
from listings.schemas import (
    ApprovalRequest,
    CatalogEntry,
    ColumnRenames,
    DatasetPublicRead,
    DatasetRead,
    DeliveryModeUpdate,
    ListingReviewRead,
    RejectionReason,
    ReviewQueueEntry,
)
from listings.versions import has_pending_change
from listings.views import catalog_entries, dataset_read, k_read, public_read, tradeoff_read

router = APIRouter(tags=["datasets"], route_class=IdempotentRoute)


def _page(rows: list[Dataset], total: int, page: PageDep) -> Page[DatasetRead]:
    return Page(
        items=[dataset_read(d) for d in rows], total=total, limit=page.limit, offset=page.offset
    )


@post_upload(
    router,
    "/datasets",
    gate=bearer_upload_gate(Role.provider),
    max_file_bytes=lambda settings: settings.max_upload_bytes,
    response_model=DatasetRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(413, 415),
)
def upload_dataset(
    principal: ProviderPrincipal,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030/GBK) or Parquet")],
    title: Annotated[str, Form(min_length=1, max_length=200)],
    domain: Annotated[str, Form(min_length=1, max_length=100)],
    description: Annotated[str, Form(max_length=5000)] = "",
    header: Annotated[
        HeaderMode,
        Form(
            description="Is the CSV's first row a header? `auto` (default) decides from the "
            "values: a first row that looks like a record is data, and the columns are named "
            "`column_1` … (rename them with `PUT /datasets/{id}/columns`)."
        ),
    ] = "auto",
    delivery_mode: Annotated[
        DeliveryMode,
        Form(
            description="What the dataset offers: rows (masked rows through the data API), "
            "sandbox (DP aggregates only; its free sample is synthetic) or both"
        ),
    ] = DeliveryMode.both,
) -> DatasetRead:
    """Upload a dataset. It is validated, stored as Parquet, then profiled by the ingest task
    (status `processing`, then `draft` with each column's detected kind, or `failed`).
    `delivery_mode` declares what it will offer (default `both`); it can be changed with
    `PUT /datasets/{id}/delivery-mode` until the dataset is submitted.

    Refused (nothing stored) when the file is not wholly UTF-8 or wholly GB18030/GBK (the
    message names the first bad line), or when a Parquet float column holds 16+-digit
    integers. Values keep their exact text: identifiers stay strings. A column name that is
    a personal-data value (an ID, a mobile, a person's name over names …) is replaced by a
    neutral `column_N`.

    The bearer token and the role are checked before the body is read (401/403 with nothing
    read); a body over `SLUICE_MAX_UPLOAD_BYTES` (the file) or the form limits is refused
    with 413 as soon as it passes them, with nothing stored."""
    dataset = service.create_dataset(
        session,
        principal,
        source=file.file,
        filename=file.filename or "upload.csv",
        title=title.strip(),
        description=description,
        domain=domain.strip(),
        settings=settings,
        header=header,
        delivery_mode=delivery_mode,
    )
    return dataset_read(dataset)


@router.get("/datasets", response_model=Page[DatasetRead])
def list_datasets(
    principal: ProviderOrStaffPrincipal,
    session: SessionDep,
    page: PageDep,
    status_filter: Annotated[DatasetStatus | None, Query(alias="status")] = None,
) -> Page[DatasetRead]:
    """Your organization's datasets (providers), or all datasets (compliance, admin)."""
    rows, total = service.list_datasets(
        session, principal, status=status_filter, limit=page.limit, offset=page.offset
    )
    return _page(rows, total, page)


@router.get("/datasets/{dataset_id}", response_model=DatasetRead | DatasetPublicRead)
def get_dataset(
    dataset_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> DatasetRead | DatasetPublicRead:
    """The full view (`DatasetRead`: metadata, schema, row count, status, detected column
    kinds with evidence, file facts) for the dataset's provider and staff; the buyer view
    (`DatasetPublicRead`: declarations only) for everyone else."""
    dataset = service.get_visible(session, principal, dataset_id)
    if public_view.sees_full_view(principal, dataset):
        return dataset_read(dataset)
    return public_read(session, dataset)


@router.delete(
    "/datasets/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
def delete_dataset(
    dataset_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> Response:
    """Delete your organization's draft, rejected or failed dataset, or one stuck
    `processing` past `SLUICE_INGEST_STALE_MINUTES`: 204, and its file, attachments,
    policy versions, reviews, plans and sandbox profile are gone (the audit log keeps its
    history). 409 while it is in review, listed or suspended (a listed dataset leaves the
    catalog through compliance's suspension, never by deletion: buyers hold entitlements to
    it), or still being ingested. 404 for anyone else's dataset, so existence does not leak
    (403 for compliance staff and admins, who may not delete)."""
    deletion.delete_dataset(session, principal, dataset_id, settings=settings, now=utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/datasets/{dataset_id}/delivery-mode", response_model=DatasetRead)
def set_delivery_mode(
    dataset_id: uuid.UUID,
    body: DeliveryModeUpdate,
    principal: ProviderPrincipal,
    session: SessionDep,
) -> DatasetRead:
    """Declare what the dataset offers: `rows`, `sandbox` or `both`. Only while it is a draft
    or was rejected (409 once submitted: its buyers were sold what it declared), and 409 while
    a plan it offers contradicts the new mode (withdraw the plan first)."""
    return dataset_read(
        delivery.set_delivery_mode(session, principal, dataset_id, body.delivery_mode)
    )


@router.put("/datasets/{dataset_id}/columns", response_model=DatasetRead)
def rename_columns(
    dataset_id: uuid.UUID,
    body: ColumnRenames,
    principal: ProviderPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> DatasetRead:
    """Rename columns of your draft or rejected dataset (409 otherwise), e.g. the `column_1`
    … of a header-less upload. The stored file, the columns, the draft policy (a new policy
    version) and the sandbox profile follow the new names. 400 for an unknown column, an
    empty or repeated name, or a name that is itself personal data (an ID, a mobile, a
    person's name over a column of names …)."""
    return dataset_read(
        columns.rename_columns(
            session,
            principal,
            dataset_id,
            body.names,
            data_dir=settings.data_dir,
            k_threshold=settings.k_anonymity_min,
        )
    )


@router.post("/datasets/{dataset_id}/submit", response_model=DatasetRead)
def submit_dataset(
    dataset_id: uuid.UUID, principal: ProviderPrincipal, session: SessionDep
) -> DatasetRead:
    """Send a draft (or a rejected dataset) to compliance review."""
    return dataset_read(service.submit(session, principal, dataset_id))


@router.get("/datasets/{dataset_id}/reviews", response_model=list[ListingReviewRead])
def review_history(
    dataset_id: uuid.UUID, principal: ProviderOrStaffPrincipal, session: SessionDep
) -> list[ListingReviewRead]:
    """Compliance decisions on a dataset, oldest first (its provider and staff only)."""
    dataset = service.get_for_owner_or_staff(session, principal, dataset_id)
    return [
        ListingReviewRead.model_validate(r.model_dump())
        for r in review.history(session, dataset.id)
    ]


@router.get("/catalog", response_model=Page[CatalogEntry])
def catalog(
    _principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in title or description")
    ] = None,
    domain: Annotated[str | None, Query(max_length=100)] = None,
    grade: Annotated[DataGrade | None, Query(description="The confirmed grade")] = None,
    provider_org_id: Annotated[uuid.UUID | None, Query(description="One provider's")] = None,
) -> Page[CatalogEntry]:
    """Listed datasets only, newest first; filter by text, domain, grade and provider. Each
    entry is the buyer view (declarations only), whoever asks."""
    rows, total = service.catalog(
        session,
        q=q,
        domain=domain,
        grade=grade,
        provider_org_id=provider_org_id,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=catalog_entries(session, rows), total=total, limit=page.limit, offset=page.offset
    )


@router.get("/reviews/listings", response_model=Page[ReviewQueueEntry])
def listing_queue(
    _reviewer: CompliancePrincipal, session: SessionDep, settings: SettingsDep, page: PageDep
) -> Page[ReviewQueueEntry]:
    """Datasets waiting for review, and listed datasets with a policy change to approve,
    longest-waiting first. `k_anonymity_flag` marks a draft whose released form is under
    `SLUICE_K_ANONYMITY_MIN` over the quasi-identifiers its provider declared;
    `delivery_tradeoff` says, for a dataset offered as rows and sandbox, which columns the
    rows give exactly (from the policy alone)."""
    rows, total = review.queue(session, limit=page.limit, offset=page.offset)
    current = review.current_versions(session, rows)
    items = []
    for dataset in rows:
        version = current.get(dataset.id)
        report = k_read(version.k_anonymity if version else None, settings.k_anonymity_min)
        items.append(
            ReviewQueueEntry.model_validate(
                {
                    **dataset_read(dataset).model_dump(),
                    "policy_version": dataset.policy_version,
                    "approved_policy_version": dataset.approved_policy_version,
                    "policy_change": has_pending_change(dataset),
                    "quasi_identifiers": (dataset.policy or {}).get("quasi_identifiers", []),
                    "k_anonymity": report,
                    "k_anonymity_flag": bool(report and report.below_threshold),
                    "delivery_tradeoff": tradeoff_read(exposure.tradeoff(dataset)),
                }
            )
        )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/reviews/listings/{dataset_id}/approve", response_model=DatasetRead)
def approve_listing(
    dataset_id: uuid.UUID,
    body: ApprovalRequest,
    reviewer: CompliancePrincipal,
    session: SessionDep,
) -> DatasetRead:
    """List the dataset with the confirmed grade once every checklist item is ticked; its
    current masking policy becomes the one buyers are served. Also approves a listed
    dataset's policy change (its draft policy version). Core data is never listed."""
    return dataset_read(
        review.approve(
            session,
            reviewer,
            dataset_id,
            grade=body.grade,
            grade_level=body.grade_level,
            checklist=body.checklist.model_dump(),
            note=body.reason,
        )
    )


@router.post("/reviews/listings/{dataset_id}/reject", response_model=DatasetRead)
def reject_listing(
    dataset_id: uuid.UUID,
    body: RejectionReason,
    reviewer: CompliancePrincipal,
    session: SessionDep,
) -> DatasetRead:
    """Refuse the listing with a reason the provider sees; it may be resubmitted. For a
    listed dataset's policy change, the listing stays up under the approved version."""
    return dataset_read(review.reject(session, reviewer, dataset_id, body.reason.strip()))
