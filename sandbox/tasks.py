"""Celery task of the sandbox: run a reserved query on a worker and settle its budget."""

from __future__ import annotations

import uuid

from market.config import get_settings
from market.db import unit_of_work
from market.worker import celery_app
from sandbox import service


@celery_app.task(name="sandbox.run_query", acks_late=True)
def run_query(query_id: str) -> str:
    """Run one queued query; the outcome (and the charge) is committed with the answer."""
    with unit_of_work() as session:
        return str(service.execute(session, uuid.UUID(query_id), get_settings()).status)
