"""What a reader sees of a dataset: the response models the API returns and the console
renders, built from the services' records.

These builders sit below both doors (``listings.*_endpoints`` and ``market.console``) so that
the console shows exactly what the API returns without importing a router module; they read
through the services and never write. Not a ``service.py``: they make no decisions, they only
shape what the services decided into the published read models.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.responses import FileResponse
from sqlmodel import Session

from accounts import service as accounts
from accounts.principal import Principal
from anonymize import KAnonymityReport
from ground.config import Settings
from listings import (
    authorization,
    exposure,
    grading,
    policies,
    public_view,
    review,
    service,
    storage,
)
from listings.models import Dataset, DatasetAttachment
from listings.policies import PreviewDoor
from listings.rows import json_rows
from listings.schemas import (
    AttachmentRead,
    BilingualText,
    CatalogEntry,
    ChecklistItem,
    ColumnExposureRead,
    DatasetPublicRead,
    DatasetRead,
    DeliveryTradeoffRead,
    KAnonymityRead,
    ListingReviewDetail,
    ListingReviewRead,
    PreviewRead,
    ProviderRead,
)
from listings.versions import report_json


def dataset_read(dataset: Dataset) -> DatasetRead:
    """The full view of a dataset (its provider and staff), with its personal-data flags."""
    flags = grading.personal_info(dataset.columns)
    return DatasetRead.model_validate(
        {
            **dataset.model_dump(),
            "has_personal_info": flags.has_personal_info,
            "has_sensitive_personal_info": flags.has_sensitive_personal_info,
        }
    )


def public_read(session: Session, dataset: Dataset) -> DatasetPublicRead:
    """The buyer view of one dataset (declarations only, see ``listings.public_view``)."""
    names = accounts.organization_names(session, {dataset.provider_org_id})
    return DatasetPublicRead.model_validate(
        public_view.public_view(dataset, names.get(dataset.provider_org_id, ""))
    )


def catalog_entries(session: Session, rows: list[Dataset]) -> list[CatalogEntry]:
    """Catalog rows in the buyer view with their provider's name (one query for the page),
    as the API and the console show them."""
    names = accounts.organization_names(session, {d.provider_org_id for d in rows})
    return [
        CatalogEntry.model_validate(public_view.public_view(d, names.get(d.provider_org_id, "")))
        for d in rows
    ]


def tradeoff_read(result: exposure.Tradeoff | None) -> DeliveryTradeoffRead | None:
    """Which columns rows give exactly, for a dataset offered as rows and sandbox."""
    if result is None:
        return None
    return DeliveryTradeoffRead(
        delivery_mode=result.delivery_mode,
        measured=result.measured,
        exact_columns=result.named("exact"),
        partly_exact_columns=result.named("partly_exact"),
        grouped_columns=result.named("grouped"),
        approximate_columns=result.named("approximate"),
        columns=[ColumnExposureRead.model_validate(vars(c)) for c in result.columns],
        sandbox_cannot_protect=[
            BilingualText(en=en, zh=zh) for en, zh in result.sandbox_cannot_protect
        ],
    )


def k_read(
    report: KAnonymityReport | dict[str, Any] | None, threshold: int
) -> KAnonymityRead | None:
    """A stored or fresh report, judged against the threshold configured now."""
    if report is None:
        return None
    body = report_json(report) if isinstance(report, KAnonymityReport) else report
    return KAnonymityRead.model_validate(
        {**body, "below_threshold": body["rows"] > 0 and body["k"] < threshold}
    )


def attachment_file(attachment: DatasetAttachment, settings: Settings) -> FileResponse:
    """The stored document under its uploaded name and checked content type, served the
    same way by the API and the console's download routes."""
    return FileResponse(
        storage.ensure_local(settings.data_dir, attachment.file_path),
        media_type=attachment.content_type,
        filename=attachment.filename,
    )


def review_detail(
    session: Session,
    reviewer: Principal,
    dataset_id: uuid.UUID,
    settings: Settings,
    *,
    door: PreviewDoor,
) -> ListingReviewDetail:
    """What `GET /reviews/listings/{id}` returns; the console's review page shows the same,
    its preview audited under its own door."""
    dataset = service.get_dataset(session, dataset_id)
    provider = accounts.get_organization(session, dataset.provider_org_id)
    flags = grading.personal_info(dataset.columns)
    suggested, level = grading.suggested_grade(dataset.columns)
    version = review.current_versions(session, [dataset]).get(dataset.id)
    return ListingReviewDetail(
        dataset=dataset_read(dataset),
        provider=ProviderRead(id=provider.id, name=provider.name, kind=str(provider.kind)),
        attachments=[
            AttachmentRead.model_validate(a.model_dump())
            for a in authorization.attachments_of(session, dataset.id)
        ],
        suggested_grade=suggested,
        suggested_grade_level=level,
        personal_columns=flags.personal_columns,
        sensitive_columns=flags.sensitive_columns,
        policy=dataset.policy,
        policy_version=dataset.policy_version,
        preview=_preview(session, reviewer, dataset, settings, door),
        k_anonymity=k_read(version.k_anonymity if version else None, settings.k_anonymity_min),
        delivery_tradeoff=tradeoff_read(
            exposure.tradeoff(dataset, data_dir=settings.data_dir, measure=True)
        ),
        history=[
            ListingReviewRead.model_validate(r.model_dump())
            for r in review.history(session, dataset.id)
        ],
        checklist=[ChecklistItem(key=k, en=en, zh=zh) for k, (en, zh) in review.CHECKLIST.items()],
    )


def _preview(
    session: Session, reviewer: Principal, dataset: Dataset, settings: Settings, door: PreviewDoor
) -> PreviewRead | None:
    if dataset.policy is None:
        return None
    _, which, table = policies.preview(
        session,
        reviewer,
        dataset.id,
        which="draft",
        rows=10,
        data_dir=settings.data_dir,
        door=door,
    )
    return PreviewRead(
        dataset_id=dataset.id,
        policy=which,
        policy_version=dataset.policy_version,
        columns=table.column_names,
        rows=json_rows(table),
    )
