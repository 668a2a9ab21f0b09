"""Nothing stuck, nothing orphaned: stale ingests are sent again or failed, orphaned files swept.

A worker killed mid-ingest (OOM, deploy, lost machine) leaves its dataset ``processing``: with
``acks_late`` the broker hands the task to another worker when the dead one's connection drops,
but a message can also be lost outright. So a beat task looks for datasets ``processing``
longer than ``SLUICE_INGEST_STALE_MINUTES`` since their latest attempt was sent or began: each
is sent again while fewer than ``SLUICE_INGEST_MAX_ATTEMPTS`` were sent, else marked failed
with a fixed reason the provider reads (then deletes the dataset and uploads again). The
ingest is idempotent (``profile_dataset`` returns a profiled dataset as it is, and its writes
are one transaction), so a second copy of a task that was only slow does no harm.

A killed upload leaves its staging file, and a failed cleanup a dataset directory without a
dataset row. The sweeper removes both once older than ``SLUICE_ORPHAN_GRACE_MINUTES``, never
sooner: a younger file may belong to an upload still in flight (its row is not committed yet).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from audit import service as audit
from ground.config import Settings
from ground.ops.logs import get_logger
from ground.worker import enqueue
from listings import storage
from listings.models import Dataset, DatasetStatus
from listings.repository import DatasetRepository

log = get_logger(__name__)
_BATCH = 200


def interrupted_reason(attempts: int) -> str:
    """The fixed text a stuck dataset's provider reads: no path, no exception, no value."""
    return (
        f"The ingest was interrupted and did not finish after {attempts} attempt(s); delete "
        f"this dataset and upload the file again. / 导入被中断，{attempts} 次尝试后仍未完成，"
        "请删除该数据集并重新上传文件。"
    )


def is_stuck(dataset: Dataset, *, now: datetime, settings: Settings) -> bool:
    """Whether the dataset is ``processing`` and its latest ingest attempt was sent or began
    ``SLUICE_INGEST_STALE_MINUTES`` or more before ``now`` (its upload, if none was stamped)."""
    started = dataset.ingest_started_at or dataset.created_at
    stale = started <= now - timedelta(minutes=settings.ingest_stale_minutes)
    return dataset.status == DatasetStatus.processing and stale


def begin_attempt(session: Session, dataset_id: uuid.UUID, *, now: datetime) -> bool:
    """Stamp the start of an ingest attempt; False when there is nothing to ingest (done,
    failed or deleted meanwhile: a redelivered or duplicate task). The stamp is committed
    before profiling, so the stale clock counts from when the work really began."""
    dataset = DatasetRepository(session).get(dataset_id, for_update=True)
    if dataset is None or dataset.status != DatasetStatus.processing:
        return False
    dataset.ingest_started_at = now
    session.add(dataset)
    session.flush()
    return True


@dataclass(frozen=True)
class Recovered:
    resent: int
    failed: int


def recover_stuck_ingests(session: Session, *, settings: Settings, now: datetime) -> Recovered:
    """Send each stale ingest again (bounded attempts) or mark it failed; audited."""
    repo = DatasetRepository(session)
    cutoff = now - timedelta(minutes=settings.ingest_stale_minutes)
    resent = failed = 0
    for dataset_id in repo.stale_ingests(started_before=cutoff, limit=_BATCH):
        dataset = repo.get(dataset_id, for_update=True)
        if dataset is None or not is_stuck(dataset, now=now, settings=settings):
            continue  # finished, deleted or begun again since the query
        if dataset.ingest_attempts < settings.ingest_max_attempts:
            dataset.ingest_attempts += 1
            dataset.ingest_started_at = now
            dataset.ingest_task_id = enqueue(session, "listings.ingest", dataset_id=str(dataset.id))
            session.add(dataset)
            resent += 1
            action = "dataset.ingest_resent"
        else:
            repo.fail_if_processing(dataset.id, interrupted_reason(dataset.ingest_attempts), now)
            failed += 1
            action = "dataset.ingest_failed"
        audit.record(
            session,
            action,
            actor=None,
            dataset_id=dataset_id,
            details={"attempts": dataset.ingest_attempts, "reason": "stale"},
        )
    session.flush()
    log.info("stuck ingests recovered", resent=resent, failed=failed)
    return Recovered(resent, failed)


@dataclass(frozen=True)
class Swept:
    staging_files: int
    dataset_directories: int
    temporary_files: int


def sweep_orphaned_files(session: Session, *, settings: Settings, now: datetime) -> Swept:
    """Remove staging files, ``*.tmp`` files and dataset directories without a dataset row,
    each only once nothing in it changed for ``SLUICE_ORPHAN_GRACE_MINUTES``."""
    data_dir = settings.data_dir
    cutoff = (now - timedelta(minutes=settings.orphan_grace_minutes)).timestamp()
    staging = _remove_older(storage.staged_files(data_dir), cutoff)
    temporary = _remove_older(storage.temporary_files(data_dir), cutoff)
    directories = storage.dataset_directories(data_dir)
    known = DatasetRepository(session).existing_ids(directories)
    orphans = [path for dataset_id, path in directories.items() if dataset_id not in known]
    removed_dirs = _remove_older(orphans, cutoff)
    swept = Swept(staging, removed_dirs, temporary)
    log.info(
        "orphaned files swept",
        staging_files=swept.staging_files,
        dataset_directories=swept.dataset_directories,
        temporary_files=swept.temporary_files,
    )
    return swept


def _remove_older(paths: list[Path], cutoff: float) -> int:
    removed = 0
    for path in paths:
        if storage.last_modified(path) >= cutoff:
            continue  # young: an upload or write may still be in flight
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("an orphaned file could not be removed", error_class=type(exc).__name__)
            continue
        removed += 1
    return removed
