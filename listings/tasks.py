"""Celery tasks of the listings domain: thin wrappers that open a unit of work."""

from __future__ import annotations

import logging
import uuid

from listings import service
from market.config import get_settings
from market.db import unit_of_work
from market.worker import celery_app

log = logging.getLogger(__name__)


@celery_app.task(name="listings.ingest", acks_late=True)
def ingest(dataset_id: str) -> str:
    """Profile a stored upload; a failure is recorded on the dataset instead of being lost."""
    ident = uuid.UUID(dataset_id)
    try:
        with unit_of_work() as session:
            return str(service.profile_dataset(session, ident, get_settings().data_dir).status)
    except Exception as exc:
        log.exception("ingesting dataset %s failed", dataset_id)
        with unit_of_work() as session:
            service.mark_ingest_failed(session, ident, f"{type(exc).__name__}: {exc}")
        return "failed"
