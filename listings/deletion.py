"""A provider deletes a dataset that never reached buyers: its rows and its files go.

Deletable: drafts, rejected datasets, failed ones, and those stuck ``processing`` past
``SLUICE_INGEST_STALE_MINUTES`` (``listings.recovery``). Not deletable (409): a dataset in
review (compliance is deciding on it), listed or suspended (buyers hold entitlements to it; it
leaves the catalog through compliance's suspension, never by its provider's hand), or still
being ingested. Anyone but the providing organization gets 404, so a dataset's existence does
not leak; compliance staff, who see every dataset, get 403.

The dataset's rows (policy versions, reviews, attachments, and through ``listings.events``
its plans and sandbox profile) are deleted in the request's transaction; its files only after
that commits (a rolled-back deletion leaves a usable dataset). Should the process die between
the two, the orphan sweep removes the directory. The audit log keeps every record about it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from accounts.models import Role
from accounts.principal import Principal
from audit import service as audit
from ground.config import Settings
from ground.db import on_commit
from ground.errors import Conflict, Forbidden, NotFound
from ground.events import publish
from ground.ops.logs import get_logger
from listings import events, recovery, storage
from listings.models import Dataset, DatasetStatus
from listings.repository import DatasetRepository

log = get_logger(__name__)
DELETABLE = (DatasetStatus.draft, DatasetStatus.rejected, DatasetStatus.failed)


def delete_dataset(
    session: Session,
    principal: Principal,
    dataset_id: uuid.UUID,
    *,
    settings: Settings,
    now: datetime,
) -> None:
    """Delete the provider's own draft, rejected, failed or stuck dataset (see the module)."""
    dataset = _owned(session, principal, dataset_id)
    _check_deletable(dataset, settings=settings, now=now)
    details = {
        "status": str(dataset.status),
        "filename": dataset.original_filename,
        "size_bytes": dataset.size_bytes,
    }
    try:
        publish(session, events.DatasetDeleting(dataset))
        DatasetRepository(session).delete_with_history(dataset)
    except IntegrityError as exc:
        # A record of another domain still names the dataset (an emergency stop, a grant).
        raise Conflict(
            "Other records still refer to this dataset, so it cannot be deleted; ask compliance.",
            "仍有其他记录引用该数据集，无法删除，请联系合规部门。",
        ) from exc
    audit.record(session, "dataset.delete", actor=principal, dataset_id=dataset_id, details=details)
    on_commit(session, lambda: storage.remove_dataset_directory(settings.data_dir, dataset_id))
    log.info("dataset deleted", dataset_id=str(dataset_id), status=details["status"])


def _owned(session: Session, principal: Principal, dataset_id: uuid.UUID) -> Dataset:
    dataset = DatasetRepository(session).get(dataset_id, for_update=True)
    if dataset is None:
        raise NotFound("Dataset not found.", "数据集不存在。")
    if principal.role is Role.provider and dataset.provider_org_id == principal.org_id:
        return dataset
    if principal.role in (Role.compliance, Role.admin):
        raise Forbidden(
            "Only the providing organization can delete a dataset.",
            "只有数据提供方可以删除数据集。",
        )
    raise NotFound("Dataset not found.", "数据集不存在。")


def is_deletable(dataset: Dataset, *, settings: Settings, now: datetime) -> bool:
    """Whether its provider may delete the dataset now (the console shows the button)."""
    return dataset.status in DELETABLE or recovery.is_stuck(dataset, now=now, settings=settings)


def _check_deletable(dataset: Dataset, *, settings: Settings, now: datetime) -> None:
    if is_deletable(dataset, settings=settings, now=now):
        return
    if dataset.status in (DatasetStatus.listed, DatasetStatus.suspended):
        raise Conflict(
            "A listed dataset cannot be deleted: buyers hold entitlements to it. Ask compliance "
            "to suspend it, which takes it out of the catalog and stops every access.",
            "已上架的数据集不能删除：买方持有其使用权。请联系合规部门暂停该数据集，"
            "暂停后它将从目录中移除并停止一切访问。",
        )
    if dataset.status == DatasetStatus.processing:
        raise Conflict(
            "The dataset is still being ingested; it can be deleted once it is a draft, has "
            f"failed, or has been stuck for {settings.ingest_stale_minutes} minutes.",
            f"数据集仍在导入中；成为草稿、导入失败或停滞 {settings.ingest_stale_minutes} "
            "分钟后方可删除。",
        )
    raise Conflict(
        f"Only a draft, rejected or failed dataset can be deleted; this one is {dataset.status}.",
        f"只有草稿、被驳回或导入失败的数据集可以删除，当前状态为 {dataset.status}。",
    )
