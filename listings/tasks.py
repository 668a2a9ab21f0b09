"""Celery tasks of the listings domain: thin wrappers that open a unit of work."""

from __future__ import annotations

import uuid

from listings import service
from market.config import get_settings
from market.db import unit_of_work
from market.ops.logs import get_logger
from market.worker import IDEMPOTENT_TASK, celery_app, will_retry

log = get_logger(__name__)


@celery_app.task(name="listings.ingest", **IDEMPOTENT_TASK)
def ingest(dataset_id: str) -> str:
    """Profile a stored upload; a failure is recorded on the dataset instead of being lost.

    Idempotent (a profiled dataset is left as it is). A transient error is retried while
    retries are left; after the last one the dataset is marked failed like any other error."""
    ident = uuid.UUID(dataset_id)
    try:
        with unit_of_work() as session:
            return str(service.profile_dataset(session, ident, get_settings().data_dir).status)
    except Exception as exc:
        if will_retry(ingest, exc):
            raise  # autoretry_for sends it again after a backoff
        log.error("ingesting a dataset failed", dataset_id=dataset_id, exc_info=exc)
        with unit_of_work() as session:
            service.mark_ingest_failed(session, ident, f"{type(exc).__name__}: {exc}")
        return "failed"
