"""Celery task of the sandbox: run a reserved query on a worker and settle its budget."""

from __future__ import annotations

import uuid

from ground.config import get_settings
from ground.db import unit_of_work
from ground.worker import IDEMPOTENT_TASK, celery_app
from sandbox import service


@celery_app.task(name="sandbox.run_query", **IDEMPOTENT_TASK)
def run_query(query_id: str) -> str:
    """Run one queued query; the outcome (and the charge) is committed with the answer.

    Idempotent: ``execute`` locks the query row and returns a settled query untouched. A
    transient failure rolls the whole run back (no answer was stored or released; the
    reservation made before stays), so the retry runs it once more and settles it once."""
    with unit_of_work() as session:
        return str(service.execute(session, uuid.UUID(query_id), get_settings()).status)
