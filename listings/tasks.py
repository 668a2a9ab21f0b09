"""Celery tasks of the listings domain: thin wrappers that open a unit of work."""

from __future__ import annotations

import uuid

from ground.config import get_settings
from ground.db import unit_of_work, utcnow
from ground.errors import SluiceError
from ground.ops.logs import get_logger
from ground.worker import IDEMPOTENT_TASK, celery_app, will_retry
from listings import ingestion, recovery, service

log = get_logger(__name__)


@celery_app.task(name="listings.ingest", **IDEMPOTENT_TASK)
def ingest(dataset_id: str, header: ingestion.HeaderMode = "auto") -> str:
    """Convert a kept upload to Parquet, streaming, and profile it; a failure is recorded on
    the dataset (a fixed bilingual reason) instead of being lost.

    Three steps, so no transaction spans the long work: a short read of the job, the
    conversion and detection with no session open, a short write of the result. On SQLite
    sign-ins and other writers therefore never wait for an ingest. ``header`` is the decision
    the upload's check made (``present``/``absent``), applied as it is.

    Idempotent: a dataset no longer ``processing`` (profiled, failed, deleted) is left as it
    is, so a redelivered task (``acks_late`` after a killed worker) or one sent again by
    ``recover_stuck_ingests`` does nothing twice; an interrupted conversion starts over. The
    attempt's start is committed first, so the stale clock counts from when the work began.
    A transient error is retried while retries are left; after the last one the dataset is
    marked failed like any other error."""
    ident = uuid.UUID(dataset_id)
    settings = get_settings()
    try:
        with unit_of_work() as session:
            if not recovery.begin_attempt(session, ident, now=utcnow()):
                return "skipped"
        with unit_of_work() as session:
            job = service.ingest_job(session, ident, settings.data_dir)
        if job is None:
            return "skipped"
        limits = ingestion.IngestLimits.from_settings(settings)
        outcome = service.run_ingest(job, header=header, limits=limits)
        with unit_of_work() as session:
            return str(service.record_ingest(session, ident, outcome, settings.data_dir).status)
    except SluiceError as refused:
        # The file itself is refused further on than the upload's check read: final.
        log.info("ingest refused the file", dataset_id=dataset_id, error=type(refused).__name__)
        reason = service.ingest_error_text(refused.detail, refused.detail_zh)
    except Exception as exc:
        if will_retry(ingest, exc):
            raise  # autoretry_for sends it again after a backoff
        log.error("ingesting a dataset failed", dataset_id=dataset_id, exc_info=exc)
        reason = service.ingest_error_text(*service.INGEST_FAILED)
    with unit_of_work() as session:
        service.mark_ingest_failed(session, ident, reason, settings.data_dir)
    return "failed"


@celery_app.task(name="listings.recover_stuck_ingests", **IDEMPOTENT_TASK)
def recover_stuck_ingests() -> dict[str, int]:
    """Beat: send stale ingests again (bounded attempts) or mark them failed. Idempotent: a
    dataset handled by one run is no longer stale (sent again now) or no longer processing."""
    with unit_of_work() as session:
        done = recovery.recover_stuck_ingests(session, settings=get_settings(), now=utcnow())
    return {"resent": done.resent, "failed": done.failed}


@celery_app.task(name="listings.sweep_orphaned_files", **IDEMPOTENT_TASK)
def sweep_orphaned_files() -> dict[str, int]:
    """Beat: remove orphaned staging files, temporary files and dataset directories older than
    the grace period. Idempotent: what one run removed, the next does not find."""
    with unit_of_work() as session:
        swept = recovery.sweep_orphaned_files(session, settings=get_settings(), now=utcnow())
    return {
        "staging_files": swept.staging_files,
        "dataset_directories": swept.dataset_directories,
        "temporary_files": swept.temporary_files,
    }
