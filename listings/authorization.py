"""The provider's authorization to publish: source, legal basis and supporting documents.

Compliance checks it before listing; a dataset cannot be submitted without a source and a
legal basis. Attachments are validated by content (not by name) and stored beside the data.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from accounts.principal import Principal
from audit import service as audit
from ground.config import Settings
from ground.db import on_rollback, utcnow
from ground.errors import NotFound, UnsupportedFile
from listings import storage
from listings.models import Dataset, DatasetAttachment
from listings.repository import DatasetRepository
from listings.service import get_owned

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_SIGNATURES = {
    b"%PDF": "application/pdf",
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def set_authorization(
    session: Session, principal: Principal, dataset_id: uuid.UUID, *, source: str, legal_basis: str
) -> Dataset:
    dataset = get_owned(session, principal, dataset_id, for_update=True)
    dataset.source, dataset.legal_basis = source, legal_basis
    dataset.updated_at = utcnow()
    session.add(dataset)
    session.flush()
    audit.record(
        session,
        "dataset.authorization",
        actor=principal,
        dataset_id=dataset.id,
        details={"source": source, "legal_basis": legal_basis},
    )
    return dataset


def _content_type(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(8)
    for signature, content_type in _SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    raise UnsupportedFile(
        "Attachments must be PDF, PNG or JPEG documents.", "附件必须是 PDF、PNG 或 JPEG 文件。"
    )


def add_attachment(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    *,
    source: BinaryIO,
    filename: str,
    settings: Settings,
) -> DatasetAttachment:
    dataset = get_owned(session, principal, dataset_id)
    attachment_id = uuid.uuid4()
    relpath = f"datasets/{dataset.id}/attachments/{attachment_id}"
    with storage.staged_upload(source, settings.data_dir, max_bytes=MAX_ATTACHMENT_BYTES) as staged:
        content_type = _content_type(staged)
        size = staged.stat().st_size
        target = storage.resolve(settings.data_dir, relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(staged.read_bytes())
    on_rollback(session, lambda: storage.remove_dataset_files(settings.data_dir, relpath))
    storage.publish(settings.data_dir, relpath)
    attachment = DatasetAttachment(
        id=attachment_id,
        dataset_id=dataset.id,
        uploaded_by_id=principal.user_id,
        filename=Path(filename).name[:300],
        content_type=content_type,
        size_bytes=size,
        file_path=relpath,
    )
    session.add(attachment)
    session.flush()
    audit.record(
        session,
        "dataset.attachment",
        actor=principal,
        dataset_id=dataset.id,
        subject_id=attachment.id,
        details={"filename": attachment.filename, "size_bytes": size},
    )
    return attachment


def attachments_of(session: Session, dataset_id: uuid.UUID) -> list[DatasetAttachment]:
    return DatasetRepository(session).attachments(dataset_id)


def get_attachment(
    session: Session, dataset_id: uuid.UUID, attachment_id: uuid.UUID
) -> DatasetAttachment:
    attachment = DatasetRepository(session).attachment(attachment_id)
    if attachment is None or attachment.dataset_id != dataset_id:
        raise NotFound("Attachment not found.", "附件不存在。")
    return attachment
