"""Grading, the authorization to publish, the review page, and suspension."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import FileResponse

from accounts.dependencies import (
    CompliancePrincipal,
    ProviderOrStaffPrincipal,
    ProviderPrincipal,
    bearer_upload_gate,
)
from accounts.models import Role
from ground.dependencies import SessionDep, SettingsDep
from ground.idempotency.route import IdempotentRoute, IdempotentWrite
from ground.openapi import error_responses
from ground.upload_route import post_upload
from listings import authorization, grading, review, service
from listings.policies import PreviewDoor
from listings.schemas import (
    AttachmentRead,
    AuthorizationUpdate,
    DatasetRead,
    GradeProposal,
    ListingReviewDetail,
    RejectionReason,
)
from listings.views import attachment_file, dataset_read, review_detail

router = APIRouter(tags=["governance"], route_class=IdempotentRoute)


@router.put("/datasets/{dataset_id}/grade", response_model=DatasetRead)
def propose_grade(
    dataset_id: uuid.UUID, body: GradeProposal, principal: ProviderPrincipal, session: SessionDep
) -> DatasetRead:
    """Propose the dataset's grade (core / important / general 1–4); compliance confirms it."""
    dataset = grading.propose_grade(
        session,
        principal,
        dataset_id,
        grade=body.grade,
        level=body.grade_level,
        reason=body.reason,
    )
    return dataset_read(dataset)


@router.put("/datasets/{dataset_id}/authorization", response_model=DatasetRead)
def set_authorization(
    dataset_id: uuid.UUID,
    body: AuthorizationUpdate,
    principal: ProviderPrincipal,
    session: SessionDep,
) -> DatasetRead:
    """State where the data comes from and the legal basis for publishing it."""
    dataset = authorization.set_authorization(
        session, principal, dataset_id, source=body.source.strip(), legal_basis=body.legal_basis
    )
    return dataset_read(dataset)


@post_upload(
    router,
    "/datasets/{dataset_id}/attachments",
    gate=bearer_upload_gate(Role.provider),
    max_file_bytes=lambda _settings: authorization.MAX_ATTACHMENT_BYTES,
    response_model=AttachmentRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(413, 415),
)
def add_attachment(
    dataset_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="PDF, PNG or JPEG, at most 20 MB")],
    principal: ProviderPrincipal,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
) -> AttachmentRead:
    """Attach a document supporting the authorization (contract, approval letter)."""
    attachment = authorization.add_attachment(
        session,
        principal,
        dataset_id,
        source=file.file,
        filename=file.filename or "attachment",
        settings=settings,
    )
    return AttachmentRead.model_validate(attachment.model_dump())


@router.get("/datasets/{dataset_id}/attachments", response_model=list[AttachmentRead])
def list_attachments(
    dataset_id: uuid.UUID, principal: ProviderOrStaffPrincipal, session: SessionDep
) -> list[AttachmentRead]:
    """The documents behind the authorization (the provider and staff only)."""
    dataset = service.get_for_owner_or_staff(session, principal, dataset_id)
    return [
        AttachmentRead.model_validate(a.model_dump())
        for a in authorization.attachments_of(session, dataset.id)
    ]


@router.get("/datasets/{dataset_id}/attachments/{attachment_id}", response_class=FileResponse)
def download_attachment(
    dataset_id: uuid.UUID,
    attachment_id: uuid.UUID,
    principal: ProviderOrStaffPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> FileResponse:
    """Download one attachment."""
    dataset = service.get_for_owner_or_staff(session, principal, dataset_id)
    return attachment_file(
        authorization.get_attachment(session, dataset.id, attachment_id), settings
    )


@router.get("/reviews/listings/{dataset_id}", response_model=ListingReviewDetail)
def review_page(
    dataset_id: uuid.UUID, reviewer: CompliancePrincipal, session: SessionDep, settings: SettingsDep
) -> ListingReviewDetail:
    """The reviewer's page: provider and authorization, grade proposal and suggestion, detected
    sensitive columns with evidence, the policy, the masked preview (audited as
    `data.preview`), the history and the checklist to complete. For a dataset offered as rows
    and sandbox, `delivery_tradeoff` states which columns the rows give exactly (values
    released whole counted on the first rows) and, in English and Chinese, what the sandbox
    therefore cannot protect."""
    return review_detail(session, reviewer, dataset_id, settings, door=PreviewDoor.api_review)


@router.post("/reviews/listings/{dataset_id}/suspend", response_model=DatasetRead)
def suspend_listing(
    dataset_id: uuid.UUID,
    body: RejectionReason,
    reviewer: CompliancePrincipal,
    session: SessionDep,
) -> DatasetRead:
    """Suspend a listed dataset at once: every data API call and sandbox query on it stops."""
    return dataset_read(review.suspend(session, reviewer, dataset_id, body.reason.strip()))


@router.post("/reviews/listings/{dataset_id}/reinstate", response_model=DatasetRead)
def reinstate_listing(
    dataset_id: uuid.UUID,
    body: RejectionReason,
    reviewer: CompliancePrincipal,
    session: SessionDep,
) -> DatasetRead:
    """Lift a suspension; the dataset is listed again with its approved policy."""
    return dataset_read(review.reinstate(session, reviewer, dataset_id, body.reason.strip()))
