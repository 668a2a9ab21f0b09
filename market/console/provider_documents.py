"""The documents behind a dataset's authorization to publish: the provider uploads them from
the dataset page and downloads them again.

Uploads go through ``listings.authorization.add_attachment``, the service behind
``POST /datasets/{id}/attachments``, which checks the file by its content (PDF, PNG, JPEG):
a refused file raises its bilingual error before anything is written, and the unit of work
rolls back. Session, role and CSRF token are checked before the file is stored
(``market.console.upload_gate``). Downloads serve the file the API's
``GET .../attachments/{id}`` serves, to the dataset's own provider only (compliance has its
own route on the review page).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import FileResponse

from accounts.models import Role
from ground.dependencies import SessionDep, SettingsDep
from ground.idempotency.route import ConsoleIdempotentRoute, IdempotentWrite
from ground.upload_route import post_upload
from listings import authorization
from listings import service as listings
from listings.views import attachment_file
from market.console.nav import NavItem
from market.console.session import ProviderUser
from market.console.templating import redirect
from market.console.upload_gate import console_upload_gate

router = APIRouter(prefix="/provider", route_class=ConsoleIdempotentRoute)
NAV: tuple[NavItem, ...] = ()  # part of the dataset page


@post_upload(
    router,
    "/datasets/{dataset_id}/attachments",
    gate=console_upload_gate(Role.provider),
    max_file_bytes=lambda _settings: authorization.MAX_ATTACHMENT_BYTES,
)
def upload_attachment(
    request: Request,
    dataset_id: uuid.UUID,
    user: ProviderUser,
    _: IdempotentWrite,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Attach a document supporting the authorization (``POST /datasets/{id}/attachments``)."""
    authorization.add_attachment(
        session,
        user.principal,
        dataset_id,
        source=file.file,
        filename=file.filename or "attachment",
        settings=settings,
    )
    return redirect(request, f"/console/provider/datasets/{dataset_id}?done=attachment_added")


@router.get("/datasets/{dataset_id}/attachments/{attachment_id}")
def download_attachment(
    dataset_id: uuid.UUID,
    attachment_id: uuid.UUID,
    user: ProviderUser,
    session: SessionDep,
    settings: SettingsDep,
) -> FileResponse:
    """One of the organization's own documents, as the API serves it."""
    dataset = listings.get_owned(session, user.principal, dataset_id)
    return attachment_file(
        authorization.get_attachment(session, dataset.id, attachment_id), settings
    )
